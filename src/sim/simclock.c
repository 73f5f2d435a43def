/*
 * simclock.c - real or simulated wall clock.
 *
 * A simulated clock is anchored to CLOCK_MONOTONIC, so host clock steps do
 * not move it: now = start_utc + (mono_now - start_mono) * speed. The struct
 * is read-only after init and used by the event-loop thread only.
 */
#include "sim/simclock.h"

#include "common/hktime.h"

void simclock_init(simclock *c, bool simulated, int64_t start_utc_ms,
                   double speed)
{
    c->simulated = simulated;
    c->start_utc_ms = start_utc_ms;
    c->start_mono_ms = hktime_mono_ms();
    c->speed = speed > 0 ? speed : 1.0;
}

int64_t simclock_now_ms(const simclock *c)
{
    if (!c->simulated)
        return hktime_now_ms();
    return c->start_utc_ms +
           (int64_t)((double)(hktime_mono_ms() - c->start_mono_ms) * c->speed);
}
