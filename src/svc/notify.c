/*
 * notify.c - sd_notify wrapper (see notify.h). The HAVE_SYSTEMD switch
 * lives here only, so no daemon needs an #ifdef of its own.
 */
#include "svc/notify.h"

#include <stdarg.h>
#include <stdio.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

void svc_notify_ready(void)
{
#ifdef HAVE_SYSTEMD
    sd_notify(0, "READY=1");
#endif
}

void svc_notify_stopping(void)
{
#ifdef HAVE_SYSTEMD
    sd_notify(0, "STOPPING=1");
#endif
}

void svc_notify_watchdog(void)
{
#ifdef HAVE_SYSTEMD
    sd_notify(0, "WATCHDOG=1");
#endif
}

void svc_notify_status(const char *fmt, ...)
{
#ifdef HAVE_SYSTEMD
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    sd_notifyf(0, "STATUS=%s", line);
#else
    (void)fmt;
#endif
}
