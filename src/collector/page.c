/*
 * page.c - the collector's status page and its minute ring (see page.h).
 *
 * Threads: page_ring_tick runs on the event thread and writes the ring
 * under r->mu; the renderers run on the HTTP server thread, copy the ring
 * out under r->mu into a malloc'd view, and render from the view, the
 * health verdict (http_render_health, parsed back: the page shows exactly
 * the facts /health serves, including checks added later), the snapshot
 * and writer atomics. The totals cache (r->tot...) is the HTTP thread's
 * alone. The day file is opened read-only with busy timeout 0, so a
 * locked file costs a missing refresh of the per-symbol rows, never a
 * stalled server thread.
 *
 * Each page section is one function; the page renders them all inside
 * svc_page_section_open/close, page.json renders each again into
 * {"id":"inner HTML"} for the shared refresh script.
 */
#include "collector/page.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "collector/http.h"
#include "collector/phase.h"
#include "collector/store.h"
#include "common/hktime.h"
#include "common/util.h"
#include "dayfile/dayfile.h"
#include "dayfile/totals.h"
#include "svc/page.h"

#define CHART_MINUTES (PAGE_RING_SLOTS - 1)

void page_ring_init(page_ring *r, const config *cfg, feed *f, writer *w,
                    const symtab *syms)
{
    memset(r, 0, sizeof(*r));
    r->cfg = cfg;
    r->f = f;
    r->w = w;
    r->syms = syms;
    r->tot_day = -1;
    pthread_mutex_init(&r->mu, NULL);
}

void page_ring_free(page_ring *r)
{
    free(r->tot);
    r->tot = NULL;
    pthread_mutex_destroy(&r->mu);
}

static void new_minute(page_ring *r, int64_t minute)
{
    int h = r->n_slots ? (r->head + 1) % PAGE_RING_SLOTS : 0;
    page_minute *m = &r->slot[h];

    m->minute = minute;
    m->rows = atomic_load(&r->w->st.rows_inserted);
    for (int b = 0; b < SVC_HIST_BUCKETS; b++)
        m->hist[b] = atomic_load(&r->w->st.commit_hist.b[b]);
    r->head = h;
    if (r->n_slots < PAGE_RING_SLOTS)
        r->n_slots++;
}

void page_ring_tick(page_ring *r)
{
    const config *cfg = r->cfg;
    int64_t wall = hktime_now_ms();
    int64_t mono = hktime_mono_ms();
    feed *f = r->f;
    bool up = feed_connected(f);
    int n = cfg->n_symbols;

    pthread_mutex_lock(&r->mu);
    if (up && !r->up)
        r->since_wall = wall - (mono - f->sess.connected_since_mono);
    else if (!up && r->up)
        r->since_wall = wall;
    r->up = up;
    r->watched = feed_stale_watched(cfg, phase_of(cfg, wall));
    r->poll_stale_sec = cfg->poll_stale_sec;
    r->n_syms = n;
    for (int i = 0; i < n; i++) {
        r->ids[i] = f->sub.ids[i];
        r->seen_mono[i] = symtab_valid(f->syms, f->sub.ids[i])
                              ? f->in.last_seen_mono[f->sub.ids[i]]
                              : 0;
    }
    if (r->n_slots == 0 || r->slot[r->head].minute != wall / 60000)
        new_minute(r, wall / 60000);
    pthread_mutex_unlock(&r->mu);
}

/* ---- the view: everything one rendering reads ------------------------ */

typedef struct view {
    http_ctx *x;
    int64_t wall, mono;
    health_snapshot s;
    json_t *health; /* parsed /health body; NULL if unavailable */
    int code;
    page_minute min[PAGE_RING_SLOTS]; /* oldest first */
    int n_min;
    int n_syms;
    uint32_t ids[CONFIG_MAX_SYMBOLS];
    int64_t seen[CONFIG_MAX_SYMBOLS];
    bool watched, up;
    int stale_sec;
    int64_t since_wall;
    int day;
    char path[1200];
    int64_t day_bytes, wal_bytes;
    long long rows_today;
} view;

/* Today's hk_symbol_totals into the cache, at most every TTL. */
static void refresh_totals(page_ring *r, const view *v)
{
    sqlite3 *db = NULL;
    struct dayfile_total *t = NULL;
    int n = 0;

    if (r->tot_day == v->day && v->mono - r->tot_mono < PAGE_TOTALS_TTL_MS)
        return;
    r->tot_mono = v->mono;
    if (dayfile_open_ro(v->path, 0, &db) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 0);
        if (dayfile_has_table(db, "hk_symbol_totals") &&
            dayfile_totals_read(db, v->day, &t, &n, NULL) == 0) {
            free(r->tot);
            r->tot = t;
            r->n_tot = n;
            r->tot_day = v->day;
        }
    }
    sqlite3_close(db);
    if (r->tot_day != v->day) { /* a new day without a file yet */
        free(r->tot);
        r->tot = NULL;
        r->n_tot = 0;
        r->tot_day = v->day;
    }
}

static int cmp_total(const void *key, const void *elem)
{
    return strcmp(key, ((const struct dayfile_total *)elem)->symbol);
}

static long long sym_rows(const page_ring *r, const char *name)
{
    const struct dayfile_total *t =
        r->n_tot ? bsearch(name, r->tot, (size_t)r->n_tot, sizeof(*r->tot),
                           cmp_total)
                 : NULL;
    return t ? (long long)t->rows : 0;
}

static void copy_ring(page_ring *r, view *v)
{
    pthread_mutex_lock(&r->mu);
    v->n_min = r->n_slots;
    for (int i = 0; i < r->n_slots; i++) {
        int k =
            (r->head - r->n_slots + 1 + i + PAGE_RING_SLOTS) % PAGE_RING_SLOTS;
        v->min[i] = r->slot[k];
    }
    v->n_syms = r->n_syms;
    memcpy(v->ids, r->ids, (size_t)r->n_syms * sizeof(v->ids[0]));
    memcpy(v->seen, r->seen_mono, (size_t)r->n_syms * sizeof(v->seen[0]));
    v->watched = r->watched;
    v->stale_sec = r->poll_stale_sec;
    v->up = r->up;
    v->since_wall = r->since_wall;
    pthread_mutex_unlock(&r->mu);
}

static view *view_load(http_ctx *x)
{
    view *v = calloc(1, sizeof(*v));
    char wal[1300];
    char *hb;

    if (!v)
        return NULL;
    v->x = x;
    v->wall = hktime_now_ms();
    v->mono = hktime_mono_ms();
    health_snapshot_get(x->h, &v->s);
    hb = http_render_health(x, &v->code);
    v->health = hb ? json_loads(hb, 0, NULL) : NULL;
    free(hb);
    copy_ring(x->ring, v);
    v->day = hktime_trading_day(v->wall);
    store_day_path(x->cfg->data_root, v->day, v->path, sizeof(v->path));
    snprintf(wal, sizeof(wal), "%s-wal", v->path);
    (void)util_file_size(v->path, &v->day_bytes);
    (void)util_file_size(wal, &v->wal_bytes);
    refresh_totals(x->ring, v);
    for (int i = 0; i < x->ring->n_tot; i++)
        v->rows_today += x->ring->tot[i].rows;
    return v;
}

static void view_free(view *v)
{
    if (v)
        json_decref(v->health);
    free(v);
}

/* ---- formatting helpers ---------------------------------------------- */

/* "HKT 2026-03-02 10:00:00 · UTC 2026-03-02 02:00:00" */
static void fmt_times(svc_buf *b, int64_t utc_ms)
{
    char hk[24], utc[32];
    time_t t = (time_t)(utc_ms / 1000);
    struct tm tm;

    hktime_format_hk(utc_ms, hk);
    gmtime_r(&t, &tm);
    strftime(utc, sizeof(utc), "%Y-%m-%d %H:%M:%S", &tm);
    svc_buf_printf(b, "HKT %s &middot; UTC %s", hk, utc);
}

static void fmt_bytes(svc_buf *b, double n)
{
    static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (n >= 1024 && u < 4) {
        n /= 1024;
        u++;
    }
    svc_buf_printf(b, u ? "%.1f %s" : "%.0f %s", n, unit[u]);
}

static void fmt_age(svc_buf *b, double sec)
{
    if (sec < 120)
        svc_buf_printf(b, "%.0f s", sec);
    else if (sec < 7200)
        svc_buf_printf(b, "%.0f min", sec / 60);
    else
        svc_buf_printf(b, "%.1f h", sec / 3600);
}

/* A JSON scalar as plain text (strings unquoted). */
static void json_text(svc_buf *b, json_t *j)
{
    char *s;
    if (json_is_string(j)) {
        svc_page_text(b, json_string_value(j));
        return;
    }
    s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6));
    svc_page_text(b, s ? s : "?");
    free(s);
}

/* ---- sections ---------------------------------------------------------- */

static void sec_head(svc_buf *b, const view *v)
{
    const char *st =
        v->health ? json_string_value(json_object_get(v->health, "status"))
                  : NULL;
    bool good = st && strcmp(st, "healthy") == 0;

    svc_buf_printf(b, "<p><span id=\"health-state\" class=\"badge %s\">",
                   good ? "ok" : "bad");
    svc_page_text(b, st ? st : "unknown");
    svc_buf_printf(b, "</span> /health %d &middot; phase <b>%s</b> &middot; ",
                   v->code, phase_name((phase)v->s.phase));
    fmt_times(b, v->wall);
    svc_buf_printf(b, " &middot; up ");
    fmt_age(b, (double)(v->mono - v->s.start_mono) / 1000.0);
    svc_buf_printf(b, " &middot; v%s</p>", HK_VERSION);
}

static void sec_checks(svc_buf *b, const view *v)
{
    json_t *checks = v->health ? json_object_get(v->health, "checks") : NULL;
    const char *name;
    json_t *c;

    svc_buf_printf(b, "<h2>Health checks</h2><table class=\"kv\">"
                      "<tr><th>Check</th><th>State</th><th>Figures</th></tr>");
    json_object_foreach(checks, name, c)
    {
        bool ok = json_is_true(json_object_get(c, "ok"));
        const char *k;
        json_t *f;
        int first = 1;

        svc_buf_printf(b, "<tr><td>");
        svc_page_text(b, name);
        svc_buf_printf(b, "</td><td class=\"%s\">%s</td><td>",
                       ok ? "ok" : "bad", ok ? "ok" : "FAILING");
        json_object_foreach(c, k, f)
        {
            if (strcmp(k, "ok") == 0)
                continue;
            svc_buf_printf(b, "%s", first ? "" : " &middot; ");
            svc_page_text(b, k);
            svc_buf_printf(b, " ");
            json_text(b, f);
            first = 0;
        }
        svc_buf_printf(b, "</td></tr>");
    }
    svc_buf_printf(b, "</table>");
}

/* p50/p99 of the commits in the last PAGE_LATENCY_MINUTES (or since the
 * oldest slot), from the ring's cumulative histogram and the live one. */
static long long latency(const view *v, double *p50, double *p99)
{
    svc_hist d;
    const writer_stats *st = &v->x->w->st;
    const page_minute *base =
        v->n_min ? &v->min[v->n_min > PAGE_LATENCY_MINUTES
                               ? v->n_min - PAGE_LATENCY_MINUTES
                               : 0]
                 : NULL;
    long long n = 0;

    for (int i = 0; i < SVC_HIST_BUCKETS; i++) {
        long long c =
            atomic_load(&st->commit_hist.b[i]) - (base ? base->hist[i] : 0);
        atomic_init(&d.b[i], c > 0 ? c : 0);
        n += c > 0 ? c : 0;
    }
    *p50 = svc_hist_quantile(&d, 0.5);
    *p99 = svc_hist_quantile(&d, 0.99);
    return n;
}

static void fact_session(svc_buf *b, const view *v)
{
    svc_buf_printf(b,
                   "<tr><th>OpenD session</th><td><span id=\"session\" "
                   "class=\"%s\">%s</span> sid ",
                   v->up ? "ok" : "bad", v->up ? "up" : "down");
    svc_page_text(b, v->s.sid[0] ? v->s.sid : "-");
    if (v->since_wall) {
        svc_buf_printf(b, "<br><span class=\"muted\">since ");
        fmt_times(b, v->since_wall);
        svc_buf_printf(b, "</span>");
    }
    svc_buf_printf(b, "</td></tr>");
}

static void sec_facts(svc_buf *b, const view *v)
{
    const char *base = strrchr(v->path, '/');
    const writer_stats *st = &v->x->w->st;
    struct statvfs vfs;
    double p50, p99;
    long long nc = latency(v, &p50, &p99);
    int64_t lc = atomic_load(&st->last_commit_mono_ms);

    svc_buf_printf(b, "<h2>Collector</h2><table class=\"kv\">");
    fact_session(b, v);
    svc_buf_printf(b, "<tr><th>Today's file</th><td>");
    svc_page_text(b, base ? base + 1 : v->path);
    svc_buf_printf(b, " &middot; ");
    fmt_bytes(b, (double)v->day_bytes);
    svc_buf_printf(b, " + wal ");
    fmt_bytes(b, (double)v->wal_bytes);
    svc_buf_printf(b,
                   "</td></tr><tr><th>Rows today</th><td id=\"rows-today\" "
                   "data-v=\"%lld\">%lld</td></tr>",
                   v->rows_today, v->rows_today);
    svc_buf_printf(b,
                   "<tr><th>Rows since start</th><td>%lld inserted "
                   "&middot; %lld duplicates ignored</td></tr>",
                   (long long)atomic_load(&st->rows_inserted),
                   (long long)atomic_load(&st->rows_ignored));
    svc_buf_printf(b,
                   "<tr><th>Queue</th><td id=\"queue\">%zu / %zu rows</td>"
                   "</tr><tr><th>Spool</th><td id=\"spool\">%zu rows</td>"
                   "</tr>",
                   queue_len(v->x->q), v->x->q->cap, spool_pending(v->x->sp));
    svc_buf_printf(b,
                   "<tr><th>Commit latency</th><td>p50 &le; %.0f ms "
                   "&middot; p99 &le; %.0f ms (%lld commits, last %d min)"
                   "</td></tr><tr><th>Last commit</th><td>",
                   p50, p99, nc, PAGE_LATENCY_MINUTES);
    if (lc) /* may be a commit made after v->mono was read */
        svc_buf_printf(b, "%.1f s ago",
                       lc < v->mono ? (double)(v->mono - lc) / 1000.0 : 0.0);
    else
        svc_buf_printf(b, "none yet");
    svc_buf_printf(b, "</td></tr><tr><th>Disk free</th><td>");
    if (statvfs(v->x->cfg->data_root, &vfs) == 0 && vfs.f_blocks > 0) {
        fmt_bytes(b, (double)vfs.f_bavail * (double)vfs.f_frsize);
        svc_buf_printf(b, " (%.1f %%)",
                       100.0 * (double)vfs.f_bavail / (double)vfs.f_blocks);
    } else {
        svc_buf_printf(b, "unknown");
    }
    svc_buf_printf(b, "</td></tr></table>");
}

static void sec_chart(svc_buf *b, const view *v)
{
    double per[CHART_MINUTES] = {0};
    long long now_rows = atomic_load(&v->x->w->st.rows_inserted);
    double max = 0;

    /* per[CHART_MINUTES-1] is the running minute; whole minutes before */
    for (int i = 0; i < v->n_min && i < CHART_MINUTES; i++) {
        int k = v->n_min - 1 - i; /* newest first */
        long long end = i == 0 ? now_rows : v->min[k + 1].rows;
        per[CHART_MINUTES - 1 - i] = (double)(end - v->min[k].rows);
    }
    for (int i = 0; i < CHART_MINUTES; i++)
        if (per[i] > max)
            max = per[i];
    svc_buf_printf(b, "<h2>Rows per minute, last hour</h2>");
    svc_page_chart(b, per, CHART_MINUTES, 600, 80,
                   "rows committed per minute, last 60 minutes");
    svc_buf_printf(b,
                   "<p class=\"muted\">peak %.0f/min &middot; this minute "
                   "%.0f &middot; oldest bar left, 60 bars</p>",
                   max, per[CHART_MINUTES - 1]);
}

static void sym_row(svc_buf *b, const view *v, int i, bool stale)
{
    page_ring *r = v->x->ring;
    uint32_t id = v->ids[i];
    const char *name = symtab_name(r->syms, id);
    int64_t ts = atomic_load(&v->x->w->persisted_ts[id]);
    int64_t seq = atomic_load(&v->x->w->persisted_seq[id]);

    svc_buf_printf(b, "<tr%s><td>", stale ? " class=\"stale\"" : "");
    svc_page_text(b, name);
    svc_buf_printf(b, "</td><td>%lld</td>", sym_rows(r, name));
    if (ts > 0)
        svc_buf_printf(b, "<td>%.1f</td>", (double)(v->wall - ts) / 1000.0);
    else
        svc_buf_printf(b, "<td data-v=\"-1\">-</td>");
    if (seq != WRITER_SEQ_NONE)
        svc_buf_printf(b, "<td>%lld</td></tr>", (long long)seq);
    else
        svc_buf_printf(b, "<td data-v=\"-1\">-</td></tr>");
}

static void sec_syms(svc_buf *b, const view *v)
{
    page_ring *r = v->x->ring;
    int n_stale = 0;
    bool stale;

    for (int i = 0; i < v->n_syms; i++)
        if (v->watched && symtab_valid(r->syms, v->ids[i]) &&
            feed_is_stale(v->stale_sec, v->seen[i], v->mono))
            n_stale++;
    svc_buf_printf(b,
                   "<h2>Symbols</h2><p class=\"muted\">%d configured "
                   "&middot; <span id=\"stale-count\">%d</span> stale (no "
                   "tick for FUTU_POLL_STALE_SEC=%d s; %s) &middot; click "
                   "a header to sort</p><table id=\"symtab\" class=\"sort\">"
                   "<thead><tr><th>Symbol</th><th>Rows today</th>"
                   "<th>Last tick age s</th><th>Last seq</th></tr></thead>"
                   "<tbody>",
                   v->n_syms, n_stale, v->stale_sec,
                   v->watched ? "checked now" : "not checked in this phase");
    for (int i = 0; i < v->n_syms; i++) {
        if (!symtab_valid(r->syms, v->ids[i]))
            continue;
        stale = v->watched && feed_is_stale(v->stale_sec, v->seen[i], v->mono);
        sym_row(b, v, i, stale);
    }
    svc_buf_printf(b, "</tbody></table>");
}

/* ---- the page and its JSON -------------------------------------------- */

typedef void (*section_fn)(svc_buf *b, const view *v);

static const struct {
    const char *id;
    section_fn fn;
} sections[] = {
    {"head", sec_head},   {"checks", sec_checks}, {"facts", sec_facts},
    {"chart", sec_chart}, {"syms", sec_syms},
};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

static char *finish(svc_buf *b, view *v)
{
    view_free(v);
    if (b->oom || !b->p) {
        svc_buf_free(b);
        return NULL;
    }
    return b->p;
}

char *page_render_html(http_ctx *x)
{
    svc_buf b = {0};
    view *v = view_load(x);

    if (!v)
        return NULL;
    svc_page_begin(&b, "hk-tick-collector", "/status/page.json",
                   PAGE_REFRESH_SEC);
    for (size_t i = 0; i < N_SECTIONS; i++) {
        if (i == 1)
            svc_buf_printf(&b, "<div class=\"grid\">");
        svc_page_section_open(&b, sections[i].id);
        sections[i].fn(&b, v);
        svc_page_section_close(&b);
        if (i == 2)
            svc_buf_printf(&b, "</div>\n");
    }
    svc_buf_printf(&b,
                   "<p class=\"muted\">Read-only; refreshes every %d s "
                   "with JavaScript on. Machine-readable: /health "
                   "/status /metrics</p>\n",
                   PAGE_REFRESH_SEC);
    svc_page_end(&b);
    return finish(&b, v);
}

char *page_render_json(http_ctx *x)
{
    svc_buf b = {0};
    svc_buf sec = {0};
    view *v = view_load(x);

    if (!v)
        return NULL;
    svc_buf_printf(&b, "{");
    for (size_t i = 0; i < N_SECTIONS; i++) {
        sec.n = 0;
        if (sec.p)
            sec.p[0] = '\0';
        sections[i].fn(&sec, v);
        b.oom |= sec.oom;
        svc_buf_printf(&b, "%s\"%s\":", i ? "," : "", sections[i].id);
        svc_page_json_str(&b, sec.p ? sec.p : "");
    }
    svc_buf_printf(&b, "}\n");
    svc_buf_free(&sec);
    return finish(&b, v);
}
