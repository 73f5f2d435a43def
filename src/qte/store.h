/*
 * store.h - where a run's orders, trades (fills), positions and portfolio
 * snapshots are kept: one interface (a struct of function pointers) with
 * two implementations behind it, SQLite (store_sqlite.c, the default) and
 * PostgreSQL (store_pg.c, when QTE_DATABASE_URL is set).
 *
 * Transactions: the engine calls begin once, then put_* for every change,
 * and commit + begin at each checkpoint (QTE_COMMIT_EVENTS events, the end
 * of the run). Each commit ends with a snapshot carrying the checkpoint
 * (events processed, fills, orders), so what a crash leaves committed is a
 * consistent prefix of the run: every row up to one snapshot, nothing
 * after it. load_resume returns that snapshot; the engine then replays the
 * run deterministically from its start without writing, checks that its
 * state at the checkpoint equals the snapshot, and writes from there on.
 *
 * Money is integer milli-HKD (HKD 1 = 1000), times are UTC epoch ms. Text
 * pointers in records are borrowed for the call only. A store is used by
 * one thread at a time (the engine's replay thread).
 *
 * Tables (SQLite; the PostgreSQL ones have the same columns, plus the
 * runbook's indexes trades(created_at), trades(symbol), positions(symbol)):
 *   qte_runs(run_id PK, config, status, events, started_ms, finished_ms)
 *   orders(run_id, id, symbol, side, type, tif, qty, filled, limit_milli,
 *          status, reason, created_ts_ms, updated_ts_ms, manual) PK(run_id,id)
 *   trades(run_id, id, order_id, symbol, side, qty, price_milli,
 *          value_milli, commission_milli, stamp_milli, sfc_milli,
 *          afrc_milli, trading_fee_milli, settlement_milli, fees_milli,
 *          cash_after_milli, realized_milli, ts_ms, created_at) PK(run_id,id)
 *   positions(run_id, symbol, qty, cost_milli, realized_milli,
 *             last_milli, updated_ts_ms) PK(run_id, symbol)
 *   snapshots(run_id, seq, ts_ms, events, fills, orders, cash_milli,
 *             equity_milli, realized_milli, unrealized_milli, fees_milli)
 *             PK(run_id, seq)
 */
#ifndef HK_QTE_STORE_H
#define HK_QTE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Run status values kept in qte_runs.status. */
#define QTE_RUN_RUNNING "running"
#define QTE_RUN_DONE "done"

typedef struct qte_run_rec {
    const char *run_id;  /* hex digest of the run's inputs (engine.h) */
    const char *config;  /* the inputs as one JSON object */
    const char *status;  /* QTE_RUN_RUNNING or QTE_RUN_DONE */
    int64_t events;      /* events processed so far */
    int64_t started_ms;  /* wall clock */
    int64_t finished_ms; /* wall clock; 0 while running */
} qte_run_rec;

typedef struct qte_order_rec {
    const char *run_id;
    int64_t id; /* 1, 2, ... in placement order */
    const char *symbol;
    int side; /* qte_side */
    int type; /* qte_order_type */
    int tif;  /* qte_tif */
    int64_t qty;
    int64_t filled;
    int64_t limit_milli; /* 0 for market orders */
    int status;          /* qte_order_status */
    const char *reason;  /* qte_reason_name(); "" when none */
    int64_t created_ts_ms;
    int64_t updated_ts_ms;
    bool manual; /* placed through the HTTP API, not the strategy */
} qte_order_rec;

typedef struct qte_fill_rec {
    const char *run_id;
    int64_t id; /* 1, 2, ... in fill order */
    int64_t order_id;
    const char *symbol;
    int side;
    int64_t qty;
    int64_t price_milli;
    int64_t value_milli; /* price_milli * qty */
    int64_t commission_milli;
    int64_t stamp_milli;
    int64_t sfc_milli;
    int64_t afrc_milli;
    int64_t trading_fee_milli;
    int64_t settlement_milli;
    int64_t fees_milli; /* the six above summed */
    int64_t cash_after_milli;
    int64_t realized_milli; /* P&L this fill realized (sells), net of fees */
    int64_t ts_ms;          /* the trade's time (also created_at) */
} qte_fill_rec;

typedef struct qte_position_rec {
    const char *run_id;
    const char *symbol;
    int64_t qty;
    int64_t cost_milli; /* total cost of the shares held, fees included */
    int64_t realized_milli;
    int64_t last_milli; /* last trade price (the mark) */
    int64_t updated_ts_ms;
} qte_position_rec;

typedef struct qte_snapshot_rec {
    const char *run_id;
    int64_t seq; /* 1, 2, ... per checkpoint */
    int64_t ts_ms;
    int64_t events; /* events processed up to this checkpoint */
    int64_t fills;
    int64_t orders;
    int64_t cash_milli;
    int64_t equity_milli; /* cash + positions marked to the last trade */
    int64_t realized_milli;
    int64_t unrealized_milli;
    int64_t fees_milli;
} qte_snapshot_rec;

/* What load_resume found for a run id. */
typedef struct qte_resume {
    bool found;            /* a qte_runs row exists */
    bool done;             /* its status is QTE_RUN_DONE */
    bool has_snapshot;     /* snap holds the last committed checkpoint */
    qte_snapshot_rec snap; /* snap.run_id is NULL */
} qte_resume;

typedef struct qte_store qte_store;

/*
 * The interface. Every int function returns 0, or a negative value with a
 * message in the store's err (qte_store.err); after a failure inside a
 * transaction the caller calls rollback. Records are copied during the
 * call.
 */
typedef struct qte_store_ops {
    int (*begin)(qte_store *s);
    int (*commit)(qte_store *s);
    /* Undo everything since begin; safe without an open transaction. */
    void (*rollback)(qte_store *s);
    int (*put_run)(qte_store *s, const qte_run_rec *r);            /* upsert */
    int (*put_order)(qte_store *s, const qte_order_rec *o);        /* upsert */
    int (*put_fill)(qte_store *s, const qte_fill_rec *f);          /* insert */
    int (*put_position)(qte_store *s, const qte_position_rec *p);  /* upsert */
    int (*put_snapshot)(qte_store *s, const qte_snapshot_rec *sn); /* ins */
    /* The run's row and its last snapshot into *out (zeroed first). */
    int (*load_resume)(qte_store *s, const char *run_id, qte_resume *out);
    /* Roll back an open transaction, release everything; s->impl is NULL
     * afterwards. Safe to call twice. */
    void (*close)(qte_store *s);
} qte_store_ops;

/* A store: the caller owns the struct; an implementation's open fills it
 * and close empties it. */
struct qte_store {
    const qte_store_ops *ops;
    void *impl;
    const char *kind; /* "sqlite", "postgres" */
    char err[256];    /* message of the last failure */
};

/*
 * Open (creating when missing) the SQLite database at path with the tables
 * above, WAL journal, synchronous=FULL. Returns 0 and a ready *s, or a
 * negative value with a message in err (s then needs no close).
 */
int qte_store_sqlite_open(qte_store *s, const char *path, char *err,
                          size_t errlen);

/*
 * The store cfg names (store_open.c): PostgreSQL when cfg->database_url is
 * set, else SQLite at cfg->sqlite_path, else none. Returns 1 with a ready
 * *s (s->kind names it), 0 when none is configured, or -1 with a message
 * in err (s then needs no close).
 */
struct qte_config;
int qte_store_open_config(qte_store *s, const struct qte_config *cfg, char *err,
                          size_t errlen);

#endif
