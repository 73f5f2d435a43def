/*
 * sim.h - the opend-sim process: one struct that owns every module
 * (clock, market or replay, truth, faults, server, control channel), the
 * libuv loop, its timers and signal handlers. Built by main from the
 * parsed options and passed explicitly (no globals).
 */
#ifndef HK_SIM_SIM_H
#define HK_SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "sim/control.h"
#include "sim/faults.h"
#include "sim/market.h"
#include "sim/opts.h"
#include "sim/replay.h"
#include "sim/server.h"
#include "sim/simclock.h"
#include "sim/truth.h"

#define SIM_E_USAGE (-2)                     /* bad option value: exit 2 */
#define SIM_E_START (-1)                     /* could not start: exit 1 */
#define SIM_GEN_MS 2                         /* generation / push period */
#define SIM_STATS_MS 10000                   /* sim_stats log period */
#define SIM_ON_DEMAND_BACKLOG (256u * 1024u) /* rate 0: pause above */
#define SIM_GEN_BATCH 50000
#define SIM_ON_DEMAND_BATCH 2000

typedef struct sim {
    const sim_opts *opts;
    uv_loop_t loop;
    bool loop_ready;
    simclock clock;
    market *market;
    replay *replay;
    truth *truth;
    bool truth_failed;
    faults faults;
    server *server;
    control *control;
    char *rsa_pem;
    size_t rsa_pem_len;
    uv_timer_t gen_timer;
    uv_timer_t house_timer;
    uv_timer_t once_timer; /* --duration */
    uv_timer_t flap_timer; /* --connstatus-flap */
    uv_timer_t stop_timer;
    uv_signal_t sigterm;
    uv_signal_t sigint;
    int64_t last_stats_ms;
    bool replay_logged;
    bool timers_started;
    bool stopping;
} sim;

/*
 * Build everything from o (borrowed; must outlive s) and start listening.
 * Returns 0, SIM_E_USAGE (a value only checkable now, e.g. an unknown
 * --withhold symbol or a bad --rsa-key) or SIM_E_START, with a message in
 * err. Call sim_free in every case.
 */
int sim_init(sim *s, const sim_opts *o, char *err, size_t errlen);
/* Run until --duration, `stop`, SIGTERM or SIGINT. Returns the exit code
 * (0 after a clean stop). */
int sim_run(sim *s);
/* Ask the loop to shut down (safe from any loop callback). */
void sim_request_stop(sim *s);
/* Flush truth and release everything. */
void sim_free(sim *s);

#endif
