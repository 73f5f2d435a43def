/*
 * store_sqlite.c - the SQLite implementation of qte_store (store.h).
 *
 * One connection, WAL journal, synchronous=FULL: a commit is durable when
 * it returns, and a process killed between commits leaves the database at
 * the last commit (SQLite rolls the hot journal back on the next open).
 * Every statement is prepared once at open; put_* only bind and step, so
 * nothing allocates per row. Upserts use INSERT ... ON CONFLICT DO UPDATE
 * (SQLite >= 3.24). Used by the replay thread only.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qte/store.h"

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS qte_runs (run_id TEXT PRIMARY KEY, "
    "config TEXT NOT NULL, status TEXT NOT NULL, events INTEGER NOT NULL, "
    "started_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS orders (run_id TEXT NOT NULL, id INTEGER "
    "NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, type TEXT NOT "
    "NULL, tif TEXT NOT NULL, qty INTEGER NOT NULL, filled INTEGER NOT "
    "NULL, limit_milli INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT "
    "NOT NULL, created_ts_ms INTEGER NOT NULL, updated_ts_ms INTEGER NOT "
    "NULL, manual INTEGER NOT NULL, PRIMARY KEY (run_id, id));"
    "CREATE TABLE IF NOT EXISTS trades (run_id TEXT NOT NULL, id INTEGER "
    "NOT NULL, order_id INTEGER NOT NULL, symbol TEXT NOT NULL, side TEXT "
    "NOT NULL, qty INTEGER NOT NULL, price_milli INTEGER NOT NULL, "
    "value_milli INTEGER NOT NULL, commission_milli INTEGER NOT NULL, "
    "stamp_milli INTEGER NOT NULL, sfc_milli INTEGER NOT NULL, afrc_milli "
    "INTEGER NOT NULL, trading_fee_milli INTEGER NOT NULL, "
    "settlement_milli INTEGER NOT NULL, fees_milli INTEGER NOT NULL, "
    "cash_after_milli INTEGER NOT NULL, realized_milli INTEGER NOT NULL, "
    "ts_ms INTEGER NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY "
    "(run_id, id));"
    "CREATE INDEX IF NOT EXISTS idx_trades_created_at ON trades(created_at);"
    "CREATE INDEX IF NOT EXISTS idx_trades_symbol ON trades(symbol);"
    "CREATE TABLE IF NOT EXISTS positions (run_id TEXT NOT NULL, symbol "
    "TEXT NOT NULL, qty INTEGER NOT NULL, cost_milli INTEGER NOT NULL, "
    "realized_milli INTEGER NOT NULL, last_milli INTEGER NOT NULL, "
    "updated_ts_ms INTEGER NOT NULL, PRIMARY KEY (run_id, symbol));"
    "CREATE INDEX IF NOT EXISTS idx_positions_symbol ON positions(symbol);"
    "CREATE TABLE IF NOT EXISTS snapshots (run_id TEXT NOT NULL, seq "
    "INTEGER NOT NULL, ts_ms INTEGER NOT NULL, events INTEGER NOT NULL, "
    "fills INTEGER NOT NULL, orders INTEGER NOT NULL, cash_milli INTEGER "
    "NOT NULL, equity_milli INTEGER NOT NULL, realized_milli INTEGER NOT "
    "NULL, unrealized_milli INTEGER NOT NULL, fees_milli INTEGER NOT NULL, "
    "PRIMARY KEY (run_id, seq));";

enum {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_RUN,
    S_ORDER,
    S_FILL,
    S_POS,
    S_SNAP,
    S_LOAD_RUN,
    S_LOAD_SNAP,
    S_N
};

static const char *const SQL[S_N] = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    "INSERT INTO qte_runs VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT "
    "(run_id) DO UPDATE SET status = ?3, events = ?4, finished_ms = ?6",
    "INSERT INTO orders VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
    "?11, ?12, ?13, ?14) ON CONFLICT (run_id, id) DO UPDATE SET filled = "
    "?8, status = ?10, reason = ?11, updated_ts_ms = ?13",
    "INSERT INTO trades VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
    "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18)",
    "INSERT INTO positions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT "
    "(run_id, symbol) DO UPDATE SET qty = ?3, cost_milli = ?4, "
    "realized_milli = ?5, last_milli = ?6, updated_ts_ms = ?7",
    "INSERT INTO snapshots VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
    "?11)",
    "SELECT status FROM qte_runs WHERE run_id = ?1",
    "SELECT seq, ts_ms, events, fills, orders, cash_milli, equity_milli, "
    "realized_milli, unrealized_milli, fees_milli FROM snapshots WHERE "
    "run_id = ?1 ORDER BY seq DESC LIMIT 1",
};

typedef struct sq {
    sqlite3 *db;
    sqlite3_stmt *st[S_N];
    int in_tx;
} sq;

static const char *side_name(int s)
{
    return s == 0 ? "buy" : "sell";
}

static int fail(qte_store *s, const char *what)
{
    sq *q = s->impl;
    snprintf(s->err, sizeof(s->err), "%s: %s", what, sqlite3_errmsg(q->db));
    return -EIO;
}

/* Step a bound statement to completion and reset it. */
static int run(qte_store *s, int k, const char *what)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[k];
    int rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE ? 0 : fail(s, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

static int sq_begin(qte_store *s)
{
    sq *q = s->impl;
    int rc = run(s, S_BEGIN, "begin");
    q->in_tx = rc == 0;
    return rc;
}

static int sq_commit(qte_store *s)
{
    sq *q = s->impl;
    int rc = run(s, S_COMMIT, "commit");
    if (rc == 0)
        q->in_tx = 0;
    return rc;
}

static void sq_rollback(qte_store *s)
{
    sq *q = s->impl;
    if (q && q->in_tx && !sqlite3_get_autocommit(q->db))
        run(s, S_ROLLBACK, "rollback");
    if (q)
        q->in_tx = 0;
}

#define BT(st, i, v) sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC)
#define BI(st, i, v) sqlite3_bind_int64(st, i, (sqlite3_int64)(v))

static int sq_put_run(qte_store *s, const qte_run_rec *r)
{
    sqlite3_stmt *st = ((sq *)s->impl)->st[S_RUN];
    BT(st, 1, r->run_id);
    BT(st, 2, r->config);
    BT(st, 3, r->status);
    BI(st, 4, r->events);
    BI(st, 5, r->started_ms);
    BI(st, 6, r->finished_ms);
    return run(s, S_RUN, "put_run");
}

static int sq_put_order(qte_store *s, const qte_order_rec *o)
{
    static const char *const st_names[] = {"pending", "working",   "partial",
                                           "filled",  "cancelled", "rejected"};
    sqlite3_stmt *st = ((sq *)s->impl)->st[S_ORDER];
    BT(st, 1, o->run_id);
    BI(st, 2, o->id);
    BT(st, 3, o->symbol);
    BT(st, 4, side_name(o->side));
    BT(st, 5, o->type ? "limit" : "market");
    BT(st, 6, o->tif ? "ioc" : "gtc");
    BI(st, 7, o->qty);
    BI(st, 8, o->filled);
    BI(st, 9, o->limit_milli);
    BT(st, 10, (unsigned)o->status < 6 ? st_names[o->status] : "unknown");
    BT(st, 11, o->reason ? o->reason : "");
    BI(st, 12, o->created_ts_ms);
    BI(st, 13, o->updated_ts_ms);
    BI(st, 14, o->manual);
    return run(s, S_ORDER, "put_order");
}

static int sq_put_fill(qte_store *s, const qte_fill_rec *f)
{
    sqlite3_stmt *st = ((sq *)s->impl)->st[S_FILL];
    BT(st, 1, f->run_id);
    BI(st, 2, f->id);
    BI(st, 3, f->order_id);
    BT(st, 4, f->symbol);
    BT(st, 5, side_name(f->side));
    BI(st, 6, f->qty);
    BI(st, 7, f->price_milli);
    BI(st, 8, f->value_milli);
    BI(st, 9, f->commission_milli);
    BI(st, 10, f->stamp_milli);
    BI(st, 11, f->sfc_milli);
    BI(st, 12, f->afrc_milli);
    BI(st, 13, f->trading_fee_milli);
    BI(st, 14, f->settlement_milli);
    BI(st, 15, f->fees_milli);
    BI(st, 16, f->cash_after_milli);
    BI(st, 17, f->realized_milli);
    BI(st, 18, f->ts_ms);
    return run(s, S_FILL, "put_fill");
}

static int sq_put_position(qte_store *s, const qte_position_rec *p)
{
    sqlite3_stmt *st = ((sq *)s->impl)->st[S_POS];
    BT(st, 1, p->run_id);
    BT(st, 2, p->symbol);
    BI(st, 3, p->qty);
    BI(st, 4, p->cost_milli);
    BI(st, 5, p->realized_milli);
    BI(st, 6, p->last_milli);
    BI(st, 7, p->updated_ts_ms);
    return run(s, S_POS, "put_position");
}

static int sq_put_snapshot(qte_store *s, const qte_snapshot_rec *n)
{
    sqlite3_stmt *st = ((sq *)s->impl)->st[S_SNAP];
    BT(st, 1, n->run_id);
    BI(st, 2, n->seq);
    BI(st, 3, n->ts_ms);
    BI(st, 4, n->events);
    BI(st, 5, n->fills);
    BI(st, 6, n->orders);
    BI(st, 7, n->cash_milli);
    BI(st, 8, n->equity_milli);
    BI(st, 9, n->realized_milli);
    BI(st, 10, n->unrealized_milli);
    BI(st, 11, n->fees_milli);
    return run(s, S_SNAP, "put_snapshot");
}

static int sq_load_resume(qte_store *s, const char *run_id, qte_resume *out)
{
    sq *q = s->impl;
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st = q->st[S_LOAD_RUN];
    BT(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->found = true;
        const unsigned char *t = sqlite3_column_text(st, 0);
        out->done = t && strcmp((const char *)t, QTE_RUN_DONE) == 0;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(s, "load run");
    st = q->st[S_LOAD_SNAP];
    BT(st, 1, run_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        qte_snapshot_rec *n = &out->snap;
        out->has_snapshot = true;
        n->seq = sqlite3_column_int64(st, 0);
        n->ts_ms = sqlite3_column_int64(st, 1);
        n->events = sqlite3_column_int64(st, 2);
        n->fills = sqlite3_column_int64(st, 3);
        n->orders = sqlite3_column_int64(st, 4);
        n->cash_milli = sqlite3_column_int64(st, 5);
        n->equity_milli = sqlite3_column_int64(st, 6);
        n->realized_milli = sqlite3_column_int64(st, 7);
        n->unrealized_milli = sqlite3_column_int64(st, 8);
        n->fees_milli = sqlite3_column_int64(st, 9);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(s, "load snapshot");
    return 0;
}

static void sq_close(qte_store *s)
{
    sq *q = s->impl;
    if (!q)
        return;
    sq_rollback(s);
    for (int i = 0; i < S_N; i++)
        sqlite3_finalize(q->st[i]);
    sqlite3_close(q->db);
    free(q);
    s->impl = NULL;
}

static const qte_store_ops sqlite_ops = {
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .put_run = sq_put_run,
    .put_order = sq_put_order,
    .put_fill = sq_put_fill,
    .put_position = sq_put_position,
    .put_snapshot = sq_put_snapshot,
    .load_resume = sq_load_resume,
    .close = sq_close,
};

int qte_store_sqlite_open(qte_store *s, const char *path, char *err,
                          size_t errlen)
{
    memset(s, 0, sizeof(*s));
    sq *q = calloc(1, sizeof(*q));
    if (!q) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->impl = q;
    s->ops = &sqlite_ops;
    s->kind = "sqlite";
    int rc = sqlite3_open_v2(path, &q->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout(q->db, 5000);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(q->db,
                          "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(q->db, SCHEMA, NULL, NULL, NULL);
    for (int i = 0; i < S_N && rc == SQLITE_OK; i++)
        rc = sqlite3_prepare_v2(q->db, SQL[i], -1, &q->st[i], NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
        sq_close(s);
        memset(s, 0, sizeof(*s));
        return -EIO;
    }
    return 0;
}
