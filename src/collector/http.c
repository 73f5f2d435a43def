/*
 * http.c - the HTTP endpoint (see http.h).
 *
 * Responses are rendered into a growable buffer per request (this thread
 * only), then handed to libmicrohttpd with MHD_RESPMEM_MUST_FREE.
 * Health verdict: each check is evaluated from the snapshot; the first
 * HEALTH_STARTUP_GRACE_SEC after start excuse a missing OpenD session.
 */
#include "collector/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "collector/phase.h"
#include "common/hktime.h"
#include "common/log.h"
#include "common/util.h"

struct buf {
    char *p;
    size_t n;
    size_t cap;
};

__attribute__((format(printf, 2, 3))) static void bprintf(struct buf *b,
                                                          const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        size_t room = b->cap - b->n;
        va_start(ap, fmt);
        int w = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        if (w < 0)
            return;
        if (b->p && (size_t)w < room) {
            b->n += (size_t)w;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 8192;
        while (nc < b->n + (size_t)w + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np)
            return;
        b->p = np;
        b->cap = nc;
    }
}

static void proc_stats(double *cpu_sec, long long *rss_bytes)
{
    FILE *f = fopen("/proc/self/stat", "r");
    unsigned long ut = 0, st = 0;
    long rss_pages = 0;
    *cpu_sec = 0;
    *rss_bytes = 0;
    if (f) {
        char line[1024];
        if (fgets(line, sizeof(line), f)) {
            char *p = strrchr(line, ')');
            /* fields after ") ": state(3) ... utime(14) stime(15) rss(24) */
            if (p && sscanf(p + 2,
                            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                            "%lu %lu %*d %*d %*d %*d %*d %*d %*u %*u %ld",
                            &ut, &st, &rss_pages) == 3) {
                long hz = sysconf(_SC_CLK_TCK);
                *cpu_sec = (double)(ut + st) / (double)(hz > 0 ? hz : 100);
                *rss_bytes = (long long)rss_pages * sysconf(_SC_PAGESIZE);
            }
        }
        fclose(f);
    }
}

static void hist(struct buf *b, const char *name, const char *help,
                 const atomic_llong *h)
{
    long long cum = 0;
    double sum = 0;
    bprintf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    for (int i = 0; i < WRITER_LAT_BUCKETS; i++) {
        long long v = atomic_load(&h[i]);
        double upper_ms = __builtin_pow(2.0, (i + 1) / 4.0) - 1.0;
        double lower_ms = __builtin_pow(2.0, i / 4.0) - 1.0;
        cum += v;
        sum += (double)v * (upper_ms + lower_ms) / 2.0 / 1000.0;
        if (i % 2 == 1 || i == WRITER_LAT_BUCKETS - 1)
            bprintf(b, "%s_bucket{le=\"%.6g\"} %lld\n", name, upper_ms / 1000.0,
                    cum);
    }
    bprintf(b, "%s_bucket{le=\"+Inf\"} %lld\n%s_sum %.6f\n%s_count %lld\n",
            name, cum, name, sum, name, cum);
}

static void metric(struct buf *b, const char *name, const char *type,
                   const char *help, double v)
{
    bprintf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type,
            name, v);
}

char *http_render_metrics(http_ctx *x)
{
    struct buf b = {0};
    health_snapshot s;
    writer_stats *st = &x->w->st;
    int64_t now = hktime_mono_ms();
    int64_t wall = hktime_now_ms();
    double cpu;
    long long rss;
    struct statvfs vfs;
    char day[1200], wal[1300];

    health_snapshot_get(x->h, &s);
    proc_stats(&cpu, &rss);
    store_day_path(x->cfg->data_root, hktime_trading_day(wall), day,
                   sizeof(day));
    snprintf(wal, sizeof(wal), "%s-wal", day);
    metric(&b, "hk_up", "gauge", "1 while the collector runs.", 1);
    metric(&b, "hk_opend_connected", "gauge",
           "1 while the OpenD session is up and subscribed.", s.connected);
    metric(&b, "hk_symbols", "gauge", "Configured symbols.", s.n_symbols);
    metric(&b, "hk_rows_received_total", "counter",
           "Rows received from OpenD (push + poll + backfill).",
           (double)(s.c.push_rows + s.c.poll_enqueued + s.c.backfill_rows));
    metric(&b, "hk_rows_pushed_total", "counter", "Rows received by push.",
           (double)s.c.push_rows);
    metric(&b, "hk_rows_polled_total", "counter",
           "Rows queued by the poll fallback.", (double)s.c.poll_enqueued);
    metric(&b, "hk_rows_backfilled_total", "counter",
           "Rows queued by backfill and recovery fetches.",
           (double)s.c.backfill_rows);
    metric(&b, "hk_rows_persisted_total", "counter",
           "Rows inserted into day files.",
           (double)atomic_load(&st->rows_inserted));
    metric(&b, "hk_rows_ignored_total", "counter",
           "Rows ignored as duplicates by the database.",
           (double)atomic_load(&st->rows_ignored));
    metric(&b, "hk_rows_spilled_total", "counter",
           "Rows written to the on-disk spool because the queue was full.",
           (double)s.c.spilled);
    metric(&b, "hk_rows_dropped_total", "counter",
           "Rows that could be neither queued nor spooled (re-fetched).",
           (double)s.c.dropped_queue_full);
    metric(&b, "hk_rows_unparseable_total", "counter",
           "Ticks dropped because their time was unusable.",
           (double)s.mapping_unparseable);
    metric(&b, "hk_queue_depth_rows", "gauge", "Rows in the in-memory queue.",
           (double)queue_len(x->q));
    metric(&b, "hk_queue_capacity_rows", "gauge", "Queue capacity (rows).",
           (double)x->q->cap);
    metric(&b, "hk_spool_rows", "gauge", "Rows waiting in the spool.",
           (double)spool_pending(x->sp));
    metric(&b, "hk_db_commits_total", "counter", "Committed transactions.",
           (double)atomic_load(&st->commits));
    int64_t lc = atomic_load(&st->last_commit_mono_ms);
    metric(&b, "hk_last_commit_age_seconds", "gauge",
           "Seconds since the last commit (since start before the first).",
           (double)(now - (lc ? lc : s.start_mono)) / 1000.0);
    hist(&b, "hk_commit_latency_seconds",
         "Time to write and commit one transaction.", st->commit_hist);
    hist(&b, "hk_push_to_commit_seconds",
         "Time from a row's arrival to the end of its commit.", st->lat_hist);
    metric(&b, "hk_sqlite_busy_total", "counter",
           "SQLITE_BUSY/LOCKED errors seen by the writer.",
           (double)atomic_load(&st->busy_count));
    metric(&b, "hk_sqlite_backoffs_total", "counter",
           "Writer retries after any SQLite error.",
           (double)atomic_load(&st->backoff_count));
    metric(&b, "hk_sqlite_errors_total", "counter",
           "SQLite errors other than busy/locked.",
           (double)atomic_load(&st->flush_failed));
    metric(&b, "hk_writer_alive", "gauge", "1 while the writer thread runs.",
           atomic_load(&st->alive));
    metric(&b, "hk_reconnects_total", "counter",
           "OpenD reconnect attempts scheduled.", (double)s.c.reconnects);
    metric(&b, "hk_disconnects_total", "counter", "OpenD sessions lost.",
           (double)s.c.disconnects);
    metric(&b, "hk_poll_fetched_total", "counter",
           "Ticks fetched by the poll fallback.", (double)s.c.poll_fetched);
    metric(&b, "hk_poll_duplicates_total", "counter",
           "Polled ticks already persisted.", (double)s.c.dropped_duplicate);
    metric(&b, "hk_data_lag_seconds", "gauge",
           "Now minus the newest trade time seen (0 before any).",
           s.max_ts_seen ? (double)(wall - s.max_ts_seen) / 1000.0 : 0);
    metric(&b, "hk_trading_phase_open", "gauge",
           "1 in the open and closing-auction phases.",
           phase_is_trading((phase)s.phase));
    int64_t day_bytes, wal_bytes; /* 0 when missing */
    (void)util_file_size(day, &day_bytes);
    (void)util_file_size(wal, &wal_bytes);
    metric(&b, "hk_day_file_bytes", "gauge", "Size of today's day file.",
           (double)day_bytes);
    metric(&b, "hk_day_wal_bytes", "gauge", "Size of today's -wal file.",
           (double)wal_bytes);
    if (statvfs(x->cfg->data_root, &vfs) == 0) {
        double total = (double)vfs.f_blocks * (double)vfs.f_frsize;
        double avail = (double)vfs.f_bavail * (double)vfs.f_frsize;
        metric(&b, "hk_disk_free_bytes", "gauge",
               "Free bytes on the DATA_ROOT file system.", avail);
        metric(&b, "hk_disk_free_ratio", "gauge",
               "Free fraction of the DATA_ROOT file system.",
               total > 0 ? avail / total : 0);
    }
    metric(&b, "hk_process_resident_memory_bytes", "gauge",
           "Current resident memory (not peak).", (double)rss);
    metric(&b, "hk_process_cpu_seconds_total", "counter",
           "User + system CPU time.", cpu);
    metric(&b, "hk_process_uptime_seconds", "gauge", "Seconds since start.",
           (double)(now - s.start_mono) / 1000.0);
    return b.p;
}

static void jkey(struct buf *b, int *first, const char *k)
{
    bprintf(b, "%s\"%s\":", *first ? "" : ",", k);
    *first = 0;
}

char *http_render_health(http_ctx *x, int *code)
{
    struct buf b = {0};
    health_snapshot s;
    int64_t now = hktime_mono_ms();
    int64_t wall = hktime_now_ms();
    const config *c = x->cfg;
    const char *fail[8];
    int nf = 0;
    struct statvfs vfs;
    double free_pct = 100;

    health_snapshot_get(x->h, &s);
    bool grace =
        now - s.start_mono < (int64_t)c->health_startup_grace_sec * 1000;
    bool opend_ok = s.connected || grace;
    int64_t lc = atomic_load(&x->w->st.last_commit_mono_ms);
    size_t backlog = queue_len(x->q) + spool_pending(x->sp);
    bool alive = atomic_load(&x->w->st.alive);
    bool stalled = backlog > 0 && now - (lc ? lc : s.start_mono) >=
                                      (int64_t)c->watchdog_stall_sec * 1000;
    bool writer_ok = alive && !stalled;
    double lag = s.max_ts_seen ? (double)(wall - s.max_ts_seen) / 1000.0 : 0;
    bool lag_ok = !phase_is_trading((phase)s.phase) || s.max_ts_seen == 0 ||
                  lag <= c->health_max_lag_sec;
    if (statvfs(c->data_root, &vfs) == 0 && vfs.f_blocks > 0)
        free_pct = 100.0 * (double)vfs.f_bavail / (double)vfs.f_blocks;
    bool disk_ok = free_pct >= c->health_disk_min_free_pct;
    bool spool_ok = !s.spool_growing;
    /* A day file set aside today: a warning for the rest of the HK day. */
    int aside_day = atomic_load(&x->w->st.set_aside_day);
    bool aside_ok = aside_day != hktime_trading_day(wall);

    if (!opend_ok)
        fail[nf++] = "opend_session";
    if (!writer_ok)
        fail[nf++] = alive ? "writer_stalled" : "writer_dead";
    if (!lag_ok)
        fail[nf++] = "data_lag";
    if (!disk_ok)
        fail[nf++] = "disk_space";
    if (!spool_ok)
        fail[nf++] = "spool_growing";
    *code = nf ? 503 : 200;
    int first = 1;
    bprintf(&b, "{");
    jkey(&b, &first, "status");
    bprintf(&b, "\"%s\"", nf ? "unhealthy" : "healthy");
    jkey(&b, &first, "checks");
    bprintf(&b,
            "{\"opend_session\":{\"ok\":%s,\"connected\":%s,"
            "\"startup_grace\":%s},"
            "\"writer\":{\"ok\":%s,\"alive\":%s,\"backlog_rows\":%zu,"
            "\"last_commit_age_sec\":%.1f},"
            "\"data_lag\":{\"ok\":%s,\"lag_sec\":%.1f,\"phase\":\"%s\","
            "\"max_lag_sec\":%d},"
            "\"disk\":{\"ok\":%s,\"free_pct\":%.1f,\"min_free_pct\":%d},"
            "\"spool\":{\"ok\":%s,\"rows\":%zu},",
            opend_ok ? "true" : "false", s.connected ? "true" : "false",
            grace ? "true" : "false", writer_ok ? "true" : "false",
            alive ? "true" : "false", backlog,
            (double)(now - (lc ? lc : s.start_mono)) / 1000.0,
            lag_ok ? "true" : "false", lag, phase_name((phase)s.phase),
            c->health_max_lag_sec, disk_ok ? "true" : "false", free_pct,
            c->health_disk_min_free_pct, spool_ok ? "true" : "false",
            s.spool_rows);
    bprintf(&b,
            "\"day_file\":{\"ok\":%s,\"reason\":\"%s\",\"day\":%d,"
            "\"set_aside\":%lld}}",
            aside_ok ? "true" : "false",
            aside_ok
                ? "none"
                : writer_aside_name(atomic_load(&x->w->st.set_aside_reason)),
            aside_day, (long long)atomic_load(&x->w->st.set_aside_count));
    jkey(&b, &first, "failing");
    bprintf(&b, "[");
    for (int i = 0; i < nf; i++)
        bprintf(&b, "%s\"%s\"", i ? "," : "", fail[i]);
    bprintf(&b, "]");
    jkey(&b, &first, "warnings");
    bprintf(&b, "[%s]}\n", aside_ok ? "" : "\"day_file_set_aside\"");
    return b.p;
}

char *http_render_status(http_ctx *x)
{
    health_snapshot s;
    int64_t now = hktime_mono_ms();
    int64_t lc = atomic_load(&x->w->st.last_commit_mono_ms);
    char mts[40];
    json_t *o;
    char *out;

    health_snapshot_get(x->h, &s);
    o = json_object();
    json_object_set_new(o, "connected", json_boolean(s.connected));
    json_object_set_new(o, "sid", json_string(s.sid));
    json_object_set_new(o, "queue", json_integer((json_int_t)queue_len(x->q)));
    json_object_set_new(o, "queue_capacity",
                        json_integer((json_int_t)x->q->cap));
    json_object_set_new(o, "spool_rows",
                        json_integer((json_int_t)spool_pending(x->sp)));
    json_object_set_new(o, "rows_persisted",
                        json_integer(atomic_load(&x->w->st.rows_inserted)));
    json_object_set_new(o, "rows_ignored",
                        json_integer(atomic_load(&x->w->st.rows_ignored)));
    json_object_set_new(o, "push_rows", json_integer(s.c.push_rows));
    json_object_set_new(o, "poll_fetched", json_integer(s.c.poll_fetched));
    json_object_set_new(o, "poll_accepted", json_integer(s.c.poll_accepted));
    json_object_set_new(o, "poll_enqueued", json_integer(s.c.poll_enqueued));
    json_object_set_new(o, "backfill_rows", json_integer(s.c.backfill_rows));
    json_object_set_new(o, "queue_in", json_integer(s.c.queue_in));
    json_object_set_new(o, "db_commits",
                        json_integer(atomic_load(&x->w->st.commits)));
    json_object_set_new(o, "last_commit_age_sec",
                        lc ? json_real((double)(now - lc) / 1000.0)
                           : json_null());
    if (s.max_ts_seen) {
        hktime_format_utc_iso(s.max_ts_seen, mts);
        json_object_set_new(o, "max_ts_utc", json_string(mts));
    } else {
        json_object_set_new(o, "max_ts_utc", json_null());
    }
    json_object_set_new(o, "dropped_queue_full",
                        json_integer(s.c.dropped_queue_full));
    json_object_set_new(o, "dropped_duplicate",
                        json_integer(s.c.dropped_duplicate));
    json_object_set_new(o, "dropped_filter", json_integer(s.c.dropped_filter));
    json_object_set_new(o, "spilled", json_integer(s.c.spilled));
    json_object_set_new(o, "phase", json_string(phase_name((phase)s.phase)));
    json_object_set_new(o, "symbols", json_integer(s.n_symbols));
    json_object_set_new(o, "reconnects", json_integer(s.c.reconnects));
    json_object_set_new(o, "version", json_string(HK_VERSION));
    out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (out) {
        /* a trailing newline for curl users; json_dumps gives malloc'd */
        size_t n = strlen(out);
        char *nl = realloc(out, n + 2);
        if (nl) {
            nl[n] = '\n';
            nl[n + 1] = '\0';
            out = nl;
        }
    }
    return out;
}

static enum MHD_Result reply(struct MHD_Connection *conn, int code,
                             const char *ctype, char *body)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    if (!body)
        return MHD_NO;
    r = MHD_create_response_from_buffer(strlen(body), body,
                                        MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", ctype);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    ret = MHD_queue_response(conn, (unsigned)code, r);
    MHD_destroy_response(r);
    return ret;
}

static char *dupstr(const char *s)
{
    return strdup(s);
}

static bool authorized(http_ctx *x, struct MHD_Connection *conn)
{
    const char *h =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    const char *key = x->cfg->api_key;
    size_t kl = strlen(key);
    if (!h || strncmp(h, "Bearer ", 7) != 0)
        return false;
    h += 7;
    if (strlen(h) != kl)
        return false;
    return CRYPTO_memcmp(h, key, kl) == 0;
}

static int marker;

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn,
                               const char *url, const char *method,
                               const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    http_ctx *x = cls;
    (void)version;
    (void)upload;

    if (strcmp(method, "POST") == 0) {
        /* Consume (and ignore) any body before answering. */
        if (*con_cls == NULL) {
            *con_cls = &marker;
            return MHD_YES;
        }
        if (*upload_size) {
            *upload_size = 0;
            return MHD_YES;
        }
        if (strncmp(url, "/admin/", 7) != 0 || !x->cfg->api_key[0])
            return reply(conn, 404, "application/json",
                         dupstr("{\"error\":\"not found\"}\n"));
        if (!authorized(x, conn)) {
            LOG(LOG_WARNING, LC_MAIN, "http_admin_denied path=%s", url);
            return reply(conn, 401, "application/json",
                         dupstr("{\"error\":\"unauthorized\"}\n"));
        }
        int action = strcmp(url, "/admin/flush") == 0 ? HTTP_ADMIN_FLUSH
                     : strcmp(url, "/admin/resubscribe") == 0
                         ? HTTP_ADMIN_RESUBSCRIBE
                     : strcmp(url, "/admin/reload") == 0 ? HTTP_ADMIN_RELOAD
                                                         : 0;
        if (!action)
            return reply(conn, 404, "application/json",
                         dupstr("{\"error\":\"not found\"}\n"));
        LOG(LOG_INFO, LC_MAIN, "http_admin path=%s", url);
        if (x->admin)
            x->admin(x->ud, action);
        if (action == HTTP_ADMIN_FLUSH) {
            /* Wait (here, not in the tick path) for the backlog to drain. */
            int64_t end = hktime_mono_ms() + 5000;
            while (hktime_mono_ms() < end &&
                   queue_len(x->q) + spool_pending(x->sp) > 0)
                usleep(20000);
        }
        struct buf b = {0};
        bprintf(&b,
                "{\"ok\":true,\"action\":\"%s\",\"queue\":%zu,"
                "\"spool_rows\":%zu}\n",
                url + 7, queue_len(x->q), spool_pending(x->sp));
        return reply(conn, action == HTTP_ADMIN_FLUSH ? 200 : 202,
                     "application/json", b.p);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(conn, 405, "application/json",
                     dupstr("{\"error\":\"method not allowed\"}\n"));
    if (strcmp(url, "/health") == 0) {
        int code;
        char *body = http_render_health(x, &code);
        return reply(conn, code, "application/json", body);
    }
    if (strcmp(url, "/metrics") == 0)
        return reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8",
                     http_render_metrics(x));
    if (strcmp(url, "/status") == 0)
        return reply(conn, 200, "application/json", http_render_status(x));
    return reply(conn, 404, "application/json",
                 dupstr("{\"error\":\"not found\"}\n"));
}

int http_start(http_ctx *x)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    const union MHD_DaemonInfo *info;

    if (x->cfg->http_port == 0)
        return 0;
    if (inet_pton(AF_INET, x->cfg->http_host, &sa.sin_addr) != 1) {
        LOG(LOG_ERROR, LC_MAIN,
            "http_start_failed host=%s "
            "reason=\"HTTP_HOST must be an IPv4 address\"",
            x->cfg->http_host);
        return -1;
    }
    sa.sin_port =
        htons((uint16_t)(x->cfg->http_port > 0 ? x->cfg->http_port : 0));
    x->mhd = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL, handler,
        x, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
    if (!x->mhd) {
        LOG(LOG_ERROR, LC_MAIN,
            "http_start_failed host=%s port=%d "
            "reason=\"cannot bind (in use?)\" action=continue_without_http",
            x->cfg->http_host, x->cfg->http_port);
        return -1;
    }
    info = MHD_get_daemon_info(x->mhd, MHD_DAEMON_INFO_BIND_PORT);
    x->port = info ? info->port : x->cfg->http_port;
    LOG(LOG_INFO, LC_MAIN, "http_listening host=%s port=%d admin=%s",
        x->cfg->http_host, x->port, x->cfg->api_key[0] ? "on" : "off");
    return 0;
}

void http_stop(http_ctx *x)
{
    if (x->mhd)
        MHD_stop_daemon(x->mhd);
    x->mhd = NULL;
}
