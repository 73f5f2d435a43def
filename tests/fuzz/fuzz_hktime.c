/*
 * fuzz_hktime.c - libFuzzer target: Ticker.time parsing (common/hktime.c).
 *
 * The whole input is the string (not NUL-terminated: hktime_parse works
 * against its length, and ASan catches any read past it). It is parsed in
 * both zones, with two "now" values for the time-only forms. Oracles, each
 * a finding (abort) when violated:
 *
 *   - a parse that fails leaves *out untouched;
 *   - a parsed instant whose HK wall clock lies in years 0000-9999 formats
 *     with hktime_format_hk_ms and hktime_format_utc_iso into strings that
 *     parse back (HK zone) to the same millisecond;
 *   - hktime_trading_day agrees with the formatted HK date, and
 *     hktime_hk_ms_of_day with its time of day;
 *   - hktime_parse_day on the input, when it succeeds, gives a day whose
 *     hktime_day_start_ms maps back to the same trading day.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hktime.h"

#define MS_PER_DAY 86400000LL
#define SENTINEL 0x5a5a5a5a5a5a5a5aLL

static volatile int64_t sink;

/* Calendar year at UTC offset off_ms, or -1 outside 0000-9999. */
static int year_at(int64_t ms, int64_t off_ms)
{
    int64_t local;
    int64_t days;
    int y, m, d;

    /* Years 0000-9999 lie well within +-4e14 ms; reject the rest early. */
    if (ms < -70000000000000LL || ms > 260000000000000LL)
        return -1;
    local = ms + off_ms;
    days = local / MS_PER_DAY;
    if (local % MS_PER_DAY < 0)
        days--;
    hktime_civil_from_days(days, &y, &m, &d);
    return y >= 0 && y <= 9999 ? y : -1;
}

static void check_instant(int64_t ms)
{
    char hk[24];
    char iso[30];
    int64_t back = SENTINEL;
    int day;
    int msod;

    /* Formatting saturates outside 0000-9999 (HK and UTC dates). */
    if (year_at(ms, HKTIME_OFFSET_MS) < 0 || year_at(ms, 0) < 0)
        return;
    hktime_format_hk_ms(ms, hk);
    if (hktime_parse(hk, strlen(hk), HKTIME_ZONE_HK, 0, &back) != 0 ||
        back != ms)
        abort();
    hktime_format_utc_iso(ms, iso);
    back = SENTINEL;
    if (hktime_parse(iso, strlen(iso), HKTIME_ZONE_US, 0, &back) != 0 ||
        back != ms)
        abort();
    /* "YYYY-MM-DD HH:MM:SS.mmm": the trading day is the date part. */
    day = hktime_trading_day(ms);
    if (day != (hk[0] - '0') * 10000000 + (hk[1] - '0') * 1000000 +
                   (hk[2] - '0') * 100000 + (hk[3] - '0') * 10000 +
                   (hk[5] - '0') * 1000 + (hk[6] - '0') * 100 +
                   (hk[8] - '0') * 10 + (hk[9] - '0'))
        abort();
    msod = hktime_hk_ms_of_day(ms);
    if (msod != ((hk[11] - '0') * 10 + (hk[12] - '0')) * 3600000 +
                    ((hk[14] - '0') * 10 + (hk[15] - '0')) * 60000 +
                    ((hk[17] - '0') * 10 + (hk[18] - '0')) * 1000 +
                    (hk[20] - '0') * 100 + (hk[21] - '0') * 10 + (hk[22] - '0'))
        abort();
    sink += hktime_hk_weekday(ms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t nows[] = {1709258400123LL, 1710163800000LL};
    /* An exact-size copy so that reading s[size] is an ASan error. */
    char *s = malloc(size ? size : 1);
    int day = -12345;
    int64_t start = SENTINEL;

    if (s == NULL)
        abort();
    if (size)
        memcpy(s, data, size);
    for (int zone = HKTIME_ZONE_HK; zone <= HKTIME_ZONE_US; zone++) {
        for (size_t i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
            int64_t ms = SENTINEL;
            int rc =
                hktime_parse(s, size, (enum hktime_zone)zone, nows[i], &ms);

            if (rc != 0) {
                if (rc != HKTIME_E_PARSE || ms != SENTINEL)
                    abort();
                continue;
            }
            check_instant(ms);
        }
    }
    if (hktime_parse_day(s, size, &day) == 0) {
        if (hktime_day_start_ms(day, &start) != 0)
            abort();
        if (hktime_trading_day(start) != day || hktime_hk_ms_of_day(start) != 0)
            abort();
    } else if (day != -12345) {
        abort();
    }
    free(s);
    return 0;
}
