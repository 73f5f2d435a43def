/*
 * audit.c - the audit log writer (format and threading in audit.h).
 *
 * The failure tracker is a small table of source addresses with a window
 * start and a count; an address not in it takes the slot whose window is
 * oldest. Losing an old address only delays its "suspicious activity"
 * line, never an "authentication failure" line, which is written for
 * every refusal.
 */
#include "qte/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hktime.h"
#include "common/log.h"
#include "common/util.h"

#define LC_AUDIT "qte.audit"

static int open_path(const char *path)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        for (char *p = dir + 1; *p; p++) {
            if (*p == '/') {
                *p = 0;
                mkdir(dir, 0750);
                *p = '/';
            }
        }
        mkdir(dir, 0750);
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    return fd < 0 ? -errno : fd;
}

int qte_audit_open(qte_audit *a, const char *path)
{
    memset(a, 0, sizeof(*a));
    pthread_mutex_init(&a->mu, NULL);
    snprintf(a->path, sizeof(a->path), "%s", path ? path : "");
    a->fd = -1;
    if (!a->path[0])
        return -ENOENT;
    int fd = open_path(a->path);
    if (fd < 0) {
        LOG(LOG_WARNING, LC_AUDIT, "audit_unwritable path=%s error=\"%s\"",
            a->path, strerror(-fd));
        return fd;
    }
    a->fd = fd;
    return 0;
}

int qte_audit_reopen(qte_audit *a)
{
    int fd = a->path[0] ? open_path(a->path) : -ENOENT;
    if (fd < 0)
        return fd;
    pthread_mutex_lock(&a->mu);
    int old = a->fd;
    a->fd = fd;
    pthread_mutex_unlock(&a->mu);
    if (old >= 0)
        close(old);
    return 0;
}

void qte_audit_close(qte_audit *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    pthread_mutex_destroy(&a->mu);
}

/* Write "<time> <text>\n" with one write(2). */
static void emit(qte_audit *a, const char *text)
{
    char ts[30];
    char line[1200];
    hktime_format_utc_iso(hktime_now_ms(), ts);
    int n = snprintf(line, sizeof(line), "%s %s\n", ts, text);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line)) {
        n = (int)sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    pthread_mutex_lock(&a->mu);
    int fd = a->fd;
    if (fd >= 0 && util_write_all(fd, line, (size_t)n) == 0)
        fd = -2;
    pthread_mutex_unlock(&a->mu);
    if (fd != -2)
        LOG(LOG_WARNING, LC_AUDIT, "audit_unwritable path=%s record=%s",
            a->path[0] ? a->path : "none", text);
}

/* Count a failure of src; true when it just reached the threshold. */
static bool track_failure(qte_audit *a, const char *src, int *failures)
{
    int64_t now = hktime_mono_ms();
    qte_audit_src *slot = NULL;
    qte_audit_src *victim = NULL;
    bool hit;
    pthread_mutex_lock(&a->mu);
    for (int i = 0; i < QTE_AUDIT_TRACK && !slot; i++) {
        qte_audit_src *s = &a->src[i];
        if (s->failures && strcmp(s->addr, src) == 0)
            slot = s;
        else if (!victim || !s->failures ||
                 (victim->failures &&
                  s->window_start_ms < victim->window_start_ms))
            victim = s;
    }
    if (!slot) {
        slot = victim;
        memset(slot, 0, sizeof(*slot));
        snprintf(slot->addr, sizeof(slot->addr), "%s", src);
    }
    if (!slot->failures || now - slot->window_start_ms > QTE_AUDIT_WINDOW_MS) {
        slot->window_start_ms = now;
        slot->failures = 0;
    }
    slot->failures++;
    *failures = slot->failures;
    hit = slot->failures == QTE_AUDIT_SUSPICIOUS_FAILURES;
    pthread_mutex_unlock(&a->mu);
    return hit;
}

void qte_audit_auth_failure(qte_audit *a, const char *src, const char *method,
                            const char *path, const char *reason)
{
    char qs[80];
    char qp[600];
    char text[1000];
    int failures = 0;
    log_quote(src, qs, sizeof(qs));
    snprintf(text, sizeof(text),
             "authentication failure src=%s method=%s path=%s reason=%s", qs,
             method, log_quote(path, qp, sizeof(qp)), reason);
    emit(a, text);
    LOG(LOG_WARNING, LC_AUDIT, "admin_denied src=%s path=%s reason=%s", qs, qp,
        reason);
    if (track_failure(a, src, &failures)) {
        snprintf(text, sizeof(text),
                 "suspicious activity src=%s failures=%d window_sec=%d", qs,
                 failures, QTE_AUDIT_WINDOW_MS / 1000);
        emit(a, text);
    }
}

void qte_audit_action(qte_audit *a, const char *who, const char *src,
                      const char *method, const char *path, const char *result)
{
    char qs[80];
    char qp[600];
    char qr[600];
    char qw[80];
    char text[1000];
    snprintf(text, sizeof(text),
             "admin action key=%s src=%s method=%s path=%s result=%s",
             log_quote(who, qw, sizeof(qw)), log_quote(src, qs, sizeof(qs)),
             method, log_quote(path, qp, sizeof(qp)),
             log_quote(result, qr, sizeof(qr)));
    emit(a, text);
}
