/*
 * feed.h - the OpenD side of the collector: session, subscription, pushes,
 * backfill and recovery, poll fallback, all on the event thread.
 *
 * The feed struct is split by concern; each part is changed only by the
 * file named beside it (feed_int.h lists the functions they share):
 *
 *   sess  feed.c           connection, reconnect backoff, GetGlobalState
 *   sub   feed_sub.c       subscribed list, Qot_Sub, SIGHUP changes
 *   bf    feed_backfill.c  backfill passes, per-symbol recovery fetches
 *   poll  feed_poll.c      poll cycles and off-hours probes
 *   in    feed_push.c      symbol ids, per-symbol timing, push rate, rows
 *
 * Session states (feed_state; the function making each transition):
 *
 *   DOWN --feed_start / reconnect timer--> CONNECTING (connect_now)
 *   CONNECTING --opend_client_connect busy--> DOWN, retry scheduled
 *       (connect_now -> schedule_reconnect)
 *   CONNECTING --InitConnect ok--> SUBSCRIBING: new sid, qot UP, Qot_Sub
 *       for all symbols in chunks of 100 (on_ready -> feed__subscribe_all)
 *   SUBSCRIBING --all Qot_Sub answered (a refused chunk is retried symbol
 *       by symbol), >=1 symbol ok--> UP: futu_connected, GetGlobalState
 *       and poll timers started, backfill pass (feed__sub_done)
 *   SUBSCRIBING --no symbol accepted--> client closed -> DOWN (sub_done)
 *   UP --SIGHUP adds symbols (Qot_Sub sent)--> SUBSCRIBING -> UP as above
 *       (feed_apply_symbols)
 *   UP --GetGlobalState fails or says qotLogined=false, admin resubscribe
 *       (feed_resubscribe)--> client closed -> DOWN
 *   any --on_closed (connect/InitConnect failure, liveness, EOF, bad
 *       frame, close)--> DOWN; unless stopping, reconnect timer armed with
 *       capped exponential backoff and jitter (schedule_reconnect)
 *
 * While UP, the backend login (feed_qot_state, feed_push.c): QOT_UP
 * --Notify ConnStatus qotLogined=false--> QOT_DOWN --qotLogined=true-->
 * QOT_UP and a backfill of every symbol (recovery_fetch reason=
 * qot_relogin). on_ready resets it to QOT_UP.
 *
 * Poll (feed_poll_mode, feed_poll.c): IDLE --poll timer, trading phase
 * (or pre-open if enabled, or always without FUTU_POLL_TRADING_ONLY)-->
 * CYCLE; IDLE --poll timer off-hours, probe interval due--> PROBE; CYCLE /
 * PROBE --every stale symbol requested and answered--> IDLE; any
 * --on_closed, or the last reply while not UP--> IDLE.
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
#include "collector/phase.h"
#include "collector/queue.h"
#include "collector/spool.h"
#include "collector/symtab.h"
#include "collector/writer.h"
#include "opend/client.h"

#define FEED_MAX_INFLIGHT 8
#define FEED_MAP_CHUNK 1000 /* GetTicker's maximum; pushes are chunked */
#define FEED_SYM_MAX 65536
/*
 * Most symbol table entries that names nobody configured (unsolicited
 * pushes or replies) may take in the life of the process; their rows are
 * quarantined by the writer with the name (symbol_not_subscribed). The
 * rest of the table (FEED_SYM_MAX - FEED_UNSOLICITED_MAX) is for configured
 * symbols, including those SIGHUPs add.
 */
#define FEED_UNSOLICITED_MAX 4096

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

typedef enum feed_qot_state {
    FEED_QOT_UP = 0, /* backend logged in (or no ConnStatus seen) */
    FEED_QOT_DOWN,   /* ConnStatus said qotLogined=false */
} feed_qot_state;

typedef enum feed_poll_mode {
    FEED_POLL_IDLE = 0,
    FEED_POLL_CYCLE, /* FUTU_POLL_NUM ticks of each stale symbol */
    FEED_POLL_PROBE, /* off-hours: FUTU_POLL_OFFHOURS_PROBE_NUM ticks */
} feed_poll_mode;

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
    int64_t dropped_symtab_full; /* rows refused an id (overflow, too long) */
} feed_counters;

/* The OpenD session (feed.c). */
typedef struct feed_session {
    feed_state state;
    feed_qot_state qot;
    bool stopping;
    bool ever_connected;
    int backoff_sec; /* next reconnect delay */
    int64_t connected_since_mono;
    uv_timer_t reconnect_timer;
    uv_timer_t check_timer; /* GetGlobalState every CHECK_INTERVAL_SEC */
} feed_session;

/* The subscribed list: index i is cfg->symbols[i] (feed_sub.c). */
typedef struct feed_subs {
    uint32_t ids[CONFIG_MAX_SYMBOLS]; /* symtab id per config symbol */
    bool ok[CONFIG_MAX_SYMBOLS];      /* Qot_Sub accepted */
    int pending;                      /* Qot_Sub requests in flight */
    int accepted;
    int32_t *cfg_idx; /* per symtab id: index in FUTU_SYMBOLS, -1 */
} feed_subs;

/* Backfill passes and recovery fetches (feed_backfill.c). */
typedef struct feed_backfill {
    int next;     /* next config index of the running pass */
    int inflight; /* GetTicker requests outstanding */
    int num;      /* ticks per request of the running pass */
    /* per-symbol re-fetches waiting for a pipeline slot (config idx):
     * ticks to fetch, 0 = none waiting */
    int16_t recover_num[CONFIG_MAX_SYMBOLS];
} feed_backfill;

/* Poll fallback (feed_poll.c). */
typedef struct feed_poll {
    feed_poll_mode mode;
    int next;     /* next config index of the running cycle */
    int inflight; /* GetTicker requests outstanding */
    int64_t last_probe_ms;
    int64_t last_stats_ms;
    uv_timer_t timer;
} feed_poll;

/* What arrives: symbol ids, per-symbol timing and rate (feed_push.c). */
typedef struct feed_ingest {
    int64_t *last_seen_mono;        /* per symtab id: last tick (any source) */
    int64_t *last_push_mono;        /* per symtab id: last pushed tick */
    double *rate_ticks;             /* per symtab id: decayed pushed ticks */
    double *rate_ms;                /* per symtab id: decayed elapsed ms */
    int64_t last_refused_log_ms[2]; /* overflow, too long */
    int64_t refused_since_log[2];
    row *rows; /* mapping scratch, FEED_MAP_CHUNK rows */
} feed_ingest;

typedef struct feed {
    config *cfg; /* borrowed: wiring, all for the feed's lifetime */
    uv_loop_t *loop;
    symtab *syms;
    queue *q;
    spool *sp;
    writer *w;
    opend_crypto_ctx *cipher;
    client cl;
    char sid[16]; /* session id of the current connection (logs) */
    feed_session sess;
    feed_subs sub;
    feed_backfill bf;
    feed_poll poll;
    feed_ingest in;
    /* read by the health tick */
    int64_t last_row_mono_ms;
    int64_t max_ts_seen;
    feed_counters c; /* cumulative */
    mapping_stats ms;
    void (*on_first_up)(struct feed *f);
} feed;

/*
 * Set up f (no I/O): timers on loop, the client, and the symtab ids of the
 * configured symbols. Returns 0, -ENOMEM, or -ENOSPC when a configured
 * symbol does not fit in syms; on failure call feed_free only.
 */
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
/* Drop the session and reconnect at the minimum delay (admin
 * resubscribe); a no-op while not connected. */
void feed_resubscribe(feed *f);
/* Whether the session is up and subscribed. */
static inline bool feed_connected(const feed *f)
{
    return f->sess.state == FEED_UP;
}
/*
 * The stale rule (FUTU_POLL_STALE_SEC), shared by the poll fallback and
 * the status page: in phase ph the feed looks for stale symbols when
 * FUTU_POLL_TRADING_ONLY=0, in trading phases, and in pre-open with
 * FUTU_POLL_PREOPEN_ENABLED; a symbol is stale when no tick (any source)
 * arrived for FUTU_POLL_STALE_SEC, or none ever (last_seen_mono 0).
 */
static inline bool feed_stale_watched(const config *cfg, phase ph)
{
    return !cfg->poll_trading_only || phase_is_trading(ph) ||
           (ph == PHASE_PRE_OPEN && cfg->poll_preopen_enabled);
}
static inline bool feed_is_stale(int poll_stale_sec, int64_t last_seen_mono,
                                 int64_t mono)
{
    return last_seen_mono == 0 ||
           mono - last_seen_mono >= (int64_t)poll_stale_sec * 1000;
}
/* Whether a poll cycle or probe is running. */
static inline bool feed_polling(const feed *f)
{
    return f->poll.mode != FEED_POLL_IDLE;
}

#endif
