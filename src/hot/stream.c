/*
 * stream.c - the stream and the durable pull consumer (contract in
 * stream.h).
 *
 * The stream is the shared pipeline_stream_ensure's (pipeline/stream.c)
 * with hot-store's copy of the publisher's settings. The consumer is
 * durable, so its position (acked sequence) survives hot-store restarts,
 * including kill -9: whatever was delivered but not acked is redelivered
 * after AckWait. Nothing here subscribes: hot-store pulls from the
 * consumer with its own requests (pull.c).
 */
#include "hot/stream.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "pipeline/stream.h"

#define NS_PER_SEC 1000000000LL

int hot_stream_ensure(jsCtx *js, const hot_config *c, char *err, size_t errlen)
{
    pipeline_stream_cfg sc;

    pipeline_stream_cfg_default(&sc);
    sc.name = c->nats_stream;
    sc.subjects = c->subjects;
    sc.max_age_sec = c->stream_max_age_sec;
    sc.max_bytes = c->stream_max_bytes;
    sc.dup_window_sec = c->dup_window_sec;
    return pipeline_stream_ensure(js, &sc, err, errlen) == 0 ? 0 : -EIO;
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

int hot_stream_consumer(jsCtx *js, const hot_config *c, char *err,
                        size_t errlen)
{
    jsErrCode jerr = 0;
    natsStatus s = ensure_consumer(js, c, &jerr);
    if (s != NATS_OK) {
        snprintf(err, errlen, "consumer %s: %s (jetstream error %d: %s)",
                 c->consumer, natsStatus_GetText(s), (int)jerr,
                 nats_GetLastError(NULL));
        return -EIO;
    }
    return 0;
}
