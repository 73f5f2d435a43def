/*
 * stream.h - make the JetStream stream and hot-store's durable consumer
 * exist (idempotently).
 *
 * The stream settings are the publisher's (docs/pipeline.md): file
 * storage, limits retention, one subject filter, max age, max bytes and
 * the Msg-Id duplicate window. Private copy of the shared
 * pipeline_stream_ensure until that is on main.
 */
#ifndef HK_HOT_STREAM_H
#define HK_HOT_STREAM_H

#include <nats/nats.h>
#include <stddef.h>

#include "hot/config.h"

/*
 * Add the stream, or update it when it exists with other settings; leave
 * it alone when equal. Returns 0, or -EIO with the reason in err; the
 * stream is then as it was.
 */
int hot_stream_ensure(jsCtx *js, const hot_config *c, char *err, size_t errlen);

/*
 * Bind a pull subscription to the durable consumer c->consumer (created
 * when missing: explicit ack, AckWait c->ack_wait_sec, deliver all,
 * MaxAckPending 4 x batch; updated when AckWait or MaxAckPending
 * differ). Returns 0 with *sub owned by the caller
 * (natsSubscription_Destroy), or -EIO with the reason in err.
 */
int hot_stream_subscribe(jsCtx *js, const hot_config *c, natsSubscription **sub,
                         char *err, size_t errlen);

#endif
