/*
 * writer_fixture.h - the writer tests' shared fixture: a temp DATA_ROOT, a
 * config with NSYM configured symbols (HK.00700..), their symtab ids
 * (marked configured, as main.c does), a queue, a spool and an optional
 * writer; rows on fixed 2024 dates (the trading-day window is widened
 * accordingly); optionally the log captured in DATA_ROOT/test.log
 * (fx_log_to_file). NSYM may be defined before the include (default 10).
 * Day files are read back through the "unix" VFS, so a test that installs
 * a fault VFS as the default still reads the truth. Included by one test
 * file each: everything is static.
 */
#ifndef HK_TESTS_WRITER_FIXTURE_H
#define HK_TESTS_WRITER_FIXTURE_H

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "collector/config.h"
#include "collector/queue.h"
#include "collector/spool.h"
#include "collector/symtab.h"
#include "collector/writer.h"
#include "common/log.h"
#include <fcntl.h>

/* 2024-03-01T00:00:00Z = 2024-03-01 08:00 HKT */
#define MAR1_UTC 1709251200000LL
#define HOUR 3600000LL
#ifndef NSYM
#define NSYM 10
#endif

struct fx {
    char dir[64];
    char log[128];
    int log_fd; /* -1 unless fx_log_to_file */
    config *cfg;
    symtab t;
    uint32_t id[NSYM];
    queue q;
    spool sp;
    writer w;
    bool w_init;
};

static inline int rm_cb(const char *p, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* Builds the fixture under /tmp/hkut-<name>-XXXXXX with a queue of qcap
 * rows. */
static inline int fx_setup_q(void **state, const char *name, size_t qcap)
{
    struct fx *f = calloc(1, sizeof(*f));
    config_load_opts o = {.quiet = true};
    char list[256];
    size_t off = 0;

    if (!f)
        return -1;
    f->log_fd = -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/hkut-%s-XXXXXX", name);
    f->cfg = calloc(1, sizeof(config));
    if (!f->cfg || !mkdtemp(f->dir))
        return -1;
    for (int i = 0; i < NSYM; i++)
        off += (size_t)snprintf(list + off, sizeof(list) - off, "%sHK.%05d",
                                i ? "," : "", 700 + i);
    unsetenv("ENV_FILE");
    setenv("FUTU_SYMBOLS", list, 1);
    setenv("DATA_ROOT", f->dir, 1);
    if (config_load(f->cfg, &o) != 0)
        return -1;
    unsetenv("FUTU_SYMBOLS");
    unsetenv("DATA_ROOT");
    /* Fixed 2024 dates: widen the trading-day window (validate.h). */
    f->cfg->accept_days_back = 36500;
    if (f->cfg->n_symbols != NSYM || symtab_init(&f->t, 64) != 0)
        return -1;
    for (int i = 0; i < NSYM; i++) {
        f->id[i] = symtab_intern(&f->t, f->cfg->symbols[i],
                                 strlen(f->cfg->symbols[i]));
        symtab_mark_configured(&f->t, f->id[i]); /* as main.c does */
    }
    if (queue_init(&f->q, qcap) != 0 || spool_init(&f->sp, f->dir) != 0)
        return -1;
    log_level_set(LOG_WARNING);
    *state = f;
    return 0;
}

static inline int fx_setup(void **state, const char *name)
{
    return fx_setup_q(state, name, 20000);
}

/* Send the log (INFO and up) to DATA_ROOT/test.log, for tests that check
 * log lines. Returns 0 or -1. */
static inline int fx_log_to_file(struct fx *f)
{
    snprintf(f->log, sizeof(f->log), "%s/test.log", f->dir);
    f->log_fd = open(f->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (f->log_fd < 0)
        return -1;
    log_set_fd(f->log_fd);
    log_level_set(LOG_INFO);
    return 0;
}

static inline void init_writer(struct fx *f)
{
    assert_int_equal(writer_init(&f->w, f->cfg, &f->t, &f->q, &f->sp), 0);
    f->w_init = true;
}

static inline int teardown(void **state)
{
    struct fx *f = *state;
    if (f->w_init) {
        writer_join(&f->w);
        writer_close_all(&f->w);
        writer_free(&f->w);
    }
    spool_free(&f->sp);
    queue_free(&f->q);
    if (f->log_fd >= 0) {
        log_set_fd(2);
        close(f->log_fd);
    }
    nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    symtab_free(&f->t);
    free(f->cfg);
    free(f);
    log_level_set(LOG_INFO);
    return 0;
}

static inline row mk(uint32_t sym, int64_t ts, int64_t seq)
{
    row r;
    memset(&r, 0, sizeof(r));
    r.sym = sym;
    r.ts_ms = ts;
    r.seq = seq;
    r.volume = 100 + seq % 7;
    r.price = 380.0 + (double)(seq % 11) * 0.2;
    r.turnover = r.price * (double)r.volume;
    r.recv_ts_ms = ts + 20;
    r.dir = (int8_t)(1 + seq % 3);
    r.tick_type = 1;
    r.flags = ROW_HAS_SEQ | ROW_HAS_TYPE;
    return r;
}

/* One integer from dir/day.db (read-only); -1 when it does not exist. */
static inline long long q_day(const struct fx *f, int day, const char *sql)
{
    char path[256];
    sqlite3 *db;
    sqlite3_stmt *st;
    long long v = -1;

    snprintf(path, sizeof(path), "%s/%08d.db", f->dir, day);
    if (access(path, F_OK) != 0)
        return -1;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, "unix"),
                     SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

#endif
