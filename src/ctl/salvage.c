/*
 * salvage.c - `hk-tickctl salvage`: bring the rows of a set-aside day file
 * (YYYYMMDD.corrupt-<stamp>.db, YYYYMMDD.foreign-<stamp>.db, written by the
 * collector when a day file was damaged or not ours) back into the day
 * files of their trading days.
 *
 *   hk-tickctl salvage FILE [--day YYYYMMDD] [--dry-run] [--json]
 *
 * ctl_cmd_salvage = sv_parse → sv_prepare (what the file is, where its rows
 * are read from) → sv_scan (every row, into the targets) → sv_finish
 * (commit, close) → sv_render.
 *
 * Sources, by what dayfile_schema_check says about FILE:
 *   ok / foreign   read directly; a foreign ticks table is mapped by column
 *                  name (symbol and ts_ms must exist; market comes from the
 *                  symbol, trading_day from ts_ms, recv_ts_ms from ts_ms,
 *                  inserted_at_ms from now when missing).
 *   corrupt        `sqlite3 -readonly FILE .recover | sqlite3 TMP` (Debian's
 *                  sqlite3 CLI) into a private temporary database; its
 *                  ticks table is the source. Without the CLI, or when it
 *                  yields no ticks table, the file itself is scanned.
 *   notadb         a private copy with a fresh 100-byte header (page size
 *                  found from page 2's b-tree type byte) is treated as
 *                  corrupt; the original is never written.
 * The scan reads by rowid ranges of SV_CHUNK rows; a range that fails is
 * bisected down to SV_MIN_RANGE rowids, which are counted unreadable and
 * skipped, so one damaged page costs only its own rows.
 *
 * Targets: each row goes to <data_root>/<day>.db of its trading day
 * (trading_day column when it is a valid YYYYMMDD, else the HK date of
 * ts_ms; --day keeps only that day's rows). A missing day file is created
 * with the compat schema (dayfile_schema_ensure, WAL, user_version) and,
 * when run as root, given DATA_ROOT's owner. Rows go in with the writer's
 * INSERT OR IGNORE (the database is the dedup authority, so a second run
 * inserts nothing) and hk_symbol_totals is upserted for every inserted
 * row in the same transaction. While the collector holds DATA_ROOT's lock
 * (ctl_ar_lock_held, as restore checks) transactions are kept to
 * SV_TXN_LIVE rows so its writer never waits long; SQLite's WAL locking
 * and a 5 s busy timeout make the two writers safe together.
 * --dry-run writes nothing: it checks each row against the day file's
 * unique keys instead (duplicates inside FILE are then not seen).
 *
 * Output: `SALVAGE OK|FAIL`, source=, kind=, method=, rows_read=,
 * inserted=, ignored=, unreadable_ranges=, unreadable_rowids=, invalid=,
 * other_day=, days=<day>:<inserted>,… , collector_running=, dry_run=.
 * Exit 0 when at least one row was read; 1 when nothing could be read or a
 * target failed; 2 on usage errors (FILE missing, FILE is a day file).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hktime.h"
#include "common/util.h"
#include "ctl/ctl.h"
#include "dayfile/dayfile.h"
#include "dayfile/totals.h"

#define SV_CHUNK 1000
#define SV_MIN_RANGE 16
#define SV_TXN_LIVE 500
#define SV_TXN_IDLE 20000
#define SV_MAX_DAYS 32
#define SV_NCOLS 14

static const char *const sv_cols[SV_NCOLS] = {
    "market",   "symbol",      "ts_ms",      "price",          "volume",
    "turnover", "direction",   "seq",        "tick_type",      "push_type",
    "provider", "trading_day", "recv_ts_ms", "inserted_at_ms",
};

static const char SV_INSERT[] =
    "INSERT OR IGNORE INTO ticks (market, symbol, ts_ms, price, volume, "
    "turnover, direction, seq, tick_type, push_type, provider, trading_day, "
    "recv_ts_ms, inserted_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?)";
static const char SV_EXISTS[] =
    "SELECT 1 FROM ticks WHERE symbol = ?1 AND ((?2 IS NOT NULL AND seq = ?2) "
    "OR (?2 IS NULL AND seq IS NULL AND ts_ms = ?3 AND price = ?4 AND "
    "volume = ?5 AND turnover = ?6)) LIMIT 1";

/* One destination day file. */
struct sv_target {
    int day;
    char day_str[9];
    sqlite3 *db;
    sqlite3_stmt *ins, *tot, *ex;
    int in_txn; /* rows in the open transaction */
    long long inserted, ignored;
    bool created;
    bool missing; /* dry run: no file, every row would be inserted */
};

struct sv_run {
    ctl_ctx *c;
    const char *src;
    bool dry_run;
    bool live; /* the collector holds DATA_ROOT's lock */
    dayfile_verdict kind;
    const char *method;
    char read_path[PATH_MAX]; /* where rows are read: src or a temp copy */
    char tmpdir[PATH_MAX];
    sqlite3 *in;
    sqlite3_stmt *sel;
    long long read, inserted, ignored, invalid, other_day;
    long long bad_ranges, bad_rowids;
    struct sv_target tg[SV_MAX_DAYS];
    int ntg;
    bool target_failed;
    char err[1024];
    progress pg;
    int64_t now_ms;
};

/* ---- targets ------------------------------------------------------------ */

static int tg_prepare(struct sv_run *r, struct sv_target *t)
{
    if (r->dry_run)
        return sqlite3_prepare_v2(t->db, SV_EXISTS, -1, &t->ex, NULL);
    int rc = sqlite3_prepare_v2(t->db, SV_INSERT, -1, &t->ins, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(t->db, DAYFILE_TOTALS_UPSERT_SQL, -1, &t->tot,
                                NULL);
    return rc;
}

/* A new day file belongs to DATA_ROOT's owner, not to root (runbook 7.4). */
static void tg_chown(const struct sv_run *r, const char *path)
{
    struct stat st;
    if (geteuid() == 0 && stat(r->c->data_root, &st) == 0)
        (void)chown(path, st.st_uid, st.st_gid);
}

/* Open (creating unless dry run) the day file of t->day. */
static int tg_open(struct sv_run *r, struct sv_target *t)
{
    char path[PATH_MAX], detail[1800];
    int rc;

    (void)dayfile_path(r->c->data_root, t->day, path, sizeof(path));
    t->created = ctl_file_size(path) < 0;
    if (r->dry_run && t->created) {
        t->missing = true;
        return SQLITE_OK;
    }
    rc =
        r->dry_run
            ? ctl_open_ro(path, &t->db)
            : sqlite3_open_v2(path, &t->db,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(t->db, 5000);
        if (ctl_day_damage(t->db, path, SQLITE_OK, detail, sizeof(detail)))
            rc = SQLITE_CORRUPT;
    }
    if (rc == SQLITE_OK && t->created)
        rc = sqlite3_exec(t->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
    if (rc == SQLITE_OK && !r->dry_run)
        rc = dayfile_schema_ensure(t->db);
    if (rc == SQLITE_OK && t->created)
        rc = sqlite3_exec(t->db, "PRAGMA user_version = 4", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = tg_prepare(r, t);
    if (rc != SQLITE_OK) {
        util_fmt(r->err, sizeof(r->err), "%s: %s", path,
                 t->db ? sqlite3_errmsg(t->db) : sqlite3_errstr(rc));
        return rc;
    }
    if (t->created)
        tg_chown(r, path);
    return SQLITE_OK;
}

static struct sv_target *tg_get(struct sv_run *r, int day)
{
    for (int i = 0; i < r->ntg; i++)
        if (r->tg[i].day == day)
            return &r->tg[i];
    if (r->ntg == SV_MAX_DAYS) {
        util_fmt(r->err, sizeof(r->err), "rows of more than %d days",
                 SV_MAX_DAYS);
        return NULL;
    }
    struct sv_target *t = &r->tg[r->ntg++];
    memset(t, 0, sizeof(*t));
    t->day = day;
    util_fmt(t->day_str, sizeof(t->day_str), "%08d", day);
    return tg_open(r, t) == SQLITE_OK ? t : NULL;
}

static int tg_commit(struct sv_target *t)
{
    int rc = SQLITE_OK;
    if (t->in_txn > 0 && t->db)
        rc = sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL);
    t->in_txn = 0;
    return rc;
}

static void tg_close(struct sv_target *t)
{
    sqlite3_finalize(t->ins);
    sqlite3_finalize(t->tot);
    sqlite3_finalize(t->ex);
    if (t->db) {
        if (t->in_txn > 0)
            sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(t->db);
    }
    memset(t, 0, sizeof(*t));
}

/* ---- one row ------------------------------------------------------------ */

/* Trading day of the selected row: its trading_day when valid, else the
 * HK date of ts_ms. */
static int row_day(sqlite3_stmt *s)
{
    const unsigned char *td = sqlite3_column_text(s, 12);
    int day = 0;
    if (td && strlen((const char *)td) == 8 &&
        strspn((const char *)td, "0123456789") == 8 &&
        hktime_parse_day((const char *)td, 8, &day) == 0)
        return day;
    return hktime_trading_day(sqlite3_column_int64(s, 3));
}

/* Dry run: would the row be inserted? */
static int row_check(struct sv_target *t, sqlite3_stmt *s, int *added)
{
    sqlite3_stmt *e = t->ex;
    if (t->missing) {
        *added = 1;
        return SQLITE_OK;
    }
    sqlite3_bind_value(e, 1, sqlite3_column_value(s, 2));
    sqlite3_bind_value(e, 2, sqlite3_column_value(s, 8));
    for (int k = 3; k <= 6; k++)
        sqlite3_bind_value(e, k, sqlite3_column_value(s, k));
    int rc = sqlite3_step(e);
    sqlite3_reset(e);
    *added = rc == SQLITE_DONE;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* INSERT OR IGNORE one row and upsert its symbol's totals. */
static int row_insert(struct sv_run *r, struct sv_target *t, sqlite3_stmt *s,
                      int *added)
{
    sqlite3_stmt *in = t->ins;
    int64_t ts = sqlite3_column_int64(s, 3);
    int rc;

    if (t->in_txn == 0 && (rc = sqlite3_exec(t->db, "BEGIN IMMEDIATE", NULL,
                                             NULL, NULL)) != SQLITE_OK)
        return rc;
    t->in_txn++;
    for (int k = 0; k < SV_NCOLS; k++)
        sqlite3_bind_value(in, k + 1, sqlite3_column_value(s, k + 1));
    sqlite3_bind_text(in, 12, t->day_str, 8, SQLITE_STATIC);
    if (sqlite3_column_type(s, 13) == SQLITE_NULL)
        sqlite3_bind_int64(in, 13, ts);
    if (sqlite3_column_type(s, 14) == SQLITE_NULL)
        sqlite3_bind_int64(in, 14, r->now_ms);
    rc = sqlite3_step(in);
    sqlite3_reset(in);
    if (rc != SQLITE_DONE)
        return rc;
    *added = sqlite3_changes(t->db) > 0;
    if (*added) {
        sqlite3_stmt *u = t->tot;
        sqlite3_bind_text(u, 1, t->day_str, 8, SQLITE_STATIC);
        sqlite3_bind_value(u, 2, sqlite3_column_value(s, 2));
        sqlite3_bind_int64(u, 3, 1);
        sqlite3_bind_int64(u, 4, ts);
        sqlite3_bind_int64(u, 5, ts);
        sqlite3_bind_value(u, 6, sqlite3_column_value(s, 8));
        sqlite3_bind_int64(u, 7, r->now_ms);
        rc = sqlite3_step(u);
        sqlite3_reset(u);
        if (rc != SQLITE_DONE)
            return rc;
    }
    if (t->in_txn >= (r->live ? SV_TXN_LIVE : SV_TXN_IDLE))
        return tg_commit(t);
    return SQLITE_OK;
}

/* Route one selected row. Returns SQLITE_OK or a target's error. */
static int sv_row(struct sv_run *r, sqlite3_stmt *s)
{
    int added = 0, rc;

    r->read++;
    if (sqlite3_column_type(s, 2) == SQLITE_NULL ||
        sqlite3_column_type(s, 3) == SQLITE_NULL) {
        r->invalid++;
        return SQLITE_OK;
    }
    int day = row_day(s);
    if (r->c->day_given && day != r->c->day) {
        r->other_day++;
        return SQLITE_OK;
    }
    struct sv_target *t = tg_get(r, day);
    if (!t)
        return SQLITE_ERROR;
    rc = r->dry_run ? row_check(t, s, &added) : row_insert(r, t, s, &added);
    if (rc != SQLITE_OK) {
        util_fmt(r->err, sizeof(r->err), "%08d.db: %s", day,
                 t->db ? sqlite3_errmsg(t->db) : sqlite3_errstr(rc));
        return rc;
    }
    if (added)
        t->inserted++;
    else
        t->ignored++;
    return SQLITE_OK;
}

/* ---- source ------------------------------------------------------------- */

static bool has_col(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st;
    bool found = false;
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM pragma_table_info('ticks') "
                           "WHERE name = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

/* SELECT rowid and the 14 columns, mapped by name, over a rowid range. */
static int sv_select(struct sv_run *r)
{
    char sql[4096];
    size_t o = 0;
    const char *mk = "substr(\"symbol\", 1, instr(\"symbol\", '.') - 1)";

    if (!has_col(r->in, "symbol") || !has_col(r->in, "ts_ms")) {
        util_fmt(r->err, sizeof(r->err),
                 "ticks has no symbol or ts_ms column to map");
        return -1;
    }
    o += (size_t)snprintf(sql, sizeof(sql), "SELECT rowid");
    for (int k = 0; k < SV_NCOLS; k++) {
        bool have = has_col(r->in, sv_cols[k]);
        if (k == 0)
            o += (size_t)snprintf(sql + o, sizeof(sql) - o,
                                  have ? ", COALESCE(\"market\", %s)" : ", %s",
                                  mk);
        else
            o += (size_t)snprintf(sql + o, sizeof(sql) - o,
                                  have ? ", \"%s\"" : ", NULL", sv_cols[k]);
    }
    snprintf(sql + o, sizeof(sql) - o,
             " FROM ticks WHERE rowid BETWEEN ?1 AND ?2 ORDER BY rowid");
    if (sqlite3_prepare_v2(r->in, sql, -1, &r->sel, NULL) != SQLITE_OK) {
        util_fmt(r->err, sizeof(r->err), "%s", sqlite3_errmsg(r->in));
        return -1;
    }
    return 0;
}

/* Run one rowid range; *last = the last rowid handled. Returns SQLITE_OK,
 * SQLITE_ABORT when a target failed, or the source's error. */
static int sv_range(struct sv_run *r, int64_t a, int64_t b, int64_t *last)
{
    int rc;
    *last = a - 1;
    sqlite3_bind_int64(r->sel, 1, a);
    sqlite3_bind_int64(r->sel, 2, b);
    while ((rc = sqlite3_step(r->sel)) == SQLITE_ROW) {
        *last = sqlite3_column_int64(r->sel, 0);
        if (sv_row(r, r->sel) != SQLITE_OK) {
            sqlite3_reset(r->sel);
            return SQLITE_ABORT;
        }
    }
    sqlite3_reset(r->sel);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Read [a, b]; a failing range is bisected, the smallest ones skipped. */
static int sv_scan_range(struct sv_run *r, int64_t a, int64_t b)
{
    int64_t last;
    int rc = sv_range(r, a, b, &last);

    progress_set(&r->pg, r->read);
    if (rc == SQLITE_OK || rc == SQLITE_ABORT)
        return rc;
    a = last + 1;
    if (a > b)
        return SQLITE_OK;
    if (b - a < SV_MIN_RANGE) {
        r->bad_ranges++;
        r->bad_rowids += b - a + 1;
        return SQLITE_OK;
    }
    int64_t mid = a + (b - a) / 2;
    rc = sv_scan_range(r, a, mid);
    return rc == SQLITE_OK ? sv_scan_range(r, mid + 1, b) : rc;
}

/* Rowid bounds of ticks; a damaged tree gives an upper bound instead. */
static void sv_bounds(struct sv_run *r, int64_t *lo, int64_t *hi)
{
    sqlite3_stmt *st;
    int64_t pages = 0;

    *lo = 1;
    *hi = 0;
    if (sqlite3_prepare_v2(r->in, "SELECT MIN(rowid), MAX(rowid) FROM ticks",
                           -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW &&
            sqlite3_column_type(st, 1) != SQLITE_NULL) {
            *lo = sqlite3_column_int64(st, 0);
            *hi = sqlite3_column_int64(st, 1);
            sqlite3_finalize(st);
            return;
        }
        sqlite3_finalize(st);
    }
    if (sqlite3_errcode(r->in) == SQLITE_OK)
        return; /* readable and empty */
    if (sqlite3_prepare_v2(r->in, "PRAGMA page_count", -1, &st, NULL) ==
        SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            pages = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    /* A 4 KiB leaf holds well under 400 rows of ticks. */
    *hi = (pages > 0 ? pages : 1) * 400;
}

static int sv_scan(struct sv_run *r)
{
    int64_t lo, hi;
    int rc = SQLITE_OK;

    sv_bounds(r, &lo, &hi);
    progress_init(&r->pg, "salvage", PROGRESS_ROWS, 0,
                  progress_wanted(r->c->json));
    for (int64_t a = lo; a <= hi && rc == SQLITE_OK; a += SV_CHUNK)
        rc = sv_scan_range(r, a, a + SV_CHUNK - 1 < hi ? a + SV_CHUNK - 1 : hi);
    progress_finish(&r->pg);
    return rc == SQLITE_OK ? 0 : -1;
}

/* ---- recovery of a damaged file ----------------------------------------- */

/* Page size of a file whose header is gone: the first candidate at which
 * page 2 starts with a b-tree page type byte. 0 when none fits. */
static int guess_page_size(int fd, off_t size)
{
    static const int sizes[] = {4096,  1024,  2048,  8192,
                                16384, 32768, 65536, 512};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned char t;
        if (size < 2 * sizes[i] || size % sizes[i] != 0)
            continue;
        if (pread(fd, &t, 1, sizes[i]) == 1 &&
            (t == 2 || t == 5 || t == 10 || t == 13))
            return sizes[i];
    }
    return 0;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Byte copy of src into dst (created 0600). Returns 0 or -1. */
static int copy_file(const char *src, const char *dst)
{
    char buf[65536];
    ssize_t n = 0;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = in >= 0 && out >= 0 ? 0 : -1;

    while (rc == 0 && (n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            rc = -1;
    if (n < 0)
        rc = -1;
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return rc;
}

/* A private copy of src with a fresh database header (bytes 0-99). */
static int sv_fix_header(struct sv_run *r, const char *dst)
{
    unsigned char h[100] = "SQLite format 3";
    struct stat st;
    int fd, ps;

    if (copy_file(r->src, dst) != 0 || (fd = open(dst, O_RDWR | O_CLOEXEC)) < 0)
        return -1;
    if (fstat(fd, &st) != 0 || (ps = guess_page_size(fd, st.st_size)) == 0) {
        close(fd);
        return -1;
    }
    h[16] = (unsigned char)(ps == 65536 ? 0 : ps >> 8);
    h[17] = (unsigned char)(ps == 65536 ? 1 : ps & 0xff);
    h[18] = h[19] = 1;
    h[21] = 64;
    h[22] = h[23] = 32;
    put32(h + 24, 1);
    put32(h + 28, (uint32_t)(st.st_size / ps));
    put32(h + 40, 1);
    put32(h + 44, 4);
    put32(h + 56, 1);
    put32(h + 60, DAYFILE_USER_VERSION);
    put32(h + 92, 1);
    put32(h + 96, (uint32_t)sqlite3_libversion_number());
    int ok = pwrite(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h);
    close(fd);
    return ok ? 0 : -1;
}

/* sqlite3 FILE .recover into TMP; 0 when TMP then has a ticks table. */
static int sv_recover(struct sv_run *r, const char *from, const char *to)
{
    char *out = NULL;
    size_t len = 0;
    int status = 0;
    char *const argv[] = {"sh",
                          "-c",
                          "sqlite3 -readonly \"$1\" .recover | sqlite3 \"$2\"",
                          "sh",
                          (char *)from,
                          (char *)to,
                          NULL};
    sqlite3 *db = NULL;
    bool ok;

    if (!ctl_have_program("sqlite3") ||
        ctl_run_capture(argv, &out, &len, &status) != 0)
        return -1;
    free(out);
    ok = dayfile_open_ro(to, DAYFILE_RO_PRIVATE, &db) == SQLITE_OK &&
         dayfile_has_table(db, "ticks");
    sqlite3_close(db);
    return ok ? 0 : -1;
}

/* ---- the run ------------------------------------------------------------ */

/* Classify FILE and open the database rows are read from. Returns CTL_OK,
 * or an exit code after printing FAIL. */
static int sv_prepare(struct sv_run *r)
{
    char fixed[PATH_MAX + 16], rec[PATH_MAX + 16], detail[512];
    int rc;

    if (dayfile_open_ro(r->src, DAYFILE_RO_PRIVATE, &r->in) != SQLITE_OK) {
        sqlite3_close(r->in);
        r->in = NULL;
        return ctl_ar_failf(r->c, CTL_RUNTIME, "source_unreadable", "%s",
                            r->src);
    }
    r->kind = dayfile_schema_check(r->in, &rc, detail, sizeof(detail));
    r->method = "direct";
    if (r->kind == DAYFILE_NO_TICKS || r->kind == DAYFILE_UNREADABLE) {
        sqlite3_close(r->in);
        r->in = NULL;
        return ctl_ar_failf(
            r->c, CTL_RUNTIME, "nothing_readable", "%s (%s)", r->src,
            r->kind == DAYFILE_NO_TICKS ? "no ticks table" : detail);
    }
    if (r->kind != DAYFILE_CORRUPT && r->kind != DAYFILE_NOTADB)
        return CTL_OK;
    if (!mkdtemp(r->tmpdir))
        return ctl_fail(r->c, CTL_RUNTIME, "tmpdir_failed", strerror(errno));
    util_fmt(fixed, sizeof(fixed), "%s/header.db", r->tmpdir);
    util_fmt(rec, sizeof(rec), "%s/recovered.db", r->tmpdir);
    const char *from = r->src;
    if (r->kind == DAYFILE_NOTADB) {
        if (sv_fix_header(r, fixed) != 0)
            return ctl_ar_failf(r->c, CTL_RUNTIME, "nothing_readable",
                                "%s (not a database; no page size fits)",
                                r->src);
        from = fixed;
    }
    if (sv_recover(r, from, rec) == 0) {
        r->method = "recover";
        util_fmt(r->read_path, sizeof(r->read_path), "%s", rec);
    } else {
        r->method = "scan";
        util_fmt(r->read_path, sizeof(r->read_path), "%s", from);
    }
    sqlite3_close(r->in);
    r->in = NULL;
    if (dayfile_open_ro(r->read_path, DAYFILE_RO_PRIVATE, &r->in) != SQLITE_OK)
        return ctl_ar_failf(r->c, CTL_RUNTIME, "source_unreadable", "%s",
                            r->read_path);
    return CTL_OK;
}

/* Commit every target and add up. Returns 0, or -1 when one failed. */
static int sv_finish(struct sv_run *r)
{
    int bad = 0;
    for (int i = 0; i < r->ntg; i++) {
        struct sv_target *t = &r->tg[i];
        if (!r->target_failed && !r->dry_run && tg_commit(t) != SQLITE_OK) {
            util_fmt(r->err, sizeof(r->err), "%s.db: %s", t->day_str,
                     sqlite3_errmsg(t->db));
            bad = -1;
        }
        r->inserted += t->inserted;
        r->ignored += t->ignored;
    }
    return bad;
}

static void sv_cleanup(struct sv_run *r)
{
    char p[PATH_MAX + 32];
    static const char *const names[] = {"header.db", "recovered.db",
                                        "recovered.db-journal"};

    for (int i = 0; i < r->ntg; i++)
        tg_close(&r->tg[i]);
    sqlite3_finalize(r->sel);
    sqlite3_close(r->in);
    if (r->tmpdir[0] && strstr(r->tmpdir, "XXXXXX") == NULL) {
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            util_fmt(p, sizeof(p), "%s/%s", r->tmpdir, names[i]);
            unlink(p);
        }
        rmdir(r->tmpdir);
    }
}

static int sv_render(struct sv_run *r, bool ok)
{
    char days[2048] = "";
    size_t o = 0;

    for (int i = 0; i < r->ntg && o < sizeof(days) - 64; i++)
        o +=
            (size_t)snprintf(days + o, sizeof(days) - o, "%s%s:%lld",
                             i ? "," : "", r->tg[i].day_str, r->tg[i].inserted);
    if (r->c->json) {
        json_t *d = json_object();
        json_object_set_new(d, "result", json_string(ok ? "OK" : "FAIL"));
        json_object_set_new(d, "source", json_string(r->src));
        json_object_set_new(d, "kind",
                            json_string(dayfile_verdict_name(r->kind)));
        json_object_set_new(d, "method", json_string(r->method));
        json_object_set_new(d, "rows_read", json_integer(r->read));
        json_object_set_new(d, "inserted", json_integer(r->inserted));
        json_object_set_new(d, "ignored", json_integer(r->ignored));
        json_object_set_new(d, "unreadable_ranges",
                            json_integer(r->bad_ranges));
        json_object_set_new(d, "unreadable_rowids",
                            json_integer(r->bad_rowids));
        json_object_set_new(d, "invalid", json_integer(r->invalid));
        json_object_set_new(d, "other_day", json_integer(r->other_day));
        json_object_set_new(d, "days", json_string(days));
        json_object_set_new(d, "collector_running", json_boolean(r->live));
        json_object_set_new(d, "dry_run", json_boolean(r->dry_run));
        if (r->err[0])
            json_object_set_new(d, "detail", json_string(r->err));
        ctl_json_out(d);
    } else {
        printf("SALVAGE %s\nsource=%s\nkind=%s\nmethod=%s\nrows_read=%lld\n"
               "inserted=%lld\nignored=%lld\nunreadable_ranges=%lld\n"
               "unreadable_rowids=%lld\ninvalid=%lld\nother_day=%lld\n"
               "days=%s\ncollector_running=%d\ndry_run=%d\n",
               ok ? "OK" : "FAIL", r->src, dayfile_verdict_name(r->kind),
               r->method, r->read, r->inserted, r->ignored, r->bad_ranges,
               r->bad_rowids, r->invalid, r->other_day, days, r->live,
               r->dry_run);
        if (r->err[0])
            printf("detail=%s\n", r->err);
    }
    return ok ? CTL_OK : CTL_RUNTIME;
}

#define SV_OFF(f) offsetof(struct sv_run, f)

static const opt_def sv_table[] = {
    {"--dry-run", NULL, OPT_FLAG, SV_OFF(dry_run), 0, 0, NULL,
     "read and count only; write nothing", NULL, false},
};

int ctl_cmd_salvage(ctl_ctx *c, int argc, char **argv)
{
    struct sv_run *r = calloc(1, sizeof(*r));
    const char *src = NULL;
    int rc;
    int day = 0;

    if (!r)
        return ctl_fail(c, CTL_RUNTIME, "out_of_memory", NULL);
    r->c = c;
    r->now_ms = hktime_now_ms();
    util_fmt(r->tmpdir, sizeof(r->tmpdir), "/tmp/hk-salvage-XXXXXX");
    rc = ctl_opts_pos(c, sv_table, 1, r, argc, argv,
                      "unknown argument %s; usage: hk-tickctl salvage FILE "
                      "[--day YYYYMMDD] [--dry-run] [--json]",
                      &src);
    if (rc == CTL_OK && !src)
        rc = ctl_usage(c, "salvage needs the set-aside FILE");
    else if (rc == CTL_OK && ctl_file_size(src) < 0)
        rc = ctl_fail(c, CTL_USAGE, "source_not_found", src);
    else if (rc == CTL_OK && dayfile_parse_name(src, &day) == 0)
        rc = ctl_ar_failf(c, CTL_USAGE, "source_is_day_file",
                          "%s (salvage reads set-aside files, "
                          "YYYYMMDD.corrupt-*.db / .foreign-*.db)",
                          src);
    if (rc == CTL_OK) {
        r->src = src;
        r->live = ctl_ar_lock_held(c->data_root) == 1;
        rc = sv_prepare(r);
    }
    if (rc == CTL_OK) {
        bool ok = sv_select(r) == 0;
        if (ok && sv_scan(r) != 0)
            r->target_failed = true;
        if (sv_finish(r) != 0)
            r->target_failed = true;
        ok = ok && !r->target_failed && r->read > 0;
        if (r->read == 0 && !r->err[0])
            util_fmt(r->err, sizeof(r->err), "nothing could be read");
        rc = sv_render(r, ok);
    }
    sv_cleanup(r);
    free(r);
    return rc;
}
