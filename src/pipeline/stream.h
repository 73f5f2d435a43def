/*
 * stream.h - create or update the JetStream stream the pipeline uses
 * (HK_TICKS by default), idempotently, from one settings struct.
 *
 * Whoever connects first (the collector's publisher, hot-store,
 * manage_all.sh init through a daemon) calls pipeline_stream_ensure with
 * the same settings; a second call changes nothing.
 */
#ifndef HK_PIPELINE_STREAM_H
#define HK_PIPELINE_STREAM_H

#include <nats/nats.h>
#include <stddef.h>
#include <stdint.h>

#define PIPELINE_STREAM_DEFAULT "HK_TICKS"
#define PIPELINE_SUBJECTS_DEFAULT "hk.tick.>"
#define PIPELINE_MAX_AGE_SEC_DEFAULT (7 * 86400)
#define PIPELINE_MAX_BYTES_DEFAULT (8LL << 30)
#define PIPELINE_DUP_WINDOW_SEC_DEFAULT 600

typedef struct pipeline_stream_cfg {
    const char *name;       /* NATS_STREAM */
    const char *subjects;   /* one filter, e.g. "hk.tick.>" */
    int64_t max_age_sec;    /* NATS_STREAM_MAX_AGE_SEC, 0 = unlimited */
    int64_t max_bytes;      /* NATS_STREAM_MAX_BYTES, 0 = unlimited */
    int64_t dup_window_sec; /* NATS_DUPLICATE_WINDOW_SEC */
} pipeline_stream_cfg;

/* The defaults above (name HK_TICKS, subjects hk.tick.>, 7 days, 8 GiB,
 * 600 s duplicate window). */
void pipeline_stream_cfg_default(pipeline_stream_cfg *c);

/*
 * Make the stream exist with c's settings: js_AddStream, and when it
 * exists already with other settings, js_UpdateStream (file storage,
 * limits retention). Returns 0, or a negative value after writing the
 * reason into err (errlen bytes); the stream is then as it was.
 */
int pipeline_stream_ensure(jsCtx *js, const pipeline_stream_cfg *c, char *err,
                           size_t errlen);

/* Whether name is a valid stream name (non-empty, no space . * > / \). */
int pipeline_stream_name_ok(const char *name);

#endif
