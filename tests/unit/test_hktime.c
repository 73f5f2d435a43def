/*
 * test_hktime.c - unit tests for common/hktime.c.
 *
 * Covers: every time_strings vector of opend-vectors.json (read from
 * $HK_VECTORS, else tests/data/opend-vectors.json), each accepted form of
 * hktime_parse, the rejection of malformed input, the US DST boundaries of
 * 2007-2037, trading days around HK midnight, exact formatter output, leap
 * days, calendar round trips and independence from the host TZ.
 *
 * Every string is copied into a heap buffer of exactly its length before
 * parsing, so ASan catches any read past the end pointer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/hktime.h"

#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL

/* 2024-03-01 12:00:00 HKT (04:00Z): a plain daytime "now". */
#define NOW_DAY 1709265600000LL
/* 2024-03-01T16:00:05Z = 2024-03-02 00:00:05 HKT: UTC and HK dates differ. */
#define NOW_AFTER_MIDNIGHT 1709308805000LL

static const char *vectors_path(void)
{
    const char *p = getenv("HK_VECTORS");

    return p != NULL && p[0] != '\0' ? p : "tests/data/opend-vectors.json";
}

/* hktime_parse on an exact-size heap copy (no NUL, no slack). */
static int parse_z(const char *str, enum hktime_zone zone, int64_t now,
                   int64_t *out)
{
    size_t len = strlen(str);
    char *buf;
    int rc;

    if (len == 0)
        return hktime_parse(str, 0, zone, now, out);
    buf = malloc(len);
    assert_non_null(buf);
    memcpy(buf, str, len);
    rc = hktime_parse(buf, len, zone, now, out);
    free(buf);
    return rc;
}

static int64_t parse_ok(const char *str, enum hktime_zone zone, int64_t now)
{
    int64_t out = -42;
    int rc = parse_z(str, zone, now, &out);

    if (rc != 0)
        print_error("parse of \"%s\" failed: %d\n", str, rc);
    assert_int_equal(rc, 0);
    return out;
}

static int64_t hk(const char *str)
{
    return parse_ok(str, HKTIME_ZONE_HK, NOW_DAY);
}

static void assert_rejected(const char *str, enum hktime_zone zone)
{
    int64_t out = 12345;
    int rc = parse_z(str, zone, NOW_DAY, &out);

    if (rc != HKTIME_E_PARSE)
        print_error("\"%s\" was accepted as %lld\n", str, (long long)out);
    assert_int_equal(rc, HKTIME_E_PARSE);
    assert_int_equal(out, 12345); /* out untouched on failure */
}

/* ---- vectors ------------------------------------------------------------ */

static void check_vectors(void)
{
    json_error_t err;
    json_t *root = json_load_file(vectors_path(), 0, &err);
    json_t *vecs;
    size_t i;
    json_t *v;
    size_t n_hk = 0;
    size_t n_us = 0;

    if (root == NULL)
        print_error("cannot load %s: %s\n", vectors_path(), err.text);
    assert_non_null(root);
    vecs = json_object_get(json_object_get(root, "time_strings"), "vectors");
    assert_true(json_is_array(vecs));
    json_array_foreach(vecs, i, v)
    {
        const char *market = json_string_value(json_object_get(v, "market"));
        const char *ts = json_string_value(json_object_get(v, "time_string"));
        const char *iso = json_string_value(json_object_get(v, "utc_iso"));
        json_t *ems = json_object_get(v, "epoch_ms");
        enum hktime_zone zone;
        int64_t want;
        char buf[30];

        assert_non_null(market);
        assert_non_null(ts);
        assert_non_null(iso);
        assert_true(json_is_integer(ems));
        want = (int64_t)json_integer_value(ems);
        if (strcmp(market, "US") == 0) {
            zone = HKTIME_ZONE_US;
            n_us++;
        } else {
            assert_true(strcmp(market, "HK") == 0 ||
                        strcmp(market, "SH") == 0 || strcmp(market, "SZ") == 0);
            zone = HKTIME_ZONE_HK;
            n_hk++;
        }
        assert_int_equal(parse_ok(ts, zone, NOW_DAY), want);
        /* The "...Z" form overrides either zone. */
        assert_int_equal(parse_ok(iso, HKTIME_ZONE_HK, NOW_DAY), want);
        assert_int_equal(parse_ok(iso, HKTIME_ZONE_US, NOW_DAY), want);
        /* Our ISO formatter matches the vector up to the zone suffix. */
        hktime_format_utc_iso(want, buf);
        assert_int_equal(strncmp(buf, iso, 23), 0);
        assert_string_equal(buf + 23, "+00:00");
    }
    assert_true(n_hk >= 3);
    assert_true(n_us >= 3);
    json_decref(root);
}

static void test_vectors(void **state)
{
    (void)state;
    check_vectors();
}

/* ---- accepted forms ----------------------------------------------------- */

static void test_fraction(void **state)
{
    const int64_t base = 1709258400000LL; /* 2024-03-01 10:00:00 HKT */

    (void)state;
    assert_int_equal(hk("2024-03-01 10:00:00"), base);
    assert_int_equal(hk("2024-03-01 10:00:00.1"), base + 100);
    assert_int_equal(hk("2024-03-01 10:00:00.12"), base + 120);
    assert_int_equal(hk("2024-03-01 10:00:00.123"), base + 123);
    assert_int_equal(hk("2024-03-01 10:00:00.1239"), base + 123);
    assert_int_equal(hk("2024-03-01 10:00:00.12399"), base + 123);
    assert_int_equal(hk("2024-03-01 10:00:00.999999"), base + 999);
    assert_int_equal(hk("2024-03-01 10:00:00.000001"), base);
    assert_int_equal(hk("2024-03-01 10:00:00.05"), base + 50);
    /* ':' before the fraction (Δ ":fff"). */
    assert_int_equal(hk("2024-03-01 10:00:00:123"), base + 123);
    assert_int_equal(hk("2024-03-01 10:00:00:5"), base + 500);
    /* Documented choice: 7+ fraction digits are rejected. */
    assert_rejected("2024-03-01 10:00:00.1234567", HKTIME_ZONE_HK);
    /* A separator needs at least one digit. */
    assert_rejected("2024-03-01 10:00:00.", HKTIME_ZONE_HK);
    assert_rejected("2024-03-01 10:00:00:", HKTIME_ZONE_HK);
}

static void test_separators(void **state)
{
    const int64_t base = 1709258400123LL;

    (void)state;
    assert_int_equal(hk("2024/03/01 10:00:00.123"), base);
    assert_int_equal(hk("2024-03-01T10:00:00.123"), base);
    assert_int_equal(hk("2024/03/01T10:00:00.123"), base);
    assert_rejected("2024-03/01 10:00:00", HKTIME_ZONE_HK);
    assert_rejected("2024/03-01 10:00:00", HKTIME_ZONE_HK);
    assert_rejected("2024.03.01 10:00:00", HKTIME_ZONE_HK);
    assert_rejected("2024-03-01t10:00:00", HKTIME_ZONE_HK);
    assert_rejected("2024-03-01  10:00:00", HKTIME_ZONE_HK);
    assert_rejected("2024-03-0110:00:00", HKTIME_ZONE_HK);
    assert_rejected("2024-3-01 10:00:00", HKTIME_ZONE_HK);
    assert_rejected("2024-03-01 10:0:00", HKTIME_ZONE_HK);
    assert_rejected("2024-03-01 10-00-00", HKTIME_ZONE_HK);
}

static void test_offsets(void **state)
{
    const int64_t base = 1709258400123LL; /* 02:00:00.123Z */

    (void)state;
    assert_int_equal(hk("2024-03-01T02:00:00.123Z"), base);
    assert_int_equal(hk("2024-03-01 02:00:00.123Z"), base);
    assert_int_equal(hk("2024-03-01T10:00:00.123+08:00"), base);
    assert_int_equal(hk("2024-03-01T10:00:00.123+0800"), base);
    assert_int_equal(hk("2024-03-01T21:00:00.123-05:00"), base + DAY_MS);
    assert_int_equal(hk("2024-02-29T21:00:00.123-05:00"), base);
    assert_int_equal(hk("2024-02-29T21:00:00.123-0500"), base);
    assert_int_equal(hk("2024-03-01T07:30:00.123+05:30"), base);
    assert_int_equal(hk("2024-03-01T02:00:00.123+00:00"), base);
    assert_int_equal(hk("2024-03-01T02:00:00.123-00:00"), base);
    assert_int_equal(hk("2024-03-01 10:00:00:123+08:00"), base);
    /* An explicit offset overrides the US zone too (even in EDT season). */
    assert_int_equal(
        parse_ok("2024-03-01T10:00:00.123+08:00", HKTIME_ZONE_US, NOW_DAY),
        base);
    assert_int_equal(
        parse_ok("2024-07-01T10:00:00-05:00", HKTIME_ZONE_US, NOW_DAY),
        1719846000000LL);
    assert_rejected("2024-03-01T10:00:00z", HKTIME_ZONE_HK);
    assert_rejected("2024-03-01T10:00:00+8", HKTIME_ZONE_HK);
    assert_rejected("2024-03-01T10:00:00+08", HKTIME_ZONE_HK);
    assert_rejected("2024-03-01T10:00:00+08:", HKTIME_ZONE_HK);
    assert_rejected("2024-03-01T10:00:00+08:0", HKTIME_ZONE_HK);
    assert_rejected("2024-03-01T10:00:00+08:000", HKTIME_ZONE_HK);
    assert_rejected("2024-03-01T10:00:00+24:00", HKTIME_ZONE_HK);
    assert_rejected("2024-03-01T10:00:00+08:60", HKTIME_ZONE_HK);
    assert_rejected("2024-03-01T10:00:00 +08:00", HKTIME_ZONE_HK);
    assert_rejected("2024-03-01T10:00:00ZZ", HKTIME_ZONE_HK);
    assert_rejected("2024-03-01T10:00:00Z+08:00", HKTIME_ZONE_HK);
}

static void test_compact(void **state)
{
    (void)state;
    assert_int_equal(hk("20240301100000"), 1709258400000LL);
    assert_int_equal(hk("20230719155958"), 1689753598000LL);
    assert_int_equal(hk("20240301100000.123"), 1709258400123LL);
    assert_int_equal(hk("20240301020000Z"), 1709258400000LL);
    assert_int_equal(parse_ok("20240301093000", HKTIME_ZONE_US, NOW_DAY),
                     1709303400000LL);
    /* 14 digits are never an epoch value, so bad dates are errors. */
    assert_rejected("20241301000000", HKTIME_ZONE_HK);
    assert_rejected("20240230000000", HKTIME_ZONE_HK);
    assert_rejected("20240301240000", HKTIME_ZONE_HK);
    /* 13 digits are not the compact form: that is epoch ms (year 2034). */
    assert_int_equal(hk("2024030110000"), 2024030110000LL);
    assert_rejected("20240301100000x", HKTIME_ZONE_HK);
}

static void test_time_only(void **state)
{
    (void)state;
    /* Daytime now: 2024-03-01 HKT. */
    assert_int_equal(parse_ok("093000", HKTIME_ZONE_HK, NOW_DAY),
                     1709256600000LL);
    assert_int_equal(parse_ok("09:30:00", HKTIME_ZONE_HK, NOW_DAY),
                     1709256600000LL);
    assert_int_equal(parse_ok("10:00:00.123", HKTIME_ZONE_HK, NOW_DAY),
                     1709258400123LL);
    assert_int_equal(parse_ok("10:00:00:123", HKTIME_ZONE_HK, NOW_DAY),
                     1709258400123LL);
    assert_int_equal(parse_ok("00:00:00", HKTIME_ZONE_HK, NOW_DAY),
                     1709222400000LL);
    assert_int_equal(parse_ok("235959", HKTIME_ZONE_HK, NOW_DAY),
                     1709308799000LL);

    /* Just after HK midnight the UTC date is still 2024-03-01, but the HK
     * date is 2024-03-02 and that is the date used. */
    assert_int_equal(parse_ok("093000", HKTIME_ZONE_HK, NOW_AFTER_MIDNIGHT),
                     1709343000000LL);
    assert_int_equal(parse_ok("09:30:00.5", HKTIME_ZONE_HK, NOW_AFTER_MIDNIGHT),
                     1709343000500LL);
    assert_int_equal(parse_ok("000001", HKTIME_ZONE_HK, NOW_AFTER_MIDNIGHT),
                     NOW_AFTER_MIDNIGHT - 4000);
    /* One ms before HK midnight: still 2024-03-01. */
    assert_int_equal(parse_ok("093000", HKTIME_ZONE_HK, 1709308799999LL),
                     1709256600000LL);

    /* US: 2024-03-02T03:00Z is 2024-03-01 22:00 EST in New York. */
    assert_int_equal(parse_ok("09:30:00.000", HKTIME_ZONE_US, 1709348400000LL),
                     1709303400000LL);
    assert_int_equal(parse_ok("093000", HKTIME_ZONE_US, 1709348400000LL),
                     1709303400000LL);
    /* Summer (EDT) day, 2024-07-01 12:00Z = 08:00 EDT. */
    assert_int_equal(parse_ok("09:30:00", HKTIME_ZONE_US, 1719835200000LL),
                     1719840600000LL);

    assert_rejected("10:00:00Z", HKTIME_ZONE_HK);
    assert_rejected("10:00:00+08:00", HKTIME_ZONE_HK);
    assert_rejected("10:00", HKTIME_ZONE_HK);
    assert_rejected("1:00:00", HKTIME_ZONE_HK);
    assert_rejected("10:00:00.", HKTIME_ZONE_HK);
    assert_rejected("10:00:00.1234567", HKTIME_ZONE_HK);
    assert_rejected("240000", HKTIME_ZONE_HK);
    assert_rejected("096000", HKTIME_ZONE_HK);
    assert_rejected("093060", HKTIME_ZONE_HK);
    assert_rejected("24:00:00", HKTIME_ZONE_HK);
    assert_rejected("093000.5", HKTIME_ZONE_HK);
    assert_rejected("10:00:00 ", HKTIME_ZONE_HK);
}

static void test_epoch_integers(void **state)
{
    (void)state;
    assert_int_equal(hk("1709258400123"), 1709258400123LL);
    assert_int_equal(hk("1709258400"), 1709258400000LL);
    assert_int_equal(hk("1000000001"), 1000000001000LL);
    assert_int_equal(hk("1000000000001"), 1000000000001LL);
    /* Exactly 10^12 is not > 10^12, so it is seconds. */
    assert_int_equal(hk("1000000000000"), 1000000000000000LL);
    assert_int_equal(hk("999999999999"), 999999999999000LL);
    assert_int_equal(hk("000001709258400"), 1709258400000LL);
    assert_int_equal(hk("999999999999999999"), 999999999999999999LL);
    assert_int_equal(parse_ok("1709258400123", HKTIME_ZONE_US, NOW_DAY),
                     1709258400123LL);
    assert_rejected("1000000000", HKTIME_ZONE_HK);
    assert_rejected("12345", HKTIME_ZONE_HK);
    assert_rejected("0", HKTIME_ZONE_HK);
    assert_rejected("1234567890123456789", HKTIME_ZONE_HK);
    assert_rejected("99999999999999999999999", HKTIME_ZONE_HK);
    assert_rejected("-1709258400", HKTIME_ZONE_HK);
    assert_rejected("+1709258400", HKTIME_ZONE_HK);
    assert_rejected("1709258400.5", HKTIME_ZONE_HK);
    assert_rejected(" 1709258400", HKTIME_ZONE_HK);
    assert_rejected("1709258400 ", HKTIME_ZONE_HK);
}

/* ---- rejection ---------------------------------------------------------- */

static void test_reject_garbage(void **state)
{
    static const char *const bad[] = {
        "",
        "x",
        "2024-13-01 00:00:00",
        "2024-00-01 00:00:00",
        "2024-02-30 00:00:00",
        "2023-02-29 00:00:00",
        "1900-02-29 00:00:00",
        "2024-04-31 00:00:00",
        "2024-03-00 00:00:00",
        "2024-03-32 00:00:00",
        "2024-03-01 10:00:00x",
        "2024-03-01 25:00:00",
        "2024-03-01 24:00:00",
        "2024-03-01 10:60:00",
        "2024-03-01 10:00:60",
        "2024-03-01 10:00:61",
        "2024-03-01",
        "2024-03-01 ",
        "2024-03-01 10:00",
        "2024-03-01 10:00:0",
        " 2024-03-01 10:00:00",
        "2024-03-01 10:00:00 ",
        "2024-03-01 10:00:00\n",
        "24-03-01 10:00:00",
        "02024-03-01 10:00:00",
        "2024-03-01 10:00:00.12a",
        "2024-03-01 10:00:00..1",
        "abcd-ef-gh ij:kl:mn",
        "2024-0a-01 10:00:00",
        "now",
        ":",
        "-",
        "Z",
    };
    int64_t out = 7;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_rejected(bad[i], HKTIME_ZONE_HK);
        assert_rejected(bad[i], HKTIME_ZONE_US);
    }
    /* NULL arguments and an unknown zone. */
    assert_int_equal(hktime_parse(NULL, 5, HKTIME_ZONE_HK, 0, &out),
                     HKTIME_E_PARSE);
    assert_int_equal(hktime_parse("1709258400", 10, HKTIME_ZONE_HK, 0, NULL),
                     HKTIME_E_PARSE);
    assert_int_equal(
        hktime_parse("1709258400", 10, (enum hktime_zone)7, 0, &out),
        HKTIME_E_PARSE);
    /* now_ms too extreme to shift: time-only forms fail cleanly. */
    assert_int_equal(hktime_parse("100000", 6, HKTIME_ZONE_HK, INT64_MAX, &out),
                     HKTIME_E_PARSE);
    assert_int_equal(hktime_parse("100000", 6, HKTIME_ZONE_US, INT64_MIN, &out),
                     HKTIME_E_PARSE);
    assert_int_equal(out, 7);
}

/* len bounds the parse: bytes after it are never looked at. */
static void test_length_bound(void **state)
{
    const char *s = "2024-03-01T10:00:00.123456+08:00";
    size_t full = strlen(s);
    int64_t out;

    (void)state;
    assert_int_equal(
        hktime_parse("2024-03-01 10:00:00.123xyz", 23, HKTIME_ZONE_HK, 0, &out),
        0);
    assert_int_equal(out, 1709258400123LL);
    assert_int_equal(
        hktime_parse("1709258400123456", 13, HKTIME_ZONE_HK, 0, &out), 0);
    assert_int_equal(out, 1709258400123LL);
    /* Every prefix, each in an exact-size buffer: only whole forms parse. */
    for (size_t n = 0; n <= full; n++) {
        char *buf = malloc(n + 1);
        int want_ok = n == 19 || (n >= 21 && n <= 26) || n == full;
        int rc;

        assert_non_null(buf);
        memcpy(buf, s, n);
        rc = hktime_parse(n == 0 ? s : buf, n, HKTIME_ZONE_HK, NOW_DAY, &out);
        free(buf);
        if ((rc == 0) != want_ok)
            print_error("prefix length %zu: rc %d\n", n, rc);
        assert_int_equal(rc == 0, want_ok);
    }
}

/* ---- US DST ------------------------------------------------------------- */

/* Second Sunday of March and first Sunday of November (from zoneinfo). */
struct dst_row {
    int year, mar, nov;
};

static const struct dst_row dst_days[] = {
    {2007, 11, 4}, {2008, 9, 2},  {2009, 8, 1},  {2010, 14, 7}, {2011, 13, 6},
    {2012, 11, 4}, {2013, 10, 3}, {2014, 9, 2},  {2015, 8, 1},  {2016, 13, 6},
    {2017, 12, 5}, {2018, 11, 4}, {2019, 10, 3}, {2020, 8, 1},  {2021, 14, 7},
    {2022, 13, 6}, {2023, 12, 5}, {2024, 10, 3}, {2025, 9, 2},  {2026, 8, 1},
    {2027, 14, 7}, {2028, 12, 5}, {2029, 11, 4}, {2030, 10, 3}, {2031, 9, 2},
    {2032, 14, 7}, {2033, 13, 6}, {2034, 12, 5}, {2035, 11, 4}, {2036, 9, 2},
    {2037, 8, 1},
};

static int64_t us(const char *str)
{
    return parse_ok(str, HKTIME_ZONE_US, NOW_DAY);
}

static void test_us_dst(void **state)
{
    (void)state;
    /* Values checked against Python zoneinfo (fold=0). */
    assert_int_equal(us("2024-03-10 01:59:59"), 1710053999000LL);
    assert_int_equal(us("2024-03-10 02:30:00"), 1710055800000LL); /* gap */
    assert_int_equal(us("2024-03-10 03:00:00"), 1710054000000LL);
    assert_int_equal(us("2024-11-03 00:59:59"), 1730609999000LL);
    assert_int_equal(us("2024-11-03 01:30:00"), 1730611800000LL); /* twice */
    assert_int_equal(us("2024-11-03 02:00:00"), 1730617200000LL);
    assert_int_equal(us("2025-03-08 12:00:00"), 1741453200000LL);
    assert_int_equal(us("2025-03-09 03:00:00"), 1741503600000LL);
    assert_int_equal(us("2024-07-04 12:00:00"), 1720108800000LL);
    assert_int_equal(us("2024-12-31 23:59:59"), 1735707599000LL);

    for (size_t i = 0; i < sizeof(dst_days) / sizeof(dst_days[0]); i++) {
        char s[32];
        int64_t mar =
            hktime_days_from_civil(dst_days[i].year, 3, dst_days[i].mar) *
            DAY_MS;
        int64_t nov =
            hktime_days_from_civil(dst_days[i].year, 11, dst_days[i].nov) *
            DAY_MS;

        snprintf(s, sizeof(s), "%04d-03-%02d 01:59:59.999", dst_days[i].year,
                 dst_days[i].mar);
        assert_int_equal(us(s), mar + 6 * HOUR_MS + 3599999);
        snprintf(s, sizeof(s), "%04d-03-%02d 03:00:00", dst_days[i].year,
                 dst_days[i].mar);
        assert_int_equal(us(s), mar + 7 * HOUR_MS);
        snprintf(s, sizeof(s), "%04d-03-%02d 12:00:00", dst_days[i].year,
                 dst_days[i].mar - 1);
        assert_int_equal(us(s), mar - DAY_MS + 17 * HOUR_MS);
        snprintf(s, sizeof(s), "%04d-11-%02d 01:59:59.999", dst_days[i].year,
                 dst_days[i].nov);
        assert_int_equal(us(s), nov + 5 * HOUR_MS + 3599999);
        snprintf(s, sizeof(s), "%04d-11-%02d 02:00:00", dst_days[i].year,
                 dst_days[i].nov);
        assert_int_equal(us(s), nov + 7 * HOUR_MS);
        /* Time-only forms pick the New York date at both edges. */
        assert_int_equal(
            parse_ok("12:00:00", HKTIME_ZONE_US, mar + 7 * HOUR_MS),
            mar + 16 * HOUR_MS);
        assert_int_equal(
            parse_ok("12:00:00", HKTIME_ZONE_US, mar + 7 * HOUR_MS - 1),
            mar + 16 * HOUR_MS);
        assert_int_equal(
            parse_ok("00:30:00", HKTIME_ZONE_US, nov + 4 * HOUR_MS),
            nov + 4 * HOUR_MS + 1800000);
        assert_int_equal(
            parse_ok("00:30:00", HKTIME_ZONE_US, nov + 4 * HOUR_MS - 1),
            nov - DAY_MS + 4 * HOUR_MS + 1800000);
    }
}

/* ---- trading day, calendar, formatting ---------------------------------- */

static void test_trading_day(void **state)
{
    char buf[9];

    (void)state;
    assert_int_equal(hktime_trading_day(hk("2024-03-01T15:59:59.999Z")),
                     20240301);
    assert_int_equal(hktime_trading_day(hk("2024-03-01T16:00:00.000Z")),
                     20240302);
    assert_int_equal(hktime_trading_day(1709308799999LL), 20240301);
    assert_int_equal(hktime_trading_day(1709308800000LL), 20240302);
    hktime_trading_day_str(1709308799999LL, buf);
    assert_string_equal(buf, "20240301");
    hktime_trading_day_str(1709308800000LL, buf);
    assert_string_equal(buf, "20240302");
    hktime_trading_day_str(1735660800000LL, buf); /* 2025-01-01 00:00 HKT */
    assert_string_equal(buf, "20250101");
    hktime_trading_day_str(1735660799999LL, buf);
    assert_string_equal(buf, "20241231");

    /* Negative instants use floor division. */
    assert_int_equal(hktime_trading_day(0), 19700101);
    assert_int_equal(hktime_trading_day(-1), 19700101);
    assert_int_equal(hktime_trading_day(-8 * HOUR_MS), 19700101);
    assert_int_equal(hktime_trading_day(-8 * HOUR_MS - 1), 19691231);
    assert_int_equal(hktime_trading_day(-DAY_MS - 8 * HOUR_MS), 19691231);
    assert_int_equal(hktime_trading_day(-DAY_MS - 8 * HOUR_MS - 1), 19691230);
    /* Extremes saturate and must not overflow (checked by UBSan). */
    assert_int_equal(hktime_trading_day(INT64_MAX), 99991231);
    assert_int_equal(hktime_trading_day(INT64_MIN), 101);
    hktime_trading_day_str(INT64_MAX, buf);
    assert_string_equal(buf, "99991231");
    hktime_trading_day_str(INT64_MIN, buf);
    assert_string_equal(buf, "00000101");
}

static void test_day_helpers(void **state)
{
    int64_t ms = 0;
    int day = 0;

    (void)state;
    assert_int_equal(hktime_day_start_ms(20240302, &ms), 0);
    assert_int_equal(ms, 1709308800000LL);
    assert_int_equal(hktime_day_start_ms(19700101, &ms), 0);
    assert_int_equal(ms, -8 * HOUR_MS);
    assert_int_equal(hktime_day_start_ms(20240229, &ms), 0);
    assert_int_equal(hktime_trading_day(ms), 20240229);
    assert_int_equal(hktime_trading_day(ms - 1), 20240228);
    ms = 5;
    assert_int_equal(hktime_day_start_ms(20230229, &ms), HKTIME_E_PARSE);
    assert_int_equal(hktime_day_start_ms(20241301, &ms), HKTIME_E_PARSE);
    assert_int_equal(hktime_day_start_ms(-20240101, &ms), HKTIME_E_PARSE);
    assert_int_equal(hktime_day_start_ms(2024030, &ms), HKTIME_E_PARSE);
    assert_int_equal(ms, 5);

    assert_int_equal(hktime_parse_day("2026-01-01", 10, &day), 0);
    assert_int_equal(day, 20260101);
    assert_int_equal(hktime_parse_day("20260217", 8, &day), 0);
    assert_int_equal(day, 20260217);
    assert_int_equal(hktime_parse_day("2024/02/29", 10, &day), 0);
    assert_int_equal(day, 20240229);
    assert_int_equal(hktime_parse_day("2026-02-17,Lunar", 10, &day), 0);
    assert_int_equal(day, 20260217);
    day = 1;
    assert_int_equal(hktime_parse_day("2023-02-29", 10, &day), HKTIME_E_PARSE);
    assert_int_equal(hktime_parse_day("2026-01/01", 10, &day), HKTIME_E_PARSE);
    assert_int_equal(hktime_parse_day("2026-0101", 9, &day), HKTIME_E_PARSE);
    assert_int_equal(hktime_parse_day("202601011", 9, &day), HKTIME_E_PARSE);
    assert_int_equal(hktime_parse_day("2026010", 7, &day), HKTIME_E_PARSE);
    assert_int_equal(hktime_parse_day("", 0, &day), HKTIME_E_PARSE);
    assert_int_equal(hktime_parse_day("2026-01-01 ", 11, &day), HKTIME_E_PARSE);
    assert_int_equal(day, 1);

    /* 2024-03-01 was a Friday; 2024-03-02 00:00:05 HKT a Saturday. */
    assert_int_equal(hktime_hk_weekday(NOW_DAY), 5);
    assert_int_equal(hktime_hk_weekday(NOW_AFTER_MIDNIGHT), 6);
    assert_int_equal(hktime_hk_weekday(NOW_AFTER_MIDNIGHT + DAY_MS), 0);
    assert_int_equal(hktime_hk_weekday(0), 4); /* Thursday */
    assert_int_equal(hktime_hk_weekday(-8 * HOUR_MS - 1), 3);
    assert_int_equal(hktime_hk_ms_of_day(NOW_DAY), 12 * HOUR_MS);
    assert_int_equal(hktime_hk_ms_of_day(NOW_AFTER_MIDNIGHT), 5000);
    assert_int_equal(hktime_hk_ms_of_day(-8 * HOUR_MS - 1), DAY_MS - 1);
    assert_int_equal(hktime_hk_ms_of_day(0), 8 * HOUR_MS);
}

static void test_format(void **state)
{
    char a[24];
    char b[20];
    char c[30];

    (void)state;
    hktime_format_hk_ms(1709258400123LL, a);
    assert_string_equal(a, "2024-03-01 10:00:00.123");
    hktime_format_hk(1709258400123LL, b);
    assert_string_equal(b, "2024-03-01 10:00:00");
    hktime_format_utc_iso(1709258400123LL, c);
    assert_string_equal(c, "2024-03-01T02:00:00.123+00:00");

    hktime_format_hk_ms(1709308799999LL, a);
    assert_string_equal(a, "2024-03-01 23:59:59.999");
    hktime_format_hk_ms(1709308800000LL, a);
    assert_string_equal(a, "2024-03-02 00:00:00.000");
    hktime_format_utc_iso(1709308800000LL, c);
    assert_string_equal(c, "2024-03-01T16:00:00.000+00:00");
    hktime_format_hk_ms(1689753598007LL, a);
    assert_string_equal(a, "2023-07-19 15:59:58.007");

    hktime_format_hk_ms(0, a);
    assert_string_equal(a, "1970-01-01 08:00:00.000");
    hktime_format_hk_ms(-1, a);
    assert_string_equal(a, "1970-01-01 07:59:59.999");
    hktime_format_utc_iso(-1, c);
    assert_string_equal(c, "1969-12-31T23:59:59.999+00:00");
    hktime_format_hk(-8 * HOUR_MS - 1000, b);
    assert_string_equal(b, "1969-12-31 23:59:59");
    hktime_format_utc_iso(253402300799999LL, c);
    assert_string_equal(c, "9999-12-31T23:59:59.999+00:00");

    /* Round trip: formatted HK text parses back to the same instant. */
    for (int64_t t = -3 * DAY_MS; t < 3000 * DAY_MS; t += 7777777LL) {
        assert_int_equal(
            parse_ok((hktime_format_hk_ms(t, a), a), HKTIME_ZONE_HK, NOW_DAY),
            t);
        hktime_format_utc_iso(t, c);
        assert_int_equal(parse_ok(c, HKTIME_ZONE_US, NOW_DAY), t);
    }

    /* Out-of-range instants saturate at the printable range. */
    memset(a, 'x', sizeof(a));
    hktime_format_hk_ms(INT64_MAX, a);
    assert_string_equal(a, "9999-12-31 23:59:59.999");
    memset(b, 'x', sizeof(b));
    hktime_format_hk(INT64_MIN, b);
    assert_string_equal(b, "0000-01-01 00:00:00");
    memset(c, 'x', sizeof(c));
    hktime_format_utc_iso(INT64_MIN, c);
    assert_string_equal(c, "0000-01-01T00:00:00.000+00:00");
    hktime_format_utc_iso(-62167219200000LL, c);
    assert_string_equal(c, "0000-01-01T00:00:00.000+00:00");
    hktime_format_utc_iso(-62167219200000LL + 1, c);
    assert_string_equal(c, "0000-01-01T00:00:00.001+00:00");
}

static void test_leap_day(void **state)
{
    char a[24];

    (void)state;
    assert_int_equal(hk("2024-02-29 12:34:56.789"), 1709181296789LL);
    assert_int_equal(hk("2024/02/29 12:34:56.789"), 1709181296789LL);
    assert_int_equal(hk("20240229123456.789"), 1709181296789LL);
    assert_int_equal(hk("2024-02-29T04:34:56.789Z"), 1709181296789LL);
    assert_int_equal(hktime_trading_day(1709181296789LL), 20240229);
    hktime_format_hk_ms(1709181296789LL, a);
    assert_string_equal(a, "2024-02-29 12:34:56.789");
    assert_int_equal(hk("2024-03-01 00:00:00") - hk("2024-02-29 00:00:00"),
                     DAY_MS);
    assert_int_equal(hk("2000-02-29 00:00:00"), 951753600000LL);
    assert_rejected("2023-02-29 00:00:00", HKTIME_ZONE_HK);
    assert_rejected("2100-02-29 00:00:00", HKTIME_ZONE_HK);
    assert_rejected("20230229000000", HKTIME_ZONE_HK);
}

static void test_civil(void **state)
{
    int y;
    int m;
    int d;

    (void)state;
    assert_int_equal(hktime_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(hktime_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(hktime_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(hktime_days_from_civil(2024, 2, 29), 19782);
    assert_int_equal(hktime_days_from_civil(0, 3, 1), -719468);
    assert_int_equal(hktime_days_from_civil(9999, 12, 31), 2932896);
    hktime_civil_from_days(-719468, &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 301);
    hktime_civil_from_days(19782, &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20240229);

    /* Round trip and continuity over years -400 .. 4400. */
    {
        int py = -401;
        int pm = 12;
        int pd = 31;

        for (int64_t n = hktime_days_from_civil(-400, 1, 1);
             n <= hktime_days_from_civil(4400, 12, 31); n++) {
            hktime_civil_from_days(n, &y, &m, &d);
            assert_int_equal(hktime_days_from_civil(y, m, d), n);
            if (d == 1) {
                assert_true((m == 1 && py == y - 1 && pm == 12) ||
                            (py == y && pm == m - 1));
            } else {
                assert_true(py == y && pm == m && pd == d - 1);
            }
            py = y;
            pm = m;
            pd = d;
        }
    }
}

/* ---- host zone independence --------------------------------------------- */

static void check_all_zone_free(void)
{
    char a[24];
    char c[30];

    check_vectors();
    assert_int_equal(hk("2024-03-01 10:00:00.123"), 1709258400123LL);
    assert_int_equal(us("2024-03-10 03:00:00"), 1710054000000LL);
    assert_int_equal(parse_ok("093000", HKTIME_ZONE_HK, NOW_AFTER_MIDNIGHT),
                     1709343000000LL);
    assert_int_equal(hktime_trading_day(1709308799999LL), 20240301);
    assert_int_equal(hktime_trading_day(1709308800000LL), 20240302);
    assert_int_equal(hktime_hk_weekday(NOW_DAY), 5);
    hktime_format_hk_ms(1709258400123LL, a);
    assert_string_equal(a, "2024-03-01 10:00:00.123");
    hktime_format_utc_iso(1709258400123LL, c);
    assert_string_equal(c, "2024-03-01T02:00:00.123+00:00");
}

static void test_tz_independent(void **state)
{
    static const char *const zones[] = {
        "America/Los_Angeles", "Asia/Hong_Kong",     "UTC",
        "Australia/Lord_Howe", "Pacific/Kiritimati", "EST5EDT",
    };
    const char *old = getenv("TZ");
    char *saved = old != NULL ? strdup(old) : NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
        assert_int_equal(setenv("TZ", zones[i], 1), 0);
        tzset();
        check_all_zone_free();
    }
    if (saved != NULL) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

static void test_clocks(void **state)
{
    int64_t now = hktime_now_ms();
    int64_t m1 = hktime_mono_ms();
    int64_t m2 = hktime_mono_ms();
    struct timespec ts;

    (void)state;
    assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
    assert_true(now > 1577836800000LL); /* after 2020-01-01 */
    assert_true(
        llabs(now - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000)) < 5000);
    assert_true(m2 >= m1);
    assert_true(m1 >= 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_fraction),
        cmocka_unit_test(test_separators),
        cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_compact),
        cmocka_unit_test(test_time_only),
        cmocka_unit_test(test_epoch_integers),
        cmocka_unit_test(test_reject_garbage),
        cmocka_unit_test(test_length_bound),
        cmocka_unit_test(test_us_dst),
        cmocka_unit_test(test_trading_day),
        cmocka_unit_test(test_day_helpers),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_leap_day),
        cmocka_unit_test(test_civil),
        cmocka_unit_test(test_tz_independent),
        cmocka_unit_test(test_clocks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
