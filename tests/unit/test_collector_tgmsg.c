/*
 * test_collector_tgmsg.c - exact texts of every Telegram message
 * (collector/tgmsg.c): started, digest (with and without host metrics),
 * each alert code's raise (numbers line and command), a reminder, a
 * recovery, the exit message, durations, and truncation reporting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "collector/tgmsg.h"
#include "common/hktime.h"

#define WED 20261118

static int64_t at(int hh, int mm, int ss)
{
    int64_t ms = 0;
    assert_int_equal(hktime_day_start_ms(WED, &ms), 0);
    return ms + ((int64_t)hh * 3600 + mm * 60 + ss) * 1000;
}

static tgmsg_facts facts(void)
{
    tgmsg_facts f;
    memset(&f, 0, sizeof(f));
    f.instance = "hk1";
    f.phase = "open";
    f.data_root = "/data/sqlite/HK";
    f.now_ms = at(10, 17, 6);
    f.day = WED;
    f.connected = true;
    f.symbols = 3;
    f.queue = 12;
    f.queue_cap = 200000;
    f.spool_rows = 0;
    f.rows_per_min = 1234;
    f.reconnects = 3;
    f.busy_per_min = 4;
    f.last_commit_age_sec = 0.4;
    f.lag_sec = 0.8;
    f.uptime_sec = 3725;
    f.disk_free_pct = 42;
    f.disk_free_gb = 12.34;
    f.load1 = 0.12;
    f.rss_mb = 35.2;
    return f;
}

static void test_started_and_stopping(void **state)
{
    (void)state;
    char b[1024];
    tgmsg_facts f = facts();
    int n = tgmsg_started(&f, "0.1.0", 4242, b, sizeof(b));
    assert_int_equal(n, (int)strlen(b));
    assert_string_equal(b, "[hk1] STARTED hk-tick-collector 0.1.0\n"
                           "pid 4242, 3 symbols, phase open\n"
                           "data /data/sqlite/HK\n"
                           "run: hk-tickctl status");
    tgmsg_stopping(&f, "persistent_stall", b, sizeof(b));
    assert_string_equal(
        b, "[hk1] ALERT collector exiting: persistent_stall\n"
           "queue 12/200000, spool 0, uptime 1h02m\n"
           "run: hk-tickctl logs --ops --since \"30 minutes ago\"");
}

static void test_digest(void **state)
{
    (void)state;
    char b[1024];
    tgmsg_facts f = facts();
    tgmsg_digest(&f, "OK", b, sizeof(b));
    assert_string_equal(b, "[hk1] HEALTH OK open\n"
                           "OpenD connected, 3 symbols\n"
                           "rows/min 1234, lag 0.8s, last commit 0.4s ago\n"
                           "queue 12/200000, spool 0, uptime 1h02m\n"
                           "host load 0.12, rss 35.2 MB, disk free 42%\n"
                           "run: hk-tickctl status");
    f.connected = false;
    f.lag_sec = -1;
    f.last_commit_age_sec = -1;
    f.load1 = -1;
    f.disk_free_pct = -1;
    f.phase = "after-hours";
    tgmsg_digest(&f, "ALERT", b, sizeof(b));
    assert_string_equal(b, "[hk1] HEALTH ALERT after-hours\n"
                           "OpenD DISCONNECTED, 3 symbols\n"
                           "rows/min 1234, lag n/a, last commit n/a ago\n"
                           "queue 12/200000, spool 0, uptime 1h02m\n"
                           "run: hk-tickctl status");
}

static void test_alerts(void **state)
{
    (void)state;
    char b[1024];
    tgmsg_facts f = facts();
    int64_t since = at(10, 15, 1);
    static const char *want[TGMSG_N_CODES] = {
        "[hk1] ALERT OpenD disconnected\nsince 10:15:01 HKT (2m05s)\n"
        "reconnects 3, queue 12/200000, spool 0\n"
        "run: systemctl status futu-opend",
        "[hk1] ALERT writes stalled (WATCHDOG)\nsince 10:15:01 HKT (2m05s)\n"
        "last commit 0.4s ago, queue 12/200000, spool 0\n"
        "run: hk-tickctl logs --ops --since \"30 minutes ago\"",
        "[hk1] WARN SQLite busy (database is locked)\n"
        "since 10:15:01 HKT (2m05s)\n"
        "busy backoffs 4 in 1 min, last commit 0.4s ago\n"
        "run: fuser -v /data/sqlite/HK/20261118.db",
        "[hk1] ALERT disk nearly full\nsince 10:15:01 HKT (2m05s)\n"
        "free 42% (12.3 GB) on /data/sqlite/HK\n"
        "run: df -h /data/sqlite/HK",
        "[hk1] WARN queue overflowing to the spool\n"
        "since 10:15:01 HKT (2m05s)\nspool 0 rows, queue 12/200000\n"
        "run: du -sh /data/sqlite/HK/_spool",
        "[hk1] WARN no new trades in trading hours\n"
        "since 10:15:01 HKT (2m05s)\n"
        "last trade 0.8s ago, phase open, rows/min 1234\n"
        "run: hk-tickctl status",
    };
    for (int c = 0; c < TGMSG_N_CODES; c++) {
        assert_true(tgmsg_alert((tgmsg_code)c, 0, since, &f, b, sizeof(b)) > 0);
        assert_string_equal(b, want[c]);
    }
    tgmsg_alert(TGMSG_DISCONNECT, 2, since, &f, b, sizeof(b));
    assert_string_equal(b, "[hk1] ALERT (reminder 2) OpenD disconnected\n"
                           "since 10:15:01 HKT (2m05s)\n"
                           "reconnects 3, queue 12/200000, spool 0\n"
                           "run: systemctl status futu-opend");
    tgmsg_recovered(TGMSG_DISCONNECT, since, &f, b, sizeof(b));
    assert_string_equal(b, "[hk1] RECOVERED OpenD disconnected\n"
                           "lasted 2m05s, since 10:15:01 HKT\n"
                           "run: hk-tickctl status");
    assert_string_equal(tgmsg_code_name(TGMSG_SQLITE_BUSY), "SQLITE_BUSY");
    assert_string_equal(tgmsg_code_severity(TGMSG_DATA_LAG), "WARN");
    assert_int_equal(tgmsg_alert(TGMSG_N_CODES, 0, since, &f, b, sizeof(b)),
                     -1);
}

static void test_duration_and_truncation(void **state)
{
    (void)state;
    char b[32];
    tgmsg_facts f = facts();
    assert_string_equal(tgmsg_duration(-5, b, sizeof(b)), "0s");
    assert_string_equal(tgmsg_duration(59, b, sizeof(b)), "59s");
    assert_string_equal(tgmsg_duration(60, b, sizeof(b)), "1m00s");
    assert_string_equal(tgmsg_duration(3599, b, sizeof(b)), "59m59s");
    assert_string_equal(tgmsg_duration(7260, b, sizeof(b)), "2h01m");
    assert_int_equal(tgmsg_started(&f, "0.1.0", 1, b, sizeof(b)), -1);
    assert_int_equal(strlen(b), sizeof(b) - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_started_and_stopping),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_alerts),
        cmocka_unit_test(test_duration_and_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
