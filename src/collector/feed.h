/*
 * feed.h - the OpenD side of the collector: session, subscribe, pushes,
 * backfill, poll fallback and reconnect, all on the event thread.
 *
 * Session states (functions making each transition):
 *
 *   DOWN --feed_start / reconnect timer--> CONNECTING (opend_client_connect)
 *   CONNECTING --on_ready--> SUBSCRIBING (send_subscribe)
 *   SUBSCRIBING --all chunks answered, >=1 symbol ok--> UP (sub_done)
 *   SUBSCRIBING --no symbol accepted--> closing -> DOWN
 *   any --on_closed--> DOWN, reconnect timer armed with capped
 *       exponential backoff and jitter (schedule_reconnect)
 *
 * Rows reach the writer through feed_enqueue: queue first; when the queue
 * is full (or the spool already holds rows, to keep order) the spool; only
 * when the spool cannot be written are rows counted as dropped, logged
 * (enqueue_failed) and their symbols re-fetched (recovery_fetch).
 */
#ifndef HK_COLLECTOR_FEED_H
#define HK_COLLECTOR_FEED_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "collector/config.h"
#include "collector/mapping.h"
#include "collector/queue.h"
#include "collector/spool.h"
#include "collector/symtab.h"
#include "collector/writer.h"
#include "opend/client.h"

#define FEED_MAX_INFLIGHT 8
#define FEED_MAP_CHUNK 1000 /* GetTicker's maximum; pushes are chunked */
#define FEED_SYM_MAX 65536
/*
 * Symbol table slots that symbols nobody configured (unsolicited pushes or
 * replies) may never take, so configured symbols, including those a SIGHUP
 * adds, can always be interned: two full FUTU_SYMBOLS lists.
 */
#define FEED_SYM_RESERVE (2 * CONFIG_MAX_SYMBOLS)

/*
 * Push-gap recovery (see feed_gap_fetch_num): ticks fetched when a symbol's
 * pushes resume = observed rate x silence x FEED_GAP_SAFETY, at least
 * FEED_GAP_FETCH_FLOOR, at most FEED_GAP_FETCH_MAX (GetTicker's maximum).
 * The rate decays with a time constant of FEED_RATE_TAU_SEC.
 */
#define FEED_GAP_SAFETY 4.0
#define FEED_GAP_FETCH_FLOOR 50
#define FEED_GAP_FETCH_MAX 1000
#define FEED_RATE_TAU_SEC 300.0

typedef enum feed_state {
    FEED_DOWN = 0,
    FEED_CONNECTING,
    FEED_SUBSCRIBING,
    FEED_UP,
} feed_state;

/* Counters read by the health tick (event thread only). */
typedef struct feed_counters {
    int64_t push_rows;
    int64_t poll_fetched;
    int64_t poll_accepted;
    int64_t poll_enqueued;
    int64_t backfill_rows;
    int64_t queue_in;
    int64_t spilled;
    int64_t dropped_queue_full;
    int64_t dropped_duplicate;
    int64_t dropped_filter;
    int64_t reconnects;
    int64_t disconnects;
    int64_t unsolicited_symbols; /* symbols interned though not configured */
    int64_t dropped_symtab_full; /* rows of unsolicited symbols refused */
} feed_counters;

typedef struct feed {
    config *cfg;
    uv_loop_t *loop;
    symtab *syms;
    queue *q;
    spool *sp;
    writer *w;
    opend_crypto_ctx *cipher;
    client cl;
    feed_state state;
    bool stopping;
    char sid[16];
    uv_timer_t reconnect_timer;
    uv_timer_t check_timer;
    uv_timer_t poll_timer;
    int backoff_sec;
    /* subscription bookkeeping */
    uint32_t sub_ids[CONFIG_MAX_SYMBOLS]; /* symtab id per config symbol */
    bool sub_ok[CONFIG_MAX_SYMBOLS];
    int sub_pending; /* Qot_Sub requests in flight */
    int sub_accepted;
    /* backfill / poll pipelines: indexes into sub_ids */
    int bf_next, bf_inflight;
    int bf_num; /* ticks per request of the running backfill pass */
    /* per-symbol re-fetches waiting for a pipeline slot (config idx):
     * ticks to fetch, 0 = none waiting */
    int16_t recover_num[CONFIG_MAX_SYMBOLS];
    int poll_next, poll_inflight;
    int poll_running; /* 0 idle, 1 poll cycle, 2 off-hours probe */
    int64_t last_probe_ms;
    int64_t last_poll_stats_ms;
    bool qot_down; /* Notify ConnStatus said the backend feed is down */
    int64_t *last_seen_mono; /* per symtab id: last tick (any source) */
    int64_t *last_push_mono; /* per symtab id: last pushed tick */
    double *rate_ticks;      /* per symtab id: decayed pushed ticks */
    double *rate_ms;         /* per symtab id: decayed elapsed ms */
    int32_t *cfg_idx;        /* per symtab id: index in FUTU_SYMBOLS, -1 */
    int64_t last_row_mono_ms;
    int64_t max_ts_seen;
    int64_t connected_since_mono;
    feed_counters c; /* cumulative */
    mapping_stats ms;
    uint32_t unsolicited_limit; /* symtab entries unsolicited ones may fill */
    int64_t last_symfull_log_ms;
    int64_t symfull_since_log;
    row *rows; /* mapping scratch, 1000 rows */
    bool ever_connected;
    void (*on_first_up)(struct feed *f);
} feed;

int feed_init(feed *f, config *cfg, uv_loop_t *loop, symtab *syms, queue *q,
              spool *sp, writer *w, opend_crypto_ctx *cipher);
/* Start connecting (logs futu_connecting). */
void feed_start(feed *f);
/* Stop: close the session and timers (handles close on the loop). */
void feed_stop(feed *f);
void feed_free(feed *f);
/* Queue rows (see above). Returns how many were dropped (0 normally). */
size_t feed_enqueue(feed *f, const row *rows, size_t n, int source);
/* Apply a new symbol list (SIGHUP): subscribe new, unsubscribe removed. */
void feed_apply_symbols(feed *f, const config *next);
/*
 * Ticks to re-fetch for a symbol whose pushes resume after gap_sec of
 * silence, given its observed rate (ticks/s; NAN = unknown): rate x gap x
 * FEED_GAP_SAFETY rounded up, within [FEED_GAP_FETCH_FLOOR,
 * FEED_GAP_FETCH_MAX]; FEED_GAP_FETCH_MAX when the rate is unknown. Pure.
 */
int feed_gap_fetch_num(double rate_per_sec, double gap_sec);
/* Re-fetch every subscribed symbol's recent ticks (recovery_fetch). */
void feed_recovery_fetch(feed *f, const char *reason);
/* Whether the session is up and subscribed. */
static inline bool feed_connected(const feed *f)
{
    return f->state == FEED_UP;
}

#endif
