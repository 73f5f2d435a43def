/*
 * health.h - the periodic health tick, the watchdog and systemd notify.
 *
 * Every HEALTH_TICK_SEC (60 s): snapshot and reset window counters, log
 * ts_drift_warn (trading phases only), log `health`, log an SQLITE_BUSY
 * alert when busy backoffs rose by >= TG_SQLITE_BUSY_ALERT_THRESHOLD (3),
 * then run the watchdog
 * (compat.md §4.2). Every second: sd_notify WATCHDOG=1 while the writer is
 * alive and making progress (or idle), and STATUS= with a summary line
 * (through svc/notify.h; READY/STOPPING are sent by main); it also ticks
 * the status page's minute ring (page.h) when ring is set.
 * Runs on the event thread; reads writer atomics and feed counters.
 */
#ifndef HK_COLLECTOR_HEALTH_H
#define HK_COLLECTOR_HEALTH_H

#include <stdbool.h>
#include <pthread.h>
#include <stdint.h>
#include <uv.h>

#include "collector/config.h"
#include "collector/feed.h"
#include "collector/queue.h"
#include "collector/spool.h"
#include "collector/writer.h"

/* Facts published by the event thread once a second for other threads
 * (the HTTP endpoint). Read with health_snapshot_get. */
typedef struct health_snapshot {
    bool connected;
    int phase;
    int64_t max_ts_seen;
    int64_t start_mono;
    int64_t updated_mono;
    feed_counters c;
    int n_symbols;
    char sid[16];
    size_t spool_rows;
    bool spool_growing;
    long long mapping_unparseable;
} health_snapshot;

typedef struct health {
    config *cfg;
    feed *f;
    writer *w;
    queue *q;
    spool *sp;
    uv_timer_t tick;
    uv_timer_t second;
    feed_counters prev;
    int64_t last_tick_mono;
    int64_t start_mono;
    long long prev_busy;
    long long prev_queue;
    int failures;
    bool dumped;
    bool recovery_pending;
    long long recovery_commits;
    pthread_mutex_t snap_mu; /* leaf lock: guards snap only */
    health_snapshot snap;
    /* Called when the watchdog gives up (exit 1 after preserving rows). */
    void (*on_fatal)(struct health *h, const char *reason);
    struct page_ring *ring; /* status page ring, ticked 1 Hz; NULL = none */
    void *ud;
} health;

void health_init(health *h, config *cfg, feed *f, writer *w, queue *q,
                 spool *sp, uv_loop_t *loop);
void health_start(health *h);
/* Copy the latest snapshot (any thread). */
void health_snapshot_get(health *h, health_snapshot *out);
/* Publish a fresh snapshot now (event thread). */
void health_publish(health *h);
void health_stop(health *h);
/* Log `diagnostic_dump reason=<reason>` with the runtime state. */
void health_dump(health *h, const char *reason, int level);

#endif
