/*
 * prom.c - Prometheus text writer (see prom.h).
 *
 * svc_buf grows by doubling from 8 KiB, so a /metrics page of a few
 * hundred lines costs two or three allocations. Numbers use %.17g (exact
 * round trip of a double) for samples, and %.6g / %.6f for histogram
 * bounds and sums, which is what the collector has always served; the
 * bytes are pinned by tests/unit/test_svc_prom.c.
 */
#include "svc/prom.h"
#include "svc/proc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void svc_buf_printf(svc_buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        size_t room = b->cap - b->n;
        va_start(ap, fmt);
        int w = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        if (w < 0)
            return;
        if (b->p && (size_t)w < room) {
            b->n += (size_t)w;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 8192;
        while (nc < b->n + (size_t)w + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = true;
            if (b->p)
                b->p[b->n] = '\0';
            return;
        }
        b->p = np;
        b->cap = nc;
    }
}

void svc_buf_free(svc_buf *b)
{
    free(b->p);
    *b = (svc_buf){0};
}

char *svc_buf_take(svc_buf *b)
{
    char *p = b->oom ? NULL : b->p;
    if (b->oom)
        free(b->p);
    *b = (svc_buf){0};
    return p;
}

void svc_prom_header(svc_buf *b, const char *name, const char *type,
                     const char *help)
{
    svc_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void svc_prom_sample(svc_buf *b, const char *name, const char *labels, double v)
{
    if (labels && *labels)
        svc_buf_printf(b, "%s{%s} %.17g\n", name, labels, v);
    else
        svc_buf_printf(b, "%s %.17g\n", name, v);
}

void svc_prom_metric(svc_buf *b, const char *name, const char *type,
                     const char *help, double v)
{
    svc_prom_header(b, name, type, help);
    svc_prom_sample(b, name, NULL, v);
}

const char *svc_prom_label_escape(const char *v, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return out;
    for (; v && *v; v++) {
        bool esc = *v == '\\' || *v == '"' || *v == '\n';
        if (o + (esc ? 2 : 1) >= cap)
            break;
        if (esc)
            out[o++] = '\\';
        out[o++] = *v == '\n' ? 'n' : *v;
    }
    out[o] = '\0';
    return out;
}

void svc_prom_hist(svc_buf *b, const char *name, const char *help,
                   const svc_hist *h)
{
    long long cum = 0;
    double sum = 0;
    svc_prom_header(b, name, "histogram", help);
    for (int i = 0; i < SVC_HIST_BUCKETS; i++) {
        long long v = atomic_load(&h->b[i]);
        double upper_ms = svc_hist_upper_ms(i);
        double lower_ms = svc_hist_lower_ms(i);
        cum += v;
        sum += (double)v * (upper_ms + lower_ms) / 2.0 / 1000.0;
        if (i % 2 == 1 || i == SVC_HIST_BUCKETS - 1)
            svc_buf_printf(b, "%s_bucket{le=\"%.6g\"} %lld\n", name,
                           upper_ms / 1000.0, cum);
    }
    svc_buf_printf(b,
                   "%s_bucket{le=\"+Inf\"} %lld\n%s_sum %.6f\n%s_count %lld\n",
                   name, cum, name, sum, name, cum);
}

void svc_prom_process(svc_buf *b)
{
    svc_proc_stats ps;
    if (svc_proc_read(&ps) != 0)
        return;
    svc_prom_metric(b, "process_cpu_seconds_total", "counter",
                    "CPU time (user + system).", ps.cpu_sec);
    svc_prom_metric(b, "process_resident_memory_bytes", "gauge",
                    "Resident set size.", (double)ps.rss_bytes);
}
