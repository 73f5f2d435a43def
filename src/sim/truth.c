/*
 * truth.c - buffered ground-truth CSV writer.
 *
 * Rows are formatted with snprintf into a fixed 1 MiB buffer allocated at
 * open; when a row does not fit, the buffer is written with write(2) (loop
 * on short writes) first, so adding a row never allocates. The owner calls
 * truth_flush at least once a second, on the `truth` control command and
 * at exit. A failed write keeps the rows buffered and reports -errno; the
 * next flush retries. Event-loop thread only.
 */
#include "sim/truth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hktime.h"
#include "common/util.h"
#include "opend/msg.h"

#define TRUTH_BUF (1024 * 1024)
#define TRUTH_ROW_MAX 256

struct truth {
    int fd;
    char *path;
    char *buf;
    size_t len;
    uint64_t rows;
};

static const char header[] =
    "symbol,seq,time,ts_ms,price,volume,turnover,direction,tick_type\n";

int truth_open(truth **out, const char *path, char *err, size_t errlen)
{
    truth *t = calloc(1, sizeof(*t));
    int rc;

    if (!t || !(t->buf = malloc(TRUTH_BUF)) || !(t->path = strdup(path))) {
        if (t)
            free(t->buf);
        free(t);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    t->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (t->fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(-rc));
        free(t->buf);
        free(t->path);
        free(t);
        return rc;
    }
    memcpy(t->buf, header, sizeof(header) - 1);
    t->len = sizeof(header) - 1;
    *out = t;
    return 0;
}

int truth_flush(truth *t)
{
    int rc;

    if (t->len == 0)
        return 0;
    rc = util_write_all(t->fd, t->buf, t->len);
    if (rc == 0)
        t->len = 0;
    return rc;
}

int truth_add(truth *t, const char *symbol, const market_tick *k)
{
    char tm[24];
    int n;

    if (TRUTH_BUF - t->len < TRUTH_ROW_MAX) {
        int rc = truth_flush(t);
        if (rc != 0)
            return rc;
    }
    hktime_format_hk_ms(k->ts_ms, tm);
    n = snprintf(t->buf + t->len, TRUTH_ROW_MAX,
                 "%s,%lld,%s,%lld,%.17g,%lld,%.17g,%s,%s\n", symbol,
                 (long long)k->seq, tm, (long long)k->ts_ms, k->price,
                 (long long)k->volume, k->turnover,
                 opend_msg_direction_str(k->dir),
                 opend_msg_ticker_type_str(k->type, true));
    if (n < 0 || n >= TRUTH_ROW_MAX)
        return -EOVERFLOW;
    t->len += (size_t)n;
    t->rows++;
    return 0;
}

int truth_copy(truth *t, const char *dest)
{
    char tmp[4096];
    char buf[65536];
    int in;
    int out;
    int rc = truth_flush(t);

    if (rc != 0)
        return rc;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", dest) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    in = open(t->path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -errno;
    out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        rc = -errno;
        close(in);
        return rc;
    }
    for (;;) {
        ssize_t r = read(in, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = -errno;
        if (r <= 0)
            break;
        rc = util_write_all(out, buf, (size_t)r);
        if (rc != 0)
            break;
    }
    close(in);
    if (close(out) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, dest) != 0)
        rc = -errno;
    if (rc != 0)
        unlink(tmp);
    return rc;
}

uint64_t truth_rows(const truth *t)
{
    return t->rows;
}

int truth_close(truth *t)
{
    int rc;

    if (!t)
        return 0;
    rc = truth_flush(t);
    close(t->fd);
    free(t->buf);
    free(t->path);
    free(t);
    return rc;
}
