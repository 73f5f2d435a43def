/*
 * rowbin.c - RowBinary encoding of `ticks` rows (format in rowbin.h).
 *
 * Every put_* appends to a ch_buf and returns 0 or -ENOMEM; ch_rowbin_tick
 * remembers the length on entry and truncates back to it on failure, so a
 * buffer only ever holds whole rows. Little-endian output is written byte
 * by byte, so the code does not depend on the host's byte order.
 */
#include "clickhouse/rowbin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ch_buf_init(ch_buf *b, size_t cap)
{
    if (cap < 64)
        cap = 64;
    b->n = 0;
    b->p = malloc(cap);
    b->cap = b->p ? cap : 0;
    return b->p ? 0 : -ENOMEM;
}

void ch_buf_reset(ch_buf *b)
{
    b->n = 0;
}

void ch_buf_free(ch_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = 0;
    b->cap = 0;
}

int ch_buf_append(ch_buf *b, const void *p, size_t n)
{
    if (b->cap - b->n < n) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap - b->n < n)
            cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np)
            return -ENOMEM;
        b->p = np;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
    return 0;
}

static int put_u64(ch_buf *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    return ch_buf_append(b, x, sizeof(x));
}

static int put_i64(ch_buf *b, int64_t v)
{
    return put_u64(b, (uint64_t)v);
}

static int put_f64(ch_buf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    return put_u64(b, u);
}

static int put_str(ch_buf *b, const char *s)
{
    size_t n = strlen(s);
    uint8_t x[10];
    size_t k = 0;
    uint64_t v = n;
    do {
        x[k] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            x[k] |= 0x80;
        k++;
    } while (v);
    if (ch_buf_append(b, x, k) != 0)
        return -ENOMEM;
    return ch_buf_append(b, s, n);
}

static int put_flag(ch_buf *b, bool null)
{
    uint8_t f = null ? 1 : 0;
    return ch_buf_append(b, &f, 1);
}

static int put_nstr(ch_buf *b, const char *s)
{
    if (put_flag(b, s == NULL) != 0)
        return -ENOMEM;
    return s ? put_str(b, s) : 0;
}

static int put_nf64(ch_buf *b, bool has, double v)
{
    if (put_flag(b, !has) != 0)
        return -ENOMEM;
    return has ? put_f64(b, v) : 0;
}

static int put_ni64(ch_buf *b, bool has, int64_t v)
{
    if (put_flag(b, !has) != 0)
        return -ENOMEM;
    return has ? put_i64(b, v) : 0;
}

int ch_rowbin_tick(ch_buf *b, const ch_tick_row *r)
{
    size_t start = b->n;
    uint8_t day[2] = {(uint8_t)(r->trading_day & 0xff),
                      (uint8_t)(r->trading_day >> 8)};
    int rc = put_str(b, r->market);
    rc = rc ? rc : put_str(b, r->symbol);
    rc = rc ? rc : put_i64(b, r->ts_ms);
    rc = rc ? rc : put_nf64(b, r->has_price, r->price);
    rc = rc ? rc : put_ni64(b, r->has_volume, r->volume);
    rc = rc ? rc : put_nf64(b, r->has_turnover, r->turnover);
    rc = rc ? rc : put_nstr(b, r->direction);
    rc = rc ? rc : put_ni64(b, r->has_seq, r->seq);
    rc = rc ? rc : put_nstr(b, r->tick_type);
    rc = rc ? rc : put_nstr(b, r->push_type);
    rc = rc ? rc : put_nstr(b, r->provider);
    rc = rc ? rc : ch_buf_append(b, day, 2);
    rc = rc ? rc : put_i64(b, r->recv_ts_ms);
    rc = rc ? rc : put_i64(b, r->inserted_at_ms);
    if (rc != 0)
        b->n = start;
    return rc;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int ch_date_from_yyyymmdd(const char *s, uint16_t *days)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30,
                                     31, 31, 30, 31, 30, 31};
    if (!s || strlen(s) != 8)
        return -EINVAL;
    for (int i = 0; i < 8; i++)
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
            (s[3] - '0');
    unsigned m = (unsigned)((s[4] - '0') * 10 + (s[5] - '0'));
    unsigned d = (unsigned)((s[6] - '0') * 10 + (s[7] - '0'));
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return -EINVAL;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap)
        return -EINVAL;
    int64_t n = days_from_civil(y, m, d);
    if (n < 0 || n > 65535)
        return -EINVAL;
    *days = (uint16_t)n;
    return 0;
}
