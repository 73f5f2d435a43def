/*
 * store_pg.c - qte_store over libpq (contract in store.h, schema in
 * store_pg.h).
 *
 * One connection per store, used by one thread (the replay thread). Open
 * runs the schema script, then prepares one statement per put_* and two
 * for load_resume; each call binds text parameters (integers printed with
 * %lld, so no float ever touches money) and runs the prepared statement.
 * begin/commit/rollback are plain BEGIN/COMMIT/ROLLBACK; `in_tx` records
 * whether a transaction is open so rollback and close are safe at any
 * time. Upserts are INSERT ... ON CONFLICT (primary key) DO UPDATE, so a
 * resumed run rewriting a row leaves one row, as in SQLite.
 *
 * Failure: every error copies PQerrorMessage / PQresultErrorMessage (first
 * line) into s->err and returns -EIO; the caller rolls back.
 */
#include "qte/store_pg.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pg_impl {
    PGconn *c;
    bool in_tx;
} pg_impl;

const char *const qte_pg_tables[] = {"qte_runs",  "orders",    "trades",
                                     "positions", "snapshots", NULL};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS qte_runs (run_id TEXT PRIMARY KEY,"
    " config TEXT NOT NULL, status TEXT NOT NULL, events BIGINT NOT NULL,"
    " started_ms BIGINT NOT NULL, finished_ms BIGINT NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS orders (run_id TEXT NOT NULL,"
    " id BIGINT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL,"
    " type TEXT NOT NULL, tif TEXT NOT NULL, qty BIGINT NOT NULL,"
    " filled BIGINT NOT NULL, limit_milli BIGINT NOT NULL,"
    " status TEXT NOT NULL, reason TEXT NOT NULL,"
    " created_ts_ms BIGINT NOT NULL, updated_ts_ms BIGINT NOT NULL,"
    " manual INTEGER NOT NULL, PRIMARY KEY (run_id, id));\n"
    "CREATE TABLE IF NOT EXISTS trades (run_id TEXT NOT NULL,"
    " id BIGINT NOT NULL, order_id BIGINT NOT NULL, symbol TEXT NOT NULL,"
    " side TEXT NOT NULL, qty BIGINT NOT NULL,"
    " price_milli BIGINT NOT NULL, value_milli BIGINT NOT NULL,"
    " commission_milli BIGINT NOT NULL, stamp_milli BIGINT NOT NULL,"
    " sfc_milli BIGINT NOT NULL, afrc_milli BIGINT NOT NULL,"
    " trading_fee_milli BIGINT NOT NULL, settlement_milli BIGINT NOT NULL,"
    " fees_milli BIGINT NOT NULL, cash_after_milli BIGINT NOT NULL,"
    " realized_milli BIGINT NOT NULL, ts_ms BIGINT NOT NULL,"
    " created_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (run_id, id));\n"
    "CREATE TABLE IF NOT EXISTS positions (run_id TEXT NOT NULL,"
    " symbol TEXT NOT NULL, qty BIGINT NOT NULL, cost_milli BIGINT NOT NULL,"
    " realized_milli BIGINT NOT NULL, last_milli BIGINT NOT NULL,"
    " updated_ts_ms BIGINT NOT NULL, PRIMARY KEY (run_id, symbol));\n"
    "CREATE TABLE IF NOT EXISTS snapshots (run_id TEXT NOT NULL,"
    " seq BIGINT NOT NULL, ts_ms BIGINT NOT NULL, events BIGINT NOT NULL,"
    " fills BIGINT NOT NULL, orders BIGINT NOT NULL,"
    " cash_milli BIGINT NOT NULL, equity_milli BIGINT NOT NULL,"
    " realized_milli BIGINT NOT NULL, unrealized_milli BIGINT NOT NULL,"
    " fees_milli BIGINT NOT NULL, PRIMARY KEY (run_id, seq));\n"
    "CREATE INDEX IF NOT EXISTS idx_trades_created_at ON trades(created_at);\n"
    "CREATE INDEX IF NOT EXISTS idx_trades_symbol ON trades(symbol);\n"
    "CREATE INDEX IF NOT EXISTS idx_positions_symbol ON positions(symbol);\n";

const char *qte_pg_schema_sql(void)
{
    return schema;
}

/* name, parameter count, SQL */
static const struct {
    const char *name;
    int n;
    const char *sql;
} stmts[] = {
    {"put_run", 6,
     "INSERT INTO qte_runs VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (run_id)"
     " DO UPDATE SET config=$2, status=$3, events=$4, started_ms=$5,"
     " finished_ms=$6"},
    {"put_order", 14,
     "INSERT INTO orders VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,"
     "$14) ON CONFLICT (run_id, id) DO UPDATE SET symbol=$3, side=$4,"
     " type=$5, tif=$6, qty=$7, filled=$8, limit_milli=$9, status=$10,"
     " reason=$11, created_ts_ms=$12, updated_ts_ms=$13, manual=$14"},
    {"put_fill", 18,
     "INSERT INTO trades VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,"
     "$14,$15,$16,$17,$18, to_timestamp($18::bigint / 1000.0))"},
    {"put_position", 7,
     "INSERT INTO positions VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT"
     " (run_id, symbol) DO UPDATE SET qty=$3, cost_milli=$4,"
     " realized_milli=$5, last_milli=$6, updated_ts_ms=$7"},
    {"put_snapshot", 11,
     "INSERT INTO snapshots VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"},
    {"load_run", 1, "SELECT status FROM qte_runs WHERE run_id=$1"},
    {"load_snap", 1,
     "SELECT seq, ts_ms, events, fills, orders, cash_milli, equity_milli,"
     " realized_milli, unrealized_milli, fees_milli FROM snapshots"
     " WHERE run_id=$1 ORDER BY seq DESC LIMIT 1"},
};

static void set_err(qte_store *s, const char *what, const char *msg)
{
    size_t n;
    snprintf(s->err, sizeof(s->err), "postgres %s: %s", what,
             msg && *msg ? msg : "unknown error");
    n = strcspn(s->err, "\n");
    s->err[n] = 0;
}

/* Run a prepared statement; the result is returned (caller PQclear) or
 * NULL after setting s->err. */
static PGresult *run(qte_store *s, const char *name, int n,
                     const char *const *vals)
{
    pg_impl *p = s->impl;
    PGresult *r = PQexecPrepared(p->c, name, n, vals, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    set_err(s, name, r ? PQresultErrorMessage(r) : PQerrorMessage(p->c));
    PQclear(r);
    return NULL;
}

static int run_cmd(qte_store *s, const char *name, int n,
                   const char *const *vals)
{
    PGresult *r = run(s, name, n, vals);
    if (!r)
        return -EIO;
    PQclear(r);
    return 0;
}

static int exec_sql(qte_store *s, const char *sql)
{
    pg_impl *p = s->impl;
    PGresult *r = PQexec(p->c, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        set_err(s, sql, r ? PQresultErrorMessage(r) : PQerrorMessage(p->c));
        rc = -EIO;
    }
    PQclear(r);
    return rc;
}

/* Integer parameters are printed into fixed slots of one buffer. */
typedef struct params {
    char buf[20][24];
    const char *v[20];
    int n;
} params;

static void p_str(params *p, const char *s)
{
    p->v[p->n++] = s ? s : "";
}

static void p_int(params *p, long long x)
{
    snprintf(p->buf[p->n], sizeof(p->buf[p->n]), "%lld", x);
    p->v[p->n] = p->buf[p->n];
    p->n++;
}

static int pg_begin(qte_store *s)
{
    pg_impl *p = s->impl;
    int rc = exec_sql(s, "BEGIN");
    p->in_tx = rc == 0;
    return rc;
}

static int pg_commit(qte_store *s)
{
    pg_impl *p = s->impl;
    int rc = exec_sql(s, "COMMIT");
    p->in_tx = false;
    return rc;
}

static void pg_rollback(qte_store *s)
{
    pg_impl *p = s->impl;
    if (p && p->in_tx) {
        PQclear(PQexec(p->c, "ROLLBACK"));
        p->in_tx = false;
    }
}

static int pg_put_run(qte_store *s, const qte_run_rec *r)
{
    params p = {.n = 0};
    p_str(&p, r->run_id);
    p_str(&p, r->config);
    p_str(&p, r->status);
    p_int(&p, r->events);
    p_int(&p, r->started_ms);
    p_int(&p, r->finished_ms);
    return run_cmd(s, "put_run", p.n, p.v);
}

/* Enum columns hold the SQLite store's words, so both stores' rows are
 * identical. */
static const char *side_word(int v)
{
    return v == 0 ? "buy" : "sell";
}

static const char *status_word(int v)
{
    static const char *const w[] = {"pending", "working",   "partial",
                                    "filled",  "cancelled", "rejected"};
    return (unsigned)v < 6 ? w[v] : "unknown";
}

static int pg_put_order(qte_store *s, const qte_order_rec *o)
{
    params p = {.n = 0};
    p_str(&p, o->run_id);
    p_int(&p, o->id);
    p_str(&p, o->symbol);
    p_str(&p, side_word(o->side));
    p_str(&p, o->type ? "limit" : "market");
    p_str(&p, o->tif ? "ioc" : "gtc");
    p_int(&p, o->qty);
    p_int(&p, o->filled);
    p_int(&p, o->limit_milli);
    p_str(&p, status_word(o->status));
    p_str(&p, o->reason);
    p_int(&p, o->created_ts_ms);
    p_int(&p, o->updated_ts_ms);
    p_int(&p, o->manual ? 1 : 0);
    return run_cmd(s, "put_order", p.n, p.v);
}

static int pg_put_fill(qte_store *s, const qte_fill_rec *f)
{
    params p = {.n = 0};
    p_str(&p, f->run_id);
    p_int(&p, f->id);
    p_int(&p, f->order_id);
    p_str(&p, f->symbol);
    p_str(&p, side_word(f->side));
    p_int(&p, f->qty);
    p_int(&p, f->price_milli);
    p_int(&p, f->value_milli);
    p_int(&p, f->commission_milli);
    p_int(&p, f->stamp_milli);
    p_int(&p, f->sfc_milli);
    p_int(&p, f->afrc_milli);
    p_int(&p, f->trading_fee_milli);
    p_int(&p, f->settlement_milli);
    p_int(&p, f->fees_milli);
    p_int(&p, f->cash_after_milli);
    p_int(&p, f->realized_milli);
    p_int(&p, f->ts_ms);
    return run_cmd(s, "put_fill", p.n, p.v);
}

static int pg_put_position(qte_store *s, const qte_position_rec *r)
{
    params p = {.n = 0};
    p_str(&p, r->run_id);
    p_str(&p, r->symbol);
    p_int(&p, r->qty);
    p_int(&p, r->cost_milli);
    p_int(&p, r->realized_milli);
    p_int(&p, r->last_milli);
    p_int(&p, r->updated_ts_ms);
    return run_cmd(s, "put_position", p.n, p.v);
}

static int pg_put_snapshot(qte_store *s, const qte_snapshot_rec *sn)
{
    params p = {.n = 0};
    p_str(&p, sn->run_id);
    p_int(&p, sn->seq);
    p_int(&p, sn->ts_ms);
    p_int(&p, sn->events);
    p_int(&p, sn->fills);
    p_int(&p, sn->orders);
    p_int(&p, sn->cash_milli);
    p_int(&p, sn->equity_milli);
    p_int(&p, sn->realized_milli);
    p_int(&p, sn->unrealized_milli);
    p_int(&p, sn->fees_milli);
    return run_cmd(s, "put_snapshot", p.n, p.v);
}

static int64_t col(PGresult *r, int c)
{
    return strtoll(PQgetvalue(r, 0, c), NULL, 10);
}

static int pg_load_resume(qte_store *s, const char *run_id, qte_resume *out)
{
    const char *v[1] = {run_id};
    PGresult *r = run(s, "load_run", 1, v);
    memset(out, 0, sizeof(*out));
    if (!r)
        return -EIO;
    if (PQntuples(r) == 1) {
        out->found = true;
        out->done = strcmp(PQgetvalue(r, 0, 0), QTE_RUN_DONE) == 0;
    }
    PQclear(r);
    r = run(s, "load_snap", 1, v);
    if (!r)
        return -EIO;
    if (PQntuples(r) == 1) {
        qte_snapshot_rec *sn = &out->snap;
        out->has_snapshot = true;
        sn->seq = col(r, 0);
        sn->ts_ms = col(r, 1);
        sn->events = col(r, 2);
        sn->fills = col(r, 3);
        sn->orders = col(r, 4);
        sn->cash_milli = col(r, 5);
        sn->equity_milli = col(r, 6);
        sn->realized_milli = col(r, 7);
        sn->unrealized_milli = col(r, 8);
        sn->fees_milli = col(r, 9);
    }
    PQclear(r);
    return 0;
}

static void pg_close(qte_store *s)
{
    pg_impl *p = s->impl;
    if (!p)
        return;
    pg_rollback(s);
    PQfinish(p->c);
    free(p);
    s->impl = NULL;
}

static const qte_store_ops pg_ops = {
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .put_run = pg_put_run,
    .put_order = pg_put_order,
    .put_fill = pg_put_fill,
    .put_position = pg_put_position,
    .put_snapshot = pg_put_snapshot,
    .load_resume = pg_load_resume,
    .close = pg_close,
};

int qte_store_pg_open(qte_store *s, const char *url, char *err, size_t errlen)
{
    pg_impl *p = calloc(1, sizeof(*p));
    memset(s, 0, sizeof(*s));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->ops = &pg_ops;
    s->impl = p;
    s->kind = "postgres";
    p->c = PQconnectdb(url);
    if (PQstatus(p->c) != CONNECTION_OK) {
        set_err(s, "connect", PQerrorMessage(p->c));
        goto fail;
    }
    PQclear(PQexec(p->c, "SET client_min_messages = warning"));
    if (exec_sql(s, schema) != 0)
        goto fail;
    for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
        PGresult *r =
            PQprepare(p->c, stmts[i].name, stmts[i].sql, stmts[i].n, NULL);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            set_err(s, stmts[i].name,
                    r ? PQresultErrorMessage(r) : PQerrorMessage(p->c));
        PQclear(r);
        if (!ok)
            goto fail;
    }
    return 0;
fail:
    snprintf(err, errlen, "%s", s->err);
    PQfinish(p->c);
    free(p);
    memset(s, 0, sizeof(*s));
    return -EIO;
}
