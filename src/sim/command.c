/*
 * command.c - executes control-channel commands on the running sim.
 *
 * The line is split on blanks into at most 8 words; the first selects a
 * row of `cmds` (name, argument count bounds, handler). Handlers change
 * fault state, the market or the server and write the reply. Nothing here
 * blocks; `stop` only requests the shutdown, which happens after the reply
 * went out. Event-loop thread only.
 */
#include "sim/command.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hktime.h"
#include "common/log.h"
#include "opend/msg.h"
#include "sim/sim.h"

#define MAX_WORDS 16

typedef void (*cmd_fn)(sim *s, int argc, char **argv, char *reply, size_t cap);

struct cmd {
    const char *name;
    int min_args;
    int max_args;
    cmd_fn fn;
    const char *usage;
};

static int parse_num(const char *s, double min, double max, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || *end || end == s || !(v >= min) || v > max)
        return -1;
    *out = v;
    return 0;
}

/* "all" -> 0, a positive integer -> id; else -1. */
static int parse_conn(const char *s, uint64_t *id)
{
    char *end;
    unsigned long long v;

    if (strcmp(s, "all") == 0) {
        *id = 0;
        return 0;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || end == s || v == 0 || s[0] == '-')
        return -1;
    *id = v;
    return 0;
}

static int parse_onoff(const char *s, bool *out)
{
    if (strcmp(s, "on") == 0)
        *out = true;
    else if (strcmp(s, "off") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

static void reply_conns(int n, uint64_t id, char *reply, size_t cap)
{
    if (id != 0 && n == 0)
        snprintf(reply, cap, "ERR no such connection %llu",
                 (unsigned long long)id);
    else
        snprintf(reply, cap, "OK conns=%d", n);
}

static void cmd_close(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    uint64_t id;

    (void)argc;
    if (parse_conn(argv[1], &id) != 0) {
        snprintf(reply, cap, "ERR expected all or a connection id");
        return;
    }
    reply_conns(server_close_conn(s->server, id), id, reply, cap);
}

static void set_switch(bool *sw, const char *what, const char *arg, char *reply,
                       size_t cap)
{
    bool on;

    if (parse_onoff(arg, &on) != 0) {
        snprintf(reply, cap, "ERR expected on or off");
        return;
    }
    *sw = on;
    LOG(LOG_INFO, LC_SIM, "fault_%s on=%d", what, on);
    snprintf(reply, cap, "OK %s=%s", what, on ? "on" : "off");
}

static void cmd_silent(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    (void)argc;
    set_switch(&s->faults.silent, "silent", argv[1], reply, cap);
}

static void cmd_dup(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    (void)argc;
    set_switch(&s->faults.dup, "dup", argv[1], reply, cap);
}

static void cmd_withhold(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    int y = market_find_symbol(s->market, argv[1]);
    double sec;

    (void)argc;
    if (y < 0) {
        snprintf(reply, cap, "ERR unknown symbol %s", argv[1]);
        return;
    }
    if (parse_num(argv[2], 0, 1e6, &sec) != 0) {
        snprintf(reply, cap, "ERR bad seconds '%s'", argv[2]);
        return;
    }
    faults_withhold(&s->faults, (size_t)y, (int64_t)uv_now(&s->loop), sec);
    LOG(LOG_INFO, LC_SIM, "fault_withhold symbol=%s sec=%.3f", argv[1], sec);
    snprintf(reply, cap, "OK withhold=%s sec=%g", argv[1], sec);
}

static int opt_conn(int argc, char **argv, int at, uint64_t *id, char *reply,
                    size_t cap)
{
    *id = 0;
    if (argc > at && parse_conn(argv[at], id) != 0) {
        snprintf(reply, cap, "ERR expected all or a connection id");
        return -1;
    }
    return 0;
}

static void cmd_badsha1(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    uint64_t id;

    if (opt_conn(argc, argv, 1, &id, reply, cap) != 0)
        return;
    LOG(LOG_INFO, LC_SIM, "fault_badsha1 conn_id=%llu", (unsigned long long)id);
    reply_conns(server_badsha1(s->server, id), id, reply, cap);
}

static void cmd_oversize(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    uint64_t id;

    if (opt_conn(argc, argv, 1, &id, reply, cap) != 0)
        return;
    reply_conns(server_oversize(s->server, id), id, reply, cap);
}

static void cmd_dribble(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    uint64_t id;
    double sec;

    if (parse_num(argv[1], 0.001, 3600, &sec) != 0) {
        snprintf(reply, cap, "ERR bad seconds '%s' (0.001..3600)", argv[1]);
        return;
    }
    if (opt_conn(argc, argv, 2, &id, reply, cap) != 0)
        return;
    reply_conns(server_dribble(s->server, id, sec), id, reply, cap);
}

static void cmd_quota(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    double q;

    (void)argc;
    if (parse_num(argv[1], 0, 1000000, &q) != 0 || q != (int64_t)q) {
        snprintf(reply, cap, "ERR bad quota '%s'", argv[1]);
        return;
    }
    server_set_quota(s->server, (int64_t)q);
    LOG(LOG_INFO, LC_SIM, "fault_quota quota=%lld", (long long)q);
    snprintf(reply, cap, "OK quota=%lld", (long long)q);
}

static void cmd_deny(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    (void)argc;
    if (!strchr(argv[1], '.')) {
        snprintf(reply, cap, "ERR expected MARKET.CODE, e.g. HK.00700");
        return;
    }
    if (server_deny(s->server, argv[1]) != 0) {
        snprintf(reply, cap, "ERR out of memory");
        return;
    }
    LOG(LOG_INFO, LC_SIM, "fault_deny symbol=%s", argv[1]);
    snprintf(reply, cap, "OK deny=%s", argv[1]);
}

static void cmd_flap(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    double sec;

    (void)argc;
    if (parse_num(argv[1], 0.001, 86400, &sec) != 0) {
        snprintf(reply, cap, "ERR bad seconds '%s'", argv[1]);
        return;
    }
    server_flap_start(s->server, sec);
    snprintf(reply, cap, "OK connstatus-flap sec=%g", sec);
}

static void cmd_pause(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    (void)argc;
    (void)argv;
    s->faults.paused = true;
    LOG(LOG_INFO, LC_SIM, "generation_paused");
    snprintf(reply, cap, "OK paused");
}

static void cmd_resume(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    (void)argc;
    (void)argv;
    if (s->faults.paused && !s->replay)
        market_set_rate(s->market, market_rate(s->market),
                        simclock_now_ms(&s->clock));
    s->faults.paused = false;
    LOG(LOG_INFO, LC_SIM, "generation_resumed");
    snprintf(reply, cap, "OK resumed");
}

static void cmd_rate(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    double r;

    (void)argc;
    if (s->replay) {
        snprintf(reply, cap, "ERR rate does not apply to --replay");
        return;
    }
    if (parse_num(argv[1], 0, 1e7, &r) != 0) {
        snprintf(reply, cap, "ERR bad rate '%s'", argv[1]);
        return;
    }
    market_set_rate(s->market, r, simclock_now_ms(&s->clock));
    LOG(LOG_INFO, LC_SIM, "rate_changed rate=%g", r);
    snprintf(reply, cap, "OK rate=%g", r);
}

static void cmd_truth(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    int rc;

    if (!s->truth) {
        snprintf(reply, cap, "ERR no ground truth (start with --truth)");
        return;
    }
    rc = argc > 1 ? truth_copy(s->truth, argv[1]) : truth_flush(s->truth);
    if (rc != 0) {
        snprintf(reply, cap, "ERR %s", strerror(-rc));
        return;
    }
    snprintf(reply, cap, "OK rows=%llu",
             (unsigned long long)truth_rows(s->truth));
}

static void cmd_stats(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    server_stats st;

    (void)argc;
    (void)argv;
    server_stats_get(s->server, &st);
    snprintf(reply, cap,
             "OK generated=%llu pushed=%llu push_frames=%llu clients=%llu "
             "ready=%llu subscribed=%llu skipped=%llu requests=%llu "
             "accepted=%llu backlog_max=%llu backlog_closes=%llu rate=%g "
             "paused=%d silent=%d dup=%d flap=%d",
             (unsigned long long)market_stored(s->market),
             (unsigned long long)st.pushed_ticks,
             (unsigned long long)st.push_frames, (unsigned long long)st.clients,
             (unsigned long long)st.ready, (unsigned long long)st.subscribed,
             (unsigned long long)st.skipped_ticks,
             (unsigned long long)st.requests, (unsigned long long)st.accepted,
             (unsigned long long)st.backlog_max,
             (unsigned long long)st.backlog_closes, market_rate(s->market),
             s->faults.paused, s->faults.silent, s->faults.dup,
             s->faults.flap_active);
}

static void cmd_stop(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    (void)argc;
    (void)argv;
    LOG(LOG_INFO, LC_SIM, "stop_requested source=control");
    sim_request_stop(s);
    snprintf(reply, cap, "OK stopping");
}

/* ---- inject: one crafted Ticker (a hostile upstream) ---------------- */

struct inject {
    char prefix[16];
    char code[64];
    int market;
    int64_t ts_ms;
    bool has_ts, has_time, has_timestamp;
    char time[40];
    double timestamp;
    QotCommon__Ticker t;
    long count;
    char each[8]; /* tick | symbol | day */
};

static int parse_ll(const char *v, long long *out)
{
    char *end;
    errno = 0;
    *out = strtoll(v, &end, 10);
    return errno || end == v || *end ? -1 : 0;
}

/* Apply one key=value word. Returns 0 or -1 (unknown key, bad value). */
static int inject_kv(struct inject *in, const char *w)
{
    const char *eq = strchr(w, '=');
    const char *v = eq ? eq + 1 : "";
    size_t kl = eq ? (size_t)(eq - w) : strlen(w);
    long long n = 0;
    char *end;

#define KEY(k) (kl == strlen(k) && strncmp(w, k, kl) == 0)
    if (!eq)
        return -1;
    if (KEY("price")) {
        in->t.price = strtod(v, &end); /* nan, inf, -inf, 1e308 ... */
        return end == v || *end ? -1 : 0;
    }
    if (KEY("timestamp")) {
        in->timestamp = strtod(v, &end);
        in->has_timestamp = true;
        return end == v || *end ? -1 : 0;
    }
    if (KEY("time")) {
        snprintf(in->time, sizeof(in->time), "%s", v);
        in->has_time = true;
        return 0;
    }
    if (KEY("each")) {
        snprintf(in->each, sizeof(in->each), "%s", v);
        return strcmp(v, "tick") && strcmp(v, "symbol") && strcmp(v, "day") ? -1
                                                                            : 0;
    }
    if (parse_ll(v, &n) != 0)
        return -1;
    if (KEY("ts_ms")) {
        in->ts_ms = n;
        in->has_ts = true;
    } else if (KEY("volume"))
        in->t.volume = n;
    else if (KEY("seq"))
        in->t.sequence = n;
    else if (KEY("dir"))
        in->t.dir = (int)n;
    else if (KEY("type")) {
        in->t.has_type = 1;
        in->t.type = (int)n;
    } else if (KEY("push_type")) {
        in->t.has_pushdatatype = 1;
        in->t.pushdatatype = (int)n;
    } else if (KEY("market"))
        in->market = (int)n;
    else if (KEY("count") && n >= 1 && n <= 100000)
        in->count = (long)n;
    else
        return -1;
    return 0;
#undef KEY
}

/* SYMBOL ("HK.00700", "HK.", "XX.1") into prefix + code + market. */
static void inject_symbol(struct inject *in, const char *sym)
{
    const char *dot = strchr(sym, '.');
    size_t pl = dot ? (size_t)(dot - sym) : 0;

    snprintf(in->prefix, sizeof(in->prefix), "%.*s", (int)pl, sym);
    snprintf(in->code, sizeof(in->code), "%s", dot ? dot + 1 : sym);
    in->market = opend_msg_market_from_prefix(sym, pl);
    if (in->market < 0)
        in->market = 0;
}

/* Send repetition i of in; returns connections reached. */
static int inject_one(sim *s, struct inject *in, long i)
{
    char code[96], tm[24];
    QotCommon__Ticker t = in->t;
    int64_t ts = in->ts_ms;

    snprintf(code, sizeof(code), "%s", in->code);
    if (strcmp(in->each, "symbol") == 0)
        snprintf(code, sizeof(code), "%s%05ld", in->code, i);
    else if (strcmp(in->each, "day") == 0)
        ts -= (int64_t)i * 86400000LL;
    else
        t.sequence += i;
    if (in->has_time) {
        t.time = in->time;
    } else {
        hktime_format_hk_ms(ts, tm);
        t.time = tm;
    }
    t.has_timestamp = 1;
    t.timestamp = in->has_timestamp ? in->timestamp : (double)ts / 1000.0;
    return server_inject(s->server, in->market, code, &t);
}

static void cmd_inject(sim *s, int argc, char **argv, char *reply, size_t cap)
{
    struct inject in;
    long conns = 0;

    memset(&in, 0, sizeof(in));
    qot__common__ticker__init(&in.t);
    in.t.price = 1.0;
    in.t.volume = 100;
    in.t.turnover = 100;
    in.t.sequence = 1;
    in.t.dir = 1;
    in.count = 1;
    snprintf(in.each, sizeof(in.each), "tick");
    inject_symbol(&in, argv[1]);
    in.ts_ms = hktime_now_ms();
    for (int i = 2; i < argc; i++)
        if (inject_kv(&in, argv[i]) != 0) {
            snprintf(reply, cap, "ERR bad field '%s'", argv[i]);
            return;
        }
    for (long i = 0; i < in.count; i++)
        conns += inject_one(s, &in, i);
    LOG(LOG_INFO, LC_SIM, "inject symbol=%s market=%d count=%ld sends=%ld",
        argv[1], in.market, in.count, conns);
    snprintf(reply, cap, "OK injected=%ld sends=%ld", in.count, conns);
}

static const struct cmd cmds[] = {
    {"close", 1, 1, cmd_close, "close all|<conn_id>"},
    {"silent", 1, 1, cmd_silent, "silent on|off"},
    {"dup", 1, 1, cmd_dup, "dup on|off"},
    {"withhold", 2, 2, cmd_withhold, "withhold <SYMBOL> <seconds>"},
    {"badsha1", 0, 1, cmd_badsha1, "badsha1 [conn_id]"},
    {"oversize", 0, 1, cmd_oversize, "oversize [conn_id]"},
    {"dribble", 1, 2, cmd_dribble, "dribble <seconds> [conn_id]"},
    {"quota", 1, 1, cmd_quota, "quota <n>"},
    {"deny", 1, 1, cmd_deny, "deny <SYMBOL>"},
    {"connstatus-flap", 1, 1, cmd_flap, "connstatus-flap <seconds>"},
    {"pause", 0, 0, cmd_pause, "pause"},
    {"resume", 0, 0, cmd_resume, "resume"},
    {"rate", 1, 1, cmd_rate, "rate <n>"},
    {"truth", 0, 1, cmd_truth, "truth [PATH]"},
    {"stats", 0, 0, cmd_stats, "stats"},
    {"inject", 1, MAX_WORDS - 1, cmd_inject,
     "inject <SYMBOL> [key=value ...] (time ts_ms timestamp price volume seq "
     "dir type push_type market count each=tick|symbol|day)"},
    {"stop", 0, 0, cmd_stop, "stop"},
};

void command_exec(void *ctx, char *line, char *reply, size_t cap)
{
    sim *s = ctx;
    char *argv[MAX_WORDS + 1];
    int argc = 0;
    char *save = NULL;

    for (char *w = strtok_r(line, " \t", &save); w;
         w = strtok_r(NULL, " \t", &save)) {
        if (argc == MAX_WORDS) {
            snprintf(reply, cap, "ERR too many words");
            return;
        }
        argv[argc++] = w;
    }
    if (argc == 0) {
        snprintf(reply, cap, "ERR empty command");
        return;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(cmds[i].name, argv[0]) != 0)
            continue;
        if (argc - 1 < cmds[i].min_args || argc - 1 > cmds[i].max_args) {
            snprintf(reply, cap, "ERR usage: %s", cmds[i].usage);
            return;
        }
        if (s->stopping) {
            snprintf(reply, cap, "ERR stopping");
            return;
        }
        cmds[i].fn(s, argc, argv, reply, cap);
        return;
    }
    snprintf(reply, cap, "ERR unknown command '%s'", argv[0]);
}
