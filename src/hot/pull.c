/*
 * pull.c - hot-store's own pull loop on a plain subscription (contract in
 * pull.h).
 *
 * Wire: a pull request is a core NATS publish to
 * $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer> with reply subject
 * "<inbox>.<id>" (id counts up from 1) and body
 * {"batch":N,"expires":<ns>,"no_wait":true}: nats-server 2.9 treats that
 * as a one-shot request that waits up to expires while the consumer has
 * nothing, but ends (408) as soon as it delivered something and the
 * stream has no more, so a backlog is pulled request after request
 * without waiting for expiries. The server answers on that reply subject
 * with up to N stream messages (body = the tick; subject = the stream
 * subject; reply = $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.
 * <ts>.<pending>, where acks go), then, when the request ends short of
 * N (expired, or one-shot done), a status message: no body, header line
 * "NATS/1.0 408 Request Timeout" (libnats lifts the code into header "Status"
 * and the text into "Description"; also 408 Requests Pending). Other statuses:
 * 404 No Messages (no_wait without expires, not sent), 409 (e.g. "Exceeded
 * MaxWaiting", "Consumer Deleted"), 100 (idle heartbeat, not asked for). A
 * status message is recognised as libnats' js.c does: empty body and a Status
 * header. Its subject names the request it answers, so a late status of an
 * earlier request never ends the current one; stream messages carry no such
 * mark, which is why only one request is ever in flight.
 *
 * States of the request (one at a time, consumer thread only):
 *   IDLE     req 0. hot_pull_next sends one (send_request()) when asked,
 *            with room, connected and not holding off after a 409.
 *   WAITING  req = its id, owed = messages it may still deliver. Each
 *            stream message: owed - 1 (handed to the caller); owed 0:
 *            IDLE. Its status (404/408/409/other, matched by id): IDLE
 *            (on_status()). No status by give_up_mono (expires plus
 *            HOT_PULL_GRACE_MS), or a reconnect seen while nothing
 *            arrives (the server forgot the request; libnats subscribes
 *            the inbox again by itself): IDLE (on_quiet()).
 * Messages that come while IDLE (a given-up request's, after all) are
 * handed to the caller as well and counted in unowed.
 *
 * HOT_PULL_MAX: a request's messages are queued in the subscription until
 * taken; 2000 rows (~250 kB) arrive in milliseconds, and one request
 * round trip per 2000 rows costs little.
 */
#include "hot/pull.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hktime.h"
#include "common/log.h"
#include "hot/insert.h"
#include "hot/store.h"

/* After its expiry, how long a request may stay without its status: the
 * server sends none when it finds a request expired while delivering
 * (nats-server 2.9 nextWaiting), and sends nothing for it afterwards, so
 * only messages already in transit can still come (taken as unowed). */
#define HOT_PULL_GRACE_MS 30
/* After a 409, no new request for this long (consumer deleted, ...). */
#define HOT_PULL_HOLD_MS 100
/* While disconnected, how often to look whether NATS is back. */
#define HOT_PULL_POLL_MS 50

int hot_pull_init(hot_pull *p, natsConnection *nc, const char *stream,
                  const char *consumer, char *err, size_t errlen)
{
    natsInbox *ib = NULL;
    char wild[160];

    memset(p, 0, sizeof(*p));
    p->nc = nc;
    int n = snprintf(p->next_subj, sizeof(p->next_subj),
                     "$JS.API.CONSUMER.MSG.NEXT.%s.%s", stream, consumer);
    if (n < 0 || (size_t)n >= sizeof(p->next_subj)) {
        snprintf(err, errlen, "stream or consumer name too long");
        return -EIO;
    }
    natsStatus s = natsInbox_Create(&ib);
    if (s == NATS_OK) {
        snprintf(p->inbox, sizeof(p->inbox), "%s", (const char *)ib);
        p->inbox_len = strlen(p->inbox);
        snprintf(wild, sizeof(wild), "%s.*", p->inbox);
        s = natsConnection_SubscribeSync(&p->sub, nc, wild);
    }
    natsInbox_Destroy(ib);
    /* Unlimited: what is queued is bounded by our requests' sizes, and a
     * message dropped here would only come back after AckWait. */
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(p->sub, -1, -1);
    if (s == NATS_OK)
        s = natsStatistics_Create(&p->stats);
    if (s == NATS_OK && natsConnection_GetStats(nc, p->stats) == NATS_OK)
        natsStatistics_GetCounts(p->stats, NULL, NULL, NULL, NULL,
                                 &p->reconnects);
    if (s != NATS_OK) {
        snprintf(err, errlen, "pull subscription: %s: %s",
                 natsStatus_GetText(s), nats_GetLastError(NULL));
        hot_pull_free(p);
        return s == NATS_NO_MEMORY ? -ENOMEM : -EIO;
    }
    return 0;
}

void hot_pull_free(hot_pull *p)
{
    if (p->sub) {
        natsSubscription_Unsubscribe(p->sub);
        natsSubscription_Destroy(p->sub);
    }
    natsStatistics_Destroy(p->stats);
    memset(p, 0, sizeof(*p));
}

bool hot_pull_waiting(const hot_pull *p)
{
    return p->req != 0;
}

static void request_over(hot_pull *p)
{
    p->req = 0;
    p->owed = 0;
}

static bool connected(const hot_pull *p)
{
    return natsConnection_Status(p->nc) == NATS_CONN_STATUS_CONNECTED;
}

/* Ask for min(room, HOT_PULL_MAX) messages within expires_ms: IDLE ->
 * WAITING. */
static void send_request(hot_pull *p, int room, int64_t expires_ms)
{
    char body[96];
    char reply[160];
    int batch = room < HOT_PULL_MAX ? room : HOT_PULL_MAX;
    uint64_t id = p->last_id + 1;

    snprintf(body, sizeof(body),
             "{\"batch\":%d,\"expires\":%lld,\"no_wait\":true}", batch,
             (long long)expires_ms * 1000000LL);
    snprintf(reply, sizeof(reply), "%s.%" PRIu64, p->inbox, id);
    natsStatus s =
        natsConnection_PublishRequestString(p->nc, p->next_subj, reply, body);
    if (s != NATS_OK) {
        LOG(LOG_DEBUG, LC_HOT, "hot_fetch_failed status=%s",
            natsStatus_GetText(s));
        p->hold_mono = hktime_mono_ms() + HOT_PULL_HOLD_MS;
        return;
    }
    p->last_id = id;
    p->req = id;
    p->owed = batch;
    p->give_up_mono = hktime_mono_ms() + expires_ms + HOT_PULL_GRACE_MS;
}

/* A status message (empty body, Status header) or a stream message? */
static bool is_status(natsMsg *m, const char **code)
{
    if (natsMsg_GetDataLength(m) > 0)
        return false;
    return natsMsgHeader_Get(m, "Status", code) == NATS_OK && *code;
}

/* The request a status answers: the id in its subject "<inbox>.<id>". */
static uint64_t status_request(const hot_pull *p, natsMsg *m)
{
    const char *subj = natsMsg_GetSubject(m);
    if (!subj || strncmp(subj, p->inbox, p->inbox_len) != 0 ||
        subj[p->inbox_len] != '.')
        return 0;
    return strtoull(subj + p->inbox_len + 1, NULL, 10);
}

/* WAITING -> IDLE when m answers the request in flight. */
static void on_status(hot_pull *p, natsMsg *m, const char *code)
{
    if (strcmp(code, "100") == 0 || status_request(p, m) != p->req ||
        p->req == 0)
        return; /* a heartbeat, or a late status of an earlier request */
    request_over(p);
    if (strcmp(code, "404") == 0 || strcmp(code, "408") == 0)
        return;
    const char *desc = NULL;
    char q[160];
    natsMsgHeader_Get(m, "Description", &desc);
    LOG(LOG_DEBUG, LC_HOT, "hot_fetch_failed status=%s description=%s", code,
        log_quote(desc ? desc : "", q, sizeof(q)));
    p->hold_mono = hktime_mono_ms() + HOT_PULL_HOLD_MS;
}

/* Nothing arrived: give up a request the server no longer serves. */
static void on_quiet(hot_pull *p, int64_t now)
{
    uint64_t rc = p->reconnects;
    if (natsConnection_GetStats(p->nc, p->stats) == NATS_OK)
        natsStatistics_GetCounts(p->stats, NULL, NULL, NULL, NULL, &rc);
    bool reconnected = rc != p->reconnects;
    p->reconnects = rc;
    if (p->req == 0 || (!reconnected && now < p->give_up_mono))
        return;
    LOG(LOG_DEBUG, LC_HOT, "hot_pull_reset reason=%s owed=%d unowed=%lld",
        reconnected ? "reconnect" : "no_status", p->owed, p->unowed);
    request_over(p);
}

/* A stream message arrived: one less owed. */
static void on_message(hot_pull *p)
{
    if (p->req == 0) {
        p->unowed++;
        return;
    }
    if (--p->owed <= 0)
        request_over(p);
}

/* A request's expiry: the caller's wait, within
 * [HOT_PULL_MIN_EXPIRES_MS, HOT_PULL_MAX_EXPIRES_MS]. */
static int64_t expires_for(int64_t wait_ms)
{
    if (wait_ms < HOT_PULL_MIN_EXPIRES_MS)
        return HOT_PULL_MIN_EXPIRES_MS;
    return wait_ms > HOT_PULL_MAX_EXPIRES_MS ? HOT_PULL_MAX_EXPIRES_MS
                                             : wait_ms;
}

int hot_pull_next(hot_pull *p, bool ask, int room, int64_t wait_ms,
                  natsMsg **out)
{
    int64_t now = hktime_mono_ms();
    int64_t deadline = now + (wait_ms > 0 ? wait_ms : 0);
    *out = NULL;
    for (;;) {
        bool up = connected(p);
        if (ask && p->req == 0 && room > 0 && up && now >= p->hold_mono)
            send_request(p, room, expires_for(deadline - now));
        int64_t t = deadline - now;
        if (p->req != 0 && p->give_up_mono - now < t)
            t = p->give_up_mono - now;
        if (ask && p->req == 0 && t > HOT_PULL_POLL_MS)
            t = HOT_PULL_POLL_MS; /* not sent: try again soon */
        natsMsg *m = NULL;
        natsStatus s = natsSubscription_NextMsg(&m, p->sub, t > 0 ? t : 0);
        now = hktime_mono_ms();
        if (s == NATS_OK) {
            const char *code = NULL;
            if (!is_status(m, &code)) {
                on_message(p);
                *out = m;
                return 1;
            }
            on_status(p, m, code);
            natsMsg_Destroy(m);
        } else if (s == NATS_TIMEOUT) {
            on_quiet(p, now);
        } else {
            LOG(LOG_DEBUG, LC_HOT, "hot_fetch_failed status=%s",
                natsStatus_GetText(s));
            hot_nap_ms(deadline - now);
            return -EIO;
        }
        if (now >= deadline)
            return 0;
    }
}

int hot_pull_reply(natsConnection *nc, natsMsg *m, const char *kind)
{
    const char *reply = natsMsg_GetReply(m);
    if (!reply || !reply[0])
        return -EINVAL;
    return natsConnection_PublishString(nc, reply, kind) == NATS_OK ? 0 : -EIO;
}
