/*
 * verify.c - `hk-tickctl verify`: the deployment runbook's "quick
 * verification" (runbook 001 §5, compat.md §10.3) as one command.
 *
 *   hk-tickctl verify [--wait-sec N] [--market-open auto|0|1]
 *                     [--checks CSV] [--since TIME] [--log-file PATH]
 *                     [--unit PATH] [--json]
 *
 * Each check prints one line `<PASS|WARN|FAIL|INFO> <check> <message>`;
 * where compat.md §10.3 names a text for ops/verify.sh the message is that
 * text verbatim, so the script only strips the first two words. Checks, in
 * order:
 *   service       systemctl is-active SERVICE_NAME (WARN when systemd is
 *                 not running here, e.g. containers)
 *   env           ENV_FILE readable; FUTU_SYMBOLS non-empty (FAIL when
 *                 empty); with systemd and a readable /proc/<MainPID>/environ
 *                 also that the running process got FUTU_SYMBOLS
 *   opend_port    TCP connect to FUTU_HOST:FUTU_PORT (2 s timeout)
 *   db_today      the day file exists (--db / --day, default HK today)
 *   db_growth     row count (hk_symbol_totals, else COUNT) grew over
 *                 --wait-sec (default 5)
 *   max_seq       some symbol's MAX(seq) advanced over the same wait
 *   drops         no `dropped_queue_full=<n>0` / `rows_lost` in the journal
 *                 since --since (default "1 hour ago") or in --log-file
 *   unit          unit file: StartLimit* not in [Service], EnvironmentFile=
 *                 present
 *   stop_timeout  STOP_FLUSH_TIMEOUT_SEC (default 60) < TimeoutStopSec
 *   ownership     DATA_ROOT and the day's -wal/-shm owned by the service
 *                 user (RUN_USER, else the unit's User=, else hkcollector;
 *                 when that user does not exist here, the owner of DATA_ROOT)
 * db_growth/max_seq are FAIL only while the market is open (HK clock:
 * Mon-Fri 09:30-12:00, 13:00-16:10; --market-open overrides), else WARN.
 * Exit 0 when no check FAILed, 2 otherwise (compat.md §7.1).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hktime.h"
#include "common/util.h"
#include "ctl/ctl.h"

enum vstatus { V_PASS, V_WARN, V_FAIL, V_INFO };
static const char *const vname[] = {"PASS", "WARN", "FAIL", "INFO"};

struct vrun {
    ctl_ctx *c;
    json_t *checks;
    int counts[4];
    const char *only; /* --checks CSV or NULL */
};

static bool wanted(const struct vrun *v, const char *check)
{
    if (!v->only)
        return true;
    size_t n = strlen(check);
    for (const char *p = v->only; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, check, n) == 0)
            return true;
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

static void report(struct vrun *v, enum vstatus st, const char *check,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report(struct vrun *v, enum vstatus st, const char *check,
                   const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    v->counts[st]++;
    json_t *o = json_object();
    json_object_set_new(o, "check", json_string(check));
    json_object_set_new(o, "status", json_string(vname[st]));
    json_object_set_new(o, "message", json_string(msg));
    json_array_append_new(v->checks, o);
    if (!v->c->json) {
        printf("%s %s %s\n", vname[st], check, msg);
        fflush(stdout);
    }
}

/* ---- systemd ------------------------------------------------------------ */

static bool systemd_running(void)
{
    struct stat st;
    return stat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode) &&
           ctl_have_program("systemctl");
}

static char *systemctl_show(const char *unit, const char *prop)
{
    char p[64];
    util_fmt(p, sizeof(p), "-p%s", prop);
    char *argv[] = {"systemctl", "show", p, "--value", (char *)unit, NULL};
    char *out = NULL;
    int status = 0;
    if (ctl_run_capture(argv, &out, NULL, &status) != 0)
        return NULL;
    out[strcspn(out, "\r\n")] = '\0';
    return out;
}

/*
 * systemd time span ("120", "120s", "2min", "1min 30s", "90s 500ms",
 * "infinity") in seconds; -1 when unparseable, 1e18 for infinity.
 */
static double parse_timespan(const char *s)
{
    double total = 0;
    bool any = false;
    while (*s) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        if (strncmp(s, "infinity", 8) == 0)
            return 1e18;
        char *end;
        double x = strtod(s, &end);
        if (end == s)
            return -1;
        s = end;
        while (*s == ' ')
            s++;
        const char *u = s;
        while (*s && *s != ' ' && !(*s >= '0' && *s <= '9'))
            s++;
        size_t ul = (size_t)(s - u);
        double mul = 1;
        if (ul == 0 || (ul == 1 && *u == 's') ||
            (ul == 3 && strncmp(u, "sec", 3) == 0))
            mul = 1;
        else if (ul == 2 && strncmp(u, "ms", 2) == 0)
            mul = 1e-3;
        else if ((ul == 2 && strncmp(u, "us", 2) == 0) ||
                 (ul == 4 && strncmp(u, "usec", 4) == 0))
            mul = 1e-6;
        else if ((ul == 1 && *u == 'm') ||
                 (ul == 3 && strncmp(u, "min", 3) == 0))
            mul = 60;
        else if ((ul == 1 && *u == 'h') ||
                 (ul == 2 && strncmp(u, "hr", 2) == 0))
            mul = 3600;
        else if (ul == 1 && *u == 'd')
            mul = 86400;
        else
            return -1;
        total += x * mul;
        any = true;
    }
    return any ? total : -1;
}

struct unitinfo {
    bool found;
    char path[PATH_MAX];
    double timeout_stop; /* -1 unknown */
    bool startlimit_in_service;
    bool has_envfile;
    char user[64];
};

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
                 s[n - 1] == '\r'))
        s[--n] = '\0';
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    if (i)
        memmove(s, s + i, n - i + 1);
}

static void read_unit(const char *path, struct unitinfo *u)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    u->found = true;
    util_fmt(u->path, sizeof(u->path), "%s", path);
    char line[4096], section[64] = "";
    while (fgets(line, sizeof(line), f)) {
        trim(line);
        if (!line[0] || line[0] == '#' || line[0] == ';')
            continue;
        if (line[0] == '[') {
            util_fmt(section, sizeof(section), "%s", line);
            continue;
        }
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *k = line, *val = eq + 1;
        trim(k);
        trim(val);
        bool svc = strcmp(section, "[Service]") == 0;
        if (svc && strncmp(k, "StartLimit", 10) == 0)
            u->startlimit_in_service = true;
        else if (svc && strcmp(k, "TimeoutStopSec") == 0)
            u->timeout_stop = parse_timespan(val);
        else if (svc && strcmp(k, "EnvironmentFile") == 0 && val[0])
            u->has_envfile = true;
        else if (svc && strcmp(k, "User") == 0)
            util_fmt(u->user, sizeof(u->user), "%s", val);
    }
    fclose(f);
}

/* ---- checks ---------------------------------------------------------------
 */

static void check_service(struct vrun *v, bool sd)
{
    const char *svc = v->c->service_name;
    if (!sd) {
        report(v, V_WARN, "service",
               "systemd is not running here; %s.service not checked", svc);
        return;
    }
    char st[64];
    ctl_service_state(svc, st, sizeof(st));
    report(v, strcmp(st, "active") == 0 ? V_PASS : V_FAIL, "service",
           "%s.service is %s", svc, st);
}

static int count_csv(const char *s)
{
    int n = 0;
    bool in = false;
    for (; *s; s++) {
        if (*s == ',') {
            in = false;
        } else if (*s != ' ' && *s != '\t' && !in) {
            in = true;
            n++;
        }
    }
    return n;
}

static void check_env(struct vrun *v, bool sd)
{
    ctl_ctx *c = v->c;
    bool readable = access(c->env_file, R_OK) == 0;
    const char *sym = ctl_getenv(c, "FUTU_SYMBOLS");
    int n = sym ? count_csv(sym) : 0;
    if (n == 0) {
        report(v, V_FAIL, "env", "FUTU_SYMBOLS is empty (env_file=%s%s)",
               c->env_file, readable ? "" : " not readable");
        return;
    }
    if (!readable)
        report(v, V_WARN, "env",
               "env_file=%s is not readable; FUTU_SYMBOLS (%d symbols) comes "
               "from the environment or the repo .env",
               c->env_file, n);
    else
        report(v, V_PASS, "env", "env_file=%s FUTU_SYMBOLS has %d symbols",
               c->env_file, n);
    if (!sd)
        return;
    char *pid = systemctl_show(c->service_name, "MainPID");
    if (pid && atoi(pid) > 0) {
        char p[64];
        util_fmt(p, sizeof(p), "/proc/%d/environ", atoi(pid));
        FILE *f = fopen(p, "r");
        if (f) {
            char buf[65536];
            size_t len = fread(buf, 1, sizeof(buf) - 1, f);
            fclose(f);
            buf[len] = '\0';
            bool found = false;
            for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
                if (strncmp(buf + i, "FUTU_SYMBOLS=", 13) == 0 && buf[i + 13])
                    found = true;
            report(v, found ? V_PASS : V_FAIL, "env",
                   "MainPID %d %s FUTU_SYMBOLS in its environment", atoi(pid),
                   found ? "has" : "lacks");
        }
    }
    free(pid);
}

static bool port_open(const char *host, const char *port)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return false;
    bool ok = false;
    for (struct addrinfo *a = res; a && !ok; a = a->ai_next) {
        int fd =
            socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   a->ai_protocol);
        if (fd < 0)
            continue;
        int r = connect(fd, a->ai_addr, a->ai_addrlen);
        if (r == 0) {
            ok = true;
        } else if (errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            if (poll(&p, 1, 2000) == 1) {
                int e = 0;
                socklen_t el = sizeof(e);
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
                ok = e == 0;
            }
        }
        close(fd);
    }
    freeaddrinfo(res);
    return ok;
}

static void check_port(struct vrun *v)
{
    const char *h = ctl_getenv(v->c, "FUTU_HOST");
    char host[256], port[32];
    util_fmt(host, sizeof(host), "%s", h && *h ? h : "127.0.0.1");
    const char *p = ctl_getenv(v->c, "FUTU_PORT");
    util_fmt(port, sizeof(port), "%s", p && *p ? p : "11111");
    if (port_open(host, port))
        report(v, V_PASS, "opend_port", "port check ok: %s:%s", host, port);
    else
        report(v, V_FAIL, "opend_port",
               "port check failed: %s:%s not listening", host, port);
}

struct dbsnap {
    bool ok;
    int64_t rows;
    int n;
    ctl_symrow *sym;
};

static void snap_free(struct dbsnap *s)
{
    free(s->sym);
    memset(s, 0, sizeof(*s));
}

static int snap_read(const char *path, struct dbsnap *s)
{
    sqlite3 *db = NULL;
    bool tot = false;
    memset(s, 0, sizeof(*s));
    if (ctl_open_ro(path, &db) != SQLITE_OK) {
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, 5000);
    int rc = ctl_symbol_totals(db, 0, &s->sym, &s->n, &tot);
    if (rc == 0 && !tot) {
        /* A file without our totals table: MAX(seq) from the index. */
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db,
                               "SELECT MAX(seq) FROM ticks WHERE symbol = ?",
                               -1, &st, NULL) == SQLITE_OK) {
            for (int i = 0; i < s->n; i++) {
                sqlite3_bind_text(st, 1, s->sym[i].symbol, -1, SQLITE_STATIC);
                if (sqlite3_step(st) == SQLITE_ROW &&
                    sqlite3_column_type(st, 0) != SQLITE_NULL) {
                    s->sym[i].max_seq = sqlite3_column_int64(st, 0);
                    s->sym[i].has_seq = true;
                }
                sqlite3_reset(st);
            }
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);
    if (rc != 0)
        return -1;
    for (int i = 0; i < s->n; i++)
        s->rows += s->sym[i].rows;
    s->ok = true;
    return 0;
}

/* "{'HK.00700': 123, 'HK.00981': None}" (the runbook script's format). */
static void seq_dict(const struct dbsnap *s, char *buf, size_t cap)
{
    size_t off = 0;
    util_fmt(buf, cap, "{");
    off = strlen(buf);
    for (int i = 0; i < s->n && off < cap; i++) {
        int w;
        if (s->sym[i].has_seq)
            w = util_fmt(buf + off, cap - off, "%s'%s': %lld", i ? ", " : "",
                         s->sym[i].symbol, (long long)s->sym[i].max_seq);
        else
            w = util_fmt(buf + off, cap - off, "%s'%s': None", i ? ", " : "",
                         s->sym[i].symbol);
        if (w < 0) {
            off = cap; /* truncated: end with "...}" */
            break;
        }
        off += strlen(buf + off);
    }
    if (off + 2 < cap)
        util_fmt(buf + off, cap - off, "}");
    else if (cap > 5)
        util_fmt(buf + cap - 5, 5, "...}");
}

static json_t *seq_json(const struct dbsnap *s)
{
    json_t *o = json_object();
    for (int i = 0; i < s->n; i++)
        json_object_set_new(o, s->sym[i].symbol,
                            s->sym[i].has_seq ? json_integer(s->sym[i].max_seq)
                                              : json_null());
    return o;
}

static bool seq_advanced(const struct dbsnap *a, const struct dbsnap *b)
{
    for (int j = 0; j < b->n; j++) {
        if (!b->sym[j].has_seq)
            continue;
        bool seen = false;
        for (int i = 0; i < a->n; i++) {
            if (strcmp(a->sym[i].symbol, b->sym[j].symbol) != 0)
                continue;
            seen = true;
            if (!a->sym[i].has_seq || b->sym[j].max_seq > a->sym[i].max_seq)
                return true;
        }
        if (!seen)
            return true;
    }
    return false;
}

static bool clock_market_open(int64_t now_ms)
{
    int wd = hktime_hk_weekday(now_ms); /* 0 = Sunday … 6 = Saturday */
    int m = hktime_hk_ms_of_day(now_ms) / 60000;
    if (wd == 0 || wd == 6)
        return false;
    return (m >= 9 * 60 + 30 && m < 12 * 60) ||
           (m >= 13 * 60 && m < 16 * 60 + 10);
}

static void check_drops(struct vrun *v, const char *log_file, const char *since,
                        bool sd)
{
    char *text = NULL;
    char src[PATH_MAX + 64];
    if (log_file) {
        FILE *f = fopen(log_file, "r");
        if (!f) {
            report(v, V_WARN, "drops", "cannot read %s: %s", log_file,
                   strerror(errno));
            return;
        }
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        text = malloc(len > 0 ? (size_t)len + 1 : 1);
        size_t got = text && len > 0 ? fread(text, 1, (size_t)len, f) : 0;
        if (text)
            text[got] = '\0';
        fclose(f);
        util_fmt(src, sizeof(src), "%s", log_file);
    } else {
        if (sd)
            text = ctl_journal(v->c->service_name, since);
        if (!text) {
            report(v, V_WARN, "drops",
                   "journal of %s.service unavailable; drops not checked",
                   v->c->service_name);
            return;
        }
        util_fmt(src, sizeof(src), "journal %s.service since \"%s\"",
                 v->c->service_name, since);
    }
    if (!text)
        return;
    regex_t re;
    regcomp(&re, "dropped_queue_full=[1-9]|rows_lost ", REG_EXTENDED);
    int hits = 0;
    char last[512] = "";
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (regexec(&re, line, 0, NULL, 0) == 0) {
            hits++;
            util_fmt(last, sizeof(last), "%s", line);
        }
        line = nl ? nl + 1 : NULL;
    }
    regfree(&re);
    free(text);
    if (hits)
        report(v, V_FAIL, "drops",
               "%d lines with dropped_queue_full>0 or rows_lost in %s; last: "
               "%s",
               hits, src, last);
    else
        report(v, V_PASS, "drops", "no dropped_queue_full>0 or rows_lost in %s",
               src);
}

static void check_unit(struct vrun *v, struct unitinfo *u, const char *unit_opt,
                       bool sd)
{
    ctl_ctx *c = v->c;
    u->timeout_stop = -1;
    char path[PATH_MAX];
    if (unit_opt) {
        util_fmt(path, sizeof(path), "%s", unit_opt);
        read_unit(path, u);
    } else {
        char *frag =
            sd ? systemctl_show(c->service_name, "FragmentPath") : NULL;
        if (frag && frag[0])
            read_unit(frag, u);
        free(frag);
        if (!u->found) {
            util_fmt(path, sizeof(path), "/etc/systemd/system/%s.service",
                     c->service_name);
            read_unit(path, u);
        }
    }
    if (sd && !unit_opt) {
        /* What systemd really uses (drop-ins included). */
        char *t = systemctl_show(c->service_name, "TimeoutStopUSec");
        double x = t ? parse_timespan(t) : -1;
        if (x > 0)
            u->timeout_stop = x;
        free(t);
    }
    if (!wanted(v, "unit"))
        return;
    if (!u->found) {
        report(v, V_WARN, "unit", "unit file of %s.service not found",
               c->service_name);
        return;
    }
    if (u->startlimit_in_service)
        report(v, V_WARN, "unit",
               "StartLimit* is in [Service] of %s (systemd ignores it: "
               "\"Unknown key\"); move it to [Unit]",
               u->path);
    if (!u->has_envfile)
        report(v, V_WARN, "unit", "EnvironmentFile= is missing in %s", u->path);
    if (!u->startlimit_in_service && u->has_envfile)
        report(v, V_PASS, "unit",
               "%s: EnvironmentFile set, StartLimit* not in [Service]",
               u->path);
}

static void check_stop_timeout(struct vrun *v, const struct unitinfo *u)
{
    const char *s = ctl_getenv(v->c, "STOP_FLUSH_TIMEOUT_SEC");
    double flush = s && *s ? atof(s) : 60;
    if (u->timeout_stop < 0) {
        report(v, V_WARN, "stop_timeout",
               "STOP_FLUSH_TIMEOUT_SEC=%g; TimeoutStopSec unknown (no unit "
               "file)",
               flush);
        return;
    }
    if (flush < u->timeout_stop)
        report(v, V_PASS, "stop_timeout",
               "STOP_FLUSH_TIMEOUT_SEC=%g < TimeoutStopSec=%g", flush,
               u->timeout_stop);
    else
        report(v, V_FAIL, "stop_timeout",
               "STOP_FLUSH_TIMEOUT_SEC=%g >= TimeoutStopSec=%g: a slow stop "
               "is SIGKILLed before the collector can spool its rows",
               flush, u->timeout_stop);
}

static const char *owner_name(uid_t uid, char *buf, size_t cap)
{
    struct passwd *pw = getpwuid(uid);
    if (pw)
        util_fmt(buf, cap, "%s", pw->pw_name);
    else
        util_fmt(buf, cap, "%u", (unsigned)uid);
    return buf;
}

static void check_ownership(struct vrun *v, const struct unitinfo *u,
                            const char *db)
{
    ctl_ctx *c = v->c;
    const char *ru = ctl_getenv(c, "RUN_USER");
    char user[64];
    util_fmt(user, sizeof(user), "%s",
             ru && *ru ? ru : (u->user[0] ? u->user : "hkcollector"));
    struct stat st;
    if (stat(c->data_root, &st) != 0) {
        report(v, V_FAIL, "ownership", "DATA_ROOT %s: %s", c->data_root,
               strerror(errno));
        return;
    }
    struct passwd *pw = getpwnam(user);
    uid_t want = pw ? pw->pw_uid : st.st_uid;
    char nb[64], wb[64];
    if (!pw)
        report(v, V_WARN, "ownership",
               "user %s does not exist here; comparing with the owner of "
               "DATA_ROOT (%s)",
               user, owner_name(st.st_uid, wb, sizeof(wb)));
    util_fmt(wb, sizeof(wb), "%s",
             pw ? user : owner_name(want, nb, sizeof(nb)));
    int bad = 0;
    const char *sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[PATH_MAX + 8];
        if (i == 0)
            util_fmt(p, sizeof(p), "%s", c->data_root);
        else
            util_fmt(p, sizeof(p), "%s%s", db, sfx[i]);
        struct stat fs;
        if (stat(p, &fs) != 0)
            continue;
        if (fs.st_uid != want) {
            bad++;
            report(v, V_FAIL, "ownership",
                   "%s is owned by %s, not %s (the collector then fails "
                   "with \"attempt to write a readonly database\"; fix: "
                   "chown %s)",
                   p, owner_name(fs.st_uid, nb, sizeof(nb)), wb, wb);
        }
    }
    if (!bad)
        report(v, V_PASS, "ownership",
               "DATA_ROOT and the day's -wal/-shm are owned by %s", wb);
}

/* ---- command --------------------------------------------------------------
 */

/* Parsed arguments of one `verify` run. */
struct vf_opts {
    long wait_sec;
    int market; /* -1 auto, 0 closed, 1 open */
    const char *only, *since, *log_file, *unit;
};

/* --market-open auto|0|1 into an int (-1 auto). */
static int vf_market(void *field, const char *v, char *err, size_t errlen)
{
    bool b;
    if (strcmp(v, "auto") == 0) {
        *(int *)field = -1;
        return 0;
    }
    if (ctl_parse_bool(v, &b) != 0) {
        util_fmt(err, errlen, "invalid --market-open: %s (auto|0|1)", v);
        return -1;
    }
    *(int *)field = b;
    return 0;
}

#define VF_OFF(f) offsetof(struct vf_opts, f)

static const opt_def vf_table[] = {
    {"--wait-sec", "N", OPT_LONG, VF_OFF(wait_sec), 0, 3600, NULL,
     "seconds between the two snapshots (default 5)", "invalid --wait-sec: %s",
     true},
    {"--market-open", "auto|0|1", OPT_FN, VF_OFF(market), 0, 0, vf_market,
     "whether rows must grow (default auto: HK sessions)",
     "invalid --market-open: %s (auto|0|1)", false},
    {"--checks", "CSV", OPT_STR0, VF_OFF(only), 0, 0, NULL, "only these checks",
     NULL, false},
    {"--since", "TIME", OPT_STR0, VF_OFF(since), 0, 0, NULL,
     "journal window of the drops check (default 1 hour ago)", NULL, false},
    {"--log-file", "PATH", OPT_STR0, VF_OFF(log_file), 0, 0, NULL,
     "read drops from this log instead of the journal", NULL, false},
    {"--unit", "PATH", OPT_STR0, VF_OFF(unit), 0, 0, NULL, "unit file to check",
     NULL, false},
};
#define VF_NOPTS (sizeof(vf_table) / sizeof(vf_table[0]))

static int vf_parse(ctl_ctx *c, int argc, char **argv, struct vf_opts *o)
{
    *o = (struct vf_opts){.wait_sec = 5, .market = -1, .since = "1 hour ago"};
    return ctl_opts(c, vf_table, VF_NOPTS, o, argc, argv,
                    "unknown argument %s; usage: hk-tickctl verify "
                    "[--wait-sec N] [--market-open auto|0|1] [--checks CSV] "
                    "[--since TIME] [--log-file PATH] [--unit PATH]");
}

/* db_growth and max_seq after the second snapshot. */
static void vf_compare(struct vrun *v, const struct vf_opts *o, bool open_now,
                       const struct dbsnap *before, const struct dbsnap *after)
{
    enum vstatus quiet = open_now ? V_FAIL : V_WARN;
    const char *why = open_now ? "market open" : "market closed";
    if (wanted(v, "db_growth")) {
        if (after->rows > before->rows)
            report(v, V_PASS, "db_growth", "rows grew %lld -> %lld in %ld s",
                   (long long)before->rows, (long long)after->rows,
                   o->wait_sec);
        else
            report(v, quiet, "db_growth",
                   "rows did not grow in %ld s (%lld; %s)", o->wait_sec,
                   (long long)after->rows, why);
    }
    if (wanted(v, "max_seq")) {
        if (seq_advanced(before, after))
            report(v, V_PASS, "max_seq", "max(seq) advanced");
        else if (open_now)
            report(v, V_FAIL, "max_seq",
                   "db seq check failed: max(seq) did not advance");
        else
            report(v, V_WARN, "max_seq",
                   "db seq check warning: max(seq) did not advance");
    }
}

/* db_today, db_growth, max_seq: two snapshots wait_sec apart. */
static void vf_check_db(struct vrun *v, const struct vf_opts *o, bool open_now,
                        const char *db, struct dbsnap *before,
                        struct dbsnap *after)
{
    char dict[4096];
    struct stat st;
    bool want_db =
        wanted(v, "db_today") || wanted(v, "db_growth") || wanted(v, "max_seq");
    if (!want_db)
        return;
    if (!(stat(db, &st) == 0 && S_ISREG(st.st_mode))) {
        report(v, V_FAIL, "db_today", "db not found: %s", db);
        return;
    }
    if (snap_read(db, before) != 0) {
        report(v, V_FAIL, "db_today", "cannot read %s (ticks table?)", db);
        return;
    }
    if (wanted(v, "db_today"))
        report(v, V_PASS, "db_today", "db ok: %lld rows in %s",
               (long long)before->rows, db);
    if (wanted(v, "max_seq")) {
        seq_dict(before, dict, sizeof(dict));
        report(v, V_INFO, "max_seq", "max seq before: %s", dict);
    }
    if (o->wait_sec > 0)
        sleep((unsigned)o->wait_sec);
    if (snap_read(db, after) != 0) {
        report(v, V_FAIL, "db_growth", "cannot re-read %s", db);
        return;
    }
    if (wanted(v, "max_seq")) {
        seq_dict(after, dict, sizeof(dict));
        report(v, V_INFO, "max_seq", "max seq after: %s", dict);
    }
    vf_compare(v, o, open_now, before, after);
}

/* The closing summary: one JSON document, or the VERIFY line. */
static int vf_render(const ctl_ctx *c, struct vrun *v, bool open_now, bool sd,
                     const struct dbsnap *before, const struct dbsnap *after)
{
    const char *result = v->counts[V_FAIL]   ? "FAIL"
                         : v->counts[V_WARN] ? "WARN"
                                             : "PASS";
    int rc = v->counts[V_FAIL] ? CTL_USAGE : CTL_OK;
    if (!c->json) {
        printf("VERIFY %s pass=%d warn=%d fail=%d\n", result, v->counts[V_PASS],
               v->counts[V_WARN], v->counts[V_FAIL]);
        fflush(stdout);
        return rc;
    }
    json_t *o = json_object();
    char d[16];
    util_fmt(d, sizeof(d), "%08d", c->day);
    json_object_set_new(o, "result", json_string(result));
    json_object_set_new(o, "day", json_string(d));
    json_object_set_new(o, "db", json_string(c->db_path));
    json_object_set_new(o, "market_open", json_boolean(open_now));
    json_object_set_new(o, "systemd", json_boolean(sd));
    json_object_set_new(o, "pass", json_integer(v->counts[V_PASS]));
    json_object_set_new(o, "warn", json_integer(v->counts[V_WARN]));
    json_object_set_new(o, "fail", json_integer(v->counts[V_FAIL]));
    if (before->ok) {
        json_object_set_new(o, "rows_before", json_integer(before->rows));
        json_object_set_new(o, "max_seq_before", seq_json(before));
    }
    if (after->ok) {
        json_object_set_new(o, "rows_after", json_integer(after->rows));
        json_object_set_new(o, "max_seq_after", seq_json(after));
    }
    json_object_set_new(o, "checks", v->checks);
    v->checks = NULL;
    if (ctl_json_out(o) != 0)
        rc = CTL_RUNTIME;
    return rc;
}

int ctl_cmd_verify(ctl_ctx *c, int argc, char **argv)
{
    struct vf_opts o;
    int rc = vf_parse(c, argc, argv, &o);
    if (rc != CTL_OK)
        return rc;

    struct vrun v = {.c = c, .checks = json_array(), .only = o.only};
    bool sd = systemd_running();
    bool open_now = o.market < 0 ? clock_market_open(c->now_ms) : o.market == 1;
    const char *db = c->db_path;
    struct dbsnap before = {0}, after = {0};

    if (!c->json)
        printf("=== HK Tick verify day=%08d db=%s ===\n", c->day, db);
    if (wanted(&v, "service"))
        check_service(&v, sd);
    if (wanted(&v, "env"))
        check_env(&v, sd);
    if (wanted(&v, "opend_port"))
        check_port(&v);
    vf_check_db(&v, &o, open_now, db, &before, &after);
    if (wanted(&v, "drops"))
        check_drops(&v, o.log_file, o.since, sd);
    struct unitinfo u = {0};
    if (wanted(&v, "unit") || wanted(&v, "stop_timeout") ||
        wanted(&v, "ownership"))
        check_unit(&v, &u, o.unit, sd);
    if (wanted(&v, "stop_timeout"))
        check_stop_timeout(&v, &u);
    if (wanted(&v, "ownership"))
        check_ownership(&v, &u, db);

    rc = vf_render(c, &v, open_now, sd, &before, &after);
    json_decref(v.checks);
    snap_free(&before);
    snap_free(&after);
    return rc;
}
