/*
 * hk-nats-dump - print every message of the pipeline stream as a CSV row
 * of the ticks table (a test and debugging tool).
 *
 *   hk-nats-dump [--url nats://127.0.0.1:4222] [--stream HK_TICKS]
 *
 * Reads the stream's message count, then an ephemeral push consumer
 * (deliver all, no acks) from the first message until that many arrived
 * or 5 s pass without one. Each HkTick is decoded and printed as
 * market,symbol,ts_ms,price,volume,turnover,direction,seq,tick_type,
 * push_type,provider,trading_day,recv_ts_ms,inserted_at_ms
 * (doubles %.17g, NULL empty), in stream order; pipe through sort for the
 * truth CSV's order. Exit 0, 1 on a NATS error, 2 on a message that does
 * not decode (printed to stderr with its stream sequence).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/stream.h"
#include "pipeline/tick.h"

static const char *s_(const char *s)
{
    return s ? s : "";
}

static void print_row(const pipeline_row *r)
{
    char p[32] = "", v[32] = "", t[32] = "", q[32] = "";

    if (r->has_price)
        snprintf(p, sizeof(p), "%.17g", r->price);
    if (r->has_volume)
        snprintf(v, sizeof(v), "%" PRId64, r->volume);
    if (r->has_turnover)
        snprintf(t, sizeof(t), "%.17g", r->turnover);
    if (r->has_seq)
        snprintf(q, sizeof(q), "%" PRId64, r->seq);
    printf("%s,%s,%" PRId64 ",%s,%s,%s,%s,%s,%s,%s,%s,%s,%" PRId64 ",%" PRId64
           "\n",
           r->market, r->symbol, r->ts_ms, p, v, t, s_(r->direction), q,
           s_(r->tick_type), s_(r->push_type), s_(r->provider), r->trading_day,
           r->recv_ts_ms, r->inserted_at_ms);
}

/* Read n messages from sub; returns the exit code. */
static int drain(natsSubscription *sub, uint64_t n)
{
    int rc = 0;

    for (uint64_t got = 0; got < n; got++) {
        natsMsg *m = NULL;
        pipeline_tick t;
        jsMsgMetaData *md = NULL;

        if (natsSubscription_NextMsg(&m, sub, 5000) != NATS_OK) {
            fprintf(stderr,
                    "hk-nats-dump: timeout after %" PRIu64 " of %" PRIu64
                    " messages\n",
                    got, n);
            return 1;
        }
        if (pipeline_tick_decode((const uint8_t *)natsMsg_GetData(m),
                                 (size_t)natsMsg_GetDataLength(m), &t) != 0) {
            natsMsg_GetMetaData(&md, m);
            fprintf(stderr,
                    "hk-nats-dump: undecodable message seq=%" PRIu64 "\n",
                    md ? md->Sequence.Stream : 0);
            jsMsgMetaData_Destroy(md);
            rc = 2;
        } else {
            print_row(&t.row);
            pipeline_tick_free(&t);
        }
        natsMsg_Destroy(m);
    }
    return rc;
}

int main(int argc, char **argv)
{
    const char *url = getenv("NATS_URL");
    const char *stream = getenv("NATS_STREAM");
    static const struct option lo[] = {{"url", required_argument, NULL, 'u'},
                                       {"stream", required_argument, NULL, 's'},
                                       {NULL, 0, NULL, 0}};
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsStreamInfo *si = NULL;
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsErrCode jerr = 0;
    int c, rc = 1;

    while ((c = getopt_long(argc, argv, "u:s:", lo, NULL)) != -1) {
        if (c == 'u')
            url = optarg;
        else if (c == 's')
            stream = optarg;
        else
            return 64;
    }
    if (!url || !url[0])
        url = "nats://127.0.0.1:4222";
    if (!stream || !stream[0])
        stream = PIPELINE_STREAM_DEFAULT;
    if (natsConnection_ConnectTo(&nc, url) != NATS_OK ||
        natsConnection_JetStream(&js, nc, NULL) != NATS_OK ||
        js_GetStreamInfo(&si, js, stream, NULL, &jerr) != NATS_OK) {
        fprintf(stderr, "hk-nats-dump: %s: %s\n", url, nats_GetLastError(NULL));
        goto out;
    }
    jsSubOptions_Init(&so);
    so.Stream = stream;
    so.Config.DeliverPolicy = js_DeliverAll;
    so.Config.AckPolicy = js_AckNone;
    if (js_SubscribeSync(&sub, js, si->Config->Subjects[0], NULL, &so, &jerr) !=
        NATS_OK) {
        fprintf(stderr, "hk-nats-dump: subscribe: %s\n",
                nats_GetLastError(NULL));
        goto out;
    }
    rc = drain(sub, si->State.Msgs);
out:
    natsSubscription_Destroy(sub);
    jsStreamInfo_Destroy(si);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return rc;
}
