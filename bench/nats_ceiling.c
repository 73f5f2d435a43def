/*
 * nats_ceiling.c - the raw ceiling for the collector's publisher: libnats
 * async JetStream publishes with a Nats-Msg-Id header into a file stream,
 * the same HkTick bytes the publisher sends (one row of the ceiling
 * benchmark's shape), no SQLite.
 *
 * usage: bench-nats_ceiling URL ROWS MAX_PENDING
 * The stream BENCH_HK (subjects bench.>) is deleted and created afresh.
 * prints: nats_ceiling rows=<n> max_pending=<p> msg_bytes=<b> sec=<t>
 *         rows_per_sec=<r> acked=<a>
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hktime.h"
#include "pipeline/stream.h"
#include "pipeline/tick.h"

static atomic_llong acked;

static void on_ack(jsCtx *js, natsMsg *m, jsPubAck *pa, jsPubAckErr *pae,
                   void *ud)
{
    if (pa && !pae)
        atomic_fetch_add(&acked, 1);
    natsMsg_Destroy(m);
}

/* Publish one message for row i. Returns 0 or -1. */
static int send_one(jsCtx *js, long i, size_t *bytes)
{
    char sym[16], subj[64], id[64];
    uint8_t body[PIPELINE_TICK_MAX];
    size_t len = 0;
    natsMsg *m = NULL;
    pipeline_row r = {.market = "HK",
                      .symbol = sym,
                      .ts_ms = 1795300000000LL + i / 10,
                      .has_price = true,
                      .price = 380.2 + (double)(i % 50) * 0.2,
                      .has_volume = true,
                      .volume = 100 * (1 + i % 20),
                      .has_turnover = true,
                      .direction = "BUY",
                      .has_seq = true,
                      .seq = 7257436441708356760LL + i,
                      .tick_type = "AUTO_MATCH",
                      .push_type = "push",
                      .provider = "futu",
                      .trading_day = "20261121",
                      .recv_ts_ms = hktime_now_ms(),
                      .inserted_at_ms = hktime_now_ms()};

    snprintf(sym, sizeof(sym), "HK.%05ld", 1 + i % 100);
    r.turnover = r.price * (double)r.volume;
    snprintf(subj, sizeof(subj), "bench.tick.%05ld", 1 + i % 100);
    if (pipeline_msg_id(&r, id, sizeof(id)) != 0 ||
        pipeline_tick_encode(&r, body, sizeof(body), &len) != 0 ||
        natsMsg_Create(&m, subj, NULL, (const char *)body, (int)len) !=
            NATS_OK ||
        natsMsgHeader_Set(m, "Nats-Msg-Id", id) != NATS_OK)
        return -1;
    *bytes = len;
    if (js_PublishMsgAsync(js, &m, NULL) != NATS_OK) {
        natsMsg_Destroy(m);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsOptions jo;
    jsPubOptions po;
    pipeline_stream_cfg sc;
    char err[256];
    size_t bytes = 0;

    if (argc != 4) {
        fprintf(stderr, "usage: %s URL ROWS MAX_PENDING\n", argv[0]);
        return 2;
    }
    long rows = atol(argv[2]);
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = atol(argv[3]);
    jo.PublishAsync.AckHandler = on_ack;
    if (natsConnection_ConnectTo(&nc, argv[1]) != NATS_OK ||
        natsConnection_JetStream(&js, nc, &jo) != NATS_OK) {
        fprintf(stderr, "connect: %s\n", nats_GetLastError(NULL));
        return 1;
    }
    (void)js_DeleteStream(js, "BENCH_HK", NULL, NULL);
    pipeline_stream_cfg_default(&sc);
    sc.name = "BENCH_HK";
    sc.subjects = "bench.>";
    if (pipeline_stream_ensure(js, &sc, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int64_t t0 = hktime_mono_ms();
    for (long i = 0; i < rows; i++)
        while (send_one(js, i, &bytes) != 0)
            ; /* stalled at MAX_PENDING: retry */
    jsPubOptions_Init(&po);
    po.MaxWait = 60000;
    js_PublishAsyncComplete(js, &po);
    double sec = (double)(hktime_mono_ms() - t0) / 1000.0;
    printf("nats_ceiling rows=%ld max_pending=%s msg_bytes=%zu sec=%.3f "
           "rows_per_sec=%.0f acked=%lld\n",
           rows, argv[3], bytes, sec, (double)rows / sec,
           (long long)atomic_load(&acked));
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return 0;
}
