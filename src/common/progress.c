/*
 * progress.c - the progress line of long CLI work.
 *
 * The owner thread calls progress_set as work advances; a redraw happens
 * only when PROGRESS_INTERVAL_MS passed since the last one, so a tight loop
 * pays one clock read per call. For calls that block without a hook (one
 * SQLite backup step copies a whole day) progress_watch_start runs a
 * helper thread that stats the growing output file and redraws; while it
 * runs only it draws (done is atomic, drawing state belongs to whichever
 * thread is the single drawer at the time). Each redraw writes
 * "\r<text><spaces>" with one write(2) so lines never interleave, and the
 * padding wipes the tail of a longer previous line.
 */
#include "common/progress.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/hktime.h"
#include "common/util.h"

bool progress_wanted(bool json)
{
    return !json && isatty(STDERR_FILENO);
}

static const char *amount(char *buf, size_t cap, progress_unit unit, double v)
{
    static const char *const sfx[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;

    if (unit == PROGRESS_ROWS) {
        snprintf(buf, cap, "%.0f rows", v);
        return buf;
    }
    while (v >= 1024.0 && i < 4) {
        v /= 1024.0;
        i++;
    }
    if (i == 0)
        snprintf(buf, cap, "%.0f B", v);
    else
        snprintf(buf, cap, "%.1f %s", v, sfx[i]);
    return buf;
}

const char *progress_format(char *buf, size_t cap, const char *label,
                            progress_unit unit, int64_t done, int64_t total,
                            int64_t elapsed_ms)
{
    char d[32], t[32], r[32], left[48] = "";
    double sec = elapsed_ms > 0 ? (double)elapsed_ms / 1000.0 : 0.0;
    double rate = sec > 0 ? (double)done / sec : 0.0;

    amount(d, sizeof(d), unit, (double)done);
    amount(r, sizeof(r), unit, rate);
    if (total > 0 && rate > 0 && done <= total) {
        long s = (long)((double)(total - done) / rate + 0.5);
        snprintf(left, sizeof(left), ", %ld:%02ld left", s / 60, s % 60);
    }
    if (total > 0)
        util_fmt(buf, cap, "%s: %s / %s (%d%%) %s/s%s", label, d,
                 amount(t, sizeof(t), unit, (double)total),
                 (int)(done >= total ? 100 : done * 100 / total), r, left);
    else
        util_fmt(buf, cap, "%s: %s, %s/s", label, d, r);
    return buf;
}

static void draw(progress *p, int64_t now)
{
    char text[192], line[256];
    int64_t done = atomic_load(&p->done);

    progress_format(text, sizeof(text), p->label, p->unit, done, p->total,
                    now - p->start_ms);
    util_fmt(line, sizeof(line), "\r%-79s", text);
    (void)util_write_all(p->fd, line, strlen(line));
    p->drawn = true;
    p->last_ms = now;
}

void progress_init(progress *p, const char *label, progress_unit unit,
                   int64_t total, bool enabled)
{
    memset(p, 0, sizeof(*p));
    p->enabled = enabled;
    util_fmt(p->label, sizeof(p->label), "%s", label);
    p->unit = unit;
    p->total = total < 0 ? 0 : total;
    atomic_init(&p->done, 0);
    atomic_init(&p->stop, false);
    p->fd = STDERR_FILENO;
    p->start_ms = hktime_mono_ms();
    p->last_ms = p->start_ms;
}

void progress_set(progress *p, int64_t done)
{
    int64_t now;

    if (!p->enabled)
        return;
    atomic_store(&p->done, done);
    now = hktime_mono_ms();
    if (now - p->last_ms >= PROGRESS_INTERVAL_MS)
        draw(p, now);
}

static void *watch_main(void *arg)
{
    progress *p = arg;
    struct timespec ts = {0, PROGRESS_INTERVAL_MS * 1000000L};

    while (!atomic_load(&p->stop)) {
        int64_t n;
        nanosleep(&ts, NULL);
        if (atomic_load(&p->stop))
            break;
        if (util_file_size(p->path, &n) == 0)
            atomic_store(&p->done, n);
        draw(p, hktime_mono_ms());
    }
    return NULL;
}

int progress_watch_start(progress *p, const char *path)
{
    int rc;

    if (!p->enabled || p->watching)
        return 0;
    util_fmt(p->path, sizeof(p->path), "%s", path);
    atomic_store(&p->stop, false);
    rc = pthread_create(&p->thread, NULL, watch_main, p);
    if (rc != 0)
        return -rc;
    p->watching = true;
    return 0;
}

void progress_watch_stop(progress *p)
{
    if (!p->watching)
        return;
    int64_t n;
    atomic_store(&p->stop, true);
    pthread_join(p->thread, NULL);
    p->watching = false;
    if (util_file_size(p->path, &n) == 0)
        atomic_store(&p->done, n);
}

void progress_finish(progress *p)
{
    if (!p->enabled)
        return;
    progress_watch_stop(p);
    if (p->total > 0 && atomic_load(&p->done) > p->total)
        p->total = atomic_load(&p->done);
    draw(p, hktime_mono_ms());
    (void)util_write_all(p->fd, "\n", 1);
    p->enabled = false;
}
