/*
 * simclock.h - the simulator's clock: real time, or a simulated HK clock
 * that starts at a chosen instant and runs at a chosen speed.
 *
 * Every time the simulator shows (tick times, KeepAlive and GetGlobalState
 * answers, market states) comes from here, so tests can pin the date and
 * hour (--clock-start) and compress hours into seconds (--clock-speed).
 */
#ifndef HK_SIM_SIMCLOCK_H
#define HK_SIM_SIMCLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct simclock {
    bool simulated;
    int64_t start_utc_ms; /* simulated instant at start_mono_ms */
    int64_t start_mono_ms;
    double speed; /* simulated ms per real ms (> 0) */
} simclock;

/*
 * Real time when simulated is false (speed and start ignored). Otherwise
 * the clock reads start_utc_ms at the moment of the call and then advances
 * speed times faster than real time.
 */
void simclock_init(simclock *c, bool simulated, int64_t start_utc_ms,
                   double speed);
/* Current clock value, UTC epoch ms. */
int64_t simclock_now_ms(const simclock *c);

#endif
