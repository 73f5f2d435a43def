/*
 * notify.h - systemd service notifications (sd_notify), compat.md §11.4.
 *
 * Built with libsystemd (HAVE_SYSTEMD) these send READY=1, STOPPING=1,
 * WATCHDOG=1 and STATUS=... to $NOTIFY_SOCKET; without NOTIFY_SOCKET
 * libsystemd sends nothing, and without libsystemd every call is a no-op.
 * Failures are ignored: notification is advisory. Any thread.
 */
#ifndef HK_SVC_NOTIFY_H
#define HK_SVC_NOTIFY_H

/* READY=1: configuration checked, the service is up. */
void svc_notify_ready(void);
/* STOPPING=1: a stop has begun. */
void svc_notify_stopping(void);
/* WATCHDOG=1: the main loop is alive and making progress. */
void svc_notify_watchdog(void);
/* STATUS=<printf text>: one line shown by `systemctl status`. */
void svc_notify_status(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
