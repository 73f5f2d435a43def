/*
 * stream.h - make the JetStream stream and hot-store's durable consumer
 * exist (idempotently).
 *
 * The stream itself is made by the shared pipeline_stream_ensure
 * (pipeline/stream.h) with the publisher's settings (docs/pipeline.md);
 * the durable pull consumer is hot-store's own.
 */
#ifndef HK_HOT_STREAM_H
#define HK_HOT_STREAM_H

#include <nats/nats.h>
#include <stddef.h>

#include "hot/config.h"

/*
 * pipeline_stream_ensure with c's NATS_STREAM, NATS_SUBJECTS,
 * NATS_STREAM_MAX_AGE_SEC, NATS_STREAM_MAX_BYTES and
 * NATS_DUPLICATE_WINDOW_SEC: add the stream, or update it when it exists
 * with other settings; leave it alone when equal. Returns 0, or -EIO with
 * the reason in err; the stream is then as it was.
 */
int hot_stream_ensure(jsCtx *js, const hot_config *c, char *err, size_t errlen);

/*
 * Make the durable pull consumer c->consumer exist: created when missing
 * (explicit ack, AckWait c->ack_wait_sec, deliver all, MaxAckPending
 * 4 x batch), updated when AckWait or MaxAckPending differ. Returns 0,
 * or -EIO with the reason in err.
 */
int hot_stream_consumer(jsCtx *js, const hot_config *c, char *err,
                        size_t errlen);

#endif
