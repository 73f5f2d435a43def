/*
 * telegram.h - the Telegram notifier of the collector (compat.md App. A).
 *
 * Active only with TG_ENABLED=1, a token and a chat id; otherwise
 * telegram_start logs why it is off and nothing else runs. When active:
 *
 *   event thread: a 1 s timer (observer, tgobserve.c) reads the health
 *     snapshot and writer counters, runs the alert state machines and the
 *     digest schedule, formats messages and enqueues them. Enqueueing
 *     copies the text into a fixed slot under the queue mutex and never
 *     waits for the network; a full queue drops the message
 *     (telegram_queue_full) instead of growing.
 *   sender thread (telegram.c): takes one message at a time, applies
 *     TG_RATE_LIMIT_PER_MIN, calls sendMessage (tgapi), honours 429
 *     retry_after, retries network and 5xx errors, and logs
 *     telegram_send_ok / telegram_rate_limited / telegram_send_failed.
 *
 *   action thread (tgaction.c, only with TG_INTERACTIVE_ENABLED=1 and
 *     TG_ADMIN_USER_IDS): long-polls getUpdates and answers allow-listed
 *     read-only commands through the same queue (telegram_reply).
 *
 * Stop: telegram_close (event thread, at the start of shutdown) stops the
 * timer, enqueues an exit message when the collector is failing, and
 * gives the sender TELEGRAM_DRAIN_MS to flush; after that every transfer
 * and wait is aborted. telegram_free joins the thread, waiting at most
 * until that deadline plus one second, so a dead network never delays a
 * stop by more than a few seconds. The bot token never leaves tgapi's URL.
 *
 * Lock order: queue mutex (mu) is a leaf lock; nothing else is held with
 * it. Fields under "observer" are touched by the event thread only.
 */
#ifndef HK_COLLECTOR_TELEGRAM_H
#define HK_COLLECTOR_TELEGRAM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "collector/config.h"
#include "collector/health.h"
#include "collector/tgalert.h"
#include "collector/tgmsg.h"
#include "collector/tgsched.h"

#define TELEGRAM_TEXT_MAX 4096 /* Telegram's own limit */
#define TELEGRAM_DRAIN_MS 3000
#define TELEGRAM_SCHEMA "c1"
#define LC_TELEGRAM "hk_tick_collector.notifiers.telegram"

typedef struct telegram_msg {
    char text[TELEGRAM_TEXT_MAX];
    char kind[12];    /* START HEALTH ALERT RECOVERED STOP */
    char severity[8]; /* OK WARN ALERT */
    char code[24];    /* fingerprint: alert code, or the kind */
    char eid[16];     /* eid-xxxxxxxx, or "none" */
    long long thread; /* message_thread_id, 0 = none */
    char chat[64];    /* chat id; empty = TG_CHAT_ID */
} telegram_msg;

typedef struct telegram {
    const config *cfg;
    bool active;
    char instance[128];
    /* queue (mu): a ring of cap slots */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    telegram_msg *slots;
    int cap;
    int head;
    int count;
    bool stopping;
    bool thread_started;
    pthread_t thread;
    atomic_llong drain_deadline_mono; /* 0 = running */
    /* sender thread only */
    int64_t *sent_mono; /* ring of recent send times (rate limit) */
    int rate;
    int sent_pos;
    /* counters (any thread) */
    atomic_llong n_sent;
    atomic_llong n_failed;
    atomic_llong n_dropped;
    /* observer (event thread) */
    health *h;
    uv_timer_t timer;
    bool timer_on;
    int64_t start_wall;
    tgalert alerts[TGMSG_N_CODES];
    char eids[TGMSG_N_CODES][16];
    tgalert_cfg acfg;
    tgsched_cfg scfg;
    tgsched_state sched;
    const char *quiet_why; /* last telegram_health_suppressed reason */
    long long busy_ring[60];
    long long rows_ring[60];
    size_t spool_ring[60];
    int ring_pos;
    int ticks;
    int disk_free_pct;
    double disk_free_gb;
    /* interactive commands (tgaction.c; action thread only, except the
     * atomics) */
    bool action_started;
    pthread_t action_thread;
    atomic_bool action_stop;
    long long offset;  /* next getUpdates offset */
    int64_t *act_mono; /* ring of recent command times (rate limit) */
    int act_pos;
    char ctl_path[1024]; /* hk-tickctl next to the collector binary */
} telegram;

/*
 * Set up from cfg and, when the notifier is enabled and configured, start
 * the sender thread and the observer timer on loop (event thread), and
 * enqueue the "started" message. Logs telegram_notifier_started, or
 * telegram_notifier_disabled with the reason. Returns 0 (also when
 * disabled), or -1 when memory or the thread could not be had (logged;
 * the collector runs on without notifications). t must be zeroed or
 * freshly declared static; cfg and h must outlive t.
 */
int telegram_start(telegram *t, const config *cfg, uv_loop_t *loop, health *h);

/*
 * Event thread, at the start of shutdown: stop the observer, enqueue an
 * exit message when failure_reason is not NULL (watchdog give-up, fatal
 * error), and start the sender's drain deadline. Idempotent; no-op when
 * inactive.
 */
void telegram_close(telegram *t, const char *failure_reason);

/*
 * Join the sender (bounded by the drain deadline + 1 s; a sender still
 * stuck after that is detached and its memory left alone) and release
 * everything. Safe on a zeroed, inactive or already freed t.
 */
void telegram_free(telegram *t);

/*
 * Queue one message (any thread). kind/severity/code/reason/eid are
 * short words (reason: why now, e.g. raise, escalation, trading); text is
 * copied (cut at TELEGRAM_TEXT_MAX - 1). Logs telegram_enqueue, or
 * telegram_queue_full and returns -1 when the queue is full or stopping.
 * Returns 0 when queued.
 */
int telegram_enqueue(telegram *t, const char *kind, const char *severity,
                     const char *code, const char *reason, const char *eid,
                     const char *text);

/*
 * Queue a reply to an interactive command into chat (thread: the topic
 * the command came from, 0 = none). Same contract as telegram_enqueue
 * (kind ACTION, severity OK, fingerprint = the command name).
 */
int telegram_reply(telegram *t, const char *chat, long long thread,
                   const char *command, const char *text);

/*
 * Interactive commands (tgaction.c): with TG_INTERACTIVE_ENABLED=1 and
 * TG_ADMIN_USER_IDS set, start the getUpdates thread (logs
 * telegram_interactive_started or why it is off). Returns 0 or -1.
 */
int telegram_action_start(telegram *t);
/* Ask the getUpdates thread to stop (any thread; non-blocking). */
void telegram_action_close(telegram *t);
/* Join it, bounded like the sender (telegram_free calls this). */
void telegram_action_join(telegram *t, int64_t deadline_mono);

/* Observer body, one call per second (tgobserve.c; event thread). */
void telegram_observe(telegram *t);
/* Observer set-up: alert/schedule settings, first state (tgobserve.c). */
void telegram_observer_init(telegram *t);
/* The "started" message (tgobserve.c). */
void telegram_send_started(telegram *t);
/* The exit message on failure (tgobserve.c). */
void telegram_send_stopping(telegram *t, const char *reason);

#endif
