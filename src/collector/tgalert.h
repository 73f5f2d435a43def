/*
 * tgalert.h - one alert's life: raised, reminded, recovered (pure).
 *
 * States and transitions (tgalert_step makes every one):
 *
 *   IDLE ──bad──► PENDING            condition seen; grace starts
 *   PENDING ──good──► IDLE           a blip shorter than the grace: silent
 *   PENDING ──bad ≥ grace──► FIRING  RAISE (first message)
 *     … unless the previous raise of this alert is < cooldown ago:
 *   PENDING ──bad, in cooldown──► PENDING  SUPPRESS (once per episode);
 *                                   RAISE as soon as the cooldown ends
 *   FIRING ──bad──► FIRING           REMIND when the episode is as old as
 *                                   the next escalation step (> 0) and the
 *                                   last message is ≥ cooldown ago
 *   FIRING ──good──► IDLE            RECOVER
 *
 * Times are milliseconds of any one clock (the notifier uses wall time so
 * messages can print "since"). The episode start (bad_since) is when the
 * condition was first seen, not when the grace ended.
 */
#ifndef HK_COLLECTOR_TGALERT_H
#define HK_COLLECTOR_TGALERT_H

#include <stdbool.h>
#include <stdint.h>

#define TGALERT_MAX_STEPS 8

typedef struct tgalert_cfg {
    int64_t grace_ms;
    int64_t cooldown_ms;
    int64_t steps_ms[TGALERT_MAX_STEPS]; /* ascending; 0 = the raise */
    int n_steps;
} tgalert_cfg;

typedef enum tgalert_state {
    TGALERT_IDLE = 0,
    TGALERT_PENDING,
    TGALERT_FIRING,
} tgalert_state;

typedef enum tgalert_action {
    TGALERT_NONE = 0,
    TGALERT_RAISE,
    TGALERT_REMIND,
    TGALERT_RECOVER,
    TGALERT_SUPPRESS,
} tgalert_action;

typedef struct tgalert {
    tgalert_state state;
    int64_t bad_since;  /* episode start */
    int64_t last_raise; /* last RAISE (for the cooldown), 0 = never */
    int64_t last_sent;  /* last RAISE or REMIND */
    int next_step;      /* index into steps_ms of the next reminder */
    bool suppressed;    /* SUPPRESS already reported in this episode */
    int reminders;      /* REMINDs sent in this episode */
} tgalert;

/* A fresh alert (IDLE, never raised). */
void tgalert_init(tgalert *a);

/*
 * Feed one observation: bad = the condition holds at now_ms. Returns the
 * action the caller must take (send a message, log a suppression, or
 * nothing) and updates a. On TGALERT_RECOVER, a->bad_since still holds
 * the start of the episode that ended (for the "down for" text).
 */
tgalert_action tgalert_step(const tgalert_cfg *cfg, tgalert *a, bool bad,
                            int64_t now_ms);

/* "raise", "remind", "recover", "suppress" or "none" (static strings). */
const char *tgalert_action_name(tgalert_action act);

#endif
