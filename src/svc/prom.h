/*
 * prom.h - Prometheus text exposition (format 0.0.4) into a growable
 * buffer.
 *
 *   # HELP hk_up 1 while the collector runs.
 *   # TYPE hk_up gauge
 *   hk_up 1
 *
 * svc_buf is a plain malloc'd string builder: the caller owns it, starts
 * it zeroed ({0}) and takes b.p (NUL-terminated, malloc'd) at the end or
 * frees it with svc_buf_free. A failed allocation leaves the text written
 * so far and sets b.oom; callers that must not serve a truncated page
 * check it. Not thread-safe: one buffer per request.
 */
#ifndef HK_SVC_PROM_H
#define HK_SVC_PROM_H

#include <stdbool.h>
#include <stddef.h>

#include "svc/hist.h"

typedef struct svc_buf {
    char *p;    /* NUL-terminated text, malloc'd; NULL until first write */
    size_t n;   /* bytes used, excluding the NUL */
    size_t cap; /* bytes allocated */
    bool oom;   /* an append failed for lack of memory */
} svc_buf;

/* Append formatted text. On allocation failure nothing is appended and
 * b->oom is set. */
void svc_buf_printf(svc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Free the text and reset the buffer to {0}. */
void svc_buf_free(svc_buf *b);
/* The finished text (caller frees), or NULL after freeing it when an
 * allocation failed on the way (b.oom): a page is served whole or not at
 * all. b is empty afterwards. */
char *svc_buf_take(svc_buf *b);

/* "# HELP name help\n# TYPE name type\n". */
void svc_prom_header(svc_buf *b, const char *name, const char *type,
                     const char *help);
/* One sample line: name[{labels}] value (%.17g). labels is the text
 * between the braces (e.g. "reason=\"nan\""), NULL or "" for none. */
void svc_prom_sample(svc_buf *b, const char *name, const char *labels,
                     double v);
/* Header plus one unlabelled sample: a whole gauge or counter. */
void svc_prom_metric(svc_buf *b, const char *name, const char *type,
                     const char *help, double v);
/* Escape a label value (\\, \", \n) into out (cap bytes, always
 * NUL-terminated, truncated). Returns out. */
const char *svc_prom_label_escape(const char *v, char *out, size_t cap);

/*
 * A histogram in seconds from an svc_hist in ms: every second bucket
 * boundary (32 "le" lines) plus the last, +Inf, _sum (bucket midpoints)
 * and _count. The buckets are loaded once each, so _count always equals
 * the +Inf bucket.
 */
void svc_prom_hist(svc_buf *b, const char *name, const char *help,
                   const svc_hist *h);

/* process_cpu_seconds_total and process_resident_memory_bytes from
 * /proc/self (svc/proc.h); nothing when /proc cannot be read. */
void svc_prom_process(svc_buf *b);

#endif
