/*
 * quarantine.c - the quarantine day files (format in quarantine.h).
 *
 * The writer thread calls quarantine_write with a whole batch and the
 * reason of each row; the bad ones go into the file of the HK date of
 * receipt in one transaction (BEGIN IMMEDIATE ... COMMIT). The file is
 * opened on first use and kept open until the date changes or an error
 * closes it. Counters and the per-day row count change only after COMMIT,
 * so a failed attempt that the writer retries counts nothing twice.
 *
 * Threads: the writer owns the connection and the log state of the reasons
 * it stores; the event thread counts the two reasons decided before a row
 * has a symbol id (quarantine_count) and owns their log state; counters are
 * atomics read by the HTTP and health code.
 */
#include "collector/quarantine.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/hktime.h"
#include "common/log.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS quarantine ("
    "reason TEXT NOT NULL, symbol TEXT NOT NULL, ts_ms INTEGER, "
    "price_text TEXT, volume INTEGER, turnover_text TEXT, seq INTEGER, "
    "direction INTEGER, tick_type INTEGER, push_type TEXT, "
    "recv_ts_ms INTEGER, quarantined_at_ms INTEGER NOT NULL);";

static const char insert_sql[] =
    "INSERT INTO quarantine(reason, symbol, ts_ms, price_text, volume, "
    "turnover_text, seq, direction, tick_type, push_type, recv_ts_ms, "
    "quarantined_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";

void quarantine_init(quarantine *q, const char *data_root,
                     int64_t max_rows_per_day)
{
    memset(q, 0, sizeof(*q));
    snprintf(q->dir, sizeof(q->dir), "%s/_quarantine", data_root);
    q->max_rows_per_day = max_rows_per_day;
    for (int i = 0; i < VALIDATE_NREASONS; i++) {
        atomic_init(&q->rows[i], 0);
        atomic_init(&q->not_stored[i], 0);
    }
}

static void close_file(quarantine *q)
{
    sqlite3_finalize(q->ins);
    sqlite3_close(q->db);
    q->ins = NULL;
    q->db = NULL;
    q->day = 0;
}

void quarantine_free(quarantine *q)
{
    close_file(q);
}

static int count_rows(quarantine *q)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(q->db, "SELECT count(*) FROM quarantine", -1,
                                &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        q->day_rows = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Open (creating) the file of day; SQLite error with err set on failure. */
static int open_file(quarantine *q, int day, char *err, size_t errlen)
{
    int rc;

    if (mkdir(q->dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "mkdir %s: %s", q->dir, strerror(errno));
        return SQLITE_CANTOPEN;
    }
    snprintf(q->path, sizeof(q->path), "%s/%08d.db", q->dir, day);
    rc = sqlite3_open_v2(q->path, &q->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout(q->db, 5000);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(q->db, "PRAGMA journal_mode=WAL;", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(q->db, schema, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(q->db, insert_sql, -1, &q->ins, NULL);
    if (rc == SQLITE_OK)
        rc = count_rows(q);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", q->path,
                 q->db ? sqlite3_errmsg(q->db) : "out of memory");
        close_file(q);
        return rc;
    }
    q->day = day;
    return SQLITE_OK;
}

/* A double as text, with the non-finite values spelled portably. */
static void num_text(double v, char *buf, size_t cap)
{
    if (isnan(v))
        snprintf(buf, cap, "nan");
    else if (isinf(v))
        snprintf(buf, cap, "%s", v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, cap, "%.17g", v);
}

static int insert_one(quarantine *q, const row *r, int reason, const symtab *t,
                      int64_t now_ms)
{
    sqlite3_stmt *st = q->ins;
    char price[40], turnover[40];
    const char *sym = symtab_valid(t, r->sym) ? symtab_name(t, r->sym) : "";
    int rc;

    num_text(r->price, price, sizeof(price));
    num_text(r->turnover, turnover, sizeof(turnover));
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, validate_reason_str(reason), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sym, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, r->ts_ms);
    sqlite3_bind_text(st, 4, price, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, r->volume);
    sqlite3_bind_text(st, 6, turnover, -1, SQLITE_TRANSIENT);
    if (r->flags & ROW_HAS_SEQ)
        sqlite3_bind_int64(st, 7, r->seq);
    else
        sqlite3_bind_null(st, 7);
    sqlite3_bind_int(st, 8, r->dir);
    if (r->flags & ROW_HAS_TYPE)
        sqlite3_bind_int(st, 9, r->tick_type);
    else
        sqlite3_bind_null(st, 9);
    sqlite3_bind_text(st, 10, row_push_type_str(r->push_type), -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(st, 11, r->recv_ts_ms);
    sqlite3_bind_int64(st, 12, now_ms);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* One rate-limited row_quarantined line per reason (first one at once). */
static void log_reason(quarantine *q, int reason, const char *symbol, int64_t n,
                       int64_t mono)
{
    char s[96];

    q->since_log[reason] += n;
    if (q->last_log_ms[reason] != 0 && mono - q->last_log_ms[reason] < 60000)
        return;
    LOG(LOG_WARNING, LC_DB,
        "row_quarantined reason=%s symbol=%s count=%lld path=%s",
        validate_reason_str(reason), log_quote(symbol, s, sizeof(s)),
        (long long)q->since_log[reason], q->path[0] ? q->path : "none");
    q->last_log_ms[reason] = mono;
    q->since_log[reason] = 0;
}

/* Insert the bad rows (up to the cap); *stored and *over per reason. */
static int insert_all(quarantine *q, const row *rows, const uint8_t *reasons,
                      size_t n, const symtab *t, int64_t now_ms,
                      int64_t *stored, int64_t *over)
{
    int64_t room = q->max_rows_per_day - q->day_rows;

    for (size_t i = 0; i < n; i++) {
        int why = reasons[i];
        if (why == VALIDATE_OK)
            continue;
        if (room <= 0) {
            over[why]++;
            continue;
        }
        int rc = insert_one(q, &rows[i], why, t, now_ms);
        if (rc != SQLITE_OK)
            return rc;
        stored[why]++;
        room--;
    }
    return SQLITE_OK;
}

/* After COMMIT: counters, the day's count, the log lines. */
static void publish(quarantine *q, const row *rows, const uint8_t *reasons,
                    size_t n, const symtab *t, const int64_t *stored,
                    const int64_t *over)
{
    int64_t mono = hktime_mono_ms(), total_over = 0;

    for (int why = 1; why < VALIDATE_NREASONS; why++) {
        if (stored[why] + over[why] == 0)
            continue;
        atomic_fetch_add(&q->rows[why], stored[why] + over[why]);
        atomic_fetch_add(&q->not_stored[why], over[why]);
        q->day_rows += stored[why];
        total_over += over[why];
        for (size_t i = 0; i < n; i++)
            if (reasons[i] == why) {
                const char *s = symtab_valid(t, rows[i].sym)
                                    ? symtab_name(t, rows[i].sym)
                                    : "";
                log_reason(q, why, s, stored[why] + over[why], mono);
                break;
            }
    }
    if (total_over > 0 &&
        (q->last_cap_log_ms == 0 || mono - q->last_cap_log_ms >= 60000)) {
        LOG(LOG_WARNING, LC_DB,
            "quarantine_full path=%s max_rows_per_day=%lld not_stored=%lld "
            "action=count_only",
            q->path, (long long)q->max_rows_per_day, (long long)total_over);
        q->last_cap_log_ms = mono;
    }
}

int quarantine_write(quarantine *q, const row *rows, const uint8_t *reasons,
                     size_t n, const symtab *t, int64_t now_ms, char *err,
                     size_t errlen)
{
    int64_t stored[VALIDATE_NREASONS] = {0}, over[VALIDATE_NREASONS] = {0};
    int day = hktime_trading_day(now_ms);
    int rc = SQLITE_OK;

    if (q->db && q->day != day)
        close_file(q);
    if (!q->db)
        rc = open_file(q, day, err, errlen);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = insert_all(q, rows, reasons, n, t, now_ms, stored, over);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(q->db));
        close_file(q); /* closing rolls back; the next try reopens */
        return rc;
    }
    publish(q, rows, reasons, n, t, stored, over);
    return SQLITE_OK;
}

void quarantine_count(quarantine *q, int reason, int64_t n)
{
    if (reason <= 0 || reason >= VALIDATE_NREASONS || n <= 0)
        return;
    atomic_fetch_add(&q->rows[reason], n);
    atomic_fetch_add(&q->not_stored[reason], n);
}

long long quarantine_rows(const quarantine *q, int reason)
{
    return atomic_load(&((quarantine *)q)->rows[reason]);
}

long long quarantine_not_stored(const quarantine *q, int reason)
{
    return atomic_load(&((quarantine *)q)->not_stored[reason]);
}
