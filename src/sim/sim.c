/*
 * sim.c - wiring and main loop of opend-sim.
 *
 * Timers (all on the one libuv loop thread):
 *   gen_timer    every SIM_GEN_MS: generate (or replay) due ticks, then
 *                server_tick (flap end, idle close) and push new ticks;
 *   house_timer  every second: flush truth, `sim_stats` every 10 s;
 *   once_timer   --duration expiry -> stop;
 *   flap_timer   --connstatus-flap start;
 *   stop_timer   0 ms, armed by sim_request_stop so that a stop requested
 *                from inside a callback (control `stop`, signal) runs the
 *                shutdown after that callback returned.
 * Shutdown closes every handle; sim_run returns once the loop has no
 * handles left; sim_free then flushes truth and frees the modules.
 * On-demand mode (--rate 0 / --speed 0) generates only while some client
 * has a TICKER push registered and every client's backlog is under
 * SIM_ON_DEMAND_BACKLOG, in batches of SIM_ON_DEMAND_BATCH per period.
 */
#include "sim/sim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hktime.h"
#include "common/log.h"
#include "opend/crypto.h"
#include "sim/command.h"

static void on_tick_stored(void *ctx, const char *symbol, const market_tick *t)
{
    sim *s = ctx;

    if (s->truth && truth_add(s->truth, symbol, t) != 0 && !s->truth_failed) {
        s->truth_failed = true;
        LOG(LOG_ERROR, LC_SIM, "truth_write_failed errno=%d", errno);
    }
}

static bool on_demand_ok(sim *s)
{
    return server_has_push_clients(s->server) &&
           server_backlog_max(s->server) < SIM_ON_DEMAND_BACKLOG;
}

static void on_gen(uv_timer_t *t)
{
    sim *s = t->data;
    int64_t mono = (int64_t)uv_now(&s->loop);

    if (!s->faults.paused) {
        if (s->replay) {
            if (s->opts->speed > 0)
                replay_step(s->replay, s->market, mono, SIM_GEN_BATCH);
            else if (on_demand_ok(s))
                replay_step(s->replay, s->market, mono, SIM_ON_DEMAND_BATCH);
            if (replay_done(s->replay) && !s->replay_logged) {
                s->replay_logged = true;
                LOG(LOG_INFO, LC_SIM, "replay_done rows=%llu",
                    (unsigned long long)market_stored(s->market));
            }
        } else if (market_rate(s->market) > 0) {
            market_generate(s->market, simclock_now_ms(&s->clock),
                            SIM_GEN_BATCH);
        } else if (on_demand_ok(s)) {
            market_generate_now(s->market, simclock_now_ms(&s->clock),
                                SIM_ON_DEMAND_BATCH);
        }
    }
    server_tick(s->server, mono);
    server_flush_pushes(s->server);
}

static void log_stats(sim *s)
{
    server_stats st;

    server_stats_get(s->server, &st);
    LOG(LOG_INFO, LC_SIM,
        "sim_stats generated=%llu pushed_ticks=%llu push_frames=%llu "
        "clients=%llu subscribed=%llu skipped=%llu backlog_max=%llu "
        "backlog_closes=%llu paused=%d silent=%d",
        (unsigned long long)market_stored(s->market),
        (unsigned long long)st.pushed_ticks, (unsigned long long)st.push_frames,
        (unsigned long long)st.clients, (unsigned long long)st.subscribed,
        (unsigned long long)st.skipped_ticks,
        (unsigned long long)st.backlog_max,
        (unsigned long long)st.backlog_closes, s->faults.paused,
        s->faults.silent);
}

static void on_house(uv_timer_t *t)
{
    sim *s = t->data;
    int64_t now = (int64_t)uv_now(&s->loop);

    if (s->truth && truth_flush(s->truth) != 0 && !s->truth_failed) {
        s->truth_failed = true;
        LOG(LOG_ERROR, LC_SIM, "truth_flush_failed errno=%d", errno);
    }
    if (now - s->last_stats_ms >= SIM_STATS_MS) {
        s->last_stats_ms = now;
        log_stats(s);
    }
}

static void on_duration(uv_timer_t *t)
{
    sim *s = t->data;

    LOG(LOG_INFO, LC_SIM, "duration_reached sec=%.3f", s->opts->duration);
    sim_request_stop(s);
}

static void on_flap(uv_timer_t *t)
{
    sim *s = t->data;

    server_flap_start(s->server, s->opts->flap_sec);
}

static void on_signal(uv_signal_t *h, int signum)
{
    sim *s = h->data;

    LOG(LOG_INFO, LC_SIM, "signal_received signal=%d", signum);
    sim_request_stop(s);
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

/* Close every handle; the loop ends once their callbacks ran. */
static void close_all(sim *s)
{
    uv_handle_t *hs[] = {
        (uv_handle_t *)&s->gen_timer,  (uv_handle_t *)&s->house_timer,
        (uv_handle_t *)&s->once_timer, (uv_handle_t *)&s->flap_timer,
        (uv_handle_t *)&s->stop_timer, (uv_handle_t *)&s->sigterm,
        (uv_handle_t *)&s->sigint,
    };

    server_close(s->server);
    control_close(s->control);
    s->control = NULL;
    if (!s->timers_started)
        return;
    for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
        if (!uv_is_closing(hs[i]))
            uv_close(hs[i], on_closed);
    /* Closing the watchers restored SIG_DFL; a second SIGTERM during the
     * final truth flush must not kill the process. */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
}

static void on_stop(uv_timer_t *t)
{
    sim *s = t->data;

    log_stats(s);
    close_all(s);
}

void sim_request_stop(sim *s)
{
    if (s->stopping)
        return;
    s->stopping = true;
    uv_timer_start(&s->stop_timer, on_stop, 0, 0);
}

static int write_port_file(const char *path, int port)
{
    char tmp[4200];
    char buf[16];
    int n = snprintf(buf, sizeof(buf), "%d\n", port);
    int fd;
    int rc = 0;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    if (write(fd, buf, (size_t)n) != n)
        rc = -EIO;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    return rc;
}

static int read_key(sim *s, const char *path, char *err, size_t errlen)
{
    opend_crypto_ctx *c;
    char reason[256];
    FILE *f = fopen(path, "rb");
    size_t cap = 65536;

    if (!f) {
        snprintf(err, errlen, "invalid value '%s' for --rsa-key: %s", path,
                 strerror(errno));
        return SIM_E_USAGE;
    }
    s->rsa_pem = malloc(cap + 1);
    if (!s->rsa_pem) {
        fclose(f);
        return SIM_E_START;
    }
    s->rsa_pem_len = fread(s->rsa_pem, 1, cap, f);
    s->rsa_pem[s->rsa_pem_len] = '\0';
    fclose(f);
    if (opend_crypto_open_pem(s->rsa_pem, s->rsa_pem_len, &c, reason,
                              sizeof(reason)) != 0) {
        snprintf(err, errlen, "invalid value '%s' for --rsa-key: %s", path,
                 reason);
        return SIM_E_USAGE;
    }
    opend_crypto_free(c);
    return 0;
}

static int make_market(sim *s, const sim_opts *o, char *err, size_t errlen)
{
    market_config mc = {
        .symbols = (const char *const *)o->symbols,
        .nsymbols = o->nsymbols,
        .seed = (uint64_t)o->seed,
        .rate = o->rate,
        .burst_factor = o->burst_factor,
        .sessions = o->sessions,
        .time_offset_ms = o->time_offset_sec * 1000,
        .start_ms =
            o->has_clock_start ? o->clock_start_ms : simclock_now_ms(&s->clock),
        .max_ticks = (uint64_t)o->max_ticks,
        .on_tick = on_tick_stored,
        .ctx = s,
    };
    char why[256];

    if (o->replay_path) {
        if (replay_open(&s->replay, o->replay_path, o->speed, why,
                        sizeof(why)) != 0) {
            snprintf(err, errlen, "invalid value '%s' for --replay: %s",
                     o->replay_path, why);
            return SIM_E_USAGE;
        }
        replay_symbols(s->replay, &mc.symbols, &mc.nsymbols);
        mc.rate = 0;
    }
    if (market_init(&s->market, &mc, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s: %s",
                 o->replay_path ? "--replay" : "--symbols", why);
        return SIM_E_USAGE;
    }
    return 0;
}

static int apply_fault_flags(sim *s, const sim_opts *o, char *err,
                             size_t errlen)
{
    int64_t now = (int64_t)uv_now(&s->loop);

    s->faults.silent = o->silent;
    s->faults.dup = o->dup;
    s->faults.paused = o->paused;
    for (size_t i = 0; i < o->nwithhold; i++) {
        int y = market_find_symbol(s->market, o->withhold[i].symbol);
        if (y < 0) {
            snprintf(err, errlen,
                     "invalid value '%s' for --withhold: "
                     "unknown symbol",
                     o->withhold[i].symbol);
            return SIM_E_USAGE;
        }
        faults_withhold(&s->faults, (size_t)y, now, o->withhold[i].sec);
    }
    return 0;
}

static int start_timers(sim *s, const sim_opts *o)
{
    uv_timer_t *timers[] = {&s->gen_timer, &s->house_timer, &s->once_timer,
                            &s->flap_timer, &s->stop_timer};

    for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++) {
        uv_timer_init(&s->loop, timers[i]);
        timers[i]->data = s;
    }
    uv_signal_init(&s->loop, &s->sigterm);
    uv_signal_init(&s->loop, &s->sigint);
    s->sigterm.data = s;
    s->sigint.data = s;
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    s->timers_started = true;
    uv_timer_start(&s->gen_timer, on_gen, SIM_GEN_MS, SIM_GEN_MS);
    uv_timer_start(&s->house_timer, on_house, 1000, 1000);
    if (o->duration > 0)
        uv_timer_start(&s->once_timer, on_duration,
                       (uint64_t)(o->duration * 1000.0), 0);
    if (o->flap_sec > 0)
        uv_timer_start(&s->flap_timer, on_flap, (uint64_t)(o->flap_at * 1000.0),
                       0);
    return 0;
}

int sim_init(sim *s, const sim_opts *o, char *err, size_t errlen)
{
    server_config sc;
    int rc;

    memset(s, 0, sizeof(*s));
    s->opts = o;
    log_level_set(log_level_parse(o->log_level));
    if (uv_loop_init(&s->loop) != 0) {
        snprintf(err, errlen, "cannot create event loop");
        return SIM_E_START;
    }
    s->loop_ready = true;
    simclock_init(&s->clock, o->has_clock_start || o->clock_speed != 1.0,
                  o->has_clock_start ? o->clock_start_ms : hktime_now_ms(),
                  o->clock_speed);
    if (o->rsa_key) {
        rc = read_key(s, o->rsa_key, err, errlen);
        if (rc != 0)
            return rc;
    }
    rc = make_market(s, o, err, errlen);
    if (rc != 0)
        return rc;
    if (faults_init(&s->faults, market_symbol_count(s->market)) != 0) {
        snprintf(err, errlen, "out of memory");
        return SIM_E_START;
    }
    rc = apply_fault_flags(s, o, err, errlen);
    if (rc != 0)
        return rc;
    if (o->truth_path && truth_open(&s->truth, o->truth_path, err, errlen) != 0)
        return SIM_E_START;
    sc = (server_config){
        .loop = &s->loop,
        .market = s->market,
        .faults = &s->faults,
        .clock = &s->clock,
        .host = o->listen_host,
        .port = (int)o->listen_port,
        .keepalive_sec = (int)o->keepalive_sec,
        .quota = o->quota,
        .unsub_min_ms = o->unsub_min_sec * 1000,
        .deny = o->deny,
        .ndeny = o->ndeny,
        .rsa_pem = s->rsa_pem,
        .rsa_pem_len = s->rsa_pem_len,
        .idle_close = o->idle_close,
        .not_sub_msg = o->not_sub_msg,
        .ticks_per_push = (int)o->ticks_per_push,
        .dribble_sec = o->dribble_sec,
        .seed = (uint64_t)o->seed,
    };
    if (server_open(&s->server, &sc, err, errlen) != 0)
        return SIM_E_START;
    /* Signal handlers and the listening control socket exist before the
     * port file tells anyone we run (the control file appears at bind(),
     * a moment before listen()). */
    start_timers(s, o);
    if (o->control_path && control_open(&s->control, &s->loop, o->control_path,
                                        command_exec, s, err, errlen) != 0)
        return SIM_E_START;
    rc = o->port_file ? write_port_file(o->port_file, server_port(s->server))
                      : 0;
    if (rc != 0) {
        snprintf(err, errlen, "cannot write --port-file %s: %s", o->port_file,
                 strerror(-rc));
        return SIM_E_START;
    }
    LOG(LOG_INFO, LC_SIM,
        "sim_started port=%d symbols=%zu rate=%g seed=%lld replay=%s "
        "encryption=%s sessions=%d clock=%s",
        server_port(s->server), market_symbol_count(s->market), o->rate,
        (long long)o->seed, o->replay_path ? o->replay_path : "none",
        o->rsa_key ? "available" : "off", o->sessions,
        s->clock.simulated ? "simulated" : "real");
    return 0;
}

int sim_run(sim *s)
{
    uv_run(&s->loop, UV_RUN_DEFAULT);
    LOG(LOG_INFO, LC_SIM, "sim_stopped generated=%llu",
        (unsigned long long)market_stored(s->market));
    return 0;
}

void sim_free(sim *s)
{
    if (s->loop_ready) {
        /* Handles of a failed start still need their close callbacks. */
        if (!s->stopping) {
            s->stopping = true;
            close_all(s);
        }
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
    }
    server_free(s->server);
    if (s->truth && truth_close(s->truth) != 0)
        LOG(LOG_ERROR, LC_SIM, "truth_close_failed");
    market_free(s->market);
    replay_close(s->replay);
    faults_free(&s->faults);
    free(s->rsa_pem);
    memset(s, 0, sizeof(*s));
}
