/*
 * copy.c - streamed copy between two ClickHouse servers (contract in
 * copy.h).
 *
 * The sink of ch_query_stream appends to a buffer; at chunk_bytes it
 * scans the buffer's rows from the start, inserts the whole ones and
 * moves the partial row at the end to the front. At the end of the answer
 * the rest is inserted, and a partial row left over means the answer was
 * cut (an error, not a silent loss).
 */
#include "cold/copy.h"

#include <stdio.h>
#include <string.h>

#include "clickhouse/rowbin.h"

typedef struct copier {
    ch_client *to;
    const char *dest;
    size_t chunk;
    bool (*stop)(void);
    ch_buf buf;
    long long rows;
    char err[400];
} copier;

/* Insert the whole rows at the front of the buffer; keep the rest. */
static int flush(copier *cp)
{
    size_t off = 0;
    long long n = 0;
    for (;;) {
        long len = ch_rowbin_tick_len(cp->buf.p + off, cp->buf.n - off);
        if (len < 0) {
            snprintf(cp->err, sizeof(cp->err),
                     "the source sent bytes that are not a ticks row");
            return -1;
        }
        if (len == 0)
            break;
        off += (size_t)len;
        n++;
    }
    if (off == 0)
        return 0;
    ch_result res;
    if (ch_insert_rowbinary(cp->to, cp->dest, cp->buf.p, off, &res) != 0) {
        snprintf(cp->err, sizeof(cp->err), "insert into %s: %s", cp->dest,
                 res.err);
        ch_result_free(&res);
        return -1;
    }
    ch_result_free(&res);
    cp->rows += n;
    memmove(cp->buf.p, cp->buf.p + off, cp->buf.n - off);
    cp->buf.n -= off;
    return 0;
}

static int sink(void *ud, const void *p, size_t n)
{
    copier *cp = ud;
    if (cp->stop && cp->stop()) {
        snprintf(cp->err, sizeof(cp->err), "stopped");
        return -1;
    }
    if (ch_buf_append(&cp->buf, p, n) != 0) {
        snprintf(cp->err, sizeof(cp->err), "out of memory");
        return -1;
    }
    return cp->buf.n >= cp->chunk ? flush(cp) : 0;
}

int cold_copy_stream(ch_client *from, const char *select_sql, ch_client *to,
                     const char *dest, size_t chunk_bytes, bool (*stop)(void),
                     long long *rows, char *err, size_t errlen)
{
    copier cp = {.to = to, .dest = dest, .chunk = chunk_bytes, .stop = stop};
    ch_result res;
    int rc = -1;
    *rows = 0;
    if (ch_buf_init(&cp.buf, chunk_bytes + 4096) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (ch_query_stream(from, select_sql, sink, &cp, &res) != 0) {
        snprintf(err, errlen, "%s", cp.err[0] ? cp.err : res.err);
    } else if (flush(&cp) != 0) {
        snprintf(err, errlen, "%s", cp.err);
    } else if (cp.buf.n != 0) {
        snprintf(err, errlen, "the answer ended inside a row (%zu bytes)",
                 cp.buf.n);
    } else {
        rc = 0;
    }
    ch_result_free(&res);
    ch_buf_free(&cp.buf);
    *rows = cp.rows;
    return rc;
}
