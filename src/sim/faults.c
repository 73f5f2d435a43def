/*
 * faults.c - the simulator's fault state.
 *
 * Plain data read by server.c on every push and written by the control
 * commands (command.c) and startup flags (sim.c); all on the event-loop
 * thread. Deadlines use the monotonic clock (uv_now), so simulated-clock
 * speed does not shorten a withhold window.
 */
#include "sim/faults.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int faults_init(faults *f, size_t nsym)
{
    memset(f, 0, sizeof(*f));
    f->withhold_until = calloc(nsym ? nsym : 1, sizeof(int64_t));
    if (!f->withhold_until)
        return -ENOMEM;
    f->nsym = nsym;
    return 0;
}

void faults_free(faults *f)
{
    free(f->withhold_until);
    memset(f, 0, sizeof(*f));
}

void faults_withhold(faults *f, size_t sym, int64_t now_ms, double sec)
{
    if (sym < f->nsym)
        f->withhold_until[sym] = now_ms + (int64_t)(sec * 1000.0);
}

bool faults_withheld(const faults *f, size_t sym, int64_t now_ms)
{
    return sym < f->nsym && f->withhold_until[sym] > now_ms;
}
