/*
 * store.c - the writer's connection to a day file: PRAGMAs and prepared
 * statements.
 *
 * The schema (compat.md §1.2 DDL, hk_symbol_totals, user_version) and the
 * file name belong to the day-file library (src/dayfile); this file adds
 * what only a writer needs: the writer PRAGMAs, logged once per open, and
 * the persistent INSERT / totals / gaps statements.
 */
#include "collector/store.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/hktime.h"
#include "common/log.h"
#include "dayfile/dayfile.h"
#include "dayfile/totals.h"
#include "opend/msg.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const char INSERT_SQL[] =
    "INSERT OR IGNORE INTO ticks (market, symbol, ts_ms, price, volume, "
    "turnover, direction, seq, tick_type, push_type, provider, trading_day, "
    "recv_ts_ms, inserted_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?);";

static const char GAP_SQL[] =
    "INSERT OR IGNORE INTO gaps (trading_day, symbol, gap_start_ts_ms, "
    "gap_end_ts_ms, gap_sec, detected_at_ms, reason, meta_json) VALUES "
    "(?, ?, ?, ?, ?, ?, 'hard_gap', ?)";

void store_day_path(const char *data_root, int day, char *buf, size_t cap)
{
    (void)dayfile_path(data_root, day, buf, cap);
}

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int pragma_int(sqlite3 *db, const char *sql, long long *out, char *text,
                      size_t tlen)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (out)
            *out = sqlite3_column_int64(st, 0);
        if (text) {
            const unsigned char *t = sqlite3_column_text(st, 0);
            snprintf(text, tlen, "%s", t ? (const char *)t : "");
        }
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static int apply_pragmas(store *s, const config *cfg)
{
    char sql[256];
    char jm[32] = "";
    long long sync = 0, busy = 0, temp = 0, ckpt = 0, uv = 0;
    int rc;

    snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s",
             cfg->sqlite_journal_mode);
    rc = pragma_int(s->db, sql, NULL, jm, sizeof(jm));
    if (rc != SQLITE_OK)
        return rc;
    snprintf(sql, sizeof(sql), "PRAGMA synchronous=%s",
             cfg->sqlite_synchronous);
    if ((rc = exec(s->db, sql)) != SQLITE_OK)
        return rc;
    sqlite3_busy_timeout(s->db, cfg->sqlite_busy_timeout_ms);
    if ((rc = exec(s->db, "PRAGMA temp_store=MEMORY")) != SQLITE_OK)
        return rc;
    snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint=%d",
             cfg->sqlite_wal_autocheckpoint);
    if ((rc = pragma_int(s->db, sql, NULL, NULL, 0)) != SQLITE_OK)
        return rc;
    /* File-format neutral tuning: the page cache of an open day file.
     * Interleaved inserts of many symbols touch one leaf page per symbol
     * and index, so the cache bounds the many-symbol insert rate. */
    snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%d",
             cfg->sqlite_cache_mib * 1024);
    if ((rc = exec(s->db, sql)) != SQLITE_OK)
        return rc;
    pragma_int(s->db, "PRAGMA synchronous", &sync, NULL, 0);
    pragma_int(s->db, "PRAGMA busy_timeout", &busy, NULL, 0);
    pragma_int(s->db, "PRAGMA temp_store", &temp, NULL, 0);
    pragma_int(s->db, "PRAGMA wal_autocheckpoint", &ckpt, NULL, 0);
    LOG(LOG_INFO, LC_DB,
        "sqlite_pragmas db_path=%s journal_mode=%s synchronous=%lld "
        "busy_timeout=%lld temp_store=%lld wal_autocheckpoint=%lld",
        s->path, jm, sync, busy, temp, ckpt);
    rc = pragma_int(s->db, "PRAGMA user_version", &uv, NULL, 0);
    if (rc != SQLITE_OK)
        return rc;
    if (uv < DAYFILE_USER_VERSION)
        rc = exec(s->db, "PRAGMA user_version = " STR(DAYFILE_USER_VERSION));
    else if (uv > DAYFILE_USER_VERSION)
        LOG(LOG_WARNING, LC_DB,
            "sqlite_schema_newer db_path=%s "
            "user_version=%lld",
            s->path, uv);
    return rc;
}

int store_open(store *s, const config *cfg, int day, char *err, size_t errlen)
{
    int rc;
    const char *stage = "open";

    memset(s, 0, sizeof(*s));
    store_day_path(cfg->data_root, day, s->path, sizeof(s->path));
    rc = sqlite3_open_v2(
        s->path, &s->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_extended_result_codes(s->db, 0);
    sqlite3_busy_timeout(s->db, cfg->sqlite_busy_timeout_ms);
    stage = "pragmas";
    if ((rc = apply_pragmas(s, cfg)) != SQLITE_OK)
        goto fail;
    stage = "schema";
    if ((rc = dayfile_schema_ensure(s->db)) != SQLITE_OK)
        goto fail;
    stage = "prepare";
    rc = sqlite3_prepare_v3(s->db, INSERT_SQL, -1, SQLITE_PREPARE_PERSISTENT,
                            &s->ins, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(s->db, DAYFILE_TOTALS_UPSERT_SQL, -1,
                                SQLITE_PREPARE_PERSISTENT, &s->tot, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(s->db, GAP_SQL, -1, SQLITE_PREPARE_PERSISTENT,
                                &s->gap, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    s->day = day;
    snprintf(s->day_str, sizeof(s->day_str), "%08d", day);
    s->last_used_mono_ms = hktime_mono_ms();
    return SQLITE_OK;
fail : {
    char q[512];
    const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    const char *hint = "check DATA_ROOT ownership and free space";
    if (rc == SQLITE_READONLY || strstr(msg, "readonly"))
        hint = "chown the day file and its -wal/-shm to the service user "
               "(runbook 7.4)";
    else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        hint = "another process holds a lock on the day file";
    snprintf(err, errlen, "%s", msg);
    LOG(LOG_ERROR, LC_DB,
        "sqlite_open_failed db_path=%s err=%s hint=\"%s\" "
        "stage=%s",
        s->path, log_quote(msg, q, sizeof(q)), hint, stage);
    store_close(s, false);
    return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}
}

void store_close(store *s, bool checkpoint)
{
    if (s->db) {
        sqlite3_finalize(s->ins);
        sqlite3_finalize(s->tot);
        sqlite3_finalize(s->gap);
        if (checkpoint)
            sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
                                      NULL, NULL);
        sqlite3_close_v2(s->db);
    }
    s->db = NULL;
    s->ins = NULL;
    s->tot = NULL;
    s->gap = NULL;
    s->day = 0;
}

int store_begin(store *s)
{
    return exec(s->db, "BEGIN IMMEDIATE");
}

int store_commit(store *s)
{
    return exec(s->db, "COMMIT");
}

void store_rollback(store *s)
{
    if (s->db && !sqlite3_get_autocommit(s->db))
        exec(s->db, "ROLLBACK");
}

int store_insert(store *s, const row *r, const symtab *t,
                 int64_t inserted_at_ms, int *inserted)
{
    sqlite3_stmt *st = s->ins;
    const char *sym = symtab_name(t, r->sym);
    int rc;

    sqlite3_bind_text(st, 1, sym, t->market_len[r->sym], SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sym, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->ts_ms);
    sqlite3_bind_double(st, 4, r->price);
    sqlite3_bind_int64(st, 5, r->volume);
    sqlite3_bind_double(st, 6, r->turnover);
    sqlite3_bind_text(st, 7, opend_msg_direction_str(r->dir), -1,
                      SQLITE_STATIC);
    if (r->flags & ROW_HAS_SEQ)
        sqlite3_bind_int64(st, 8, r->seq);
    else
        sqlite3_bind_null(st, 8);
    sqlite3_bind_text(
        st, 9,
        opend_msg_ticker_type_str(r->tick_type, (r->flags & ROW_HAS_TYPE) != 0),
        -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, row_push_type_str(r->push_type), -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 11, "futu", 4, SQLITE_STATIC);
    /* The writer only hands a store rows of its own trading day. */
    sqlite3_bind_text(st, 12, s->day_str, 8, SQLITE_STATIC);
    sqlite3_bind_int64(st, 13, r->recv_ts_ms);
    sqlite3_bind_int64(st, 14, inserted_at_ms);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return rc;
    *inserted = sqlite3_changes(s->db) > 0;
    return SQLITE_OK;
}

int store_add_totals(store *s, const char *symbol, int64_t rows, int64_t min_ts,
                     int64_t max_ts, int64_t max_seq, bool has_seq,
                     int64_t inserted_at_ms)
{
    sqlite3_stmt *st = s->tot;
    char day[9];
    int rc;

    snprintf(day, sizeof(day), "%08d", s->day);
    sqlite3_bind_text(st, 1, day, 8, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, symbol, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, rows);
    sqlite3_bind_int64(st, 4, min_ts);
    sqlite3_bind_int64(st, 5, max_ts);
    if (has_seq)
        sqlite3_bind_int64(st, 6, max_seq);
    else
        sqlite3_bind_null(st, 6);
    sqlite3_bind_int64(st, 7, inserted_at_ms);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_insert_gap(store *s, const char *symbol, int64_t prev_ts,
                     int64_t curr_ts, int64_t detected_at_ms,
                     const char *meta_json, int *inserted)
{
    sqlite3_stmt *st = s->gap;
    char day[9];
    double sec = (double)llround((double)(curr_ts - prev_ts)) / 1000.0;
    int rc;

    snprintf(day, sizeof(day), "%08d", s->day);
    sqlite3_bind_text(st, 1, day, 8, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, symbol, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, prev_ts);
    sqlite3_bind_int64(st, 4, curr_ts);
    sqlite3_bind_double(st, 5, sec);
    sqlite3_bind_int64(st, 6, detected_at_ms);
    sqlite3_bind_text(st, 7, meta_json, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return rc;
    *inserted = sqlite3_changes(s->db) > 0;
    return SQLITE_OK;
}
