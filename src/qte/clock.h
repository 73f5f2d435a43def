/*
 * clock.h - the replay clock's pacing: when an event of replay time ts_ms
 * may be handled, by mode. Backtest and stepped never wait; real time and
 * accelerated xN map replay time onto the monotonic clock from an anchor
 * (the first event after a start, resume, seek or speed change), the
 * speed factor applied once: wall = anchor_wall + (ts - anchor_ts) / speed.
 *
 * Replay thread only; the engine passes speed changes in.
 */
#ifndef HK_QTE_CLOCK_H
#define HK_QTE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "qte/config.h"

typedef struct qte_clock {
    qte_mode mode;
    double speed;
    bool anchored;
    int64_t wall0_ns;
    int64_t ts0_ms;
} qte_clock;

void clock_init(qte_clock *c, qte_mode mode, double speed);
/* Forget the anchor (pause, seek, speed change); speed > 0 replaces it. */
void clock_reanchor(qte_clock *c, double speed);
/*
 * Nanoseconds to wait before handling an event at ts_ms when the
 * monotonic clock reads now_ns: 0 when it is due (or the mode does not
 * pace). The first call after an anchor reset anchors at (now, ts).
 */
int64_t clock_wait_ns(qte_clock *c, int64_t ts_ms, int64_t now_ns);
/* CLOCK_MONOTONIC in ns. */
int64_t clock_mono_ns(void);

#endif
