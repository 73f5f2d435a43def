/*
 * faults.h - simulator-wide fault switches (what the control channel and
 * the fault flags change). Per-connection one-shot faults (badsha1,
 * oversize, dribble) live on the connection in server.c.
 *
 *   silent     no replies and no pushes; sockets stay open, ticks are
 *              still generated, stored and recorded as truth
 *   dup        every push frame is sent twice
 *   withhold   per symbol, until a monotonic deadline: pushes are skipped
 *              (the ticks stay in the ring for Qot_GetTicker)
 *   flap       ConnStatus qotLogined=false until a deadline, all pushes
 *              held back; afterwards at most 50 per symbol go out as
 *              ByDisConn
 *   paused     tick generation stopped
 */
#ifndef HK_SIM_FAULTS_H
#define HK_SIM_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct faults {
    bool silent;
    bool dup;
    bool paused;
    bool flap_active;
    int64_t flap_until_ms;   /* monotonic ms */
    int64_t *withhold_until; /* per symbol, monotonic ms; 0 = none */
    size_t nsym;
} faults;

/* Returns 0 or -ENOMEM. Every switch starts off. */
int faults_init(faults *f, size_t nsym);
void faults_free(faults *f);
/* Withhold pushes of sym until now_ms + sec * 1000. */
void faults_withhold(faults *f, size_t sym, int64_t now_ms, double sec);
/* True while pushes of sym are withheld at now_ms. */
bool faults_withheld(const faults *f, size_t sym, int64_t now_ms);

#endif
