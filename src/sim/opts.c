/*
 * opts.c - command-line table, parser and --help for opend-sim.
 *
 * Each row of `table` (common/opt.h, the parser hk-tickctl uses too) names
 * a long option, its argument, the field it sets (kind + offset), numeric
 * bounds and an optional apply function for composite values (lists,
 * HOST:PORT, SYM:SEC, times). opts_parse applies defaults from one
 * designated initializer, scans argv with opt_next (exact names,
 * "--name VALUE" or "--name=VALUE", "-h" for help), applies every option in
 * order, then derives the symbol list. No global state.
 */
#include "sim/opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/hktime.h"
#include "common/log.h"
#include "common/opt.h"

#define OFF(f) offsetof(sim_opts, f)

static int apply_listen(void *dst, const char *v, char *err, size_t n);
static int apply_symbols(void *dst, const char *v, char *err, size_t n);
static int apply_deny(void *dst, const char *v, char *err, size_t n);
static int apply_clock_start(void *dst, const char *v, char *err, size_t n);
static int apply_withhold(void *dst, const char *v, char *err, size_t n);
static int apply_flap(void *dst, const char *v, char *err, size_t n);
static int apply_log_level(void *dst, const char *v, char *err, size_t n);

static const opt_def table[] = {
    {"--listen", "HOST:PORT", OPT_FN, 0, 0, 0, apply_listen,
     "address to serve (default 127.0.0.1:11111; port 0 picks a free "
     "port)",
     NULL, false},
    {"--port-file", "FILE", OPT_STR, OFF(port_file), 0, 0, NULL,
     "write the bound port number to FILE (default: none)", NULL, false},
    {"--symbols", "LIST", OPT_FN, 0, 0, 0, apply_symbols,
     "comma-separated symbols, e.g. HK.00700,HK.00005 (default "
     "HK.00700,HK.00005)",
     NULL, false},
    {"--symbol-count", "N", OPT_I64, OFF(symbol_count), 1, 100000, NULL,
     "generate N symbols HK.00001, HK.00002, ... instead of --symbols", NULL,
     false},
    {"--rate", "N", OPT_DBL, OFF(rate), 0, 1e7, NULL,
     "aggregate ticks per second over all symbols; 0 = as fast as the "
     "clients read (default 100)",
     NULL, false},
    {"--ticks-per-push", "N", OPT_I64, OFF(ticks_per_push), 1, 1000, NULL,
     "maximum ticks in one Qot_UpdateTicker push (default 1)", NULL, false},
    {"--burst-factor", "X", OPT_DBL, OFF(burst_factor), 1, 1000, NULL,
     "rate multiplier during 1-3 s bursts; 1 disables bursts (default 3)", NULL,
     false},
    {"--seed", "N", OPT_I64, OFF(seed), 0, 9.2e18, NULL,
     "PRNG seed; same seed and flags give the same ticks (default 1)", NULL,
     false},
    {"--duration", "SEC", OPT_DBL, OFF(duration), 0, 1e9, NULL,
     "exit 0 after SEC seconds; 0 = run until stopped (default 0)", NULL,
     false},
    {"--max-ticks", "N", OPT_I64, OFF(max_ticks), 0, 9.2e18, NULL,
     "stop generating after N ticks but keep serving; 0 = no limit "
     "(default 0)",
     NULL, false},
    {"--truth", "FILE", OPT_STR, OFF(truth_path), 0, 0, NULL,
     "append every tick as CSV ground truth to FILE (default: none)", NULL,
     false},
    {"--replay", "DB", OPT_STR, OFF(replay_path), 0, 0, NULL,
     "serve the rows of a YYYYMMDD.db day file instead of generating "
     "(default: none)",
     NULL, false},
    {"--speed", "X", OPT_DBL, OFF(speed), 0, 1e6, NULL,
     "replay speed, times real time; 0 = as fast as clients read "
     "(default 1)",
     NULL, false},
    {"--keepalive-sec", "N", OPT_I64, OFF(keepalive_sec), 1, 3600, NULL,
     "keepAliveInterval sent in InitConnect (default 10)", NULL, false},
    {"--quota", "N", OPT_I64, OFF(quota), 0, 1000000, NULL,
     "subscription quota in (security, SubType) units (default 1000)", NULL,
     false},
    {"--unsub-min-sec", "N", OPT_I64, OFF(unsub_min_sec), 0, 86400, NULL,
     "refuse unsubscribing within N seconds of subscribing (default 60)", NULL,
     false},
    {"--deny", "LIST", OPT_FN, 0, 0, 0, apply_deny,
     "symbols refused with \"No right to subscribe\" (default: none)", NULL,
     false},
    {"--control", "PATH", OPT_STR, OFF(control_path), 0, 0, NULL,
     "Unix socket for the control channel (default: none)", NULL, false},
    {"--rsa-key", "PEM", OPT_STR, OFF(rsa_key), 0, 0, NULL,
     "1024-bit RSA private key; enables encryption (default: off)", NULL,
     false},
    {"--clock-start", "TIME", OPT_FN, 0, 0, 0, apply_clock_start,
     "start a simulated clock at HK time \"YYYY-MM-DD HH:MM:SS\" "
     "(default: real time)",
     NULL, false},
    {"--clock-speed", "X", OPT_DBL, OFF(clock_speed), 1e-3, 1e6, NULL,
     "simulated clock speed, times real time (default 1)", NULL, false},
    {"--sessions", NULL, OPT_FLAG, OFF(sessions), 0, 0, NULL,
     "trade only in HK sessions 09:30-12:00, 13:00-16:00, closing "
     "auction 16:00-16:10 (default: 24/7)",
     NULL, false},
    {"--time-offset-sec", "N", OPT_I64, OFF(time_offset_sec), -86400 * 2,
     86400 * 2, NULL,
     "add N seconds to tick time strings and timestamps (default 0)", NULL,
     false},
    {"--idle-close", "N", OPT_I64, OFF(idle_close), 0, 1000, NULL,
     "close a client after N keepalive intervals without packets; 0 = "
     "never (default 0)",
     NULL, false},
    {"--not-subscribed-msg", "TEXT", OPT_STR, OFF(not_sub_msg), 0, 0, NULL,
     "retMsg of Qot_GetTicker without a TICKER subscription (default "
     "\"Please subscribe to the TICKER data of this security first\")",
     NULL, false},
    {"--silent", NULL, OPT_FLAG, OFF(silent), 0, 0, NULL,
     "fault: start silent (no replies, no pushes; sockets stay open)", NULL,
     false},
    {"--dup", NULL, OPT_FLAG, OFF(dup), 0, 0, NULL,
     "fault: send every push twice", NULL, false},
    {"--withhold", "SYM:SEC", OPT_FN, 0, 0, 0, apply_withhold,
     "fault: no pushes for SYM during the first SEC seconds "
     "(repeatable)",
     NULL, false},
    {"--connstatus-flap", "AT:SEC", OPT_FN, 0, 0, 0, apply_flap,
     "fault: AT s after start, ConnStatus qotLogined=false for SEC s, "
     "then ByDisConn pushes",
     NULL, false},
    {"--dribble", "SEC", OPT_DBL, OFF(dribble_sec), 0, 3600, NULL,
     "fault: write each new connection's output 1 byte per 2 ms for its "
     "first SEC seconds (default 0)",
     NULL, false},
    {"--paused", NULL, OPT_FLAG, OFF(paused), 0, 0, NULL,
     "start with tick generation paused (control: resume)", NULL, false},
    {"--log-level", "LEVEL", OPT_FN, 0, 0, 0, apply_log_level,
     "DEBUG, INFO, WARNING, ERROR (default INFO)", NULL, false},
    {"--help", NULL, OPT_FLAG, 0, 0, 0, NULL, "show this help and exit", NULL,
     false},
    {"--version", NULL, OPT_FLAG, 0, 0, 0, NULL, "show the version and exit",
     NULL, false},
};

#define NOPTS (sizeof(table) / sizeof(table[0]))

static const sim_opts defaults = {
    .listen_host = "127.0.0.1",
    .listen_port = 11111,
    .rate = 100,
    .ticks_per_push = 1,
    .burst_factor = 3,
    .seed = 1,
    .speed = 1,
    .keepalive_sec = 10,
    .quota = 1000,
    .unsub_min_sec = 60,
    .clock_speed = 1,
    .not_sub_msg = "Please subscribe to the TICKER data of this security "
                   "first",
    .log_level = "INFO",
};

void opts_free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

int opts_split_list(const char *s, char ***out, size_t *n)
{
    size_t cap = 1;
    char **list;
    size_t cnt = 0;

    for (const char *p = s; *p; p++)
        cap += *p == ',';
    list = calloc(cap, sizeof(*list));
    *out = NULL;
    *n = 0;
    if (!list)
        return -ENOMEM;
    while (*s) {
        const char *e = strchr(s, ',');
        const char *end = e ? e : s + strlen(s);
        const char *b = s;

        while (b < end && (*b == ' ' || *b == '\t'))
            b++;
        while (end > b && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end > b) {
            list[cnt] = strndup(b, (size_t)(end - b));
            if (!list[cnt]) {
                opts_free_list(list, cnt);
                return -ENOMEM;
            }
            cnt++;
        }
        if (!e)
            break;
        s = e + 1;
    }
    if (cnt == 0) {
        free(list);
        return -EINVAL;
    }
    *out = list;
    *n = cnt;
    return 0;
}

static int apply_listen(void *dst, const char *v, char *err, size_t n)
{
    sim_opts *o = dst;
    const char *colon = strrchr(v, ':');
    const char *h = v;
    size_t hl;
    char *end;
    long port;

    if (!colon)
        goto bad;
    hl = (size_t)(colon - v);
    if (hl >= 2 && v[0] == '[' && colon[-1] == ']') {
        h = v + 1;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof(o->listen_host))
        goto bad;
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
        goto bad;
    memcpy(o->listen_host, h, hl);
    o->listen_host[hl] = '\0';
    o->listen_port = port;
    return 0;
bad:
    snprintf(err, n, "invalid value '%s' for --listen: expected HOST:PORT", v);
    return -EINVAL;
}

static int apply_symbols(void *dst, const char *v, char *err, size_t n)
{
    sim_opts *o = dst;
    opts_free_list(o->symbols, o->nsymbols);
    o->symbols = NULL;
    o->nsymbols = 0;
    if (opts_split_list(v, &o->symbols, &o->nsymbols) != 0) {
        snprintf(err, n,
                 "invalid value '%s' for --symbols: expected a "
                 "list like HK.00700,HK.00005",
                 v);
        return -EINVAL;
    }
    for (size_t i = 0; i < o->nsymbols; i++) {
        const char *s = o->symbols[i];
        const char *dot = strchr(s, '.');
        if (!dot || dot == s || dot[1] == '\0') {
            snprintf(err, n,
                     "invalid value '%s' for --symbols: '%s' is "
                     "not MARKET.CODE",
                     v, s);
            return -EINVAL;
        }
    }
    return 0;
}

static int apply_deny(void *dst, const char *v, char *err, size_t n)
{
    sim_opts *o = dst;
    opts_free_list(o->deny, o->ndeny);
    o->deny = NULL;
    o->ndeny = 0;
    if (opts_split_list(v, &o->deny, &o->ndeny) != 0) {
        snprintf(err, n,
                 "invalid value '%s' for --deny: expected a list "
                 "like HK.00700",
                 v);
        return -EINVAL;
    }
    return 0;
}

static int apply_clock_start(void *dst, const char *v, char *err, size_t n)
{
    sim_opts *o = dst;
    int64_t ms;

    if (hktime_parse(v, strlen(v), HKTIME_ZONE_HK, 0, &ms) != 0 ||
        strlen(v) < 19) {
        snprintf(err, n,
                 "invalid value '%s' for --clock-start: expected "
                 "\"YYYY-MM-DD HH:MM:SS\" (HK time)",
                 v);
        return -EINVAL;
    }
    o->has_clock_start = true;
    o->clock_start_ms = ms;
    return 0;
}

static int parse_pair(const char *v, char *left, size_t lcap, double *num)
{
    const char *colon = strrchr(v, ':');
    char *end;

    if (!colon || colon == v || (size_t)(colon - v) >= lcap)
        return -EINVAL;
    errno = 0;
    *num = strtod(colon + 1, &end);
    if (errno || *end || end == colon + 1 || !(*num >= 0) || *num > 1e6)
        return -EINVAL;
    memcpy(left, v, (size_t)(colon - v));
    left[colon - v] = '\0';
    return 0;
}

static int apply_withhold(void *dst, const char *v, char *err, size_t n)
{
    sim_opts *o = dst;
    sim_withhold *w;

    if (o->nwithhold == OPTS_MAX_WITHHOLD) {
        snprintf(err, n, "too many --withhold options (max %d)",
                 OPTS_MAX_WITHHOLD);
        return -EINVAL;
    }
    w = &o->withhold[o->nwithhold];
    if (parse_pair(v, w->symbol, sizeof(w->symbol), &w->sec) != 0 ||
        !strchr(w->symbol, '.')) {
        snprintf(err, n,
                 "invalid value '%s' for --withhold: expected "
                 "SYMBOL:SECONDS, e.g. HK.00700:5",
                 v);
        return -EINVAL;
    }
    o->nwithhold++;
    return 0;
}

static int apply_flap(void *dst, const char *v, char *err, size_t n)
{
    sim_opts *o = dst;
    char at[32];
    char *end;

    if (parse_pair(v, at, sizeof(at), &o->flap_sec) != 0)
        goto bad;
    o->flap_at = strtod(at, &end);
    if (*end || end == at || !(o->flap_at >= 0) || o->flap_sec <= 0)
        goto bad;
    return 0;
bad:
    snprintf(err, n,
             "invalid value '%s' for --connstatus-flap: expected "
             "AT_SEC:DURATION_SEC, e.g. 5:3",
             v);
    return -EINVAL;
}

static int apply_log_level(void *dst, const char *v, char *err, size_t n)
{
    sim_opts *o = dst;
    if (log_level_parse(v) < 0) {
        snprintf(err, n,
                 "invalid value '%s' for --log-level: expected "
                 "DEBUG, INFO, WARNING or ERROR",
                 v);
        return -EINVAL;
    }
    o->log_level = v;
    return 0;
}

static int make_symbols(sim_opts *o, char *err, size_t n)
{
    if (o->symbol_count > 0 && o->nsymbols > 0) {
        snprintf(err, n, "--symbols and --symbol-count exclude each other");
        return -EINVAL;
    }
    if (o->replay_path && (o->symbol_count > 0 || o->nsymbols > 0)) {
        snprintf(err, n,
                 "--replay takes its symbols from the day file; "
                 "drop --symbols/--symbol-count");
        return -EINVAL;
    }
    if (o->symbol_count > 0) {
        o->symbols = calloc((size_t)o->symbol_count, sizeof(char *));
        if (!o->symbols)
            return -ENOMEM;
        for (int64_t i = 0; i < o->symbol_count; i++) {
            char buf[32];
            snprintf(buf, sizeof(buf), "HK.%05lld", (long long)(i + 1));
            o->symbols[i] = strdup(buf);
            if (!o->symbols[i])
                return -ENOMEM;
            o->nsymbols++;
        }
    } else if (o->nsymbols == 0 && !o->replay_path) {
        return opts_split_list("HK.00700,HK.00005", &o->symbols, &o->nsymbols);
    }
    return 0;
}

int opts_parse(int argc, char **argv, sim_opts *o, char *err, size_t errlen)
{
    opt_scan scan;
    const opt_def *d;
    const char *val;
    int rc;

    *o = defaults;
    opt_scan_init(&scan, table, NOPTS, argc, argv, 1);
    while ((rc = opt_next(&scan, &d, &val)) != OPT_DONE) {
        if (rc == OPT_E_UNKNOWN) {
            const char *a = argv[scan.i];
            if (strcmp(a, "-h") == 0)
                return OPTS_HELP;
            if (a[0] == '-' && a[1] != '\0')
                snprintf(err, errlen, "unknown option %s", a);
            else
                snprintf(err, errlen, "unexpected argument '%s'", a);
            return -EINVAL;
        }
        if (rc == OPT_E_NOVALUE) {
            snprintf(err, errlen, "option %s needs a value", d->name);
            return -EINVAL;
        }
        if (strcmp(d->name, "--help") == 0)
            return OPTS_HELP;
        if (strcmp(d->name, "--version") == 0)
            return OPTS_VERSION;
        rc = opt_apply(d, o, val, err, errlen);
        if (rc != 0)
            return rc;
    }
    rc = make_symbols(o, err, errlen);
    if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory");
    return rc;
}

void opts_free(sim_opts *o)
{
    opts_free_list(o->symbols, o->nsymbols);
    opts_free_list(o->deny, o->ndeny);
    o->symbols = NULL;
    o->deny = NULL;
    o->nsymbols = 0;
    o->ndeny = 0;
}

/* Help text from column 29, wrapped at 79 columns. */
static void print_wrapped(FILE *f, const char *text, bool newline_first)
{
    const int indent = 28;
    const int width = 79;
    int col = indent;
    const char *p = text;

    if (newline_first)
        fprintf(f, "\n%*s", indent, "");
    while (*p) {
        const char *sp = strchr(p, ' ');
        int wl = sp ? (int)(sp - p) : (int)strlen(p);

        if (col > indent && col + 1 + wl > width) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        }
        fprintf(f, " %.*s", wl, p);
        col += 1 + wl;
        p += wl;
        while (*p == ' ')
            p++;
    }
    fputc('\n', f);
}

void opts_usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s [options]\n"
            "       %s ctl PATH COMMAND [ARGS...]\n\n"
            "An OpenD simulator speaking the Futu OpenD TCP protocol: it\n"
            "generates (or replays) Hong Kong trades and serves them to\n"
            "any number of clients, with fault injection for tests.\n\n"
            "options:\n",
            prog, prog);
    for (size_t i = 0; i < NOPTS; i++) {
        char left[64];
        snprintf(left, sizeof(left), "%s%s%s", table[i].name,
                 table[i].arg ? " " : "", table[i].arg ? table[i].arg : "");
        fprintf(f, "  %-26s", left);
        print_wrapped(f, table[i].help, strlen(left) > 26);
    }
    fprintf(f,
            "\ncontrol commands (--control PATH; one line in, one line\n"
            "out starting with OK or ERR <reason>; or use `%s ctl PATH "
            "...`):\n"
            "  close all|<conn_id>      close client connections\n"
            "  silent on|off            stop/resume all replies and pushes\n"
            "  dup on|off               send every push twice\n"
            "  withhold <SYMBOL> <sec>  no pushes for SYMBOL for sec "
            "seconds\n"
            "  badsha1 [conn_id]        corrupt the SHA1 of the next push\n"
            "  oversize [conn_id]       send a 32 MiB length header, then "
            "nothing\n"
            "  dribble <sec> [conn_id]  write output 1 byte per 2 ms for sec "
            "s\n"
            "  quota <n>                set the subscription quota\n"
            "  deny <SYMBOL>            refuse subscriptions to SYMBOL\n"
            "  connstatus-flap <sec>    ConnStatus qotLogined=false for sec "
            "s\n"
            "  pause | resume           stop/restart tick generation\n"
            "  rate <n>                 set the aggregate tick rate\n"
            "  truth [PATH]             flush ground truth (copy to PATH)\n"
            "  stats                    OK generated=<n> pushed=<n> "
            "clients=<n> ...\n"
            "  stop                     exit 0 (truth flushed)\n"
            "\n`ctl` exits 0 on OK, 1 on ERR, 2 when it cannot connect.\n",
            prog);
}
