/*
 * stream.c - the stream and the durable pull consumer (contract in
 * stream.h).
 *
 * js_GetStreamInfo first: equal settings -> nothing to do (concurrent
 * callers do not race); missing -> js_AddStream; different ->
 * js_UpdateStream. The consumer is durable, so its position (acked
 * sequence) survives hot-store restarts, including kill -9: whatever was
 * delivered but not acked is redelivered after AckWait.
 */
#include "hot/stream.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NS_PER_SEC 1000000000LL

static bool same(const jsStreamConfig *a, const jsStreamConfig *b)
{
    return a->SubjectsLen == 1 && strcmp(a->Subjects[0], b->Subjects[0]) == 0 &&
           a->Storage == b->Storage && a->MaxAge == b->MaxAge &&
           a->MaxBytes == b->MaxBytes && a->Duplicates == b->Duplicates;
}

int hot_stream_ensure(jsCtx *js, const hot_config *c, char *err, size_t errlen)
{
    jsStreamConfig sc;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    const char *subj[1] = {c->subjects};
    natsStatus s;

    jsStreamConfig_Init(&sc);
    sc.Name = c->nats_stream;
    sc.Subjects = subj;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Retention = js_LimitsPolicy;
    sc.MaxAge = c->stream_max_age_sec * NS_PER_SEC;
    sc.MaxBytes = c->stream_max_bytes > 0 ? c->stream_max_bytes : -1;
    sc.Duplicates = c->dup_window_sec * NS_PER_SEC;
    s = js_GetStreamInfo(&si, js, c->nats_stream, NULL, &jerr);
    if (s == NATS_OK && si) {
        bool eq = same(si->Config, &sc);
        jsStreamInfo_Destroy(si);
        if (eq)
            return 0;
        si = NULL;
        s = js_UpdateStream(&si, js, &sc, NULL, &jerr);
    } else if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
        s = js_AddStream(&si, js, &sc, NULL, &jerr);
    }
    if (si)
        jsStreamInfo_Destroy(si);
    if (s != NATS_OK) {
        snprintf(err, errlen, "stream %s: %s (jetstream error %d: %s)",
                 c->nats_stream, natsStatus_GetText(s), (int)jerr,
                 nats_GetLastError(NULL));
        return -EIO;
    }
    return 0;
}

/* Our consumer settings; a running consumer whose AckWait or
 * MaxAckPending differ (HOT_ACK_WAIT_SEC or HOT_BATCH_ROWS changed) is
 * updated, so binding never fails on a stale configuration. */
static natsStatus ensure_consumer(jsCtx *js, const hot_config *c,
                                  jsErrCode *jerr)
{
    jsConsumerConfig cc;
    jsConsumerInfo *ci = NULL;
    jsConsumerConfig_Init(&cc);
    cc.Durable = c->consumer;
    cc.AckPolicy = js_AckExplicit;
    cc.DeliverPolicy = js_DeliverAll;
    cc.AckWait = (int64_t)c->ack_wait_sec * NS_PER_SEC;
    cc.MaxAckPending = (int64_t)c->batch_rows * 4;
    cc.MaxDeliver = -1;
    cc.FilterSubject = c->subjects;
    natsStatus s =
        js_GetConsumerInfo(&ci, js, c->nats_stream, c->consumer, NULL, jerr);
    if (s == NATS_OK && ci) {
        bool eq = ci->Config->AckWait == cc.AckWait &&
                  ci->Config->MaxAckPending == cc.MaxAckPending;
        jsConsumerInfo_Destroy(ci);
        ci = NULL;
        if (!eq)
            s = js_UpdateConsumer(&ci, js, c->nats_stream, &cc, NULL, jerr);
    } else if (s == NATS_NOT_FOUND || *jerr == JSConsumerNotFoundErr) {
        s = js_AddConsumer(&ci, js, c->nats_stream, &cc, NULL, jerr);
    }
    if (ci)
        jsConsumerInfo_Destroy(ci);
    return s;
}

int hot_stream_subscribe(jsCtx *js, const hot_config *c, natsSubscription **sub,
                         char *err, size_t errlen)
{
    jsOptions jo;
    jsSubOptions so;
    jsErrCode jerr = 0;

    *sub = NULL;
    natsStatus s = ensure_consumer(js, c, &jerr);
    if (s == NATS_OK) {
        jsOptions_Init(&jo);
        jsSubOptions_Init(&so);
        so.Stream = c->nats_stream;
        so.Consumer = c->consumer; /* bind: the consumer exists */
        s = js_PullSubscribe(sub, js, c->subjects, c->consumer, &jo, &so,
                             &jerr);
    }
    if (s != NATS_OK) {
        *sub = NULL;
        snprintf(err, errlen, "consumer %s: %s (jetstream error %d: %s)",
                 c->consumer, natsStatus_GetText(s), (int)jerr,
                 nats_GetLastError(NULL));
        return -EIO;
    }
    return 0;
}
