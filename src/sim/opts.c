/*
 * opts.c - command-line table, parser and --help for opend-sim.
 *
 * Each row of `table` names a long option, its argument, the field it sets
 * (kind + offset), numeric bounds and an optional apply function for
 * composite values (lists, HOST:PORT, SYM:SEC, times). opts_parse builds the
 * getopt_long array from the table, applies defaults from one designated
 * initializer, applies every option in order, then derives the symbol
 * list. Nothing here touches global state besides getopt's optind.
 */
#include "sim/opts.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/hktime.h"
#include "common/log.h"

enum kind { K_I64, K_DBL, K_STR, K_BOOL, K_FN };

struct opt_def;
typedef int (*apply_fn)(sim_opts *o, const char *val, char *err, size_t errlen);

struct opt_def {
    const char *name;
    const char *arg; /* NULL: flag without argument */
    enum kind kind;
    size_t off;
    double min;
    double max;
    apply_fn apply;
    const char *help;
};

#define OFF(f) offsetof(sim_opts, f)

static int apply_listen(sim_opts *o, const char *v, char *err, size_t n);
static int apply_symbols(sim_opts *o, const char *v, char *err, size_t n);
static int apply_deny(sim_opts *o, const char *v, char *err, size_t n);
static int apply_clock_start(sim_opts *o, const char *v, char *err, size_t n);
static int apply_withhold(sim_opts *o, const char *v, char *err, size_t n);
static int apply_flap(sim_opts *o, const char *v, char *err, size_t n);
static int apply_log_level(sim_opts *o, const char *v, char *err, size_t n);

static const struct opt_def table[] = {
    {"listen", "HOST:PORT", K_FN, 0, 0, 0, apply_listen,
     "address to serve (default 127.0.0.1:11111; port 0 picks a free "
     "port)"},
    {"port-file", "FILE", K_STR, OFF(port_file), 0, 0, NULL,
     "write the bound port number to FILE (default: none)"},
    {"symbols", "LIST", K_FN, 0, 0, 0, apply_symbols,
     "comma-separated symbols, e.g. HK.00700,HK.00005 (default "
     "HK.00700,HK.00005)"},
    {"symbol-count", "N", K_I64, OFF(symbol_count), 1, 100000, NULL,
     "generate N symbols HK.00001, HK.00002, ... instead of --symbols"},
    {"rate", "N", K_DBL, OFF(rate), 0, 1e7, NULL,
     "aggregate ticks per second over all symbols; 0 = as fast as the "
     "clients read (default 100)"},
    {"ticks-per-push", "N", K_I64, OFF(ticks_per_push), 1, 1000, NULL,
     "maximum ticks in one Qot_UpdateTicker push (default 1)"},
    {"burst-factor", "X", K_DBL, OFF(burst_factor), 1, 1000, NULL,
     "rate multiplier during 1-3 s bursts; 1 disables bursts (default 3)"},
    {"seed", "N", K_I64, OFF(seed), 0, 9.2e18, NULL,
     "PRNG seed; same seed and flags give the same ticks (default 1)"},
    {"duration", "SEC", K_DBL, OFF(duration), 0, 1e9, NULL,
     "exit 0 after SEC seconds; 0 = run until stopped (default 0)"},
    {"max-ticks", "N", K_I64, OFF(max_ticks), 0, 9.2e18, NULL,
     "stop generating after N ticks but keep serving; 0 = no limit "
     "(default 0)"},
    {"truth", "FILE", K_STR, OFF(truth_path), 0, 0, NULL,
     "append every tick as CSV ground truth to FILE (default: none)"},
    {"replay", "DB", K_STR, OFF(replay_path), 0, 0, NULL,
     "serve the rows of a YYYYMMDD.db day file instead of generating "
     "(default: none)"},
    {"speed", "X", K_DBL, OFF(speed), 0, 1e6, NULL,
     "replay speed, times real time; 0 = as fast as clients read "
     "(default 1)"},
    {"keepalive-sec", "N", K_I64, OFF(keepalive_sec), 1, 3600, NULL,
     "keepAliveInterval sent in InitConnect (default 10)"},
    {"quota", "N", K_I64, OFF(quota), 0, 1000000, NULL,
     "subscription quota in (security, SubType) units (default 1000)"},
    {"unsub-min-sec", "N", K_I64, OFF(unsub_min_sec), 0, 86400, NULL,
     "refuse unsubscribing within N seconds of subscribing (default 60)"},
    {"deny", "LIST", K_FN, 0, 0, 0, apply_deny,
     "symbols refused with \"No right to subscribe\" (default: none)"},
    {"control", "PATH", K_STR, OFF(control_path), 0, 0, NULL,
     "Unix socket for the control channel (default: none)"},
    {"rsa-key", "PEM", K_STR, OFF(rsa_key), 0, 0, NULL,
     "1024-bit RSA private key; enables encryption (default: off)"},
    {"clock-start", "TIME", K_FN, 0, 0, 0, apply_clock_start,
     "start a simulated clock at HK time \"YYYY-MM-DD HH:MM:SS\" "
     "(default: real time)"},
    {"clock-speed", "X", K_DBL, OFF(clock_speed), 1e-3, 1e6, NULL,
     "simulated clock speed, times real time (default 1)"},
    {"sessions", NULL, K_BOOL, OFF(sessions), 0, 0, NULL,
     "trade only in HK sessions 09:30-12:00, 13:00-16:00, closing "
     "auction 16:00-16:10 (default: 24/7)"},
    {"time-offset-sec", "N", K_I64, OFF(time_offset_sec), -86400 * 2, 86400 * 2,
     NULL, "add N seconds to tick time strings and timestamps (default 0)"},
    {"idle-close", "N", K_I64, OFF(idle_close), 0, 1000, NULL,
     "close a client after N keepalive intervals without packets; 0 = "
     "never (default 0)"},
    {"not-subscribed-msg", "TEXT", K_STR, OFF(not_sub_msg), 0, 0, NULL,
     "retMsg of Qot_GetTicker without a TICKER subscription (default "
     "\"Please subscribe to the TICKER data of this security first\")"},
    {"silent", NULL, K_BOOL, OFF(silent), 0, 0, NULL,
     "fault: start silent (no replies, no pushes; sockets stay open)"},
    {"dup", NULL, K_BOOL, OFF(dup), 0, 0, NULL, "fault: send every push twice"},
    {"withhold", "SYM:SEC", K_FN, 0, 0, 0, apply_withhold,
     "fault: no pushes for SYM during the first SEC seconds "
     "(repeatable)"},
    {"connstatus-flap", "AT:SEC", K_FN, 0, 0, 0, apply_flap,
     "fault: AT s after start, ConnStatus qotLogined=false for SEC s, "
     "then ByDisConn pushes"},
    {"dribble", "SEC", K_DBL, OFF(dribble_sec), 0, 3600, NULL,
     "fault: write each new connection's output 1 byte per 2 ms for its "
     "first SEC seconds (default 0)"},
    {"paused", NULL, K_BOOL, OFF(paused), 0, 0, NULL,
     "start with tick generation paused (control: resume)"},
    {"log-level", "LEVEL", K_FN, 0, 0, 0, apply_log_level,
     "DEBUG, INFO, WARNING, ERROR (default INFO)"},
    {"help", NULL, K_BOOL, 0, 0, 0, NULL, "show this help and exit"},
    {"version", NULL, K_BOOL, 0, 0, 0, NULL, "show the version and exit"},
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

static int apply_listen(sim_opts *o, const char *v, char *err, size_t n)
{
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

static int apply_symbols(sim_opts *o, const char *v, char *err, size_t n)
{
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

static int apply_deny(sim_opts *o, const char *v, char *err, size_t n)
{
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

static int apply_clock_start(sim_opts *o, const char *v, char *err, size_t n)
{
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

static int apply_withhold(sim_opts *o, const char *v, char *err, size_t n)
{
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

static int apply_flap(sim_opts *o, const char *v, char *err, size_t n)
{
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

static int apply_log_level(sim_opts *o, const char *v, char *err, size_t n)
{
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

static int apply_number(sim_opts *o, const struct opt_def *d, const char *v,
                        char *err, size_t n)
{
    char *end;
    double x;

    errno = 0;
    if (d->kind == K_I64) {
        long long i = strtoll(v, &end, 10);
        x = (double)i;
        if (!errno && *end == '\0' && end != v && x >= d->min && x <= d->max) {
            *(int64_t *)((char *)o + d->off) = i;
            return 0;
        }
        snprintf(err, n,
                 "invalid value '%s' for --%s: expected an integer "
                 "in %.0f..%.0f",
                 v, d->name, d->min, d->max);
        return -EINVAL;
    }
    x = strtod(v, &end);
    if (!errno && *end == '\0' && end != v && isfinite(x) && x >= d->min &&
        x <= d->max) {
        *(double *)((char *)o + d->off) = x;
        return 0;
    }
    snprintf(err, n,
             "invalid value '%s' for --%s: expected a number in "
             "%g..%g",
             v, d->name, d->min, d->max);
    return -EINVAL;
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
    struct option longopts[NOPTS + 1];
    int rc;

    *o = defaults;
    for (size_t i = 0; i < NOPTS; i++) {
        longopts[i].name = table[i].name;
        longopts[i].has_arg = table[i].arg ? required_argument : no_argument;
        longopts[i].flag = NULL;
        longopts[i].val = 256 + (int)i;
    }
    memset(&longopts[NOPTS], 0, sizeof(longopts[NOPTS]));
    optind = 1;
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, ":h", longopts, NULL);
        const struct opt_def *d;

        if (c == -1)
            break;
        if (c == 'h')
            return OPTS_HELP;
        if (c == '?' || c == ':') {
            const char *a = argv[optind - 1];
            snprintf(err, errlen,
                     c == ':' ? "option %s needs a value" : "unknown option %s",
                     a ? a : "?");
            return -EINVAL;
        }
        d = &table[c - 256];
        if (strcmp(d->name, "help") == 0)
            return OPTS_HELP;
        if (strcmp(d->name, "version") == 0)
            return OPTS_VERSION;
        switch (d->kind) {
        case K_I64:
        case K_DBL:
            rc = apply_number(o, d, optarg, err, errlen);
            break;
        case K_STR:
            if (optarg[0] == '\0') {
                snprintf(err, errlen, "empty value for --%s", d->name);
                return -EINVAL;
            }
            *(const char **)((char *)o + d->off) = optarg;
            rc = 0;
            break;
        case K_BOOL:
            *(bool *)((char *)o + d->off) = true;
            rc = 0;
            break;
        default:
            rc = d->apply(o, optarg, err, errlen);
            break;
        }
        if (rc != 0)
            return rc;
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
        return -EINVAL;
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
        snprintf(left, sizeof(left), "--%s%s%s", table[i].name,
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
