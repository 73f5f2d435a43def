/*
 * hk-nats-pub.c - test-only publisher for the pipeline tests and
 * benchmarks (never installed): publishes `ticks` rows from a TSV file as
 * hk.HkTick messages into JetStream, the way the collector's publisher
 * does (subject <market lower>.tick.<code>, Nats-Msg-Id <symbol>:<seq>).
 *
 *   hk-nats-pub --url URL [--stream NAME] [--async] FILE.tsv
 *   hk-nats-pub --url URL --raw SUBJECT TEXT      (a poison message)
 *
 * TSV columns, in table order: market symbol ts_ms price volume turnover
 * direction seq tick_type push_type provider trading_day(YYYYMMDD)
 * recv_ts_ms inserted_at_ms; "\N" is NULL. Each publish waits for the
 * stream's ack unless --async (js_PublishAsync, then wait for all acks).
 * The stream is added with the pipeline's defaults when missing. Exit 0
 * when every message was acked, 1 otherwise; prints "published N".
 */
#include <errno.h>
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "HkTick.pb-c.h"

#define NS 1000000000LL

static int ensure_stream(jsCtx *js, const char *name)
{
    jsStreamConfig sc;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    const char *subj[1] = {"hk.tick.>"};
    if (js_GetStreamInfo(&si, js, name, NULL, &jerr) == NATS_OK) {
        jsStreamInfo_Destroy(si);
        return 0;
    }
    jsStreamConfig_Init(&sc);
    sc.Name = name;
    sc.Subjects = subj;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.MaxAge = 7 * 86400 * NS;
    sc.MaxBytes = 8LL << 30;
    sc.Duplicates = 600 * NS;
    natsStatus s = js_AddStream(&si, js, &sc, NULL, &jerr);
    if (si)
        jsStreamInfo_Destroy(si);
    return s == NATS_OK ? 0 : -1;
}

static char *col(char **p)
{
    char *s = *p;
    char *t = s ? strchr(s, '\t') : NULL;
    if (t) {
        *t = '\0';
        *p = t + 1;
    } else {
        *p = NULL;
    }
    if (s) {
        size_t n = strlen(s);
        while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
            s[--n] = '\0';
    }
    return s && strcmp(s, "\\N") != 0 ? s : NULL;
}

/* Parse one TSV line into m (strings point into line). */
static int parse(char *line, Hk__HkTick *m)
{
    char *p = line;
    char *c[14];
    for (int i = 0; i < 14; i++)
        c[i] = col(&p);
    if (!c[0] || !c[1] || !c[2] || !c[11] || !c[12] || !c[13])
        return -1;
    hk__hk_tick__init(m);
    m->version = 1;
    m->market = c[0];
    m->symbol = c[1];
    m->ts_ms = strtoll(c[2], NULL, 10);
    m->has_price = c[3] != NULL;
    m->price = c[3] ? strtod(c[3], NULL) : 0;
    m->has_volume = c[4] != NULL;
    m->volume = c[4] ? strtoll(c[4], NULL, 10) : 0;
    m->has_turnover = c[5] != NULL;
    m->turnover = c[5] ? strtod(c[5], NULL) : 0;
    m->direction = c[6];
    m->has_seq = c[7] != NULL;
    m->seq = c[7] ? strtoll(c[7], NULL, 10) : 0;
    m->tick_type = c[8];
    m->push_type = c[9];
    m->provider = c[10];
    m->trading_day = c[11];
    m->recv_ts_ms = strtoll(c[12], NULL, 10);
    m->inserted_at_ms = strtoll(c[13], NULL, 10);
    return 0;
}

/* Subject and Msg-Id as the pipeline names them (docs/pipeline.md). */
static void names(const Hk__HkTick *m, char *subj, size_t sc, char *id,
                  size_t ic)
{
    const char *dot = strchr(m->symbol, '.');
    const char *code = dot ? dot + 1 : m->symbol;
    int k = snprintf(subj, sc, "%s.tick.", m->market);
    for (int i = 0; i < k; i++)
        if (subj[i] >= 'A' && subj[i] <= 'Z')
            subj[i] = (char)(subj[i] - 'A' + 'a');
    for (size_t i = 0; code[i] && (size_t)k + 1 < sc; i++)
        subj[k++] = code[i] == '.' ? '_' : code[i];
    subj[k] = '\0';
    if (m->has_seq)
        snprintf(id, ic, "%s:%lld", m->symbol, (long long)m->seq);
    else
        snprintf(id, ic, "%s:t%lld:%.17g:%lld:%.17g", m->symbol,
                 (long long)m->ts_ms, m->price, (long long)m->volume,
                 m->turnover);
}

static int publish_file(jsCtx *js, FILE *f, int async, long *n)
{
    char line[4096];
    uint8_t buf[4096];
    while (fgets(line, sizeof(line), f)) {
        Hk__HkTick m;
        char subj[128], id[256];
        if (line[0] == '\n' || parse(line, &m) != 0)
            continue;
        size_t len = hk__hk_tick__pack(&m, buf);
        names(&m, subj, sizeof(subj), id, sizeof(id));
        natsMsg *msg = NULL;
        natsStatus s =
            natsMsg_Create(&msg, subj, NULL, (const char *)buf, (int)len);
        if (s == NATS_OK)
            s = natsMsgHeader_Set(msg, "Nats-Msg-Id", id);
        if (s == NATS_OK && async) {
            s = js_PublishMsgAsync(js, &msg, NULL);
        } else if (s == NATS_OK) {
            jsPubAck *pa = NULL;
            s = js_PublishMsg(&pa, js, msg, NULL, NULL);
            jsPubAck_Destroy(pa);
        }
        natsMsg_Destroy(msg);
        if (s != NATS_OK) {
            fprintf(stderr, "hk-nats-pub: %s: %s\n", natsStatus_GetText(s),
                    nats_GetLastError(NULL));
            return -1;
        }
        (*n)++;
    }
    if (async) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = 60000;
        if (js_PublishAsyncComplete(js, &po) != NATS_OK)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *url = "nats://127.0.0.1:4222";
    const char *stream = "HK_TICKS";
    const char *raw_subj = NULL, *raw_text = NULL, *file = NULL;
    int async = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--url") && i + 1 < argc) {
            url = argv[++i];
        } else if (!strcmp(argv[i], "--stream") && i + 1 < argc) {
            stream = argv[++i];
        } else if (!strcmp(argv[i], "--async")) {
            async = 1;
        } else if (!strcmp(argv[i], "--raw") && i + 2 < argc) {
            raw_subj = argv[++i];
            raw_text = argv[++i];
        } else {
            file = argv[i];
        }
    }
    if (!raw_subj && !file) {
        fprintf(stderr, "usage: hk-nats-pub --url URL [--stream S] [--async] "
                        "FILE.tsv | --raw SUBJECT TEXT\n");
        return 2;
    }
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = 4096;
    if (natsConnection_ConnectTo(&nc, url) != NATS_OK ||
        natsConnection_JetStream(&js, nc, &jo) != NATS_OK ||
        ensure_stream(js, stream) != 0) {
        fprintf(stderr, "hk-nats-pub: %s\n", nats_GetLastError(NULL));
        return 1;
    }
    long n = 0;
    int rc = 0;
    if (raw_subj) {
        jsPubAck *pa = NULL;
        rc = js_Publish(&pa, js, raw_subj, raw_text, (int)strlen(raw_text),
                        NULL, NULL) == NATS_OK
                 ? 0
                 : -1;
        jsPubAck_Destroy(pa);
        n = rc == 0;
    } else {
        FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
        if (!f) {
            fprintf(stderr, "hk-nats-pub: %s: %s\n", file, strerror(errno));
            return 1;
        }
        rc = publish_file(js, f, async, &n);
        if (f != stdin)
            fclose(f);
    }
    printf("published %ld\n", n);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_Close();
    return rc == 0 ? 0 : 1;
}
