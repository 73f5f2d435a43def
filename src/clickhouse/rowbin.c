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

/* Row scanner (ch_rowbin_tick_len): a cursor over the n bytes at p. Each
 * skip_* advances past one column or returns 0 (need more) / -EBADMSG. */
typedef struct scan {
    const uint8_t *p;
    size_t n, off;
} scan;

static int skip_fixed(scan *s, size_t k)
{
    if (s->n - s->off < k)
        return 0;
    s->off += k;
    return 1;
}

static int skip_string(scan *s)
{
    uint64_t len = 0;
    for (int i = 0;; i++) {
        if (i == 10)
            return -EBADMSG;
        if (s->off >= s->n)
            return 0;
        uint8_t c = s->p[s->off++];
        len |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80))
            break;
    }
    if (len > CH_ROWBIN_MAX_STRING)
        return -EBADMSG;
    return skip_fixed(s, (size_t)len);
}

/* Nullable(T): the flag byte, then T when the flag is 0. */
static int skip_nullable(scan *s, size_t fixed)
{
    if (s->off >= s->n)
        return 0;
    uint8_t flag = s->p[s->off++];
    if (flag > 1)
        return -EBADMSG;
    if (flag == 1)
        return 1;
    return fixed ? skip_fixed(s, fixed) : skip_string(s);
}

long ch_rowbin_tick_len(const uint8_t *p, size_t n)
{
    /* Column layout of rowbin.h: 'S' String, '8' 8 bytes, '2' 2 bytes,
     * 'f' Nullable(8 bytes), 's' Nullable(String). */
    static const char cols[] = "SS8fffsfsss288";
    scan s = {p, n, 0};
    for (const char *c = cols; *c; c++) {
        int rc;
        switch (*c) {
        case 'S':
            rc = skip_string(&s);
            break;
        case '8':
            rc = skip_fixed(&s, 8);
            break;
        case '2':
            rc = skip_fixed(&s, 2);
            break;
        case 'f':
            rc = skip_nullable(&s, 8);
            break;
        default:
            rc = skip_nullable(&s, 0);
            break;
        }
        if (rc <= 0)
            return rc;
    }
    return (long)s.off;
}
