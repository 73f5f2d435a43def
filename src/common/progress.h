/*
 * progress.h - one updating progress line on stderr for long CLI work
 * (archive, export, restore): done, total, rate and time left.
 *
 * Shown only when enabled at init (callers pass progress_wanted(json):
 * stderr is a terminal and no --json), so pipes, logs and JSON consumers
 * never see it. Redrawn at most every PROGRESS_INTERVAL_MS with '\r';
 * progress_finish draws the final state and ends the line with '\n'.
 */
#ifndef HK_COMMON_PROGRESS_H
#define HK_COMMON_PROGRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROGRESS_INTERVAL_MS 250

typedef enum progress_unit {
    PROGRESS_BYTES = 0, /* shown as KiB/MiB/GiB */
    PROGRESS_ROWS,      /* shown as a count of rows */
} progress_unit;

typedef struct progress {
    bool enabled;
    char label[64];
    progress_unit unit;
    int64_t total; /* 0 = unknown */
    _Atomic int64_t done;
    int64_t start_ms;
    int64_t last_ms;
    int fd; /* where the line goes: STDERR_FILENO */
    bool drawn;
    /* file watcher (progress_watch_start) */
    bool watching;
    atomic_bool stop;
    pthread_t thread;
    char path[4096];
} progress;

/* Whether progress should be shown: stderr is a terminal and !json. */
bool progress_wanted(bool json);

/*
 * Start a progress line called label (copied, truncated to 63 bytes) for
 * total units (0 = unknown). With enabled false every other call is a
 * no-op. Never fails; pair with progress_finish.
 */
void progress_init(progress *p, const char *label, progress_unit unit,
                   int64_t total, bool enabled);
/* Record done units; redraws when PROGRESS_INTERVAL_MS have passed. */
void progress_set(progress *p, int64_t done);
/*
 * Track the size of the file path from a helper thread (every
 * PROGRESS_INTERVAL_MS) while the caller blocks in one long call it cannot
 * instrument (an SQLite backup step, a child process). Returns 0, or
 * -errno when the thread cannot start (progress then stays silent until
 * progress_set is called). Only one watch at a time; stop it with
 * progress_watch_stop before progress_set or progress_finish.
 */
int progress_watch_start(progress *p, const char *path);
/* Stop and join the watcher, then record the file's final size as done;
 * harmless when none runs. */
void progress_watch_stop(progress *p);
/*
 * Draw the final state (done, rate; a total below done is raised to it)
 * and end the line with '\n'; stops a watcher first. The struct may be reused
 * with progress_init afterwards.
 */
void progress_finish(progress *p);

/*
 * The text of one progress line (no '\r', no padding) into buf: e.g.
 * "export db: 12.0 MiB / 48.0 MiB (25%) 4.0 MiB/s, 0:09 left" or
 * "restore: 1200 rows, 400 rows/s". Pure; exposed for tests. Returns buf.
 */
const char *progress_format(char *buf, size_t cap, const char *label,
                            progress_unit unit, int64_t done, int64_t total,
                            int64_t elapsed_ms);

#endif
