/*
 * tgobserve.c - the notifier's observer: what to say, and when.
 *
 * Runs on the event thread, once a second (telegram.c's uv timer), and
 * only reads: the health snapshot (health_snapshot_get), the writer's
 * atomics, the watchdog's episode flags of struct health (written by the
 * same thread), and statvfs(DATA_ROOT) every DISK_EVERY seconds. Rings
 * of 60 one-second samples give "in the last minute" figures (rows
 * persisted, busy backoffs, spool rows) without any per-tick allocation.
 * Per tick: tgwatch_eval -> one tgalert_step per code -> messages; then
 * tgsched_decide -> the digest. Formatting is tgmsg's; queueing and
 * delivery are telegram.c's, so nothing here touches the network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "collector/phase.h"
#include "collector/telegram.h"
#include "collector/tgwatch.h"
#include "common/hktime.h"
#include "common/log.h"

#define DISK_EVERY 10
#define RING 60

/* Codes whose condition is already windowed raise without extra grace. */
static bool uses_grace(int code)
{
    return code == TGMSG_DISCONNECT || code == TGMSG_SPOOL_GROWING ||
           code == TGMSG_DATA_LAG;
}

static void sample_disk(telegram *t)
{
    struct statvfs v;
    if (statvfs(t->cfg->data_root, &v) != 0 || v.f_blocks == 0) {
        t->disk_free_pct = -1;
        return;
    }
    t->disk_free_pct = (int)((double)v.f_bavail * 100.0 / (double)v.f_blocks);
    t->disk_free_gb = (double)v.f_bavail * (double)v.f_frsize / 1e9;
}

static double rss_mb(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = -1;
    fclose(f);
    return rss < 0 ? -1 : (double)rss * (double)sysconf(_SC_PAGESIZE) / 1e6;
}

void telegram_observer_init(telegram *t)
{
    const tgconf *tc = &t->cfg->tg;
    writer *w = t->h->w;

    t->acfg.grace_ms = (int64_t)tc->alert_grace_sec * 1000;
    t->acfg.cooldown_ms = (int64_t)tc->alert_cooldown_sec * 1000;
    t->acfg.n_steps = tc->n_steps;
    for (int i = 0; i < tc->n_steps && i < TGALERT_MAX_STEPS; i++)
        t->acfg.steps_ms[i] = (int64_t)tc->steps[i] * 1000;
    t->scfg = (tgsched_cfg){
        .trading_sec = tc->eff_trading_sec,
        .offhours_sec = tc->eff_offhours_sec,
        .fixed_sec = tc->eff_fixed_sec,
        .lunch_once = tc->health_lunch_once,
        .after_close_once = tc->health_after_close,
        .holiday_daily = tc->holiday_daily,
    };
    t->start_wall = hktime_now_ms();
    memset(&t->sched, 0, sizeof(t->sched));
    t->sched.last_sent_ms = t->start_wall;
    {
        /* The "started" message stands for the digest a "once" rule
         * would send right now (after close, lunch, holiday). */
        phase ph = phase_of(t->cfg, t->start_wall);
        int wd = hktime_hk_weekday(t->start_wall);
        (void)tgsched_decide(&t->scfg, &t->sched, ph,
                             ph != PHASE_HOLIDAY && wd >= 1 && wd <= 5,
                             t->start_wall, NULL);
    }
    for (int c = 0; c < TGMSG_N_CODES; c++)
        tgalert_init(&t->alerts[c]);
    for (int i = 0; i < RING; i++) {
        t->busy_ring[i] = atomic_load(&w->st.backoff_count);
        t->rows_ring[i] = atomic_load(&w->st.rows_inserted);
        t->spool_ring[i] = 0;
    }
    sample_disk(t);
}

/* Gather the facts of this second (reads the rings, changes nothing). */
static void gather(const telegram *t, const health_snapshot *s, tgmsg_facts *f,
                   tgwatch_in *in)
{
    writer *w = t->h->w;
    int64_t now = hktime_now_ms();
    int64_t mono = hktime_mono_ms();
    long long busy = atomic_load(&w->st.backoff_count);
    long long rows = atomic_load(&w->st.rows_inserted);
    int64_t lc = atomic_load(&w->st.last_commit_mono_ms);
    int p = t->ring_pos;

    memset(f, 0, sizeof(*f));
    memset(in, 0, sizeof(*in));
    f->instance = t->instance;
    f->phase = phase_name((phase)s->phase);
    f->data_root = t->cfg->data_root;
    f->now_ms = now;
    f->day = hktime_trading_day(now);
    f->connected = s->connected;
    f->symbols = s->n_symbols;
    f->queue = queue_len(t->h->q);
    f->queue_cap = t->h->q->cap;
    f->spool_rows = s->spool_rows;
    f->rows_per_min = rows - t->rows_ring[p];
    f->reconnects = (long long)s->c.reconnects;
    f->busy_per_min = busy - t->busy_ring[p];
    f->last_commit_age_sec = lc > 0 ? (double)(mono - lc) / 1000.0 : -1;
    f->lag_sec =
        s->max_ts_seen > 0 ? (double)(now - s->max_ts_seen) / 1000.0 : -1;
    f->uptime_sec = (mono - s->start_mono) / 1000;
    f->disk_free_pct = t->disk_free_pct;
    f->disk_free_gb = t->disk_free_gb;
    f->load1 = -1;
    f->rss_mb = -1;
    if (t->cfg->tg.include_system) {
        double la[1];
        if (getloadavg(la, 1) == 1)
            f->load1 = la[0];
        f->rss_mb = rss_mb();
    }
    in->now_ms = now;
    in->uptime_ms = mono - s->start_mono;
    in->connected = s->connected;
    in->trading = phase_is_trading((phase)s->phase);
    in->watchdog_acting = t->h->dumped || t->h->failures > 0;
    in->writer_dead = !atomic_load(&w->st.alive);
    in->busy_last_min = f->busy_per_min;
    in->busy_threshold = t->cfg->tg.busy_alert_threshold;
    in->disk_free_pct = t->disk_free_pct;
    in->disk_min_free_pct = t->cfg->health_disk_min_free_pct;
    in->spool_rows = s->spool_rows;
    in->spool_rows_min_ago = t->spool_ring[p];
    in->max_ts_ms = s->max_ts_seen;
    in->max_lag_sec = t->cfg->health_max_lag_sec;
}

/* Record this second's sample in the one-minute rings. */
static void advance(telegram *t, const health_snapshot *s)
{
    writer *w = t->h->w;
    int p = t->ring_pos;
    t->busy_ring[p] = atomic_load(&w->st.backoff_count);
    t->rows_ring[p] = atomic_load(&w->st.rows_inserted);
    t->spool_ring[p] = s->spool_rows;
    t->ring_pos = (p + 1) % RING;
}

static void new_eid(telegram *t, int code, int64_t now)
{
    uint32_t x = (uint32_t)now * 2654435761u ^ (uint32_t)getpid() * 40503u ^
                 (uint32_t)code * 0x9e3779b9u ^ (uint32_t)rand();
    snprintf(t->eids[code], sizeof(t->eids[code]), "eid-%08x", x);
}

static void act_on(telegram *t, int code, tgalert_action act,
                   const tgmsg_facts *f)
{
    char text[TELEGRAM_TEXT_MAX], why[48];
    const tgalert *a = &t->alerts[code];
    const char *name = tgmsg_code_name((tgmsg_code)code);
    const char *sev = tgmsg_code_severity((tgmsg_code)code);

    switch (act) {
    case TGALERT_RAISE:
        new_eid(t, code, f->now_ms);
        tgmsg_alert((tgmsg_code)code, 0, a->bad_since, f, text, sizeof(text));
        telegram_enqueue(t, "ALERT", sev, name, "raise", t->eids[code], text);
        break;
    case TGALERT_REMIND:
        tgmsg_alert((tgmsg_code)code, a->reminders, a->bad_since, f, text,
                    sizeof(text));
        snprintf(why, sizeof(why), "escalation_step_%llds",
                 (long long)(t->acfg.steps_ms[a->next_step - 1] / 1000));
        telegram_enqueue(t, "ALERT", sev, name, why, t->eids[code], text);
        break;
    case TGALERT_RECOVER:
        tgmsg_recovered((tgmsg_code)code, a->bad_since, f, text, sizeof(text));
        telegram_enqueue(t, "RECOVERED", "OK", name, "recovered", t->eids[code],
                         text);
        break;
    case TGALERT_SUPPRESS:
        LOG(LOG_INFO, LC_TELEGRAM,
            "telegram_alert_suppressed code=%s fingerprint=%s reason=cooldown "
            "cooldown_sec=%d eid=%s sid=none",
            name, name, t->cfg->tg.alert_cooldown_sec,
            t->eids[code][0] ? t->eids[code] : "none");
        break;
    default:
        break;
    }
}

static void digest(telegram *t, const health_snapshot *s, const tgmsg_facts *f,
                   const char *severity)
{
    char text[TELEGRAM_TEXT_MAX];
    const char *why = NULL;
    phase ph = (phase)s->phase;
    int wd = hktime_hk_weekday(f->now_ms);
    bool trading_day = ph != PHASE_HOLIDAY && wd >= 1 && wd <= 5;
    tgsched_verdict v =
        tgsched_decide(&t->scfg, &t->sched, ph, trading_day, f->now_ms, &why);

    if (v == TGSCHED_SEND) {
        t->quiet_why = NULL;
        tgmsg_digest(f, severity, text, sizeof(text));
        telegram_enqueue(t, "HEALTH", severity, "HEALTH", why, "none", text);
    } else if (v == TGSCHED_QUIET && why != t->quiet_why) {
        t->quiet_why = why;
        LOG(LOG_INFO, LC_TELEGRAM,
            "telegram_health_suppressed reason=%s severity=%s mode=product "
            "sid=%s phase=%s",
            why, severity, s->sid[0] ? s->sid : "none", f->phase);
    }
}

void telegram_observe(telegram *t)
{
    health_snapshot s;
    tgmsg_facts f;
    tgwatch_in in;
    bool bad[TGMSG_N_CODES];
    const char *severity = "OK";
    tgalert_cfg nograce = t->acfg;

    nograce.grace_ms = 0;
    if (++t->ticks % DISK_EVERY == 0)
        sample_disk(t);
    health_snapshot_get(t->h, &s);
    gather(t, &s, &f, &in);
    advance(t, &s);
    tgwatch_eval(&in, bad);
    for (int c = 0; c < TGMSG_N_CODES; c++) {
        tgalert_action act = tgalert_step(uses_grace(c) ? &t->acfg : &nograce,
                                          &t->alerts[c], bad[c], f.now_ms);
        act_on(t, c, act, &f);
        if (t->alerts[c].state == TGALERT_FIRING &&
            strcmp(severity, "ALERT") != 0)
            severity = tgmsg_code_severity((tgmsg_code)c);
    }
    digest(t, &s, &f, severity);
}

static void facts_now(telegram *t, tgmsg_facts *f)
{
    health_snapshot s;
    tgwatch_in in;
    health_snapshot_get(t->h, &s);
    gather(t, &s, f, &in);
}

void telegram_send_started(telegram *t)
{
    char text[TELEGRAM_TEXT_MAX];
    tgmsg_facts f;
    facts_now(t, &f);
    tgmsg_started(&f, HK_VERSION, (long)getpid(), text, sizeof(text));
    telegram_enqueue(t, "START", "OK", "START", "startup", "none", text);
}

void telegram_send_stopping(telegram *t, const char *reason)
{
    char text[TELEGRAM_TEXT_MAX];
    tgmsg_facts f;
    facts_now(t, &f);
    tgmsg_stopping(&f, reason, text, sizeof(text));
    telegram_enqueue(t, "STOP", "ALERT", "STOP", reason, "none", text);
}
