/*
 * tgmsg.h - the text of every Telegram message (pure formatting).
 *
 * Plain text (no parse mode), short enough for a phone screen: the first
 * line says which instance and what happened, then since when, the
 * numbers, and the one command to run. Examples (instance "hk1"):
 *
 *   [hk1] ALERT OpenD disconnected
 *   since 10:15:01 HKT (2m05s)
 *   reconnects 3, queue 0/200000, spool 0
 *   run: systemctl status futu-opend
 *
 *   [hk1] RECOVERED OpenD disconnected
 *   lasted 2m05s, since 10:15:01 HKT
 *   run: hk-tickctl status
 *
 *   [hk1] HEALTH OK open
 *   OpenD connected, 3 symbols
 *   rows/min 1234, lag 0.8s, last commit 0.4s ago
 *   queue 0/200000, spool 0, uptime 1h02m
 *   host load 0.12, rss 35.2 MB, disk free 42%
 *   run: hk-tickctl status
 *
 * Every function writes a NUL-terminated text into buf and returns its
 * length, or -1 if it did not fit (buf then holds a truncated text).
 */
#ifndef HK_COLLECTOR_TGMSG_H
#define HK_COLLECTOR_TGMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum tgmsg_code {
    TGMSG_DISCONNECT = 0,
    TGMSG_PERSIST_STALL,
    TGMSG_SQLITE_BUSY,
    TGMSG_DISK_LOW,
    TGMSG_SPOOL_GROWING,
    TGMSG_DATA_LAG,
    TGMSG_N_CODES,
} tgmsg_code;

/* The numbers a message may show; a negative value means unknown. */
typedef struct tgmsg_facts {
    const char *instance;  /* INSTANCE_ID, else the host name */
    const char *phase;     /* phase_name() */
    const char *data_root; /* DATA_ROOT */
    int64_t now_ms;        /* UTC ms */
    int day;               /* HK date YYYYMMDD of now */
    bool connected;
    int symbols;
    size_t queue;
    size_t queue_cap;
    size_t spool_rows;
    long long rows_per_min;     /* persisted in the last minute */
    long long reconnects;       /* since start */
    long long busy_per_min;     /* SQLite busy backoffs, last minute */
    double last_commit_age_sec; /* < 0: no commit yet */
    double lag_sec;             /* now - newest trade; < 0: none seen */
    int64_t uptime_sec;
    int disk_free_pct; /* < 0 unknown */
    double disk_free_gb;
    double load1;  /* < 0 unknown (or system metrics off) */
    double rss_mb; /* < 0 unknown */
} tgmsg_facts;

/* "DISCONNECT", "PERSIST_STALL", "SQLITE_BUSY", "DISK_LOW",
 * "SPOOL_GROWING", "DATA_LAG" (static strings). */
const char *tgmsg_code_name(tgmsg_code code);
/* "WARN" or "ALERT": how bad the condition is (static strings). */
const char *tgmsg_code_severity(tgmsg_code code);

/* "42s", "5m03s", "2h07m" into buf (cap >= 16). Returns buf. */
const char *tgmsg_duration(int64_t sec, char *buf, size_t cap);

/* The notifier's first message. */
int tgmsg_started(const tgmsg_facts *f, const char *version, long pid,
                  char *buf, size_t cap);
/* The collector is exiting abnormally (watchdog, fatal error). */
int tgmsg_stopping(const tgmsg_facts *f, const char *reason, char *buf,
                   size_t cap);
/* Health digest; severity "OK", "WARN" or "ALERT". */
int tgmsg_digest(const tgmsg_facts *f, const char *severity, char *buf,
                 size_t cap);
/* An alert (reminder = 0) or its n-th reminder; since_ms = episode start.*/
int tgmsg_alert(tgmsg_code code, int reminder, int64_t since_ms,
                const tgmsg_facts *f, char *buf, size_t cap);
/* The condition of an earlier alert has cleared. */
int tgmsg_recovered(tgmsg_code code, int64_t since_ms, const tgmsg_facts *f,
                    char *buf, size_t cap);

#endif
