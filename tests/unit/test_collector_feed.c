/*
 * test_collector_feed.c - unit tests for collector/feed*.c with the real
 * symbol table, queue, spool and writer (not started) around one feed on
 * a libuv loop that is never connected.
 *
 * The session is forced UP and pushes are handed to the feed through the
 * client's own on_push callback, exactly as the client delivers decoded
 * Qot_UpdateTicker frames. Log lines go to a file in the test's temp dir
 * and are asserted by text.
 *
 * Coverage: a hostile upstream pushing 70,000 distinct unsolicited symbols
 * then a SIGHUP adding a symbol (issue 8 item 1: the table filled up, the
 * reload logged added=1 and the subscribe path read entry UINT32_MAX):
 * unsolicited symbols stop at FEED_UNSOLICITED_MAX entries, the rows
 * beyond are counted as symbol_not_subscribed_overflow and logged
 * (row_quarantined), the reload interns, marks configured and subscribes
 * the new symbol; a table
 * filled to the brim refuses a reload symbol truthfully (refused=1, the
 * list keeps only what has an id); the push-gap re-fetch count (rate x
 * silence x 4 within [50, 1000]) and its log line.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
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

#include "collector/config.h"
#include "collector/feed.h"
#include "collector/queue.h"
#include "collector/spool.h"
#include "collector/symtab.h"
#include "collector/writer.h"
#include "common/hktime.h"
#include "common/log.h"

struct fx {
    char dir[64];
    char logpath[128];
    int logfd;
    config *cfg;
    config *next;
    symtab t;
    queue q;
    spool sp;
    writer w;
    uv_loop_t loop;
    feed f;
};

static int rm_cb(const char *p, const struct stat *sb, int flag,
                 struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int load_cfg(config *c, const char *symbols, const char *dir)
{
    config_load_opts o = {.quiet = true};
    int rc;

    unsetenv("ENV_FILE");
    setenv("FUTU_SYMBOLS", symbols, 1);
    setenv("DATA_ROOT", dir, 1);
    rc = config_load(c, &o);
    unsetenv("FUTU_SYMBOLS");
    unsetenv("DATA_ROOT");
    return rc;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/hkut-feed-XXXXXX");
    f->cfg = calloc(1, sizeof(config));
    f->next = calloc(1, sizeof(config));
    if (!f->cfg || !f->next || !mkdtemp(f->dir))
        return -1;
    if (load_cfg(f->cfg, "HK.00700", f->dir) != 0)
        return -1;
    snprintf(f->logpath, sizeof(f->logpath), "%s/log", f->dir);
    f->logfd = open(f->logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (f->logfd < 0)
        return -1;
    log_set_fd(f->logfd);
    if (symtab_init(&f->t, FEED_SYM_MAX) != 0 ||
        queue_init(&f->q, 200000) != 0 || spool_init(&f->sp, f->dir) != 0 ||
        writer_init(&f->w, f->cfg, &f->t, &f->q, &f->sp) != 0)
        return -1;
    uv_loop_init(&f->loop);
    if (feed_init(&f->f, f->cfg, &f->loop, &f->t, &f->q, &f->sp, &f->w, NULL) !=
        0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    feed_stop(&f->f);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    feed_free(&f->f);
    uv_loop_close(&f->loop);
    writer_free(&f->w);
    spool_free(&f->sp);
    queue_free(&f->q);
    symtab_free(&f->t);
    log_set_fd(2);
    close(f->logfd);
    nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(f->cfg);
    free(f->next);
    free(f);
    return 0;
}

/* Whole log so far, NUL-terminated (static buffer, next call overwrites). */
static const char *log_text(struct fx *f)
{
    static char buf[1 << 16];
    int fd = open(f->logpath, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : 0;

    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

/* Deliver one Qot_UpdateTicker push of one tick for HK.<code>. */
static void push_one(struct fx *f, const char *code, int64_t seq)
{
    QotCommon__Security sec = QOT__COMMON__SECURITY__INIT;
    QotCommon__Ticker tk = QOT__COMMON__TICKER__INIT;
    QotCommon__Ticker *list[1] = {&tk};
    QotUpdateTicker__S2C s2c = QOT__UPDATE_TICKER__S2_C__INIT;
    QotUpdateTicker__Response r = QOT__UPDATE_TICKER__RESPONSE__INIT;
    int64_t now = hktime_now_ms();

    sec.market = 1;
    sec.code = (char *)code;
    tk.sequence = seq;
    tk.price = 1.5;
    tk.volume = 100;
    tk.turnover = 150;
    tk.has_timestamp = 1;
    tk.timestamp = (double)(now / 1000);
    s2c.security = &sec;
    s2c.n_tickerlist = 1;
    s2c.tickerlist = list;
    r.rettype = 0;
    r.s2c = &s2c;
    f->f.cl.cbs.on_push(&f->f.cl, PROTO_QOT_UPDATE_TICKER, &r.base, now,
                        f->f.cl.ud);
}

static void test_unsolicited_flood_then_reload(void **state)
{
    struct fx *f = *state;
    char code[16];
    uint32_t limit = FEED_UNSOLICITED_MAX + 1;

    f->f.sess.state = FEED_UP; /* as after a subscribe (no socket needed) */
    for (int i = 0; i < 70000; i++) {
        snprintf(code, sizeof(code), "U%06d", i);
        push_one(f, code, i + 1);
    }
    /* 1 configured + (limit - 1) unsolicited; the rest refused. */
    assert_int_equal(f->t.count, limit);
    assert_int_equal(f->f.c.unsolicited_symbols, limit - 1);
    assert_int_equal(f->f.c.dropped_symtab_full, 70000 - (limit - 1));
    assert_int_equal(f->f.c.push_rows, limit - 1);
    assert_int_equal(queue_len(&f->q), limit - 1);
    assert_int_equal(quarantine_rows(&f->w.qr, VALIDATE_SYMBOL_OVERFLOW),
                     70000 - (limit - 1));
    assert_non_null(strstr(log_text(f), "row_quarantined "
                                        "reason=symbol_not_subscribed_overflow "
                                        "symbol=HK.U004096 count=1 path=none"));
    assert_false(symtab_configured(&f->t, 1));

    /* SIGHUP adds a symbol: interned in the reserve and subscribed. */
    assert_int_equal(load_cfg(f->next, "HK.00700,HK.09999", f->dir), 0);
    feed_apply_symbols(&f->f, f->next);
    assert_int_equal(f->cfg->n_symbols, 2);
    assert_int_equal(f->f.sub.ids[1], symtab_find(&f->t, "HK.09999", 8));
    assert_true(symtab_valid(&f->t, f->f.sub.ids[1]));
    assert_true(symtab_configured(&f->t, f->f.sub.ids[1]));
    assert_non_null(strstr(log_text(f), "symbols_reloaded symbols=2 added=1 "
                                        "removed=0 refused=0"));
}

static void test_reload_into_full_table(void **state)
{
    struct fx *f = *state;
    char name[16];

    /* Fill every slot, reserve included (e.g. a lifetime of reloads). */
    for (uint32_t i = f->t.count; i < f->t.cap; i++) {
        snprintf(name, sizeof(name), "HK.F%06u", i);
        assert_int_not_equal(symtab_intern(&f->t, name, strlen(name)),
                             SYMTAB_NONE);
    }
    assert_int_equal(symtab_intern(&f->t, "HK.09999", 8), SYMTAB_NONE);
    f->f.sess.state = FEED_UP;
    assert_int_equal(load_cfg(f->next, "HK.00700,HK.09999", f->dir), 0);
    feed_apply_symbols(&f->f, f->next);
    assert_int_equal(f->cfg->n_symbols, 1);
    assert_string_equal(f->cfg->symbols[0], "HK.00700");
    assert_non_null(strstr(log_text(f), "symbol_refused symbol=HK.09999 "
                                        "reason=symbol_table_full"));
    assert_non_null(strstr(log_text(f), "symbols_reloaded symbols=1 added=0 "
                                        "removed=0 refused=1"));
    /* A push of a new symbol into the full table is refused, counted. */
    push_one(f, "77777", 1);
    assert_int_equal(f->f.c.dropped_symtab_full, 1);
    assert_int_equal(quarantine_rows(&f->w.qr, VALIDATE_SYMBOL_OVERFLOW), 1);
}

static void test_symtab_add_limits(void **state)
{
    symtab t;
    uint32_t id;
    (void)state;

    assert_int_equal(symtab_init(&t, 4), 0);
    assert_int_equal(symtab_add(&t, "HK.1", 4, 2, &id), 0);
    assert_int_equal(id, 0);
    assert_int_equal(symtab_add(&t, "HK.2", 4, 2, &id), 0);
    assert_int_equal(id, 1);
    assert_int_equal(symtab_add(&t, "HK.3", 4, 2, &id), -ENOSPC);
    assert_int_equal(id, SYMTAB_NONE);
    assert_int_equal(symtab_add(&t, "HK.2", 4, 2, &id), 0); /* existing */
    assert_int_equal(id, 1);
    assert_int_equal(symtab_add(&t, "HK.3", 4, 99, &id), 0); /* cap 4 */
    assert_int_equal(symtab_add(&t, "HK.4", 4, 99, &id), 0);
    assert_int_equal(symtab_add(&t, "HK.5", 4, 99, &id), -ENOSPC);
    assert_int_equal(symtab_add(&t, "", 0, 99, &id), -EINVAL);
    assert_int_equal(symtab_intern(&t, "HK.6", 4), SYMTAB_NONE);
    assert_true(symtab_valid(&t, 3));
    assert_false(symtab_valid(&t, 4));
    assert_false(symtab_valid(&t, SYMTAB_NONE));
    symtab_free(&t);
}

static void test_gap_fetch_num(void **state)
{
    (void)state;
    /* Unknown rate: the deepest window. */
    assert_int_equal(feed_gap_fetch_num(NAN, 12.0), FEED_GAP_FETCH_MAX);
    /* Illiquid: 0.05 ticks/s silent 30 s -> 6 -> the floor. */
    assert_int_equal(feed_gap_fetch_num(0.05, 30.0), FEED_GAP_FETCH_FLOOR);
    /* 10 ticks/s silent 12 s -> 120 missed at most -> 480 fetched. */
    assert_int_equal(feed_gap_fetch_num(10.0, 12.0), 480);
    assert_int_equal(feed_gap_fetch_num(10.1, 12.0), 485);
    /* Liquid: capped at GetTicker's maximum. */
    assert_int_equal(feed_gap_fetch_num(50.0, 12.0), FEED_GAP_FETCH_MAX);
    assert_int_equal(feed_gap_fetch_num(0.0, 1e9), FEED_GAP_FETCH_FLOOR);
}

/* Pushes at 10/s, then a 12 s silence: the re-fetch is bounded. */
static void test_push_gap_bounded(void **state)
{
    struct fx *f = *state;

    f->f.sess.state = FEED_UP;
    f->f.sub.ok[0] = true;
    f->cfg->poll_stale_sec = 10;
    for (int i = 0; i < 100; i++) {
        f->f.in.last_push_mono[f->f.sub.ids[0]] = hktime_mono_ms() - 100;
        push_one(f, "00700", i + 1);
    }
    f->f.in.last_push_mono[f->f.sub.ids[0]] = hktime_mono_ms() - 12000;
    push_one(f, "00700", 101);
    /* rate just under 10/s (the 100 ms steps are decayed) x 12 s x 4 */
    const char *l = strstr(log_text(f), "recovery_fetch symbol=HK.00700 "
                                        "reason=push_gap gap_sec=12.0 num=");
    assert_non_null(l);
    int num = atoi(strstr(l, "num=") + 4);
    assert_in_range(num, 470, 481);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unsolicited_flood_then_reload,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_into_full_table, setup,
                                        teardown),
        cmocka_unit_test(test_symtab_add_limits),
        cmocka_unit_test(test_gap_fetch_num),
        cmocka_unit_test_setup_teardown(test_push_gap_bounded, setup, teardown),
    };

    return cmocka_run_group_tests_name("collector_feed", tests, NULL, NULL);
}
