/*
 * hktime.h - Hong Kong time: time-string parsing, trading day, formatting.
 *
 * Hong Kong is UTC+8 with no daylight saving, so every conversion here is
 * pure arithmetic on UTC epoch milliseconds and never depends on the host
 * zone or TZ (compat.md §1.5). US times (America/New_York) are supported for
 * the protocol's time-string vectors using the post-2007 US DST rule.
 */
#ifndef HK_COMMON_HKTIME_H
#define HK_COMMON_HKTIME_H

#include <stddef.h>
#include <stdint.h>

#define HKTIME_OFFSET_MS (8LL * 3600 * 1000)
#define HKTIME_E_PARSE (-3001)

enum hktime_zone {
    HKTIME_ZONE_HK = 0, /* UTC+8: HK, SH, SZ */
    HKTIME_ZONE_US = 1, /* America/New_York */
};

/*
 * Parse a Ticker.time string into UTC epoch ms (compat.md §1.5):
 *   "YYYY-MM-DD HH:MM:SS[.f{0,6}]" (also '/' dates, 'T' separator, ':' before
 *   the fraction), "YYYYMMDDHHMMSS", optional trailing "Z" or "+HH:MM"/
 *   "-HH:MM"/"+HHMM" (honoured); "HHMMSS" / "HH:MM:SS[.f]" = that time on
 *   the HK date of now_ms; an all-digit integer > 10^12 is epoch ms, > 10^9
 *   epoch s. Fractions truncate to ms. Strings without a zone are in `zone`.
 * Returns 0 and *out_ms, or HKTIME_E_PARSE (out untouched). len is the
 * string length (no NUL needed).
 *
 * Exact rules (hktime.c has the full grammar): a fraction separator must be
 * followed by 1-6 digits; 7 or more fraction digits are rejected, not
 * truncated. Seconds are 0-59 (a leap second 60 is rejected). No whitespace
 * is trimmed and nothing may follow the last field. A zone suffix is
 * allowed only on the date-time forms (also "YYYYMMDDHHMMSS[.f]"), not on
 * the time-only forms. The time-only forms use the date of now_ms in
 * `zone` (HK date for HKTIME_ZONE_HK, New York date for HKTIME_ZONE_US).
 * A 14-digit string is always YYYYMMDDHHMMSS, never an epoch value; other
 * all-digit strings of 1-18 digits that are <= 10^9 are rejected. US wall
 * times in the spring-forward gap are read as EST, repeated November times
 * as EDT (the earlier instant).
 */
int hktime_parse(const char *s, size_t len, enum hktime_zone zone,
                 int64_t now_ms, int64_t *out_ms);

/*
 * Trading day of a UTC instant: the HK date as YYYYMMDD integer (floor
 * division, so instants before 1970 work). Like the formatters below it
 * saturates to 00000101 / 99991231 outside years 0000-9999.
 */
int hktime_trading_day(int64_t utc_ms);
/* Same, written as "YYYYMMDD" into buf (>= 9 bytes). */
void hktime_trading_day_str(int64_t utc_ms, char buf[9]);

/*
 * Formatters: always write the full fixed-width text plus NUL. Wall times
 * saturate at 0000-01-01 00:00:00.000 and 9999-12-31 23:59:59.999, so the
 * width never changes. They allocate nothing, use no locale or zone state
 * and are cheap enough to call per tick.
 */
/* Format utc_ms as HK wall clock "YYYY-MM-DD HH:MM:SS.mmm" (buf >= 24). */
void hktime_format_hk_ms(int64_t utc_ms, char buf[24]);
/* Format utc_ms as HK wall clock "YYYY-MM-DD HH:MM:SS" (buf >= 20). */
void hktime_format_hk(int64_t utc_ms, char buf[20]);
/* Format utc_ms as ISO UTC "YYYY-MM-DDTHH:MM:SS.mmm+00:00" (buf >= 30). */
void hktime_format_utc_iso(int64_t utc_ms, char buf[30]);

/*
 * Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard
 * Hinnant's algorithms; exact for dates before 1970). The inputs are not
 * validated: days_from_civil expects m 1-12 and d 1-31, civil_from_days
 * expects |days| <= 10^11 so the year fits in an int.
 */
int64_t hktime_days_from_civil(int y, int m, int d);
void hktime_civil_from_days(int64_t days, int *y, int *m, int *d);

/*
 * Parse a calendar date "YYYY-MM-DD", "YYYY/MM/DD" or "YYYYMMDD" (len bytes,
 * no NUL needed; e.g. FUTU_HOLIDAYS entries) into a YYYYMMDD integer.
 * Returns 0 and *day, or HKTIME_E_PARSE (out untouched) for anything else,
 * including impossible dates such as 2023-02-29.
 */
int hktime_parse_day(const char *s, size_t len, int *day);
/*
 * UTC epoch ms of 00:00:00.000 HK time on trading day `day` (YYYYMMDD), so
 * the day covers [*out_ms, *out_ms + 86400000). Returns 0, or
 * HKTIME_E_PARSE (out untouched) if day is not a valid date in 0000-9999.
 */
int hktime_day_start_ms(int day, int64_t *out_ms);
/* HK weekday of a UTC instant: 0 = Sunday .. 6 = Saturday. */
int hktime_hk_weekday(int64_t utc_ms);
/* Milliseconds since HK midnight of a UTC instant: 0 .. 86399999. */
int hktime_hk_ms_of_day(int64_t utc_ms);

/*
 * UTC epoch ms now (CLOCK_REALTIME) and monotonic ms (CLOCK_MONOTONIC).
 * Both return 0 if clock_gettime fails, which Linux does not do for these
 * clocks.
 */
int64_t hktime_now_ms(void);
int64_t hktime_mono_ms(void);

#endif
