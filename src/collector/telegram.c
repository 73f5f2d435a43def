/*
 * telegram.c - the notifier's queue and sender thread (see telegram.h).
 *
 * Queue: a ring of TG_QUEUE_MAX fixed slots allocated at start; enqueue
 * copies into a slot under mu, signals cv, and returns; a full ring is a
 * -1 return plus telegram_queue_full (never growth, never a wait).
 * Sender: takes the oldest slot (copy out, unlock) and delivers it:
 *   1. local rate limit: at most TG_RATE_LIMIT_PER_MIN sends in any 60 s
 *      (a ring of send times); a wait logs telegram_rate_limited
 *      source=local;
 *   2. up to SEND_ATTEMPTS calls: 429 waits retry_after (capped) and logs
 *      telegram_rate_limited source=telegram; a network error or 5xx
 *      waits 1 s, 2 s, …; any other answer is final;
 *   3. telegram_send_ok, or telegram_send_failed with the redacted error.
 * Every wait is a timed wait on cv, so the drain deadline (set by
 * telegram_close) ends it; tgapi's abort callback ends a transfer in
 * flight. After the deadline the remaining messages are dropped (logged
 * as telegram_send_failed err=stopping).
 */
#include "collector/telegram.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/hktime.h"
#include "common/log.h"
#include "common/tgapi.h"

#define SEND_ATTEMPTS 3
#define RETRY_AFTER_CAP_SEC 300

static void abstime_in(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static bool past_deadline(telegram *t)
{
    int64_t d = atomic_load(&t->drain_deadline_mono);
    return d > 0 && hktime_mono_ms() >= d;
}

static int abort_cb(void *ud)
{
    return past_deadline(ud);
}

/* Wait up to ms, ending early at the drain deadline. Returns -1 when the
 * deadline has passed (the caller gives up), else 0. */
static int nap(telegram *t, int64_t ms)
{
    int64_t end = hktime_mono_ms() + ms;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        int64_t now = hktime_mono_ms();
        int64_t d = atomic_load(&t->drain_deadline_mono);
        int64_t until = d > 0 && d < end ? d : end;
        struct timespec ts;
        if (now >= until)
            break;
        abstime_in(&ts, until - now);
        pthread_cond_timedwait(&t->cv, &t->mu, &ts);
    }
    pthread_mutex_unlock(&t->mu);
    return past_deadline(t) ? -1 : 0;
}

static int rate_wait(telegram *t, const telegram_msg *m)
{
    int64_t oldest = t->sent_mono[t->sent_pos];
    int64_t wait = oldest > 0 ? oldest + 60000 - hktime_mono_ms() : 0;
    if (wait <= 0)
        return 0;
    LOG(LOG_WARNING, LC_TELEGRAM,
        "telegram_rate_limited kind=%s severity=%s fingerprint=%s "
        "retry_after=%lld attempt=0 eid=%s sid=none source=local "
        "limit_per_min=%d",
        m->kind, m->severity, m->code, (long long)(wait + 999) / 1000, m->eid,
        t->rate);
    return nap(t, wait);
}

static void failed(telegram *t, const telegram_msg *m, int status,
                   const char *err, int attempts)
{
    char q[600];
    atomic_fetch_add(&t->n_failed, 1);
    LOG(LOG_ERROR, LC_TELEGRAM,
        "telegram_send_failed kind=%s severity=%s fingerprint=%s status=%d "
        "err=%s attempts=%d eid=%s sid=none",
        m->kind, m->severity, m->code, status, log_quote(err, q, sizeof(q)),
        attempts, m->eid);
}

/* Seconds to wait before the next attempt, or -1 when the answer is
 * final. Logs telegram_rate_limited for a 429. */
static int retry_delay(const telegram_msg *m, const tgapi_result *r,
                       int attempt)
{
    if (r->aborted)
        return -1;
    if (r->http_status == 429) {
        int s = r->retry_after > 0 ? r->retry_after : 1;
        if (s > RETRY_AFTER_CAP_SEC)
            s = RETRY_AFTER_CAP_SEC;
        LOG(LOG_WARNING, LC_TELEGRAM,
            "telegram_rate_limited kind=%s severity=%s fingerprint=%s "
            "retry_after=%d attempt=%d eid=%s sid=none source=telegram",
            m->kind, m->severity, m->code, s, attempt, m->eid);
        return s;
    }
    if (r->transport_error || r->http_status >= 500)
        return 1 << (attempt - 1);
    return -1;
}

static void deliver(telegram *t, const telegram_msg *m)
{
    const tgconf *tc = &t->cfg->tg;
    tgapi_req req = {
        .api_base = tc->api_base,
        .token = tc->token,
        .chat_id = m->chat[0] ? m->chat : tc->chat_id,
        .thread_id = m->thread,
        .text = m->text,
        .connect_timeout_ms = 5000,
        .timeout_ms = (long)tc->send_timeout_sec * 1000,
        .abort_fn = abort_cb,
        .ud = t,
    };
    tgapi_result r;
    int attempt;

    if (rate_wait(t, m) != 0) {
        failed(t, m, 0, "stopping", 0);
        return;
    }
    for (attempt = 1; attempt <= SEND_ATTEMPTS; attempt++) {
        int delay;
        t->sent_mono[t->sent_pos] = hktime_mono_ms();
        t->sent_pos = (t->sent_pos + 1) % t->rate;
        if (tgapi_send_message(&req, &r) == 0) {
            atomic_fetch_add(&t->n_sent, 1);
            LOG(LOG_INFO, LC_TELEGRAM,
                "telegram_send_ok kind=%s mode=send severity=%s "
                "fingerprint=%s attempt=%d eid=%s sid=none message_id=%lld",
                m->kind, m->severity, m->code, attempt, m->eid, r.message_id);
            return;
        }
        delay = retry_delay(m, &r, attempt);
        if (delay < 0 || attempt == SEND_ATTEMPTS ||
            nap(t, (int64_t)delay * 1000) != 0)
            break;
    }
    if (attempt > SEND_ATTEMPTS)
        attempt = SEND_ATTEMPTS;
    failed(t, m, r.http_status,
           r.err[0] ? r.err : (r.body[0] ? r.body : "unknown"), attempt);
}

static void *sender_main(void *arg)
{
    telegram *t = arg;
    telegram_msg m;

    for (;;) {
        pthread_mutex_lock(&t->mu);
        while (t->count == 0 && !t->stopping)
            pthread_cond_wait(&t->cv, &t->mu);
        if (t->count == 0) {
            pthread_mutex_unlock(&t->mu);
            break;
        }
        m = t->slots[t->head];
        t->head = (t->head + 1) % t->cap;
        t->count--;
        pthread_mutex_unlock(&t->mu);
        if (past_deadline(t))
            failed(t, &m, 0, "stopping", 0);
        else
            deliver(t, &m);
    }
    return NULL;
}

static int push(telegram *t, const telegram_msg *src, const char *reason,
                const char *text)
{
    telegram_msg *m;
    char th[24];

    if (!t->active)
        return -1;
    if (src->thread)
        snprintf(th, sizeof(th), "%lld", src->thread);
    else
        snprintf(th, sizeof(th), "none");
    pthread_mutex_lock(&t->mu);
    if (t->count == t->cap || t->stopping) {
        pthread_mutex_unlock(&t->mu);
        atomic_fetch_add(&t->n_dropped, 1);
        LOG(LOG_ERROR, LC_TELEGRAM,
            "telegram_queue_full kind=%s mode=send severity=%s "
            "fingerprint=%s dropped=1 thread_id=%s eid=%s sid=none "
            "queue=%d/%d",
            src->kind, src->severity, src->code, th, src->eid, t->cap, t->cap);
        return -1;
    }
    m = &t->slots[(t->head + t->count) % t->cap];
    *m = *src;
    snprintf(m->text, sizeof(m->text), "%s", text);
    t->count++;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    LOG(LOG_INFO, LC_TELEGRAM,
        "telegram_enqueue kind=%s mode=send severity=%s fingerprint=%s "
        "reason=%s thread_id=%s eid=%s sid=none",
        src->kind, src->severity, src->code, reason, th, src->eid);
    return 0;
}

int telegram_enqueue(telegram *t, const char *kind, const char *severity,
                     const char *code, const char *reason, const char *eid,
                     const char *text)
{
    static const telegram_msg zero;
    telegram_msg m = zero;
    const tgconf *tc;

    if (!t->active)
        return -1;
    tc = &t->cfg->tg;
    m.thread = strcmp(kind, "HEALTH") == 0 ? tc->thread_health : tc->thread_ops;
    if (m.thread == 0)
        m.thread = tc->thread_main;
    snprintf(m.kind, sizeof(m.kind), "%s", kind);
    snprintf(m.severity, sizeof(m.severity), "%s", severity);
    snprintf(m.code, sizeof(m.code), "%s", code);
    snprintf(m.eid, sizeof(m.eid), "%s", eid);
    return push(t, &m, reason, text);
}

int telegram_reply(telegram *t, const char *chat, long long thread,
                   const char *command, const char *text)
{
    static const telegram_msg zero;
    telegram_msg m = zero;
    m.thread = thread;
    snprintf(m.chat, sizeof(m.chat), "%s", chat);
    snprintf(m.kind, sizeof(m.kind), "ACTION");
    snprintf(m.severity, sizeof(m.severity), "OK");
    snprintf(m.code, sizeof(m.code), "%s", command);
    snprintf(m.eid, sizeof(m.eid), "none");
    return push(t, &m, "command", text);
}

/* Why the notifier is off, or NULL when it can run. */
static const char *off_reason(const tgconf *tc)
{
    if (!tc->enabled)
        return "tg_disabled";
    if (!tc->token[0])
        return "missing_token";
    if (!tc->chat_id[0])
        return "missing_chat_id";
    return NULL;
}

static void log_started(const telegram *t)
{
    const tgconf *tc = &t->cfg->tg;
    char q1[128], q2[300], q3[160];
    LOG(LOG_INFO, LC_TELEGRAM,
        "telegram_notifier_started notify_schema=%s version=%s chat_id=%s "
        "thread_id=%s thread_health_id=%s thread_ops_id=%s parse_mode=none "
        "token=<redacted> rate_limit_per_min=%d interactive_enabled=%s "
        "queue_max=%d api_base=%s instance=%s cadence_trading=%d "
        "cadence_offhours=%d cadence_fixed=%d lunch_once=%d "
        "after_close_once=%d holiday_mode=%s alert_grace_sec=%d "
        "alert_cooldown_sec=%d alert_steps=%s",
        TELEGRAM_SCHEMA, HK_VERSION, log_quote(tc->chat_id, q1, sizeof(q1)),
        tc->thread_id[0] ? tc->thread_id : "none",
        tc->thread_health_id[0] ? tc->thread_health_id : "none",
        tc->thread_ops_id[0] ? tc->thread_ops_id : "none",
        tc->rate_limit_per_min, tc->interactive ? "True" : "False",
        tc->queue_max, log_quote(tc->api_base, q2, sizeof(q2)), t->instance,
        tc->eff_trading_sec, tc->eff_offhours_sec, tc->eff_fixed_sec,
        tc->health_lunch_once, tc->health_after_close,
        tc->holiday_daily ? "daily" : "disabled", tc->alert_grace_sec,
        tc->alert_cooldown_sec, log_quote(tc->alert_steps, q3, sizeof(q3)));
}

static void on_timer(uv_timer_t *tm)
{
    telegram_observe(tm->data);
}

static void set_instance(telegram *t)
{
    char host[64] = "";
    if (t->cfg->instance_id[0]) {
        snprintf(t->instance, sizeof(t->instance), "%s", t->cfg->instance_id);
        return;
    }
    if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
        snprintf(host, sizeof(host), "hk-tick-collector");
    snprintf(t->instance, sizeof(t->instance), "%s", host);
}

int telegram_start(telegram *t, const config *cfg, uv_loop_t *loop, health *h)
{
    const char *off = off_reason(&cfg->tg);

    t->cfg = cfg;
    t->h = h;
    if (off) {
        LOG(cfg->tg.enabled ? LOG_WARNING : LOG_INFO, LC_TELEGRAM,
            "telegram_notifier_disabled reason=%s chat_id=%s token=%s", off,
            cfg->tg.chat_id[0] ? "set" : "none",
            cfg->tg.token[0] ? "set" : "none");
        return 0;
    }
    set_instance(t);
    t->cap = cfg->tg.queue_max;
    t->rate = cfg->tg.rate_limit_per_min;
    t->slots = calloc((size_t)t->cap, sizeof(*t->slots));
    t->sent_mono = calloc((size_t)t->rate, sizeof(*t->sent_mono));
    if (!t->slots || !t->sent_mono || tgapi_global_init() != 0)
        goto fail;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, &ca);
    pthread_condattr_destroy(&ca);
    t->active = true;
    if (pthread_create(&t->thread, NULL, sender_main, t) != 0) {
        t->active = false;
        goto fail;
    }
    t->thread_started = true;
    log_started(t);
    (void)telegram_action_start(t);
    telegram_observer_init(t);
    uv_timer_init(loop, &t->timer);
    t->timer.data = t;
    uv_timer_start(&t->timer, on_timer, 1000, 1000);
    t->timer_on = true;
    telegram_send_started(t);
    return 0;
fail:
    LOG(LOG_ERROR, LC_TELEGRAM,
        "telegram_notifier_disabled reason=start_failed err=\"%s\"",
        strerror(errno ? errno : ENOMEM));
    free(t->slots);
    free(t->sent_mono);
    t->slots = NULL;
    t->sent_mono = NULL;
    return -1;
}

static void on_timer_closed(uv_handle_t *hd)
{
    (void)hd;
}

void telegram_close(telegram *t, const char *failure_reason)
{
    if (!t->active)
        return;
    if (t->timer_on) {
        uv_timer_stop(&t->timer);
        uv_close((uv_handle_t *)&t->timer, on_timer_closed);
        t->timer_on = false;
        if (failure_reason)
            telegram_send_stopping(t, failure_reason);
    }
    telegram_action_close(t);
    pthread_mutex_lock(&t->mu);
    if (!t->stopping) {
        t->stopping = true;
        atomic_store(&t->drain_deadline_mono,
                     hktime_mono_ms() + TELEGRAM_DRAIN_MS);
    }
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

void telegram_free(telegram *t)
{
    if (!t->active)
        return;
    telegram_close(t, NULL);
    telegram_action_join(t, atomic_load(&t->drain_deadline_mono) + 1000);
    if (t->thread_started) {
        struct timespec ts;
        int64_t left =
            atomic_load(&t->drain_deadline_mono) + 1000 - hktime_mono_ms();
        clock_gettime(CLOCK_REALTIME, &ts);
        if (left < 0)
            left = 0;
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (long)(left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (pthread_timedjoin_np(t->thread, NULL, &ts) != 0) {
            LOG(LOG_ERROR, LC_TELEGRAM, "telegram_notifier_stop_timeout");
            pthread_detach(t->thread);
            t->active = false;
            return; /* the thread may still touch its memory */
        }
        t->thread_started = false;
    }
    LOG(LOG_INFO, LC_TELEGRAM,
        "telegram_notifier_stopped sent=%lld failed=%lld dropped=%lld",
        (long long)atomic_load(&t->n_sent),
        (long long)atomic_load(&t->n_failed),
        (long long)atomic_load(&t->n_dropped));
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t->slots);
    free(t->sent_mono);
    t->slots = NULL;
    t->sent_mono = NULL;
    t->active = false;
}
