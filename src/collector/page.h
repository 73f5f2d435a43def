/*
 * page.h - the collector's status page: `GET /` (and /index.html), and
 * `GET /status/page.json` which the page polls to refresh itself (the
 * shared look and refresh protocol are svc/page.h's).
 *
 * What it shows, and where each fact comes from:
 *   health verdict and every check    http_render_health (same facts)
 *   OpenD session, since when         health snapshot; ring (since)
 *   today's file and size             stat() of DATA_ROOT/YYYYMMDD.db
 *   rows today, per-symbol rows       hk_symbol_totals of today's file
 *                                     (per-symbol totals, never the
 *                                     ticks), cached PAGE_TOTALS_TTL_MS
 *   rows per minute, last hour        the ring below
 *   commit latency p50/p99            the ring below (last 5 minutes)
 *   queue, spool, disk free           queue/spool lengths, statvfs
 *   last tick age, last seq           writer per-symbol atomics
 *   stale flag                        the feed's rule (feed_is_stale)
 *                                     on last_seen_mono, published by
 *                                     the ring; only while the feed
 *                                     watches (feed_stale_watched)
 *
 * The ring: the event thread's 1 Hz tick (page_ring_tick, from health.c)
 * copies, under a leaf mutex held for a few microseconds, each configured
 * symbol's id and last-seen time, the session's start, and once a minute
 * the writer's cumulative committed rows and commit-latency histogram into
 * one of PAGE_RING_SLOTS minute slots. Differences of consecutive slots are
 * the per-minute figures. The HTTP thread copies the ring out under the
 * same mutex and renders from the copy; nothing in the tick waits for a
 * page view beyond that copy.
 *
 * Output size: about 70 bytes per symbol plus ~14 KB; measured with 1,000
 * symbols: 85.6 KB, served in ~6 ms (tests/e2e/test_collector_page.sh
 * bounds it at 256 KiB).
 */
#ifndef HK_COLLECTOR_PAGE_H
#define HK_COLLECTOR_PAGE_H

#include <pthread.h>
#include <stdint.h>

#include "collector/config.h"
#include "collector/feed.h"
#include "collector/symtab.h"
#include "collector/writer.h"
#include "svc/hist.h"

#define PAGE_RING_SLOTS 61 /* minute starts: 60 whole minutes between */
#define PAGE_LATENCY_MINUTES 5
#define PAGE_REFRESH_SEC 5
#define PAGE_TOTALS_TTL_MS 2000

struct http_ctx;
struct dayfile_total;

/* The writer's cumulative figures at the start of one minute. */
typedef struct page_minute {
    int64_t minute;                   /* UTC ms / 60000 */
    long long rows;                   /* rows_inserted */
    long long hist[SVC_HIST_BUCKETS]; /* commit_hist buckets */
} page_minute;

typedef struct page_ring {
    const config *cfg; /* borrowed: wiring, read on the event thread */
    feed *f;
    writer *w;
    const symtab *syms;
    pthread_mutex_t mu; /* leaf lock: guards every field below */
    page_minute slot[PAGE_RING_SLOTS];
    int n_slots; /* filled slots, oldest at (head - n + 1) */
    int head;    /* newest slot */
    int n_syms;  /* configured symbols, in FUTU_SYMBOLS order */
    uint32_t ids[CONFIG_MAX_SYMBOLS];
    int64_t seen_mono[CONFIG_MAX_SYMBOLS]; /* 0 = never */
    bool watched;                          /* feed_stale_watched now */
    int poll_stale_sec;                    /* FUTU_POLL_STALE_SEC now */
    bool up;                               /* session up and subscribed */
    int64_t since_wall; /* in that state since (UTC ms); 0 = start */
    /* HTTP thread only: today's hk_symbol_totals, cached */
    struct dayfile_total *tot;
    int n_tot;
    int tot_day;
    int64_t tot_mono;
} page_ring;

/* Set r up (no I/O, no allocation); the borrowed pointers must outlive
 * it. Never fails; pair with page_ring_free. */
void page_ring_init(page_ring *r, const config *cfg, feed *f, writer *w,
                    const symtab *syms);
void page_ring_free(page_ring *r);

/* The 1 Hz tick (event thread): publish symbols, last-seen times and the
 * session start; start a new minute slot when the minute changed. */
void page_ring_tick(page_ring *r);

/*
 * Render the page / the refresh JSON ({"<section id>":"<inner HTML>"})
 * for x (x->ring must be set). Returns a malloc'd NUL-terminated string
 * (caller frees), or NULL when out of memory. HTTP server thread only
 * (the totals cache is not locked).
 */
char *page_render_html(struct http_ctx *x);
char *page_render_json(struct http_ctx *x);

#endif
