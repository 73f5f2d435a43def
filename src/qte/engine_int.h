/*
 * engine_int.h - the engine's internals shared by engine.c (replay loop),
 * ctx.c (strategy API, orders, fills), ctl.c (control, stats, inbox),
 * json.c (state documents) and report.c (result, report files). Not for
 * other modules.
 *
 * Locks: ctl_mu (control fields, inbox) before state_mu (book, fills and
 * orders rings, positions' qty/cost, cash). The replay thread takes
 * state_mu only around changes to orders and fills; readers take it to
 * copy.
 */
#ifndef HK_QTE_ENGINE_INT_H
#define HK_QTE_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "qte/clock.h"
#include "qte/engine.h"
#include "qte/exec.h"
#include "qte/portfolio.h"
#include "qte/queue.h"
#include "qte/feed.h"

#define QTE_MAX_SYMBOLS 2048
#define QTE_MAX_PARAMS 32
#define QTE_MAX_DAYS 366
#define QTE_TIMERS_MAX 256
#define QTE_INBOX 64
#define QTE_RECENT 256

typedef struct qte_timer {
    int64_t due_ms;
    int64_t seq;
    int64_t id;
} qte_timer;

/* A closed order or a fill kept for the JSON documents. */
typedef struct qte_fill_copy {
    int64_t id;
    int64_t order_id;
    int sym;
    int side;
    int64_t qty;
    int64_t price;
    int64_t fees;
    int64_t realized;
    int64_t ts_ms;
} qte_fill_copy;

typedef enum inbox_state {
    INBOX_FREE = 0,
    INBOX_WAITING,   /* submitted, replay thread has not taken it */
    INBOX_TAKEN,     /* in the queue as an ORDER event */
    INBOX_DONE,      /* ack filled */
    INBOX_ABANDONED, /* the submitter timed out after TAKEN */
} inbox_state;

typedef struct inbox_slot {
    inbox_state state;
    char symbol[32];
    qte_order_req req;
    qte_order_ack ack;
} inbox_slot;

struct qte_engine {
    qte_config cfg;
    char err[512];
    /* symbols, sorted by name; index = symbol id */
    int nsym;
    char *symbols[QTE_MAX_SYMBOLS];
    int64_t lots[QTE_MAX_SYMBOLS];
    int days[QTE_MAX_DAYS];
    int ndays;
    /* strategy */
    void *dl;
    const qte_strategy *strat;
    qte_ctx ctx;
    bool strat_ready;
    char params_buf[1024];
    const char *pkeys[QTE_MAX_PARAMS];
    const char *pvals[QTE_MAX_PARAMS];
    int nparams;
    /* replay state: replay thread */
    qte_feed *feed; /* QTE_SOURCE (feed.h) */
    qte_queue q;
    /* live only (feed->live): the event queue's market-data lane, ticks
     * moved from the feed's ring as they arrive; q then holds what one
     * event caused (orders, fills, a timer, the tick being handled) */
    qte_queue md;
    int live_day; /* trading day of the last tick moved out of md */
    exec_book book;
    exec_fees fees;
    portfolio pf;
    qte_clock clock;
    qte_timer timers[QTE_TIMERS_MAX];
    int ntimers;
    int64_t timer_seq;
    qte_tick pending;
    bool have_pending;
    bool pending_new_day;
    int pending_day;
    int cur_day; /* day of the last tick handled */
    bool src_done;
    int64_t now_ms;
    int64_t latency_ms;
    int64_t next_order_id;
    int64_t nfills;
    int64_t norders;
    int64_t nrejected;
    int64_t first_ts;
    bool started;
    /* store */
    qte_store *store;
    char run_id[33];
    char run_json[65536];
    int resume_kind;   /* 0 fresh, 1 resumed, 2 done */
    int64_t resume_at; /* writes start after this many events; -1 */
    qte_snapshot_rec resume_snap;
    int64_t snap_seq;
    bool in_tx;
    int64_t started_wall_ms;
    /* control: ctl_mu */
    pthread_mutex_t ctl_mu;
    pthread_cond_t ctl_cv;
    atomic_uint ctl_gen;
    bool paused;
    double speed;
    bool seek_req;
    int64_t seek_ts;
    uint64_t step_left; /* 0: not stepping */
    inbox_slot inbox[QTE_INBOX];
    unsigned ctl_seen;
    uint64_t clear_req;  /* live queue clear: tickets asked */
    uint64_t clear_done; /* tickets answered */
    int clear_result;    /* events the last answered clear dropped */
    /* state readers: state_mu */
    pthread_mutex_t state_mu;
    qte_fill_copy fills_recent[QTE_RECENT];
    exec_order closed_recent[QTE_RECENT];
    /* counters for other threads */
    _Atomic uint64_t processed;
    _Atomic uint64_t ticks;
    _Atomic uint64_t dropped;
    _Atomic int64_t replay_ts;
    _Atomic int64_t trades_pub;
    _Atomic int64_t orders_pub;
    _Atomic int64_t rejected_pub;
    _Atomic double rate;
    _Atomic double progress;
    atomic_bool running;
    atomic_bool done;
    int64_t rate_ns;
    uint64_t rate_events;
    /* observer */
    _Atomic(qte_observer_fn) obs_fn;
    _Atomic(void *) obs_ud;
};

/* ctx.c: the qte_api table given to strategies. */
extern const qte_api qte_engine_api;
/* ctx.c: place an order (strategy or manual); returns id or -reason. */
int64_t eng_place(qte_engine *e, const qte_order_req *req, bool manual,
                  qte_order_status *status);
/* ctx.c: close o (filled, cancelled, rejected) and notify. */
void eng_close(qte_engine *e, exec_order *o, qte_order_status st,
               qte_reason why);
/* ctx.c: matching callback of exec_book_match. */
int eng_on_fill(void *ud, exec_order *o, const qte_tick *t, int64_t qty);
/* ctx.c: whether store writes are on (past the resume point). */
bool eng_writing(const qte_engine *e);
/* ctx.c: record an order row in the store. */
void eng_put_order(qte_engine *e, const exec_order *o);
/* ctl.c: apply pending control requests (replay thread). */
void eng_control(qte_engine *e);
/* ctl.c: init/destroy the control part. */
int eng_ctl_init(qte_engine *e);
void eng_ctl_free(qte_engine *e);
/* ctl.c: a manual order's ORDER event is being handled. */
void eng_inbox_handle(qte_engine *e, int slot);
/* report.c: fill *out from the engine's state. */
void eng_result(qte_engine *e, qte_result *out);
/* json.c: "-12.345" for milli-HKD into buf. Returns buf. */
const char *eng_milli(int64_t v, char *buf, size_t cap);
/* engine.c: set e->err (printf-like). */
void eng_fail(qte_engine *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
