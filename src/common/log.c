/*
 * log.c - formatting and writing of log records.
 *
 * Level and fd are atomics so any thread may log without a lock; each
 * record is one write(2) of a complete line (PIPE_BUF-atomic for short
 * lines on pipes and journald streams). Time comes from CLOCK_REALTIME and
 * localtime_r: logs show the host's local time with its UTC offset, while
 * data never depends on the host zone.
 */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static atomic_int g_level = LOG_INFO;
static atomic_int g_fd = 2;

int log_level_get(void)
{
    return atomic_load_explicit(&g_level, memory_order_relaxed);
}

void log_level_set(int level)
{
    atomic_store(&g_level, level);
}

void log_set_fd(int fd)
{
    atomic_store(&g_fd, fd);
}

int log_get_fd(void)
{
    return atomic_load(&g_fd);
}

int log_level_parse(const char *s)
{
    static const struct {
        const char *name;
        int level;
    } names[] = {
        {"DEBUG", LOG_DEBUG},     {"INFO", LOG_INFO},
        {"WARNING", LOG_WARNING}, {"WARN", LOG_WARNING},
        {"ERROR", LOG_ERROR},     {"CRITICAL", LOG_CRITICAL},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(s, names[i].name) == 0)
            return names[i].level;
    return -1;
}

const char *log_level_name(int level)
{
    if (level >= LOG_CRITICAL)
        return "CRITICAL";
    if (level >= LOG_ERROR)
        return "ERROR";
    if (level >= LOG_WARNING)
        return "WARNING";
    if (level >= LOG_INFO)
        return "INFO";
    return "DEBUG";
}

void log_write(int level, const char *component, const char *fmt, ...)
{
    int saved_errno = errno;
    char line[LOG_LINE_MAX];
    struct timespec ts;
    struct tm tm;
    size_t n;
    int w;
    va_list ap;

    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    w = snprintf(line, sizeof(line),
                 "%04d-%02d-%02d %02d:%02d:%02d.%03ld%c%02ld:%02ld %s %s ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, sign, off / 3600,
                 (off % 3600) / 60, log_level_name(level), component);
    n = w > 0 ? (size_t)w : 0;
    if (n >= sizeof(line))
        n = sizeof(line) - 1;
    va_start(ap, fmt);
    w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (w > 0)
        n += (size_t)w;
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2; /* truncated: keep it one line */
    /* One record per line: fold any embedded newline. */
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';
    const char *p = line;
    int fd = log_get_fd();
    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        p += r;
        n -= (size_t)r;
    }
    errno = saved_errno;
}

const char *log_quote(const char *value, char *buf, size_t cap)
{
    size_t o = 0;

    if (cap == 0)
        return buf;
    if (!value || !*value) {
        snprintf(buf, cap, "none");
        return buf;
    }
    if (!strpbrk(value, " \"=\t")) {
        snprintf(buf, cap, "%s", value);
        return buf;
    }
    if (o + 1 < cap)
        buf[o++] = '"';
    for (const char *s = value; *s && o + 3 < cap; s++) {
        if (*s == '"' || *s == '\\')
            buf[o++] = '\\';
        buf[o++] = *s;
    }
    if (o + 1 < cap)
        buf[o++] = '"';
    buf[o < cap ? o : cap - 1] = '\0';
    return buf;
}
