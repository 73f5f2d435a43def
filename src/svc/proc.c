/*
 * proc.c - /proc/self figures (see proc.h).
 *
 * /proc/self/stat is parsed after the last ')' so a command name holding
 * spaces or parentheses cannot shift the fields: after ") " come state (3)
 * ... utime (14), stime (15), num_threads (20), rss in pages (24).
 */
#include "svc/proc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static long count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    long n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}

int svc_proc_read(svc_proc_stats *out)
{
    FILE *f = fopen("/proc/self/stat", "r");
    unsigned long ut = 0, st = 0;
    long threads = 0, rss_pages = 0;
    char line[1024];
    int rc = -EINVAL;

    memset(out, 0, sizeof(*out));
    out->open_fds = -1;
    if (!f)
        return -errno;
    if (fgets(line, sizeof(line), f)) {
        char *p = strrchr(line, ')');
        if (p && sscanf(p + 2,
                        "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                        "%lu %lu %*d %*d %*d %*d %ld %*d %*u %*u %ld",
                        &ut, &st, &threads, &rss_pages) == 4) {
            long hz = sysconf(_SC_CLK_TCK);
            out->cpu_sec = (double)(ut + st) / (double)(hz > 0 ? hz : 100);
            out->rss_bytes = (long long)rss_pages * sysconf(_SC_PAGESIZE);
            out->threads = threads;
            rc = 0;
        }
    }
    fclose(f);
    if (rc == 0)
        out->open_fds = count_fds();
    return rc;
}
