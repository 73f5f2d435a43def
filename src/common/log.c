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
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static atomic_int g_level = LOG_INFO;
static atomic_int g_fd = 2;
static atomic_int g_json = 0;
/* Only the event thread opens/reopens; the path is set once at start. */
static char g_path[1024];

int log_open_file(const char *path)
{
    int fd, old;

    if (!path || !*path) {
        g_path[0] = '\0';
        old = atomic_exchange(&g_fd, 2);
        if (old > 2)
            close(old);
        return 0;
    }
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return -errno;
    if (path != g_path)
        snprintf(g_path, sizeof(g_path), "%s", path);
    old = atomic_load(&g_fd);
    if (old > 2) {
        /* Swap the file under the same descriptor number: a thread that
         * already loaded `old` writes to the new file, never to whatever
         * else might reuse a closed number. */
        if (dup2(fd, old) < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        close(fd);
        return 0;
    }
    atomic_store(&g_fd, fd);
    return 0;
}

int log_reopen(void)
{
    if (!g_path[0])
        return 0;
    return log_open_file(g_path);
}

void log_set_json(int on)
{
    atomic_store(&g_json, on);
}

/* Append s to out as a JSON string body (escaped), within cap. */
static size_t json_str(char *out, size_t o, size_t cap, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o + 7 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    return o;
}

/*
 * Turn "event k=v k2=\"a b\"" into JSON members. Values stay strings
 * (the text form's exact spelling, e.g. True/none, is kept).
 */
static size_t to_json(char *out, size_t cap, const char *ts, const char *lvl,
                      const char *comp, const char *msg)
{
    size_t o = 0;
    const char *p = msg;
    const char *ev_end = strchr(p, ' ');
    size_t ev_len = ev_end ? (size_t)(ev_end - p) : strlen(p);

    o += (size_t)snprintf(out, cap,
                          "{\"ts\":\"%s\",\"level\":\"%s\","
                          "\"logger\":\"%s\",\"event\":\"",
                          ts, lvl, comp);
    /* Events like "WATCHDOG persistent_stall" keep both words. */
    if (ev_len == 8 && strncmp(p, "WATCHDOG", 8) == 0 && ev_end) {
        const char *e2 = strchr(ev_end + 1, ' ');
        ev_len = e2 ? (size_t)(e2 - p) : strlen(p);
    }
    o = json_str(out, o, cap, p, ev_len);
    if (o + 2 < cap)
        out[o++] = '"';
    p += ev_len;
    while (*p && o + 16 < cap) {
        while (*p == ' ')
            p++;
        const char *eq = p;
        while (*eq && *eq != '=' && *eq != ' ')
            eq++;
        if (*eq != '=') {
            /* free text (e.g. "reconnecting in 3s"): keep as "text" */
            o += (size_t)snprintf(out + o, cap - o, ",\"text\":\"");
            o = json_str(out, o, cap, p, strlen(p));
            if (o + 2 < cap)
                out[o++] = '"';
            break;
        }
        o += (size_t)snprintf(out + o, cap - o, ",\"");
        o = json_str(out, o, cap, p, (size_t)(eq - p));
        o += (size_t)snprintf(out + o, cap - o, "\":\"");
        p = eq + 1;
        if (*p == '"') {
            p++;
            while (*p && *p != '"' && o + 8 < cap) {
                if (*p == '\\' && p[1])
                    p++;
                o = json_str(out, o, cap, p, 1);
                p++;
            }
            if (*p == '"')
                p++;
        } else {
            const char *e = p;
            while (*e && *e != ' ')
                e++;
            o = json_str(out, o, cap, p, (size_t)(e - p));
            p = e;
        }
        if (o + 2 < cap)
            out[o++] = '"';
    }
    if (o + 2 < cap)
        out[o++] = '}';
    out[o] = '\0';
    return o;
}

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
        {"DEBUG", LOG_DEBUG},  {"INFO", LOG_INFO},   {"WARNING", LOG_WARNING},
        {"WARN", LOG_WARNING}, {"ERROR", LOG_ERROR}, {"CRITICAL", LOG_CRITICAL},
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
    line[n] = '\0';
    char jline[LOG_LINE_MAX * 2];
    const char *p = line;
    if (atomic_load_explicit(&g_json, memory_order_relaxed)) {
        char ts[48];
        /* the text prefix is "date time level component " */
        snprintf(ts, sizeof(ts), "%.29s", line);
        ts[10] = 'T';
        size_t hdr = strlen(ts) + 1 + strlen(log_level_name(level)) + 1 +
                     strlen(component) + 1;
        n = to_json(jline, sizeof(jline) - 1, ts, log_level_name(level),
                    component, hdr < n ? line + hdr : "");
        p = jline;
        jline[n++] = '\n';
    } else {
        line[n++] = '\n';
    }
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

static bool needs_quote(const char *v)
{
    for (; *v; v++) {
        unsigned char c = (unsigned char)*v;
        if (c == ' ' || c == '"' || c == '=' || c < 0x20 || c == 0x7f)
            return true;
    }
    return false;
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
    if (!needs_quote(value)) {
        snprintf(buf, cap, "%s", value);
        return buf;
    }
    if (o + 1 < cap)
        buf[o++] = '"';
    for (const char *s = value; *s && o + 3 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c == '\n' || c == '\r') {
            buf[o++] = '\\';
            buf[o++] = c == '\n' ? 'n' : 'r';
        } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
            if (o + 6 > cap)
                break;
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    if (o + 1 < cap)
        buf[o++] = '"';
    buf[o < cap ? o : cap - 1] = '\0';
    return buf;
}
