/*
 * log.h - one-line log records for operators (compat.md §3.1).
 *
 *   2026-02-27 10:15:01.234+08:00 INFO hk_tick_collector.futu_client health
 *   connected=True sid=sid-1a2b3c4d queue=0/200000 ...
 *
 * Date and time are host local time with milliseconds and UTC offset; the
 * level is DEBUG INFO WARNING ERROR CRITICAL (never WARN); then the
 * component, the event and key=value pairs. Each record is formatted into a
 * stack buffer and written with one write(2), so records from different
 * threads never interleave. LOG() checks the level before evaluating its
 * arguments. The level and output fd are process-wide atomics set at start.
 */
#ifndef HK_COMMON_LOG_H
#define HK_COMMON_LOG_H

#include <stddef.h>

enum log_level {
    LOG_DEBUG = 10,
    LOG_INFO = 20,
    LOG_WARNING = 30,
    LOG_ERROR = 40,
    LOG_CRITICAL = 50,
};

#define LOG_LINE_MAX 8192

int log_level_get(void);
void log_level_set(int level);
/* Parse "DEBUG".."CRITICAL" (any case; "WARN" accepted). -1 if unknown. */
int log_level_parse(const char *s);
const char *log_level_name(int level);
/* Send records to fd (default 2). */
void log_set_fd(int fd);
int log_get_fd(void);

/*
 * Send records to path (opened O_APPEND|O_CREAT, 0640); path NULL or ""
 * means stderr. log_reopen() reopens the same path (logrotate's move +
 * SIGHUP): records are never lost, the old fd is closed only after the new
 * one is in place. Returns 0 or -errno (logging is left unchanged).
 */
int log_open_file(const char *path);
int log_reopen(void);
/* JSON lines: {"ts":…,"level":…,"logger":…,"event":…, key: value …}. */
void log_set_json(int on);

/* Write one record; fmt produces "event key=value ...". */
void log_write(int level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG(level, component, ...)                                             \
    do {                                                                       \
        if ((level) >= log_level_get())                                        \
            log_write((level), (component), __VA_ARGS__);                      \
    } while (0)

/*
 * Render value for a key=value field: as-is when it has no space, '"',
 * '=' or control character, else double-quoted with \" and \\ escapes,
 * CR/LF as \r \n and other control bytes (but tab) as \xHH, so no input
 * can end the line or forge a field; NULL/empty -> "none".
 * Returns buf (always NUL-terminated, truncated to cap).
 */
const char *log_quote(const char *value, char *buf, size_t cap);

/* Component names of the reference implementation. */
#define LC_COLLECTOR "hk_tick_collector.collector"
#define LC_DB "hk_tick_collector.db"
#define LC_FUTU "hk_tick_collector.futu_client"
#define LC_MAPPING "hk_tick_collector.mapping"
#define LC_MARKET "hk_tick_collector.market_state"
#define LC_MAIN "hk_tick_collector.main"
#define LC_SIM "opend_sim"

#endif
