/*
 * stream.c - idempotent JetStream stream creation for the pipeline.
 *
 * js_GetStreamInfo first: a stream that exists with the same subjects,
 * storage, limits and duplicate window is left alone (no update, so
 * concurrent callers do not race); a missing one is added; a different
 * one is updated (storage type cannot change on a live stream: that is
 * reported). Stateless; callable from any thread that owns js.
 */
#include "pipeline/stream.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define NS_PER_SEC 1000000000LL

void pipeline_stream_cfg_default(pipeline_stream_cfg *c)
{
    c->name = PIPELINE_STREAM_DEFAULT;
    c->subjects = PIPELINE_SUBJECTS_DEFAULT;
    c->max_age_sec = PIPELINE_MAX_AGE_SEC_DEFAULT;
    c->max_bytes = PIPELINE_MAX_BYTES_DEFAULT;
    c->dup_window_sec = PIPELINE_DUP_WINDOW_SEC_DEFAULT;
}

int pipeline_stream_name_ok(const char *name)
{
    if (!name || !name[0])
        return 0;
    for (const char *p = name; *p; p++)
        if (*p <= ' ' || strchr(".*>/\\", *p))
            return 0;
    return 1;
}

static bool same(const jsStreamConfig *a, const jsStreamConfig *b)
{
    return a->SubjectsLen == 1 && strcmp(a->Subjects[0], b->Subjects[0]) == 0 &&
           a->Storage == b->Storage && a->MaxAge == b->MaxAge &&
           a->MaxBytes == b->MaxBytes && a->Duplicates == b->Duplicates;
}

int pipeline_stream_ensure(jsCtx *js, const pipeline_stream_cfg *c, char *err,
                           size_t errlen)
{
    jsStreamConfig sc;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    const char *subj[1] = {c->subjects};
    natsStatus s;

    jsStreamConfig_Init(&sc);
    sc.Name = c->name;
    sc.Subjects = subj;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Retention = js_LimitsPolicy;
    sc.MaxAge = c->max_age_sec * NS_PER_SEC;
    sc.MaxBytes = c->max_bytes > 0 ? c->max_bytes : -1;
    sc.Duplicates = c->dup_window_sec * NS_PER_SEC;
    s = js_GetStreamInfo(&si, js, c->name, NULL, &jerr);
    if (s == NATS_OK && si) {
        bool eq = same(&si->Config[0], &sc);
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
        snprintf(err, errlen, "stream %s: %s (jetstream error %d: %s)", c->name,
                 natsStatus_GetText(s), (int)jerr, nats_GetLastError(NULL));
        return -EIO;
    }
    return 0;
}
