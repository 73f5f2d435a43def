/*
 * audit.h - qte-engine's audit log (QTE_AUDIT_LOG, default
 * /var/log/qte/audit.log): who touched the admin API, and who failed to.
 *
 * One line per record, UTC time with milliseconds, then the event, then
 * key=value fields (values quoted like log.h's log_quote):
 *
 *   2026-12-06T07:05:00.123+00:00 authentication failure src=127.0.0.1
 *       method=GET path=/admin/queue/status reason=missing_key
 *   2026-12-06T07:05:03.480+00:00 admin action key=admin src=127.0.0.1
 *       method=POST path=/admin/queue/clear result="dropped=12"
 *   2026-12-06T07:05:04.002+00:00 suspicious activity src=10.0.0.9
 *       failures=5 window_sec=60
 *
 * (each record is one line; wrapped here). "suspicious activity" is
 * written once per source address and window when that address has failed
 * QTE_AUDIT_SUSPICIOUS_FAILURES (5) times within 60 s. Records are written
 * with one write(2) on an O_APPEND descriptor, so they never interleave;
 * a mutex guards the failure tracker and the descriptor swap on reopen.
 */
#ifndef HK_QTE_AUDIT_H
#define HK_QTE_AUDIT_H

#include <pthread.h>
#include <stdint.h>

#define QTE_AUDIT_TRACK 64
#define QTE_AUDIT_SUSPICIOUS_FAILURES 5
#define QTE_AUDIT_WINDOW_MS 60000

typedef struct qte_audit_src {
    char addr[48];
    int64_t window_start_ms;
    int failures;
} qte_audit_src;

typedef struct qte_audit {
    char path[512];
    int fd;             /* -1 = closed: records go to the log instead */
    pthread_mutex_t mu; /* leaf; guards fd swaps and src[] */
    qte_audit_src src[QTE_AUDIT_TRACK];
} qte_audit;

/*
 * Open path for appending (created 0640 with its directory). Returns 0,
 * or a negative errno (a->fd is then -1 and records fall back to the
 * process log as `audit_unwritable` warnings). Call qte_audit_close after
 * either result.
 */
int qte_audit_open(qte_audit *a, const char *path);
/* Reopen the same path (after logrotate moved it). Returns 0 or -errno
 * (the old descriptor is kept). */
int qte_audit_reopen(qte_audit *a);
void qte_audit_close(qte_audit *a);

/* An admin request refused: writes "authentication failure" with the
 * source address, method, path and reason, and "suspicious activity"
 * when the address crossed the threshold. Any thread. */
void qte_audit_auth_failure(qte_audit *a, const char *src, const char *method,
                            const char *path, const char *reason);

/* An admin action done by key `who`; result is free text (quoted). */
void qte_audit_action(qte_audit *a, const char *who, const char *src,
                      const char *method, const char *path, const char *result);

#endif
