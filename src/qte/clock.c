/*
 * clock.c - pacing of the replay (see clock.h). States: unanchored ->
 * anchored on the first clock_wait_ns -> unanchored again on
 * clock_reanchor. Replay time never goes backwards inside one anchor
 * except after a seek, which re-anchors.
 */
#include "qte/clock.h"

#include <time.h>

void clock_init(qte_clock *c, qte_mode mode, double speed)
{
    c->mode = mode;
    c->speed = mode == QTE_MODE_REALTIME ? 1.0 : speed > 0 ? speed : 1.0;
    c->anchored = false;
    c->wall0_ns = 0;
    c->ts0_ms = 0;
}

void clock_reanchor(qte_clock *c, double speed)
{
    if (speed > 0)
        c->speed = speed;
    c->anchored = false;
}

int64_t clock_wait_ns(qte_clock *c, int64_t ts_ms, int64_t now_ns)
{
    if (c->mode != QTE_MODE_REALTIME && c->mode != QTE_MODE_ACCEL)
        return 0;
    if (!c->anchored) {
        c->anchored = true;
        c->wall0_ns = now_ns;
        c->ts0_ms = ts_ms;
        return 0;
    }
    double due =
        (double)c->wall0_ns + (double)(ts_ms - c->ts0_ms) * 1e6 / c->speed;
    double w = due - (double)now_ns;
    return w > 0 ? (int64_t)w : 0;
}

int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
