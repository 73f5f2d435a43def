/*
 * pull.h - hot-store's own JetStream pull loop: pull requests published
 * to $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>, deliveries received
 * on a plain synchronous subscription, and the acks (+ACK, +WPI, -NAK,
 * +TERM) published to each message's reply subject.
 *
 * Why not js_PullSubscribe + natsSubscription_Fetch: libnats 3.4.1's
 * Fetch writes past its message array when deliveries of an earlier,
 * timed-out pull request are still queued. Here at most one request is in
 * flight and every delivery, late or not, is handed to the caller one by
 * one, so there is no array to overrun.
 *
 * Accounting (the caller's invariant): a request asks for at most the
 * room the caller states, and no new request is sent while one is in
 * flight, so rows held + messages still owed never exceed that room as
 * long as the caller takes each message it gets. Should the server send
 * more than it owes (a request given up after a reconnect or a lost
 * status, whose messages come after all), the caller still receives them;
 * it must make room before taking one (store.c hands the batch off).
 *
 * One thread (the consumer's) calls everything but hot_pull_reply, which
 * any thread may call (it only publishes on the thread-safe connection).
 */
#ifndef HK_HOT_PULL_H
#define HK_HOT_PULL_H

#include <nats/nats.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reply bodies JetStream understands on a message's $JS.ACK subject. */
#define HOT_PULL_ACK "+ACK"
#define HOT_PULL_WPI "+WPI"
#define HOT_PULL_NAK "-NAK"
#define HOT_PULL_TERM "+TERM"

/* Most messages asked for in one pull request (see pull.c). */
#define HOT_PULL_MAX 2000
/* How long the server keeps a pull request waiting for messages: the
 * caller's wait, within these bounds (see pull.c). */
#define HOT_PULL_MIN_EXPIRES_MS 20
#define HOT_PULL_MAX_EXPIRES_MS 500

typedef struct hot_pull {
    natsConnection *nc;    /* borrowed, outlives the pull */
    natsSubscription *sub; /* owned: "<inbox>.*" */
    natsStatistics *stats; /* owned: to see reconnects */
    uint64_t reconnects;   /* as of the last check */
    char next_subj[300];   /* $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer> */
    char inbox[128];       /* request k is answered on "<inbox>.<k>" */
    size_t inbox_len;
    uint64_t last_id;     /* id of the newest request sent */
    uint64_t req;         /* id of the request in flight, 0 = none */
    int owed;             /* messages it may still deliver */
    int64_t give_up_mono; /* no status by then: consider it over */
    int64_t hold_mono;    /* no new request before (after a 409) */
    long long unowed;     /* messages beyond what was owed (logged) */
} hot_pull;

/*
 * Subscribe a fresh unique inbox on nc for consumer on stream. Returns 0
 * with p ready (release with hot_pull_free), or -EIO / -ENOMEM with the
 * reason in err and nothing held (p zeroed; hot_pull_free is harmless).
 */
int hot_pull_init(hot_pull *p, natsConnection *nc, const char *stream,
                  const char *consumer, char *err, size_t errlen);

/* Unsubscribe and free; the connection stays the caller's. */
void hot_pull_free(hot_pull *p);

/*
 * Wait at most wait_ms for the next stream message. When ask is true and
 * no request is in flight, first send one for min(room, HOT_PULL_MAX)
 * messages (nothing is sent while room <= 0 or NATS is disconnected).
 * Status messages (404, 408, 409, 100) are consumed here: they end the
 * request they answer, never reach the caller. Returns 1 with *out a
 * stream message the caller owns (natsMsg_Destroy after replying to it);
 * 0 when none came within wait_ms; -EIO when the subscription or the
 * connection is closed (then after waiting wait_ms, so callers can loop).
 */
int hot_pull_next(hot_pull *p, bool ask, int room, int64_t wait_ms,
                  natsMsg **out);

/* True while a request is in flight (messages may still come). */
bool hot_pull_waiting(const hot_pull *p);

/*
 * Publish kind (HOT_PULL_ACK, _WPI, _NAK or _TERM) to m's reply subject
 * on nc. m stays the caller's. Returns 0, or -EINVAL when m has no reply
 * subject (not a JetStream message), -EIO when publishing failed (a
 * message that is not acked is redelivered after AckWait).
 */
int hot_pull_reply(natsConnection *nc, natsMsg *m, const char *kind);

#endif
