/*
 * hktime.c - Hong Kong time: time-string parsing, trading day, formatting.
 *
 * Design: every instant is a signed 64-bit count of UTC milliseconds since
 * 1970-01-01T00:00:00Z. Calendar dates are converted with Howard Hinnant's
 * days_from_civil / civil_from_days (proleptic Gregorian, exact for negative
 * values), so nothing here calls localtime, mktime, gmtime or reads TZ: the
 * results are the same on every host (compat.md §1.5, opend-protocol.md §9).
 *
 * Zones:
 *   HK  UTC+8 fixed (Hong Kong, Shanghai, Shenzhen; no DST).
 *   US  America/New_York with the post-2007 rule, applied to every year:
 *       EDT (UTC-4) from the second Sunday of March 02:00 EST to the first
 *       Sunday of November 02:00 EDT, EST (UTC-5) otherwise. Wall times in
 *       the spring gap (02:00-02:59) are read as EST, and the repeated hour
 *       in November (01:00-01:59) as EDT, i.e. the earlier instant; this is
 *       what Python's zoneinfo does with fold=0.
 *
 * Parsing works against an end pointer (the input need not be NUL
 * terminated) and accepts exactly this grammar, nothing around it (no
 * whitespace trimming):
 *
 *   DATE SEP HH:MM:SS [FRAC] [ZONE]   DATE = YYYY-MM-DD | YYYY/MM/DD,
 *                                     SEP = ' ' | 'T'
 *   YYYYMMDDHHMMSS [FRAC] [ZONE]      exactly 14 leading digits
 *   HH:MM:SS [FRAC]                   on the date of now_ms in the zone
 *   HHMMSS                            exactly 6 digits, same
 *   N                                 other all-digit strings (1-18 digits):
 *                                     N > 10^12 epoch ms, N > 10^9 epoch s
 *   FRAC = ('.' | ':') 1-6 digits, truncated to ms; 7+ digits are rejected
 *   ZONE = 'Z' | ('+'|'-') HH ':' MM | ('+'|'-') HHMM, overriding the zone
 *
 * Fields are range-checked: month 1-12, day within the month (leap years
 * included), hour 0-23, minute 0-59, second 0-59 (leap second 60 rejected),
 * offset hour 0-23 and minute 0-59. A 14-digit string is always the compact
 * date-time form, never an epoch value.
 *
 * Formatting uses civil_from_days plus one snprintf per call (no gmtime_r),
 * cheap enough for the per-tick path. Printed wall times saturate at
 * 0000-01-01 00:00:00.000 and 9999-12-31 23:59:59.999, so every output has
 * its fixed width and snprintf can never truncate.
 *
 * All functions are pure or read only the clocks: thread-safe, no state.
 */
#include "common/hktime.h"

#include <stdio.h>
#include <time.h>

#define MS_PER_SEC 1000LL
#define MS_PER_MIN (60LL * MS_PER_SEC)
#define MS_PER_HOUR (60LL * MS_PER_MIN)
#define MS_PER_DAY (24LL * MS_PER_HOUR)

/* Integers above these bounds are epoch ms / epoch s (compat.md §1.5). */
#define EPOCH_MS_FLOOR 1000000000000LL
#define EPOCH_S_FLOOR 1000000000LL
/* now_ms outside +-2^62 cannot be shifted by a zone offset safely. */
#define NOW_LIMIT (1LL << 62)

/* ---- calendar arithmetic ------------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    if (a % b != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/*
 * Floor-divide a UTC instant into days and ms of the day (0..86399999)
 * without forming days * MS_PER_DAY, which overflows near INT64_MIN.
 */
static void split_day(int64_t ms, int64_t *days, int64_t *msod)
{
    int64_t q = ms / MS_PER_DAY;
    int64_t r = ms % MS_PER_DAY;

    if (r < 0) {
        r += MS_PER_DAY;
        q--;
    }
    *days = q;
    *msod = r;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30,
                                          31, 31, 30, 31, 30, 31};

    if (m == 2 && is_leap(y))
        return 29;
    return dim[m - 1];
}

int64_t hktime_days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

void hktime_civil_from_days(int64_t days, int *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;

    *y = (int)(yoe + era * 400 + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

/* 0 = Sunday .. 6 = Saturday; 1970-01-01 was a Thursday. */
static int weekday_of_days(int64_t days)
{
    return (int)(days + 4 - floor_div(days + 4, 7) * 7);
}

/*
 * Split a UTC instant into HK days since the epoch and ms into the HK day
 * without computing utc_ms + 8 h, which overflows near INT64_MAX.
 */
static void split_hk(int64_t utc_ms, int64_t *days, int64_t *msod)
{
    int64_t dd;
    int64_t ms;

    split_day(utc_ms, &dd, &ms);
    ms += HKTIME_OFFSET_MS;
    if (ms >= MS_PER_DAY) {
        ms -= MS_PER_DAY;
        dd++;
    }
    *days = dd;
    *msod = ms;
}

/* Days since the epoch of 0000-01-01 and 9999-12-31: the printable range. */
#define DAYS_MIN (-719528LL)
#define DAYS_MAX 2932896LL

/*
 * Broken-down wall time, clamped to the printable range by civil_of(). The
 * formatters reduce each field modulo its printed width (a no-op after the
 * clamp) so the compiler can prove snprintf never truncates.
 */
struct civil_ms {
    unsigned y, mo, d, h, mi, s, ms;
};

static void civil_of(int64_t days, int64_t msod, struct civil_ms *c)
{
    int y;
    int m;
    int d;

    if (days < DAYS_MIN) {
        days = DAYS_MIN;
        msod = 0;
    } else if (days > DAYS_MAX) {
        days = DAYS_MAX;
        msod = MS_PER_DAY - 1;
    }
    hktime_civil_from_days(days, &y, &m, &d);
    c->y = (unsigned)y;
    c->mo = (unsigned)m;
    c->d = (unsigned)d;
    c->h = (unsigned)(msod / MS_PER_HOUR);
    c->mi = (unsigned)(msod / MS_PER_MIN % 60);
    c->s = (unsigned)(msod / MS_PER_SEC % 60);
    c->ms = (unsigned)(msod % MS_PER_SEC);
}

static void hk_civil(int64_t utc_ms, struct civil_ms *c)
{
    int64_t days;
    int64_t msod;

    split_hk(utc_ms, &days, &msod);
    civil_of(days, msod, c);
}

/* ---- America/New_York --------------------------------------------------- */

/* Days of the n-th (1-based) Sunday of month m in year y. */
static int64_t nth_sunday(int y, int m, int n)
{
    int64_t first = hktime_days_from_civil(y, m, 1);
    int wd = weekday_of_days(first);

    return first + (7 - wd) % 7 + 7 * (n - 1);
}

/* UTC offset (ms) of a New York wall-clock time expressed as local ms. */
static int64_t us_offset_local(int64_t local_ms)
{
    int y;
    int m;
    int d;
    int64_t start;
    int64_t end;

    hktime_civil_from_days(floor_div(local_ms, MS_PER_DAY), &y, &m, &d);
    /* DST from 03:00 EDT (first valid wall time) to 02:00 EDT exclusive. */
    start = nth_sunday(y, 3, 2) * MS_PER_DAY + 3 * MS_PER_HOUR;
    end = nth_sunday(y, 11, 1) * MS_PER_DAY + 2 * MS_PER_HOUR;
    if (local_ms >= start && local_ms < end)
        return -4 * MS_PER_HOUR;
    return -5 * MS_PER_HOUR;
}

/* UTC offset (ms) in New York at a UTC instant (|utc_ms| < NOW_LIMIT). */
static int64_t us_offset_utc(int64_t utc_ms)
{
    int y;
    int m;
    int d;
    int64_t start;
    int64_t end;

    hktime_civil_from_days(floor_div(utc_ms - 5 * MS_PER_HOUR, MS_PER_DAY), &y,
                           &m, &d);
    /* 02:00 EST = 07:00Z in March; 02:00 EDT = 06:00Z in November. */
    start = nth_sunday(y, 3, 2) * MS_PER_DAY + 7 * MS_PER_HOUR;
    end = nth_sunday(y, 11, 1) * MS_PER_DAY + 6 * MS_PER_HOUR;
    if (utc_ms >= start && utc_ms < end)
        return -4 * MS_PER_HOUR;
    return -5 * MS_PER_HOUR;
}

/* ---- parsing ------------------------------------------------------------ */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Read exactly n digits at *pp (bounded by end) into *out and advance. */
static int take_digits(const char **pp, const char *end, int n, int *out)
{
    const char *p = *pp;
    int v = 0;

    if (end - p < n)
        return -1;
    for (int i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *pp = p + n;
    *out = v;
    return 0;
}

static int take_char(const char **pp, const char *end, char c)
{
    if (*pp >= end || **pp != c)
        return -1;
    (*pp)++;
    return 0;
}

/* HH, MM, SS with optional ':' separators already decided by the caller. */
static int take_hms(const char **pp, const char *end, int colons,
                    int64_t *tod_ms)
{
    int hh;
    int mi;
    int ss;

    if (take_digits(pp, end, 2, &hh) < 0)
        return -1;
    if (colons && take_char(pp, end, ':') < 0)
        return -1;
    if (take_digits(pp, end, 2, &mi) < 0)
        return -1;
    if (colons && take_char(pp, end, ':') < 0)
        return -1;
    if (take_digits(pp, end, 2, &ss) < 0)
        return -1;
    if (hh > 23 || mi > 59 || ss > 59)
        return -1;
    *tod_ms = hh * MS_PER_HOUR + mi * MS_PER_MIN + ss * MS_PER_SEC;
    return 0;
}

/* Optional fraction: '.' or ':' then 1-6 digits, truncated to ms. */
static int take_frac(const char **pp, const char *end, int64_t *ms)
{
    const char *p = *pp;
    int n = 0;
    int v = 0;

    *ms = 0;
    if (p >= end || (*p != '.' && *p != ':'))
        return 0;
    p++;
    while (p < end && is_digit(*p)) {
        if (++n > 6)
            return -1;
        if (n <= 3)
            v = v * 10 + (*p - '0');
        p++;
    }
    if (n == 0)
        return -1;
    for (int i = n; i < 3; i++)
        v *= 10;
    *ms = v;
    *pp = p;
    return 0;
}

/*
 * Optional zone suffix. Sets *has to 1 and *off_ms to the UTC offset when
 * present; leaves *has at 0 when the input ends here.
 */
static int take_zone(const char **pp, const char *end, int *has,
                     int64_t *off_ms)
{
    const char *p = *pp;
    int sign;
    int hh;
    int mi;

    *has = 0;
    if (p >= end)
        return 0;
    if (*p == 'Z') {
        *pp = p + 1;
        *has = 1;
        *off_ms = 0;
        return 0;
    }
    if (*p != '+' && *p != '-')
        return -1;
    sign = *p == '-' ? -1 : 1;
    p++;
    if (take_digits(&p, end, 2, &hh) < 0)
        return -1;
    if (p < end && *p == ':')
        p++;
    if (take_digits(&p, end, 2, &mi) < 0)
        return -1;
    if (hh > 23 || mi > 59)
        return -1;
    *pp = p;
    *has = 1;
    *off_ms = sign * (hh * MS_PER_HOUR + mi * MS_PER_MIN);
    return 0;
}

static int valid_date(int y, int m, int d)
{
    return m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* Local wall-clock ms (as if UTC) in `zone` to UTC ms. */
static int64_t local_to_utc(int64_t local_ms, enum hktime_zone zone)
{
    if (zone == HKTIME_ZONE_US)
        return local_ms - us_offset_local(local_ms);
    return local_ms - HKTIME_OFFSET_MS;
}

/* Days since the epoch of the local date of now_ms in `zone`. */
static int64_t local_days_of(int64_t now_ms, enum hktime_zone zone)
{
    int64_t days;
    int64_t msod;

    if (zone == HKTIME_ZONE_US)
        return floor_div(now_ms + us_offset_utc(now_ms), MS_PER_DAY);
    split_hk(now_ms, &days, &msod);
    return days;
}

/* Date-time forms: DATE SEP HH:MM:SS or YYYYMMDDHHMMSS, then FRAC, ZONE. */
static int parse_datetime(const char *p, const char *end, int compact,
                          enum hktime_zone zone, int64_t *out_ms)
{
    int y;
    int m;
    int d;
    int has_zone;
    int64_t tod;
    int64_t frac;
    int64_t off = 0;
    int64_t local;

    if (take_digits(&p, end, 4, &y) < 0)
        return -1;
    if (compact) {
        if (take_digits(&p, end, 2, &m) < 0 || take_digits(&p, end, 2, &d) < 0)
            return -1;
    } else {
        char sep = *p;

        if (take_char(&p, end, sep) < 0 || take_digits(&p, end, 2, &m) < 0 ||
            take_char(&p, end, sep) < 0 || take_digits(&p, end, 2, &d) < 0)
            return -1;
        if (p >= end || (*p != ' ' && *p != 'T'))
            return -1;
        p++;
    }
    if (!valid_date(y, m, d))
        return -1;
    if (take_hms(&p, end, !compact, &tod) < 0)
        return -1;
    if (take_frac(&p, end, &frac) < 0)
        return -1;
    if (take_zone(&p, end, &has_zone, &off) < 0)
        return -1;
    if (p != end)
        return -1;
    local = hktime_days_from_civil(y, m, d) * MS_PER_DAY + tod + frac;
    if (has_zone)
        *out_ms = local - off;
    else
        *out_ms = local_to_utc(local, zone);
    return 0;
}

/* Time-only forms: HH:MM:SS[FRAC] or HHMMSS on the zone's date of now. */
static int parse_time_only(const char *p, const char *end, int colons,
                           enum hktime_zone zone, int64_t now_ms,
                           int64_t *out_ms)
{
    int64_t tod;
    int64_t frac = 0;
    int64_t local;

    if (now_ms <= -NOW_LIMIT || now_ms >= NOW_LIMIT)
        return -1;
    if (take_hms(&p, end, colons, &tod) < 0)
        return -1;
    if (colons && take_frac(&p, end, &frac) < 0)
        return -1;
    if (p != end)
        return -1;
    local = local_days_of(now_ms, zone) * MS_PER_DAY + tod + frac;
    *out_ms = local_to_utc(local, zone);
    return 0;
}

/* All-digit integers of 1-18 digits: epoch ms above 10^12, s above 10^9. */
static int parse_epoch(const char *p, const char *end, int64_t *out_ms)
{
    int64_t v = 0;

    if (end - p > 18)
        return -1;
    for (; p < end; p++)
        v = v * 10 + (*p - '0');
    if (v > EPOCH_MS_FLOOR)
        *out_ms = v;
    else if (v > EPOCH_S_FLOOR)
        *out_ms = v * MS_PER_SEC;
    else
        return -1;
    return 0;
}

int hktime_parse(const char *s, size_t len, enum hktime_zone zone,
                 int64_t now_ms, int64_t *out_ms)
{
    const char *end;
    size_t n = 0;
    int64_t ms;
    int rc;

    if (s == NULL || out_ms == NULL || len == 0)
        return HKTIME_E_PARSE;
    if (zone != HKTIME_ZONE_HK && zone != HKTIME_ZONE_US)
        return HKTIME_E_PARSE;
    end = s + len;
    while (n < len && is_digit(s[n]))
        n++;

    if (n == 4 && n < len && (s[n] == '-' || s[n] == '/'))
        rc = parse_datetime(s, end, 0, zone, &ms);
    else if (n == 14)
        rc = parse_datetime(s, end, 1, zone, &ms);
    else if (n == 2 && n < len && s[n] == ':')
        rc = parse_time_only(s, end, 1, zone, now_ms, &ms);
    else if (n == 6 && len == 6)
        rc = parse_time_only(s, end, 0, zone, now_ms, &ms);
    else if (n == len)
        rc = parse_epoch(s, end, &ms);
    else
        rc = -1;

    if (rc < 0)
        return HKTIME_E_PARSE;
    *out_ms = ms;
    return 0;
}

int hktime_parse_day(const char *s, size_t len, int *day)
{
    const char *p = s;
    const char *end;
    int y;
    int m;
    int d;

    if (s == NULL || day == NULL)
        return HKTIME_E_PARSE;
    end = s + len;
    if (take_digits(&p, end, 4, &y) < 0)
        return HKTIME_E_PARSE;
    if (p < end && (*p == '-' || *p == '/')) {
        char sep = *p;

        p++;
        if (take_digits(&p, end, 2, &m) < 0 || take_char(&p, end, sep) < 0)
            return HKTIME_E_PARSE;
    } else if (take_digits(&p, end, 2, &m) < 0) {
        return HKTIME_E_PARSE;
    }
    if (take_digits(&p, end, 2, &d) < 0 || p != end || !valid_date(y, m, d))
        return HKTIME_E_PARSE;
    *day = y * 10000 + m * 100 + d;
    return 0;
}

/* ---- trading day and HK calendar ---------------------------------------- */

int hktime_trading_day(int64_t utc_ms)
{
    struct civil_ms c;

    hk_civil(utc_ms, &c);
    return (int)(c.y * 10000 + c.mo * 100 + c.d);
}

int hktime_day_start_ms(int day, int64_t *out_ms)
{
    int y = day / 10000;
    int m = day / 100 % 100;
    int d = day % 100;

    if (out_ms == NULL || day < 0 || y > 9999 || !valid_date(y, m, d))
        return HKTIME_E_PARSE;
    *out_ms = hktime_days_from_civil(y, m, d) * MS_PER_DAY - HKTIME_OFFSET_MS;
    return 0;
}

int hktime_hk_weekday(int64_t utc_ms)
{
    int64_t days;
    int64_t msod;

    split_hk(utc_ms, &days, &msod);
    return weekday_of_days(days);
}

int hktime_hk_ms_of_day(int64_t utc_ms)
{
    int64_t days;
    int64_t msod;

    split_hk(utc_ms, &days, &msod);
    return (int)msod;
}

/* ---- formatting --------------------------------------------------------- */

void hktime_trading_day_str(int64_t utc_ms, char buf[9])
{
    struct civil_ms c;

    hk_civil(utc_ms, &c);
    snprintf(buf, 9, "%04u%02u%02u", c.y % 10000u, c.mo % 100u, c.d % 100u);
}

void hktime_format_hk_ms(int64_t utc_ms, char buf[24])
{
    struct civil_ms c;

    hk_civil(utc_ms, &c);
    snprintf(buf, 24, "%04u-%02u-%02u %02u:%02u:%02u.%03u", c.y % 10000u,
             c.mo % 100u, c.d % 100u, c.h % 100u, c.mi % 100u, c.s % 100u,
             c.ms % 1000u);
}

void hktime_format_hk(int64_t utc_ms, char buf[20])
{
    struct civil_ms c;

    hk_civil(utc_ms, &c);
    snprintf(buf, 20, "%04u-%02u-%02u %02u:%02u:%02u", c.y % 10000u,
             c.mo % 100u, c.d % 100u, c.h % 100u, c.mi % 100u, c.s % 100u);
}

void hktime_format_utc_iso(int64_t utc_ms, char buf[30])
{
    struct civil_ms c;
    int64_t days;
    int64_t msod;

    split_day(utc_ms, &days, &msod);
    civil_of(days, msod, &c);
    snprintf(buf, 30, "%04u-%02u-%02uT%02u:%02u:%02u.%03u+00:00", c.y % 10000u,
             c.mo % 100u, c.d % 100u, c.h % 100u, c.mi % 100u, c.s % 100u,
             c.ms % 1000u);
}

/* ---- clocks ------------------------------------------------------------- */

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;

    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * MS_PER_SEC + ts.tv_nsec / 1000000;
}

int64_t hktime_now_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

int64_t hktime_mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}
