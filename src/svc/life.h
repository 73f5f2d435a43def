/*
 * life.h - the daemon lifecycle: lock file, signals, admin hook, drain.
 *
 *   main()                      event loop                    after loop
 *   ──────                      ──────────                    ──────────
 *   svc_life_early_signals()    svc_life_start(): TERM/INT -> on_stop,
 *   (a TERM/INT now is            HUP -> on_reload, USR1 -> on_dump;
 *    remembered, not fatal)       an early TERM/INT is delivered now
 *   svc_lock_acquire()          svc_life_stop(): once; closes the
 *                                 signal handles, calls on_stop       drain
 * until svc_life_drain_ms() Threads: everything here runs on the event thread
 * except svc_admin_post (any thread) and the early handler (signal context,
 * async-signal-safe: it stores one sig_atomic_t).
 */
#ifndef HK_SVC_LIFE_H
#define HK_SVC_LIFE_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

/* ---- lock file ---------------------------------------------------------- */

/*
 * Open (creating, mode 0640) and flock(LOCK_EX|LOCK_NB) path. Returns 0
 * with the descriptor in *fd (held for the process's life, or until
 * svc_lock_release), or -EWOULDBLOCK when another process holds it, or
 * another -errno; *fd is -1 on failure.
 */
int svc_lock_acquire(const char *path, int *fd);
/* Close fd (which drops the lock); -1 is ignored. */
void svc_lock_release(int fd);

/* ---- signals and stop --------------------------------------------------- */

typedef struct svc_life svc_life;

typedef struct svc_life_cbs {
    /* A stop began: signal name ("SIGTERM", "SIGINT") or NULL when asked
     * by svc_life_stop; early is true for a signal caught during start-up. */
    void (*on_stop)(svc_life *l, const char *signame, bool early);
    void (*on_reload)(svc_life *l); /* SIGHUP */
    void (*on_dump)(svc_life *l);   /* SIGUSR1 */
} svc_life_cbs;

struct svc_life {
    svc_life_cbs cb;
    void *ud; /* the daemon's, for the callbacks */
    uv_signal_t sig[4];
    bool started;
    bool stopping;
    int exit_code;
    const char *exit_reason; /* static string or NULL */
};

/*
 * Before anything else in main: ignore SIGPIPE, SIGHUP and SIGUSR1, and
 * remember SIGTERM/SIGINT instead of dying, so a stop during config load,
 * spool replay or seeding becomes a clean stop once the loop runs.
 */
void svc_life_early_signals(void);
/* The TERM/INT caught early (its number), or 0. */
int svc_life_early_stop(void);

/*
 * Install the libuv handlers on loop (replacing the early ones). If a
 * TERM/INT arrived early, on_stop is called now with early = true, and
 * true is returned so the caller skips starting its work. Returns false
 * otherwise. Call once, on the event thread.
 */
bool svc_life_start(svc_life *l, uv_loop_t *loop, const svc_life_cbs *cb,
                    void *ud);

/*
 * Begin the stop once (later calls only keep the first non-zero code):
 * record code and reason, close the signal handles, call on_stop with
 * signame NULL. Event thread.
 */
void svc_life_stop(svc_life *l, int code, const char *reason);

/*
 * The drain limit in ms: normal_sec * 1000 after a clean stop (exit code
 * 0), fatal_ms after a failure, where the process should not linger.
 */
int64_t svc_life_drain_ms(const svc_life *l, double normal_sec,
                          int64_t fatal_ms);

/* ---- admin hook: HTTP thread -> event loop ------------------------------ */

typedef struct svc_admin svc_admin;
/* Runs on the event thread with the OR of the action bits posted since
 * the last call. */
typedef void (*svc_admin_fn)(svc_admin *a, int actions);

struct svc_admin {
    uv_async_t async;
    atomic_int pending;
    svc_admin_fn fn;
    void *ud;
    atomic_bool open;
};

/* Returns 0 or a negative libuv error (then nothing is open). */
int svc_admin_init(svc_admin *a, uv_loop_t *loop, svc_admin_fn fn, void *ud);
/* Any thread: add action bits and wake the loop. A post after
 * svc_admin_close is ignored. */
void svc_admin_post(svc_admin *a, int actions);
/* Event thread: stop delivering; pending bits are dropped. */
void svc_admin_close(svc_admin *a);

#endif
