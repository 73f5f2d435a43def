/*
 * feed_jetstream.c - QTE_SOURCE=jetstream: paper trading live from the
 * JetStream stream the collector publishes (QTE_NATS_STREAM, HK_TICKS;
 * docs/pipeline.md), one hk.HkTick message per committed row.
 *
 * Subscription: an ordered push consumer (jsSubOptions.Ordered): an
 * ephemeral consumer with flow control and heartbeats that the client
 * library re-creates from the last stream sequence it delivered after a
 * gap, a missed heartbeat or a server restart, so every message comes
 * once, in stream order. Filter subject: the one symbol's subject
 * (pipeline_subject) when the engine trades one symbol, else the market's
 * wildcard "<market>.tick.>" (nats-server 2.9 has one filter per
 * consumer) with the engine's symbols picked here. Start (QTE_LIVE_START):
 * new = messages published from now on, day = DeliverByStartTime at HK
 * midnight (UTC+8) of the first of QTE_DAYS (the engine defaults it to
 * today's HK date), all = the whole stream.
 *
 * Threads: libnats's delivery thread runs on_msg: metadata (stream and
 * consumer sequence), decode (pipeline_tick_decode), filter, push into
 * the ring (live_ring.h), all without touching the engine. A full ring is
 * a counted drop with a rate-limited `live_dropped` WARNING (no flow
 * control towards the server: a paper-trading engine that cannot keep up
 * should lose the backlog it cannot use, visibly, rather than stall the
 * stream's consumer). The connection callbacks (libnats's own thread)
 * only set `connected` and count reconnects. The replay thread pops with
 * next(); other threads read the counters (qte_feed_live_stats) and clear
 * the ring (qte_feed_live_clear).
 *
 * Duplicates: a message whose stream sequence is not above the last one
 * delivered is skipped and counted (the ordered consumer should never
 * produce one; the e2e test asserts the counter stays 0). A consumer
 * sequence that goes back to a lower value means the library re-created
 * the consumer: counted as a reset.
 *
 * Close: mark closed (on_msg then drops), drain the subscription (waits
 * for a running callback, deletes the ephemeral consumer), close the
 * connection, free the ring.
 */
#include <errno.h>
#include <math.h>
#include <nats/nats.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hktime.h"
#include "common/log.h"
#include "pipeline/tick.h"
#include "qte/feed.h"
#include "qte/live_ring.h"

typedef struct js_feed {
    qte_feed base;
    const char *const *symbols; /* borrowed, sorted */
    int nsym;
    qte_live_ring ring;
    natsConnection *nc;
    jsCtx *js;
    natsSubscription *sub; /* open: opener; then the keeper thread */
    char subject[PIPELINE_SUBJECT_MAX];
    char stream[64];
    jsConsumerConfig start; /* DeliverPolicy, OptStartTime: QTE_LIVE_START */
    pthread_t keeper;
    bool keeper_on;
    pthread_mutex_t kmu; /* guards kcv's wait; seq_mu: check_seq */
    pthread_cond_t kcv;
    pthread_mutex_t seq_mu;
    atomic_bool resub; /* reconnected: re-create the consumer */
    atomic_bool closed;
    atomic_bool connected;
    /* delivery thread only */
    uint64_t last_cseq;
    int64_t drop_log_ms;
    uint64_t drop_logged;
    /* counters, any thread */
    _Atomic uint64_t received;
    _Atomic uint64_t filtered;
    _Atomic uint64_t bad;
    _Atomic uint64_t dups;
    _Atomic uint64_t reconnects;
    _Atomic uint64_t resets;
    _Atomic uint64_t last_sseq;
    _Atomic int64_t last_ms;
    /* replay thread only */
    int cur_day;
} js_feed;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Symbol index of name, or -1 (symbols are in strcmp order). */
static int find_sym(const js_feed *f, const char *name)
{
    int lo = 0;
    int hi = f->nsym - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(f->symbols[mid], name);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* "20260105" -> 20260105, or 0 when not 8 digits. */
static int parse_day(const char *s)
{
    int d = 0;
    for (int i = 0; i < 8; i++) {
        if (!s || s[i] < '0' || s[i] > '9')
            return 0;
        d = d * 10 + (s[i] - '0');
    }
    return s[8] == '\0' ? d : 0;
}

/* Sequences from the message's metadata: skip duplicates, count resets.
 * Returns false when the message must be skipped. */
static bool check_seq(js_feed *f, natsMsg *msg)
{
    jsMsgMetaData *m = NULL;
    if (natsMsg_GetMetaData(&m, msg) != NATS_OK || !m)
        return true; /* not a JetStream message: cannot tell */
    uint64_t sseq = m->Sequence.Stream;
    uint64_t cseq = m->Sequence.Consumer;
    jsMsgMetaData_Destroy(m);
    bool fresh = true;
    /* an old subscription's last callback may overlap the new one's */
    pthread_mutex_lock(&f->seq_mu);
    if (f->last_cseq && cseq < f->last_cseq)
        atomic_fetch_add(&f->resets, 1);
    f->last_cseq = cseq;
    if (sseq <= atomic_load(&f->last_sseq)) {
        atomic_fetch_add(&f->dups, 1);
        fresh = false;
    } else {
        atomic_store(&f->last_sseq, sseq);
    }
    pthread_mutex_unlock(&f->seq_mu);
    return fresh;
}

static void log_drop(js_feed *f)
{
    int64_t now = now_ms();
    if (now - f->drop_log_ms < 1000)
        return;
    uint64_t d = atomic_load(&f->ring.dropped);
    LOG(LOG_WARNING, LC_QTE,
        "live_dropped dropped=%llu new=%llu capacity=%u reason=ring_full",
        (unsigned long long)d, (unsigned long long)(d - f->drop_logged),
        f->ring.cap);
    f->drop_log_ms = now;
    f->drop_logged = d;
}

/* Decode one message into *it. Returns 1 for a trade of ours, 0 filtered,
 * -1 undecodable. */
static int to_item(js_feed *f, natsMsg *msg, qte_live_item *it)
{
    pipeline_tick pt;
    if (pipeline_tick_decode((const uint8_t *)natsMsg_GetData(msg),
                             (size_t)natsMsg_GetDataLength(msg), &pt) != 0)
        return -1;
    const pipeline_row *r = &pt.row;
    int sym = r->symbol ? find_sym(f, r->symbol) : -1;
    int day = parse_day(r->trading_day);
    int rc = 0;
    if (sym >= 0 && r->has_price && day > 0) {
        it->t.ts_ms = r->ts_ms;
        it->t.sym = sym;
        it->t.symbol = f->symbols[sym];
        it->t.price_milli = llround(r->price * 1000.0);
        it->t.volume = r->has_volume ? r->volume : 0;
        it->t.seq = r->has_seq ? r->seq : 0;
        it->day = day;
        rc = 1;
    }
    pipeline_tick_free(&pt);
    return rc;
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg,
                   void *closure)
{
    js_feed *f = closure;
    (void)nc;
    (void)sub;
    if (atomic_load(&f->closed) || !check_seq(f, msg)) {
        natsMsg_Destroy(msg);
        return;
    }
    atomic_fetch_add(&f->received, 1);
    atomic_store(&f->last_ms, now_ms());
    qte_live_item it;
    int r = to_item(f, msg, &it);
    natsMsg_Destroy(msg);
    if (r < 0)
        atomic_fetch_add(&f->bad, 1);
    else if (r == 0)
        atomic_fetch_add(&f->filtered, 1);
    else if (qte_live_ring_push(&f->ring, &it) != 0)
        log_drop(f);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    js_feed *f = closure;
    (void)nc;
    atomic_store(&f->connected, false);
    if (!atomic_load(&f->closed))
        LOG(LOG_WARNING, LC_QTE, "live_disconnected");
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    js_feed *f = closure;
    (void)nc;
    atomic_store(&f->connected, true);
    atomic_fetch_add(&f->reconnects, 1);
    atomic_store(&f->resub, true);
    LOG(LOG_INFO, LC_QTE, "live_reconnected reconnects=%llu",
        (unsigned long long)atomic_load(&f->reconnects));
}

/* --- qte_feed ops ------------------------------------------------------ */

static int js_next(qte_feed *base, qte_tick *t, int *day, bool *new_day)
{
    js_feed *f = (js_feed *)base;
    qte_live_item it;
    if (!qte_live_ring_pop(&f->ring, &it))
        return atomic_load(&f->closed) ? QTE_FEED_END : QTE_FEED_WAIT;
    *t = it.t;
    *day = it.day;
    *new_day = f->cur_day != 0 && it.day != f->cur_day;
    f->cur_day = it.day;
    return QTE_FEED_ROW;
}

static int js_seek(qte_feed *base, int64_t ts_ms)
{
    (void)ts_ms;
    snprintf(base->err, sizeof(base->err), "live source cannot seek");
    return -1;
}

static double js_progress(const qte_feed *base)
{
    (void)base;
    return 0.0;
}

static void js_close(qte_feed *base)
{
    js_feed *f = (js_feed *)base;
    atomic_store(&f->closed, true);
    if (f->keeper_on) {
        pthread_mutex_lock(&f->kmu);
        pthread_cond_signal(&f->kcv);
        pthread_mutex_unlock(&f->kmu);
        pthread_join(f->keeper, NULL);
    }
    if (f->sub) {
        if (natsSubscription_Drain(f->sub) == NATS_OK)
            natsSubscription_WaitForDrainCompletion(f->sub, 2000);
        else
            natsSubscription_Unsubscribe(f->sub);
        natsSubscription_Destroy(f->sub);
    }
    jsCtx_Destroy(f->js);
    if (f->nc) {
        natsConnection_Close(f->nc);
        natsConnection_Destroy(f->nc);
    }
    if (f->sub)
        LOG(LOG_INFO, LC_QTE,
            "live_closed received=%llu dropped=%llu waiting=%llu",
            (unsigned long long)atomic_load(&f->received),
            (unsigned long long)atomic_load(&f->ring.dropped),
            (unsigned long long)qte_live_ring_size(&f->ring));
    qte_live_ring_free(&f->ring);
    pthread_mutex_destroy(&f->kmu);
    pthread_cond_destroy(&f->kcv);
    pthread_mutex_destroy(&f->seq_mu);
    free(f);
}

static const qte_feed_ops js_ops = {js_next, js_seek, js_progress, js_close};

int qte_feed_live_stats(const qte_feed *base, qte_live_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!base || !base->live)
        return -1;
    const js_feed *f = (const js_feed *)base;
    out->connected = atomic_load(&f->connected);
    out->received = atomic_load(&f->received);
    out->filtered = atomic_load(&f->filtered);
    out->bad = atomic_load(&f->bad);
    out->duplicates = atomic_load(&f->dups);
    out->dropped = atomic_load(&f->ring.dropped);
    out->cleared = atomic_load(&f->ring.cleared);
    out->reconnects = atomic_load(&f->reconnects);
    out->resets = atomic_load(&f->resets);
    out->ring_size = qte_live_ring_size(&f->ring);
    out->ring_capacity = f->ring.cap;
    out->last_stream_seq = atomic_load(&f->last_sseq);
    out->last_msg_ms = atomic_load(&f->last_ms);
    return 0;
}

uint64_t qte_feed_live_clear(qte_feed *base)
{
    if (!base || !base->live)
        return 0;
    return qte_live_ring_clear(&((js_feed *)base)->ring);
}

/* --- open -------------------------------------------------------------- */

/* The filter subject into buf: one symbol's, or "<market>.tick.>" when
 * every symbol has the same market. Returns 0 or -1 (message in err). */
static int filter_subject(const qte_feed_args *a, char *buf, size_t cap,
                          char *err, size_t errlen)
{
    if (a->nsym == 1) {
        if (pipeline_subject(a->symbols[0], buf, cap) == 0)
            return 0;
        snprintf(err, errlen, "jetstream: no subject for symbol %s",
                 a->symbols[0]);
        return -1;
    }
    const char *dot = strchr(a->symbols[0], '.');
    size_t ml = dot ? (size_t)(dot - a->symbols[0]) : 0;
    for (int s = 0; s < a->nsym; s++) {
        if (ml == 0 || strncmp(a->symbols[s], a->symbols[0], ml + 1) != 0) {
            snprintf(err, errlen,
                     "jetstream: symbols of one market only (%s, %s)",
                     a->symbols[0], a->symbols[s]);
            return -1;
        }
    }
    if (ml + sizeof(".tick.>") > cap)
        return -1;
    for (size_t i = 0; i < ml; i++) {
        char c = a->symbols[0][i];
        buf[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    memcpy(buf + ml, ".tick.>", sizeof(".tick.>"));
    return 0;
}

/* QTE_LIVE_START into the consumer config. Returns 0 or -1. */
static int deliver_from(const qte_feed_args *a, jsConsumerConfig *cc, char *err,
                        size_t errlen)
{
    const char *ls = a->cfg->live_start;
    if (strcmp(ls, "all") == 0) {
        cc->DeliverPolicy = js_DeliverAll;
    } else if (strcmp(ls, "day") == 0) {
        if (a->ndays < 1) {
            snprintf(err, errlen, "jetstream: QTE_LIVE_START=day needs a day");
            return -1;
        }
        int64_t midnight_ms = 0; /* HK 00:00 of the first day, UTC */
        if (hktime_day_start_ms(a->days[0], &midnight_ms) != 0) {
            snprintf(err, errlen, "jetstream: day %d is not a date",
                     a->days[0]);
            return -1;
        }
        cc->DeliverPolicy = js_DeliverByStartTime;
        cc->OptStartTime = midnight_ms * 1000000LL;
    } else {
        cc->DeliverPolicy = js_DeliverNew;
    }
    return 0;
}

static int connect_nats(js_feed *f, const qte_config *c, char *err,
                        size_t errlen)
{
    natsOptions *o = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetURL(o, c->nats_url);
    if (s == NATS_OK)
        s = natsOptions_SetName(o, "qte-engine");
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(o, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(o, 250);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, 3000);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(o, on_disconnected, f);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(o, on_reconnected, f);
    if (s == NATS_OK)
        s = natsConnection_Connect(&f->nc, o);
    if (s == NATS_OK)
        s = natsConnection_JetStream(&f->js, f->nc, NULL);
    natsOptions_Destroy(o);
    if (s != NATS_OK) {
        snprintf(err, errlen, "jetstream: connect %s: %s", c->nats_url,
                 natsStatus_GetText(s));
        return -1;
    }
    atomic_store(&f->connected, true);
    return 0;
}

/* (Re-)create the ordered consumer: the first time with QTE_LIVE_START's
 * policy, after a reconnect from the stream sequence after the last one
 * delivered. Returns 0, or -1 with the reason in err. */
static int subscribe(js_feed *f, char *err, size_t errlen)
{
    jsSubOptions so;
    jsErrCode jerr = 0;
    jsSubOptions_Init(&so);
    so.Stream = f->stream;
    so.Ordered = true;
    so.Config.DeliverPolicy = f->start.DeliverPolicy;
    so.Config.OptStartTime = f->start.OptStartTime;
    so.Config.Heartbeat = 1000000000LL; /* 1 s */
    uint64_t last = atomic_load(&f->last_sseq);
    if (last > 0) {
        so.Config.DeliverPolicy = js_DeliverByStartSequence;
        so.Config.OptStartSeq = last + 1;
        so.Config.OptStartTime = 0;
    }
    natsSubscription *sub = NULL;
    natsStatus s =
        js_Subscribe(&sub, f->js, f->subject, on_msg, f, NULL, &so, &jerr);
    if (s != NATS_OK) {
        snprintf(err, errlen, "jetstream: subscribe %s on stream %s: %s (%s)",
                 f->subject, f->stream, natsStatus_GetText(s),
                 nats_GetLastError(NULL));
        return -1;
    }
    f->sub = sub;
    return 0;
}

/* Keeper thread: after a reconnect, replace the subscription (the
 * library's ordered consumer does not come back by itself after a
 * server restart); retries every 250 ms until it succeeds or close. */
static void *keeper_main(void *arg)
{
    js_feed *f = arg;
    char err[256];
    bool failed_logged = false;
    while (!atomic_load(&f->closed)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&f->kmu);
        if (!atomic_load(&f->closed))
            pthread_cond_timedwait(&f->kcv, &f->kmu, &ts);
        pthread_mutex_unlock(&f->kmu);
        if (atomic_load(&f->closed) || !atomic_exchange(&f->resub, false))
            continue;
        natsSubscription *old = f->sub;
        f->sub = NULL;
        if (old) {
            natsSubscription_Unsubscribe(old);
            natsSubscription_Destroy(old);
        }
        if (subscribe(f, err, sizeof(err)) != 0) {
            if (!failed_logged)
                LOG(LOG_WARNING, LC_QTE, "live_resubscribe_failed error=\"%s\"",
                    err);
            failed_logged = true;
            atomic_store(&f->resub, true);
            continue;
        }
        failed_logged = false;
        atomic_fetch_add(&f->resets, 1);
        LOG(LOG_INFO, LC_QTE, "live_resubscribed from_seq=%llu",
            (unsigned long long)atomic_load(&f->last_sseq) + 1);
    }
    return NULL;
}

static int start_keeper(js_feed *f)
{
    if (pthread_mutex_init(&f->kmu, NULL) != 0 ||
        pthread_cond_init(&f->kcv, NULL) != 0 ||
        pthread_mutex_init(&f->seq_mu, NULL) != 0)
        return -1;
    return 0;
}

qte_feed *qte_feed_jetstream_open(const qte_feed_args *a, char *err,
                                  size_t errlen)
{
    js_feed *f = calloc(1, sizeof(*f));
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->base.ops = &js_ops;
    f->base.live = true;
    f->symbols = a->symbols;
    f->nsym = a->nsym;
    uint32_t cap =
        (uint32_t)(a->cfg->queue_capacity > 0 ? a->cfg->queue_capacity : 65536);
    if (a->nsym < 1 || qte_live_ring_init(&f->ring, cap) != 0) {
        snprintf(err, errlen,
                 a->nsym < 1 ? "jetstream: no symbols" : "out of memory");
        free(f);
        return NULL;
    }
    snprintf(f->stream, sizeof(f->stream), "%s", a->cfg->nats_stream);
    if (start_keeper(f) != 0 ||
        filter_subject(a, f->subject, sizeof(f->subject), err, errlen) != 0 ||
        deliver_from(a, &f->start, err, errlen) != 0 ||
        connect_nats(f, a->cfg, err, errlen) != 0 ||
        subscribe(f, err, errlen) != 0) {
        js_close(&f->base);
        return NULL;
    }
    f->keeper_on = pthread_create(&f->keeper, NULL, keeper_main, f) == 0;
    LOG(LOG_INFO, LC_QTE,
        "live_subscribed url=%s stream=%s subject=%s start=%s symbols=%d",
        a->cfg->nats_url, f->stream, f->subject, a->cfg->live_start, a->nsym);
    return &f->base;
}
