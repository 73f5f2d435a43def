/*
 * http.c - the collector's routes and what they render (see http.h).
 *
 * The server, routing, Bearer auth and slow-client limits live in the
 * service library (svc/http.c); this file says which routes exist and
 * renders their bodies. Responses are rendered into an svc_buf per request
 * (server thread only) and handed over malloc'd.
 * Health verdict: each check is evaluated from the snapshot; the first
 * HEALTH_STARTUP_GRACE_SEC after start excuse a missing OpenD session.
 * /admin/flush: the first call posts HTTP_ADMIN_FLUSH to the event thread
 * and records the writer's committed-row count in rq->scratch[0]; each
 * later call (every svc poll interval) checks whether queue and spool are
 * empty and the writer idle, or the wait is over.
 */
#include "collector/http.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "collector/page.h"
#include "collector/phase.h"
#include "common/hktime.h"
#include "common/log.h"
#include "common/util.h"
#include "svc/page.h"
#include "svc/proc.h"
#include "svc/prom.h"

static void metric(svc_buf *b, const char *name, const char *type,
                   const char *help, double v)
{
    svc_prom_metric(b, name, type, help, v);
}

/* Files, disk and process figures (the end of /metrics). */
static void host_metrics(svc_buf *b, http_ctx *x, const health_snapshot *sn,
                         int64_t now, int64_t wall)
{
    svc_proc_stats ps;
    struct statvfs vfs;
    char day[1200], wal[1300];

    svc_proc_read(&ps);
    store_day_path(x->cfg->data_root, hktime_trading_day(wall), day,
                   sizeof(day));
    snprintf(wal, sizeof(wal), "%s-wal", day);
    int64_t day_bytes, wal_bytes; /* 0 when missing */
    (void)util_file_size(day, &day_bytes);
    (void)util_file_size(wal, &wal_bytes);
    metric(b, "hk_day_file_bytes", "gauge", "Size of today's day file.",
           (double)day_bytes);
    metric(b, "hk_day_wal_bytes", "gauge", "Size of today's -wal file.",
           (double)wal_bytes);
    if (statvfs(x->cfg->data_root, &vfs) == 0) {
        double total = (double)vfs.f_blocks * (double)vfs.f_frsize;
        double avail = (double)vfs.f_bavail * (double)vfs.f_frsize;
        metric(b, "hk_disk_free_bytes", "gauge",
               "Free bytes on the DATA_ROOT file system.", avail);
        metric(b, "hk_disk_free_ratio", "gauge",
               "Free fraction of the DATA_ROOT file system.",
               total > 0 ? avail / total : 0);
    }
    metric(b, "hk_process_resident_memory_bytes", "gauge",
           "Current resident memory (not peak).", (double)ps.rss_bytes);
    metric(b, "hk_process_cpu_seconds_total", "counter",
           "User + system CPU time.", ps.cpu_sec);
    metric(b, "hk_process_uptime_seconds", "gauge", "Seconds since start.",
           (double)(now - sn->start_mono) / 1000.0);
}

/* Rows quarantined by reason (validate.h) and bad spool records. */
static void quarantine_metrics(svc_buf *b, http_ctx *x)
{
    const quarantine *q = &x->w->qr;
    char lab[64];

    svc_prom_header(b, "hk_rows_quarantined_total", "counter",
                    "Rows that failed validation, by reason (never in ticks).");
    for (int r = 1; r < VALIDATE_NREASONS; r++) {
        snprintf(lab, sizeof(lab), "reason=\"%s\"", validate_reason_str(r));
        svc_prom_sample(b, "hk_rows_quarantined_total", lab,
                        (double)quarantine_rows(q, r));
    }
    svc_prom_header(b, "hk_rows_quarantine_not_stored_total", "counter",
                    "Quarantined rows counted but not stored (day cap, or "
                    "no symbol id), by reason.");
    for (int r = 1; r < VALIDATE_NREASONS; r++) {
        snprintf(lab, sizeof(lab), "reason=\"%s\"", validate_reason_str(r));
        svc_prom_sample(b, "hk_rows_quarantine_not_stored_total", lab,
                        (double)quarantine_not_stored(q, r));
    }
    metric(b, "hk_spool_records_quarantined_total", "counter",
           "Spool records that failed their checksum or value checks.",
           (double)atomic_load(&x->sp->quarantined));
}

char *http_render_metrics(http_ctx *x)
{
    svc_buf b = {0};
    health_snapshot s;
    writer_stats *st = &x->w->st;
    int64_t now = hktime_mono_ms();
    int64_t wall = hktime_now_ms();

    health_snapshot_get(x->h, &s);
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
    svc_prom_hist(&b, "hk_commit_latency_seconds",
                  "Time to write and commit one transaction.",
                  &st->commit_hist);
    svc_prom_hist(&b, "hk_push_to_commit_seconds",
                  "Time from a row's arrival to the end of its commit.",
                  &st->lat_hist);
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
    quarantine_metrics(&b, x);
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
    publish_metrics(&b, x->pub);
    host_metrics(&b, x, &s, now, wall);
    return svc_buf_take(&b);
}

static void jkey(svc_buf *b, int *first, const char *k)
{
    svc_buf_printf(b, "%s\"%s\":", *first ? "" : ",", k);
    *first = 0;
}

char *http_render_health(http_ctx *x, int *code)
{
    svc_buf b = {0};
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
    svc_buf_printf(&b, "{");
    jkey(&b, &first, "status");
    svc_buf_printf(&b, "\"%s\"", nf ? "unhealthy" : "healthy");
    jkey(&b, &first, "checks");
    svc_buf_printf(&b,
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
    svc_buf_printf(
        &b,
        "\"day_file\":{\"ok\":%s,\"reason\":\"%s\",\"day\":%d,"
        "\"set_aside\":%lld}}",
        aside_ok ? "true" : "false",
        aside_ok ? "none"
                 : writer_aside_name(atomic_load(&x->w->st.set_aside_reason)),
        aside_day, (long long)atomic_load(&x->w->st.set_aside_count));
    jkey(&b, &first, "failing");
    svc_buf_printf(&b, "[");
    for (int i = 0; i < nf; i++)
        svc_buf_printf(&b, "%s\"%s\"", i ? "," : "", fail[i]);
    svc_buf_printf(&b, "]");
    jkey(&b, &first, "warnings");
    svc_buf_printf(&b, "[%s]}\n", aside_ok ? "" : "\"day_file_set_aside\"");
    return svc_buf_take(&b);
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
    json_t *qj = json_object();
    for (int r = 1; r < VALIDATE_NREASONS; r++)
        if (quarantine_rows(&x->w->qr, r) > 0)
            json_object_set_new(qj, validate_reason_str(r),
                                json_integer(quarantine_rows(&x->w->qr, r)));
    json_object_set_new(o, "rows_quarantined", qj);
    json_object_set_new(o, "spool_records_quarantined",
                        json_integer(atomic_load(&x->sp->quarantined)));
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

/* ---- routes ---------------------------------------------------------------
 */

static int route_health(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    (void)rq;
    out->body = http_render_health(ud, &out->code);
    return SVC_HTTP_DONE;
}

static int route_metrics(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    (void)rq;
    out->code = 200;
    out->ctype = "text/plain; version=0.0.4; charset=utf-8";
    out->body = http_render_metrics(ud);
    return SVC_HTTP_DONE;
}

static int route_status(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    (void)rq;
    out->code = 200;
    out->body = http_render_status(ud);
    return SVC_HTTP_DONE;
}

static int route_page(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    (void)rq;
    out->code = 200;
    out->ctype = SVC_PAGE_CTYPE;
    out->body = page_render_html(ud);
    return SVC_HTTP_DONE;
}

static int route_page_json(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    (void)rq;
    out->code = 200;
    out->body = page_render_json(ud);
    return SVC_HTTP_DONE;
}

static long long committed_rows(http_ctx *x)
{
    return atomic_load(&x->w->st.rows_inserted) +
           atomic_load(&x->w->st.rows_ignored);
}

/*
 * True when no row waits in the queue or the spool and the writer is idle:
 * blocked in queue_take on an empty queue (queue.waiting, read under the
 * queue's leaf mutex), so no batch is being committed or retried. Reading
 * the queue's fields here is deliberate: queue_len alone cannot see a batch
 * the writer took but has not committed yet.
 */
static bool drained(http_ctx *x)
{
    bool idle;
    pthread_mutex_lock(&x->q->mu);
    idle = x->q->len == 0 && x->q->waiting;
    pthread_mutex_unlock(&x->q->mu);
    return idle && spool_pending(x->sp) == 0;
}

static int route_flush(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    http_ctx *x = ud;
    int64_t waited = hktime_mono_ms() - rq->start_mono_ms;
    svc_buf b = {0};

    if (rq->calls == 0) {
        rq->scratch[0] = committed_rows(x);
        svc_admin_post(x->admin, HTTP_ADMIN_FLUSH);
    }
    bool ok = drained(x);
    if (!ok && waited < HTTP_FLUSH_WAIT_MS)
        return SVC_HTTP_WAIT;
    svc_buf_printf(&b,
                   "{\"ok\":%s,\"action\":\"flush\",\"queue\":%zu,"
                   "\"spool_rows\":%zu,\"committed_rows\":%lld,"
                   "\"waited_ms\":%lld}\n",
                   ok ? "true" : "false", queue_len(x->q), spool_pending(x->sp),
                   committed_rows(x) - rq->scratch[0], (long long)waited);
    out->code = ok ? 200 : 503;
    out->body = b.p;
    return SVC_HTTP_DONE;
}

static int admin_async(http_ctx *x, int action, const char *name,
                       svc_http_reply *out)
{
    svc_buf b = {0};
    svc_admin_post(x->admin, action);
    svc_buf_printf(&b,
                   "{\"ok\":true,\"action\":\"%s\",\"queue\":%zu,"
                   "\"spool_rows\":%zu}\n",
                   name, queue_len(x->q), spool_pending(x->sp));
    out->code = 202;
    out->body = b.p;
    return SVC_HTTP_DONE;
}

static int route_resubscribe(void *ud, svc_http_request *rq,
                             svc_http_reply *out)
{
    (void)rq;
    return admin_async(ud, HTTP_ADMIN_RESUBSCRIBE, "resubscribe", out);
}

static int route_reload(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    (void)rq;
    return admin_async(ud, HTTP_ADMIN_RELOAD, "reload", out);
}

static const svc_route routes[] = {
    {"GET", "/health", route_health, false},
    {"GET", "/metrics", route_metrics, false},
    {"GET", "/status", route_status, false},
    {"GET", "/", route_page, false},
    {"GET", "/index.html", route_page, false},
    {"GET", "/status/page.json", route_page_json, false},
    {"POST", "/admin/flush", route_flush, true},
    {"POST", "/admin/resubscribe", route_resubscribe, true},
    {"POST", "/admin/reload", route_reload, true},
};

int http_start(http_ctx *x)
{
    svc_http_opts o = {
        .host = x->cfg->http_host,
        .port = x->cfg->http_port,
        .api_key = x->cfg->api_key,
        .auth_prefix = "/admin/",
        .log_component = LC_MAIN,
        .routes = routes,
        .n_routes = sizeof(routes) / sizeof(routes[0]),
        .ud = x,
    };
    int rc = svc_http_start(&x->srv, &o);
    x->port = x->srv.port;
    return rc;
}

void http_stop(http_ctx *x)
{
    svc_http_stop(&x->srv);
}
