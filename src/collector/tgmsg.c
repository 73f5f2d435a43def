/*
 * tgmsg.c - message texts (see tgmsg.h for examples).
 *
 * Each message is built line by line with put(), which appends with
 * vsnprintf and remembers truncation. One table row per alert code holds
 * its title, severity and the command an operator should run first;
 * numbers() prints the line of figures that matters for that code.
 */
#include "collector/tgmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/hktime.h"

struct out {
    char *b;
    size_t cap;
    size_t len;
    bool trunc;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o,
                                                      const char *fmt, ...)
{
    va_list ap;
    int n;
    if (o->trunc)
        return;
    va_start(ap, fmt);
    n = vsnprintf(o->b + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len) {
        o->trunc = true;
        o->len = o->cap - 1;
        return;
    }
    o->len += (size_t)n;
}

static int done(struct out *o)
{
    /* No trailing newline: Telegram trims it anyway. */
    if (!o->trunc && o->len > 0 && o->b[o->len - 1] == '\n')
        o->b[--o->len] = '\0';
    return o->trunc ? -1 : (int)o->len;
}

static struct out begin(char *buf, size_t cap)
{
    struct out o = {buf, cap, 0, cap == 0};
    if (cap > 0)
        buf[0] = '\0';
    return o;
}

static const struct code_info {
    const char *name;
    const char *severity;
    const char *title;
} codes[TGMSG_N_CODES] = {
    [TGMSG_DISCONNECT] = {"DISCONNECT", "ALERT", "OpenD disconnected"},
    [TGMSG_PERSIST_STALL] = {"PERSIST_STALL", "ALERT",
                             "writes stalled (WATCHDOG)"},
    [TGMSG_SQLITE_BUSY] = {"SQLITE_BUSY", "WARN",
                           "SQLite busy (database is locked)"},
    [TGMSG_DISK_LOW] = {"DISK_LOW", "ALERT", "disk nearly full"},
    [TGMSG_SPOOL_GROWING] = {"SPOOL_GROWING", "WARN",
                             "queue overflowing to the spool"},
    [TGMSG_DATA_LAG] = {"DATA_LAG", "WARN", "no new trades in trading hours"},
};

const char *tgmsg_code_name(tgmsg_code code)
{
    return code < TGMSG_N_CODES ? codes[code].name : "UNKNOWN";
}

const char *tgmsg_code_severity(tgmsg_code code)
{
    return code < TGMSG_N_CODES ? codes[code].severity : "WARN";
}

const char *tgmsg_duration(int64_t sec, char *buf, size_t cap)
{
    if (sec < 0)
        sec = 0;
    if (sec < 60)
        snprintf(buf, cap, "%llds", (long long)sec);
    else if (sec < 3600)
        snprintf(buf, cap, "%lldm%02llds", (long long)(sec / 60),
                 (long long)(sec % 60));
    else
        snprintf(buf, cap, "%lldh%02lldm", (long long)(sec / 3600),
                 (long long)(sec % 3600 / 60));
    return buf;
}

/* "10:15:01" (HK time) of a UTC instant. */
static const char *hk_hms(int64_t ms, char *buf, size_t cap)
{
    char full[20];
    hktime_format_hk(ms, full); /* YYYY-MM-DD HH:MM:SS */
    snprintf(buf, cap, "%s", full + 11);
    return buf;
}

static const char *secs(double v, char *buf, size_t cap)
{
    if (v < 0)
        snprintf(buf, cap, "n/a");
    else
        snprintf(buf, cap, "%.1fs", v);
    return buf;
}

static void command(struct out *o, tgmsg_code code, const tgmsg_facts *f)
{
    switch (code) {
    case TGMSG_DISCONNECT:
        put(o, "run: systemctl status futu-opend\n");
        break;
    case TGMSG_PERSIST_STALL:
        put(o, "run: hk-tickctl logs --ops --since \"30 minutes ago\"\n");
        break;
    case TGMSG_SQLITE_BUSY:
        put(o, "run: fuser -v %s/%08d.db\n", f->data_root, f->day);
        break;
    case TGMSG_DISK_LOW:
        put(o, "run: df -h %s\n", f->data_root);
        break;
    case TGMSG_SPOOL_GROWING:
        put(o, "run: du -sh %s/_spool\n", f->data_root);
        break;
    default:
        put(o, "run: hk-tickctl status\n");
        break;
    }
}

static void numbers(struct out *o, tgmsg_code code, const tgmsg_facts *f)
{
    char a[32];
    switch (code) {
    case TGMSG_DISCONNECT:
        put(o, "reconnects %lld, queue %zu/%zu, spool %zu\n", f->reconnects,
            f->queue, f->queue_cap, f->spool_rows);
        break;
    case TGMSG_PERSIST_STALL:
        put(o, "last commit %s ago, queue %zu/%zu, spool %zu\n",
            secs(f->last_commit_age_sec, a, sizeof(a)), f->queue, f->queue_cap,
            f->spool_rows);
        break;
    case TGMSG_SQLITE_BUSY:
        put(o, "busy backoffs %lld in 1 min, last commit %s ago\n",
            f->busy_per_min, secs(f->last_commit_age_sec, a, sizeof(a)));
        break;
    case TGMSG_DISK_LOW:
        put(o, "free %d%% (%.1f GB) on %s\n", f->disk_free_pct, f->disk_free_gb,
            f->data_root);
        break;
    case TGMSG_SPOOL_GROWING:
        put(o, "spool %zu rows, queue %zu/%zu\n", f->spool_rows, f->queue,
            f->queue_cap);
        break;
    default:
        put(o, "last trade %s ago, phase %s, rows/min %lld\n",
            secs(f->lag_sec, a, sizeof(a)), f->phase, f->rows_per_min);
        break;
    }
}

int tgmsg_alert(tgmsg_code code, int reminder, int64_t since_ms,
                const tgmsg_facts *f, char *buf, size_t cap)
{
    struct out o = begin(buf, cap);
    char hms[16], dur[16];
    if (code >= TGMSG_N_CODES)
        return -1;
    if (reminder > 0)
        put(&o, "[%s] %s (reminder %d) %s\n", f->instance, codes[code].severity,
            reminder, codes[code].title);
    else
        put(&o, "[%s] %s %s\n", f->instance, codes[code].severity,
            codes[code].title);
    put(&o, "since %s HKT (%s)\n", hk_hms(since_ms, hms, sizeof(hms)),
        tgmsg_duration((f->now_ms - since_ms) / 1000, dur, sizeof(dur)));
    numbers(&o, code, f);
    command(&o, code, f);
    return done(&o);
}

int tgmsg_recovered(tgmsg_code code, int64_t since_ms, const tgmsg_facts *f,
                    char *buf, size_t cap)
{
    struct out o = begin(buf, cap);
    char hms[16], dur[16];
    if (code >= TGMSG_N_CODES)
        return -1;
    put(&o, "[%s] RECOVERED %s\n", f->instance, codes[code].title);
    put(&o, "lasted %s, since %s HKT\n",
        tgmsg_duration((f->now_ms - since_ms) / 1000, dur, sizeof(dur)),
        hk_hms(since_ms, hms, sizeof(hms)));
    put(&o, "run: hk-tickctl status\n");
    return done(&o);
}

int tgmsg_started(const tgmsg_facts *f, const char *version, long pid,
                  char *buf, size_t cap)
{
    struct out o = begin(buf, cap);
    put(&o, "[%s] STARTED hk-tick-collector %s\n", f->instance, version);
    put(&o, "pid %ld, %d symbols, phase %s\n", pid, f->symbols, f->phase);
    put(&o, "data %s\n", f->data_root);
    put(&o, "run: hk-tickctl status\n");
    return done(&o);
}

int tgmsg_stopping(const tgmsg_facts *f, const char *reason, char *buf,
                   size_t cap)
{
    struct out o = begin(buf, cap);
    char up[16];
    put(&o, "[%s] ALERT collector exiting: %s\n", f->instance, reason);
    put(&o, "queue %zu/%zu, spool %zu, uptime %s\n", f->queue, f->queue_cap,
        f->spool_rows, tgmsg_duration(f->uptime_sec, up, sizeof(up)));
    put(&o, "run: hk-tickctl logs --ops --since \"30 minutes ago\"\n");
    return done(&o);
}

int tgmsg_digest(const tgmsg_facts *f, const char *severity, char *buf,
                 size_t cap)
{
    struct out o = begin(buf, cap);
    char lag[32], lc[32], up[16];
    put(&o, "[%s] HEALTH %s %s\n", f->instance, severity, f->phase);
    put(&o, "OpenD %s, %d symbols\n",
        f->connected ? "connected" : "DISCONNECTED", f->symbols);
    put(&o, "rows/min %lld, lag %s, last commit %s ago\n", f->rows_per_min,
        secs(f->lag_sec, lag, sizeof(lag)),
        secs(f->last_commit_age_sec, lc, sizeof(lc)));
    put(&o, "queue %zu/%zu, spool %zu, uptime %s\n", f->queue, f->queue_cap,
        f->spool_rows, tgmsg_duration(f->uptime_sec, up, sizeof(up)));
    if (f->load1 >= 0 || f->disk_free_pct >= 0) {
        char l[32] = "n/a", r[32] = "n/a", d[16] = "n/a";
        if (f->load1 >= 0)
            snprintf(l, sizeof(l), "%.2f", f->load1);
        if (f->rss_mb >= 0)
            snprintf(r, sizeof(r), "%.1f MB", f->rss_mb);
        if (f->disk_free_pct >= 0)
            snprintf(d, sizeof(d), "%d%%", f->disk_free_pct);
        put(&o, "host load %s, rss %s, disk free %s\n", l, r, d);
    }
    put(&o, "run: hk-tickctl status\n");
    return done(&o);
}
