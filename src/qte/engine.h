/*
 * engine.h - the qte-engine library (hk_qte): deterministic replay of the
 * collector's day files through a strategy plugin, simulated HK execution
 * and a portfolio, with the control surface the daemon's HTTP threads use.
 *
 * Threads: qte_engine_run runs the replay on the caller's thread (the
 * "replay thread"); it alone calls the strategy, the store and the
 * observer. The functions marked "any thread" may be called from other
 * threads (HTTP handlers) while it runs: they take the engine's control
 * mutex or read atomics and never block on the replay for longer than one
 * event, except qte_engine_submit_order, which waits for the replay thread
 * to decide (bounded by its timeout). Lock order: control mutex, then
 * state mutex; the replay thread holds the state mutex only while it
 * changes orders, fills and positions (not per tick).
 *
 * Determinism: for the same day files, symbols, strategy object,
 * parameters, fees and cash, a backtest places the same orders, gets the
 * same fills and writes a byte-identical report (manual orders and replay
 * control are inputs too, and make no promise).
 */
#ifndef HK_QTE_ENGINE_H
#define HK_QTE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qte/config.h"
#include "qte/store.h"
#include "qte/strategy.h"
#include "svc/prom.h"

typedef struct qte_engine qte_engine;

/* Event kinds of the queue (and of the observer). */
typedef enum qte_event_kind {
    QTE_EV_TICK = 0, /* market data: one trade print */
    QTE_EV_TIMER,    /* a strategy timer came due */
    QTE_EV_ORDER,    /* an order request (strategy, manual) or cancel */
    QTE_EV_FILL,     /* a fill to report to the strategy */
    QTE_EV_KINDS
} qte_event_kind;

/* "tick", "timer", "order", "fill". Static storage. */
const char *qte_event_kind_name(qte_event_kind k);
/* "lot_size", "tick_size", "insufficient_cash", ... ("" for none). */
const char *qte_reason_name(qte_reason r);
/* "pending", "working", "partial", "filled", "cancelled", "rejected". */
const char *qte_status_name(qte_order_status s);

/* The live source's connection and counters (QTE_SOURCE=jetstream;
 * feed_jetstream.c), a snapshot for /metrics and /health. */
typedef struct qte_live_stats {
    bool connected;      /* the NATS connection is up */
    uint64_t received;   /* messages delivered by the consumer */
    uint64_t filtered;   /* not for the engine's symbols, or no price */
    uint64_t bad;        /* not an HkTick (undecodable) */
    uint64_t duplicates; /* stream sequence not above the last one: skipped */
    uint64_t dropped;    /* ring full: lost (counted, logged) */
    uint64_t cleared;    /* removed from the ring by queue clear */
    uint64_t reconnects; /* NATS reconnections */
    uint64_t resets;     /* ordered consumer re-created (gap, restart) */
    uint64_t ring_size;  /* delivered, not yet in the event queue */
    uint64_t ring_capacity;
    uint64_t last_stream_seq; /* stream sequence of the last message */
    int64_t last_msg_ms;      /* wall clock of the last message, 0 = none */
} qte_live_stats;

/* A consistent copy of the engine's counters (qte_engine_stats). */
typedef struct qte_stats {
    uint64_t queue_size;     /* events waiting */
    uint64_t queue_capacity; /* QTE_QUEUE_CAPACITY */
    uint64_t processed;      /* events handled since start */
    uint64_t dropped;        /* events removed by qte_engine_queue_clear */
    double rate;             /* events/s over the last second or so */
    double oldest_age_sec;   /* wall-clock age of the oldest waiting event */
    double progress;         /* replay progress 0..1 (rows read / rows) */
    int64_t replay_ts_ms;    /* the replay clock */
    uint64_t ticks;          /* market data events handled */
    double total_value;      /* portfolio equity, HKD */
    double cash;             /* HKD */
    uint64_t trades;         /* fills */
    uint64_t orders;         /* orders placed (including rejected) */
    uint64_t rejected;
    uint32_t positions; /* symbols with a non-zero position */
    qte_mode mode;
    double speed;
    bool paused;
    bool running; /* qte_engine_run is executing */
    bool done;    /* the replay reached its end */
    bool live;    /* the source is live (jetstream): lv is filled */
    qte_live_stats lv;
} qte_stats;

/* Answer to a manual order (qte_engine_submit_order). */
typedef struct qte_order_ack {
    int64_t order_id; /* > 0 when accepted or rejected after validation */
    qte_order_status status;
    qte_reason reason;
} qte_order_ack;

/* Called on the replay thread after each event with its kind and its
 * handling time in ns. Must be quick and must not call the engine. */
typedef void (*qte_observer_fn)(void *ud, qte_event_kind kind, uint64_t ns);

/* Summary of a finished (or stopped) run: the report's numbers. */
typedef struct qte_result {
    char run_id[33];
    int64_t initial_milli;
    int64_t final_milli; /* equity */
    int64_t cash_milli;
    int64_t realized_milli;
    int64_t unrealized_milli;
    int64_t fees_milli;
    int64_t turnover_milli; /* sum of fill values, both sides */
    double total_return;    /* final / initial - 1 */
    double sharpe;          /* annualised, daily equity returns, 252 d */
    double max_drawdown;    /* fraction of the peak, >= 0 */
    double win_rate;        /* winning round trips / closed round trips */
    int64_t trades;         /* fills */
    int64_t round_trips;    /* sells that closed shares */
    int64_t orders;
    int64_t rejected;
    int64_t ticks;
    int64_t events;
} qte_result;

/*
 * Build an engine: intern the symbols, open the day files of cfg->days
 * under cfg->data_root (a missing day is an error), load the strategy
 * object (cfg->strategy; empty = the built-in null strategy) and call its
 * init, allocate the queue and order table (cfg->queue_capacity,
 * cfg->max_orders). store (may be NULL: nothing is kept) is borrowed and
 * must outlive the engine; when it holds this run (same run id), the run
 * resumes (qte_engine_resume_info). Returns the engine, or NULL with a
 * message in err. The caller frees it with qte_engine_free.
 */
qte_engine *qte_engine_new(const qte_config *cfg, qte_store *store, char *err,
                           size_t errlen);
/*
 * As qte_engine_new, with a strategy linked into the caller instead of
 * cfg->strategy (tests, embedding, the service's perf-test). s is
 * borrowed and must outlive the engine; its name stands for the object's
 * digest in the run id.
 */
qte_engine *qte_engine_new_with(const qte_config *cfg, qte_store *store,
                                const qte_strategy *s, char *err,
                                size_t errlen);
/* Call the strategy's fini, unload it, close the day files, free. NULL is
 * fine. Not while qte_engine_run executes. */
void qte_engine_free(qte_engine *e);

/*
 * Replay on the caller's thread until the end of the data, or until
 * stop() returns true (polled between events, at least every 50 ms while
 * paused or pacing; stop may be NULL). Writes to the store as it goes and
 * commits at checkpoints and at the end. Returns 0 at the end of the data,
 * 1 when stopped, or a negative value (qte_engine_error has the message;
 * store failure, day-file error, resume mismatch).
 */
int qte_engine_run(qte_engine *e, bool (*stop)(void));

/* The last error message ("" when none). Valid until the next run or
 * free. Replay thread, or after run returned. */
const char *qte_engine_error(const qte_engine *e);

/* Run id: 32 hex characters, a digest of the run's inputs. Valid for the
 * engine's life. Any thread. */
const char *qte_engine_run_id(const qte_engine *e);

/*
 * How this run started: 0 fresh, 1 resumed from a checkpoint (events
 * processed then in *events), 2 already complete in the store (replayed
 * without writing). Any thread, after qte_engine_new.
 */
int qte_engine_resume_info(const qte_engine *e, int64_t *events);

/* Counters into *out. Any thread. */
void qte_engine_stats(qte_engine *e, qte_stats *out);

/* Replay control. Any thread; effective before the next event. pause and
 * resume are idempotent. set_speed returns 0, or -EINVAL unless
 * 0 < speed <= 1e6 (applies to realtime/accelerated pacing from now).
 * seek repositions the source at the first event with ts >= ts_ms
 * (forward or backward; positions and orders stay; events skipped are not
 * handled); returns 0, -EINVAL, or -ENOTSUP for a live source (it cannot
 * seek). step releases n events then pauses
 * (any mode); returns 0. */
void qte_engine_pause(qte_engine *e);
void qte_engine_resume(qte_engine *e);
int qte_engine_set_speed(qte_engine *e, double speed);
int qte_engine_seek(qte_engine *e, int64_t ts_ms);
int qte_engine_step(qte_engine *e, uint64_t n);

/* Drop waiting events: market data only in live mode (the backtest queue
 * holds orders and fills, which are never dropped; nothing is dropped
 * then). Live: the replay thread removes the market data waiting in the
 * event queue and in the feed's ring while the caller waits (at most
 * about 2 s; a stopped engine clears only the ring). *dropped (may be
 * NULL) gets the count. Returns 0, or -ETIMEDOUT when the replay thread
 * did not answer (only the ring was cleared then, *dropped counts it).
 * Any thread. */
int qte_engine_queue_clear(qte_engine *e, int *dropped);

/*
 * A manual paper order (HTTP POST): req->symbol names it. It goes through
 * the queue and the same checks as a strategy's order; waits up to
 * timeout_ms for the replay thread's decision. Returns 0 with *ack
 * (accepted: PENDING/WORKING; or REJECTED with a reason), -EINVAL for a
 * malformed request (no symbol, qty <= 0), -EAGAIN when the inbox is full,
 * -ETIMEDOUT when the replay thread did not take it in time (it is then
 * dropped unseen), -ESHUTDOWN when no replay is running. Any thread.
 */
int qte_engine_submit_order(qte_engine *e, const qte_order_req *req,
                            qte_order_ack *ack, int timeout_ms);

/*
 * JSON documents of the current state, appended to *out (svc/prom.h):
 * portfolio {"cash","equity","realized","unrealized","fees",
 * "initial","positions","trades","ts_ms"} (HKD numbers), positions
 * [{"symbol","qty","avg_cost","last","market_value","unrealized",
 * "realized"}], trades (the last `limit` fills, newest first), orders
 * (open orders, then the last `limit` closed ones). Return 0, or -ENOMEM
 * (out->oom set). Any thread.
 */
int qte_engine_json_portfolio(qte_engine *e, svc_buf *out);
int qte_engine_json_positions(qte_engine *e, svc_buf *out);
int qte_engine_json_trades(qte_engine *e, svc_buf *out, int limit);
int qte_engine_json_orders(qte_engine *e, svc_buf *out, int limit);

/* Observer called after every event (NULL clears). Set before run, or
 * any time (a pointer swap the replay thread reads per event). */
void qte_engine_set_observer(qte_engine *e, qte_observer_fn fn, void *ud);

/* The run's summary into *out. After run returned. Returns 0. */
int qte_engine_result(qte_engine *e, qte_result *out);

/*
 * Write dir/report.json and dir/report.html (the same numbers; the page
 * draws the equity curve as inline SVG). Returns 0, or -errno with a
 * message in err. After run returned.
 */
int qte_engine_write_report(qte_engine *e, const char *dir, char *err,
                            size_t errlen);

/* Money as text: milli-HKD v as "-12.345" into buf (cap >= 24). Returns
 * buf. */
const char *qte_milli_text(int64_t v, char *buf, size_t cap);

#endif
