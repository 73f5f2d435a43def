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

int hot_stream_subscribe(jsCtx *js, const hot_config *c, natsSubscription **sub,
                         char *err, size_t errlen)
{
    jsOptions jo;
    jsSubOptions so;
    jsErrCode jerr = 0;

    jsOptions_Init(&jo);
    jsSubOptions_Init(&so);
    so.Stream = c->nats_stream;
    so.Config.Durable = c->consumer;
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.DeliverPolicy = js_DeliverAll;
    so.Config.AckWait = (int64_t)c->ack_wait_sec * NS_PER_SEC;
    so.Config.MaxAckPending = (int64_t)c->batch_rows * 4;
    so.Config.MaxDeliver = -1;
    natsStatus s =
        js_PullSubscribe(sub, js, c->subjects, c->consumer, &jo, &so, &jerr);
    if (s != NATS_OK) {
        *sub = NULL;
        snprintf(err, errlen, "consumer %s: %s (jetstream error %d: %s)",
                 c->consumer, natsStatus_GetText(s), (int)jerr,
                 nats_GetLastError(NULL));
        return -EIO;
    }
    return 0;
}
