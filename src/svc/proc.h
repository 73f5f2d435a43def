/*
 * proc.h - this process's resource figures from /proc (Linux).
 *
 * Read on demand (a /metrics scrape), never cached: one open/read/close of
 * /proc/self/stat and a scan of /proc/self/fd. Any thread.
 */
#ifndef HK_SVC_PROC_H
#define HK_SVC_PROC_H

typedef struct svc_proc_stats {
    double cpu_sec;      /* user + system CPU time */
    long long rss_bytes; /* current resident set (not the peak) */
    long threads;        /* threads in the process */
    long open_fds;       /* open file descriptors, -1 if unknown */
} svc_proc_stats;

/*
 * Fill out from /proc/self. Returns 0, or -errno when /proc/self/stat
 * cannot be read or parsed; then every field is 0 (open_fds -1).
 */
int svc_proc_read(svc_proc_stats *out);

#endif
