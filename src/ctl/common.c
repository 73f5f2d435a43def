/*
 * common.c - helpers shared by the hk-tickctl subcommands (ctl.h).
 *
 * Settings: ctl_getenv looks a name up in the process environment, then
 * in $ENV_FILE (default /etc/hk-tick-collector.env, when readable), then in
 * the repository/installation .env (found from /proc/self/exe: <bin>/../.env
 * for an install, <bin>/../../.env for <repo>/build/bin). Both files are
 * read once per process into a small file-local cache; empty values count
 * as unset (compat.md §2.1).
 *
 * Databases are only ever opened read-only, through the day-file
 * library's dayfile_open_ro. Child programs (journalctl, systemctl, tar) are
 * started with posix_spawnp, never through a shell, so no argument is ever
 * re-parsed.
 *
 * Single-threaded: the CLI has one thread; the cache is file-local state.
 */
#include "ctl/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/cfg.h"
#include "common/envfile.h"
#include "common/hktime.h"
#include "common/util.h"
#include "dayfile/dayfile.h"
#include "dayfile/totals.h"

extern char **environ;

/* ---- settings ---------------------------------------------------------- */

#define KV_MAX 256

struct kv {
    char *key;
    char *val;
};

struct kvfile {
    bool loaded;
    char path[1024];
    struct kv kv[KV_MAX];
    int n;
};

static struct kvfile env_file_cache;
static struct kvfile repo_env_cache;

static int kv_add(const char *key, const char *value, void *ud)
{
    struct kvfile *f = ud;
    for (int i = 0; i < f->n; i++) {
        if (strcmp(f->kv[i].key, key) == 0) {
            char *v = strdup(value);
            if (v) {
                free(f->kv[i].val);
                f->kv[i].val = v;
            }
            return 0;
        }
    }
    if (f->n >= KV_MAX)
        return 0;
    f->kv[f->n].key = strdup(key);
    f->kv[f->n].val = strdup(value);
    if (!f->kv[f->n].key || !f->kv[f->n].val) {
        free(f->kv[f->n].key);
        free(f->kv[f->n].val);
        return 0;
    }
    f->n++;
    return 0;
}

static void kv_load(struct kvfile *f, const char *path)
{
    if (f->loaded && strcmp(f->path, path) == 0)
        return;
    for (int i = 0; i < f->n; i++) {
        free(f->kv[i].key);
        free(f->kv[i].val);
    }
    f->n = 0;
    f->loaded = true;
    snprintf(f->path, sizeof(f->path), "%s", path);
    if (path[0] && access(path, R_OK) == 0)
        (void)envfile_read(path, kv_add, f, NULL);
}

static const char *kv_get(const struct kvfile *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->kv[i].key, name) == 0 && f->kv[i].val[0])
            return f->kv[i].val;
    return NULL;
}

/* <install root>/.env or <repo>/.env relative to the running binary. */
static void repo_env_path(char *buf, size_t cap)
{
    char exe[PATH_MAX];
    char cand[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    buf[0] = '\0';
    if (n <= 0)
        return;
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = '\0'; /* exe = bin dir */
    snprintf(cand, sizeof(cand), "%s/../.env", exe);
    if (access(cand, R_OK) == 0 && strlen(cand) < cap) {
        memcpy(buf, cand, strlen(cand) + 1);
        return;
    }
    snprintf(cand, sizeof(cand), "%s/../../.env", exe);
    if (access(cand, R_OK) == 0 && strlen(cand) < cap)
        memcpy(buf, cand, strlen(cand) + 1);
}

const char *ctl_getenv(const ctl_ctx *c, const char *name)
{
    const char *v = getenv(name);
    char repo[PATH_MAX];

    if (v && v[0])
        return v;
    kv_load(&env_file_cache,
            c && c->env_file[0] ? c->env_file : "/etc/hk-tick-collector.env");
    v = kv_get(&env_file_cache, name);
    if (v)
        return v;
    if (!repo_env_cache.loaded) {
        repo_env_path(repo, sizeof(repo));
        kv_load(&repo_env_cache, repo);
    }
    return kv_get(&repo_env_cache, name);
}

/* ---- SQLite ------------------------------------------------------------ */

int ctl_open_ro(const char *path, sqlite3 **db)
{
    return dayfile_open_ro(path, 0, db);
}

bool ctl_has_table(sqlite3 *db, const char *name)
{
    return dayfile_has_table(db, name);
}

/* ---- formatting -------------------------------------------------------- */

const char *ctl_fmt_real(double v, char *buf, size_t cap)
{
    if (isnan(v)) {
        snprintf(buf, cap, "nan");
        return buf;
    }
    if (isinf(v)) {
        snprintf(buf, cap, v < 0 ? "-inf" : "inf");
        return buf;
    }
    if (v == 0 || (fabs(v) >= 1e-4 && fabs(v) < 1e16)) {
        /* Fixed notation, as few decimals as round-trip needs (like
         * Python's repr in this range). */
        for (int d = 1; d <= 20; d++) {
            snprintf(buf, cap, "%.*f", d, v);
            if (strtod(buf, NULL) == v)
                break;
        }
        return buf;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (!strpbrk(buf, ".e")) {
        size_t n = strlen(buf);
        if (n + 3 <= cap)
            memcpy(buf + n, ".0", 3);
    }
    return buf;
}

const char *ctl_fmt_age(double sec, char *buf, size_t cap)
{
    double r = round(sec * 1000.0) / 1000.0;
    if (r == 0)
        r = 0; /* no "-0.0" */
    return ctl_fmt_real(r, buf, cap);
}

const char *ctl_fmt_hkt(int64_t utc_ms, char *buf, size_t cap)
{
    char t[20];
    if (utc_ms == 0) {
        snprintf(buf, cap, "n/a");
        return buf;
    }
    hktime_format_hk(utc_ms, t);
    snprintf(buf, cap, "%s", t);
    return buf;
}

int ctl_json_out(json_t *doc)
{
    int rc;
    if (!doc)
        return CTL_RUNTIME;
    rc = json_dumpf(doc, stdout,
                    JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                        JSON_REAL_PRECISION(15));
    json_decref(doc);
    fputc('\n', stdout);
    fflush(stdout);
    return rc == 0 ? CTL_OK : CTL_RUNTIME;
}

/* ---- options and failures ---------------------------------------------- */

int ctl_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);

    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "FAIL usage: option %s needs a value\n", name);
        return -1;
    }
    *i += 1;
    *val = argv[*i];
    return 1;
}

int ctl_opts(ctl_ctx *c, const opt_def *defs, size_t n, void *dst, int argc,
             char **argv, const char *unknown)
{
    return ctl_opts_pos(c, defs, n, dst, argc, argv, unknown, NULL);
}

int ctl_opts_pos(ctl_ctx *c, const opt_def *defs, size_t n, void *dst, int argc,
                 char **argv, const char *unknown, const char **pos)
{
    opt_scan s;
    const opt_def *d;
    const char *v;
    char msg[1024];

    opt_scan_init(&s, defs, n, argc, argv, 1);
    for (;;) {
        int rc = opt_next(&s, &d, &v);
        if (rc == OPT_DONE)
            return CTL_OK;
        if (rc == OPT_E_UNKNOWN && pos && !*pos && argv[s.i][0] != '-') {
            *pos = argv[s.i++];
            continue;
        }
        if (rc == OPT_E_UNKNOWN) {
            opt_def u = {.bad = unknown};
            return ctl_usage(c, "%s",
                             opt_bad_text(&u, argv[s.i], msg, sizeof(msg)));
        }
        if (rc == OPT_E_NOVALUE) {
            fprintf(stderr, "FAIL usage: option %s needs a value\n", d->name);
            if (d->bad_if_missing)
                return ctl_usage(c, "%s",
                                 opt_bad_text(d, "", msg, sizeof(msg)));
            return CTL_USAGE;
        }
        if (opt_apply(d, dst, v, msg, sizeof(msg)) != 0)
            return ctl_usage(c, "%s", msg);
    }
}

int ctl_opt_day(void *field, const char *val, char *err, size_t errlen)
{
    if (ctl_ar_parse_day(val, (int *)field) != 0) {
        snprintf(err, errlen, "invalid day %s", val);
        return -1;
    }
    return 0;
}

int ctl_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;
    if (!s || !*s)
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int ctl_parse_bool(const char *s, bool *out)
{
    return cfg_parse_bool(s, out);
}

int ctl_usage(const ctl_ctx *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c && c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "result", json_string("FAIL"));
        json_object_set_new(o, "reason", json_string("usage"));
        json_object_set_new(o, "detail", json_string(msg));
        ctl_json_out(o);
    }
    fprintf(stderr, "FAIL usage: %s\n", msg);
    return CTL_USAGE;
}

int ctl_fail(const ctl_ctx *c, int code, const char *reason, const char *detail)
{
    if (c && c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "result", json_string("FAIL"));
        json_object_set_new(o, "reason", json_string(reason));
        if (detail)
            json_object_set_new(o, "detail", json_string(detail));
        ctl_json_out(o);
        return code;
    }
    if (detail)
        printf("FAIL %s %s\n", reason, detail);
    else
        printf("FAIL %s\n", reason);
    fflush(stdout);
    return code;
}

/* ---- files and programs ------------------------------------------------ */

int64_t ctl_file_size(const char *path)
{
    int64_t n;
    return util_file_size(path, &n) == 0 ? n : -1;
}

bool ctl_have_program(const char *name)
{
    const char *path = getenv("PATH");
    char buf[PATH_MAX];
    const char *p;

    if (strchr(name, '/'))
        return access(name, X_OK) == 0;
    if (!path)
        path = "/usr/bin:/bin";
    for (p = path; *p;) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int w =
            snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? p : ".", name);
        if (w > 0 && (size_t)w < sizeof(buf) && access(buf, X_OK) == 0)
            return true;
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

int ctl_run_capture(char *const argv[], char **out, size_t *len, int *status)
{
    int pfd[2];
    posix_spawn_file_actions_t fa;
    pid_t pid;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc;

    *out = NULL;
    if (len)
        *len = 0;
    if (!ctl_have_program(argv[0]))
        return -1;
    if (pipe2(pfd, O_CLOEXEC) != 0)
        return -1;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (rc != 0) {
        close(pfd[0]);
        return -1;
    }
    for (;;) {
        ssize_t r;
        if (n + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, ncap);
            if (!nb)
                break;
            buf = nb;
            cap = ncap;
        }
        r = read(pfd[0], buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(pfd[0]);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    if (!buf) {
        buf = malloc(1);
        if (!buf)
            return -1;
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return 0;
}

char *ctl_journal(const char *unit, const char *since)
{
    char *argv[] = {"journalctl", "-u", (char *)unit, "--since", (char *)since,
                    "--no-pager", "-o", "cat",        "-q",      NULL};
    char *out;
    int status = 0;

    if (ctl_run_capture(argv, &out, NULL, &status) != 0)
        return NULL;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

const char *ctl_service_state(const char *unit, char *buf, size_t cap)
{
    char *argv[] = {"systemctl", "is-active", (char *)unit, NULL};
    char *out;
    int status = 0;

    snprintf(buf, cap, "n/a");
    if (ctl_run_capture(argv, &out, NULL, &status) != 0)
        return buf;
    out[strcspn(out, "\r\n")] = '\0';
    if (out[0])
        snprintf(buf, cap, "%s", out);
    free(out);
    return buf;
}

int ctl_sha256_file(const char *path, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    unsigned char buf[1 << 16];
    EVP_MD_CTX *ctx;
    FILE *f = fopen(path, "rb");
    int rc = -1;
    size_t n;

    if (!f)
        return -1;
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        goto out;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        if (EVP_DigestUpdate(ctx, buf, n) != 1)
            goto out;
    if (ferror(f) || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
        goto out;
    for (unsigned int i = 0; i < mdlen && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[64] = '\0';
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    fclose(f);
    return rc;
}

int ctl_write_checksum(const char *file, const char *sumfile, char hex[65])
{
    const char *base = strrchr(file, '/');
    FILE *f;
    int rc;

    if (ctl_sha256_file(file, hex) != 0)
        return -1;
    f = fopen(sumfile, "w");
    if (!f)
        return -1;
    fprintf(f, "%s  %s\n", hex, base ? base + 1 : file);
    rc = fclose(f);
    return rc == 0 ? 0 : -1;
}

int ctl_backup_db(const char *src, const char *dst, char *err, size_t errlen)
{
    sqlite3 *s = NULL, *d = NULL;
    sqlite3_backup *b;
    int rc;

    err[0] = '\0';
    rc = ctl_open_ro(src, &s);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s", s ? sqlite3_errmsg(s) : sqlite3_errstr(rc));
        goto fail;
    }
    unlink(dst);
    rc = sqlite3_open_v2(dst, &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                         NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s", d ? sqlite3_errmsg(d) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_timeout(d, 5000);
    b = sqlite3_backup_init(d, "main", s, "main");
    if (!b) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(d));
        goto fail;
    }
    /* One step (-1): the whole copy happens inside one read transaction,
     * so it is a consistent snapshot even while the collector commits. */
    for (int tries = 0; tries < 50; tries++) {
        rc = sqlite3_backup_step(b, -1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
        sqlite3_sleep(100);
    }
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s", sqlite3_errstr(rc));
        goto fail;
    }
    rc = sqlite3_exec(d, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(d));
        goto fail;
    }
    sqlite3_close(s);
    if (sqlite3_close(d) != SQLITE_OK) {
        snprintf(err, errlen, "close failed");
        d = NULL;
        s = NULL;
        goto fail;
    }
    return 0;
fail:
    if (s)
        sqlite3_close(s);
    if (d)
        sqlite3_close(d);
    unlink(dst);
    return -1;
}

int ctl_backup_db_progress(const ctl_ctx *c, const char *label, const char *src,
                           const char *dst, char *err, size_t errlen)
{
    progress pg;
    int64_t total = 0;
    int rc;

    (void)util_file_size(src, &total);
    progress_init(&pg, label, PROGRESS_BYTES, total, progress_wanted(c->json));
    (void)progress_watch_start(&pg, dst);
    rc = ctl_backup_db(src, dst, err, errlen);
    progress_finish(&pg);
    return rc;
}

void ctl_report_path(const ctl_ctx *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/_reports/quality/%08d.json", c->data_root, c->day);
}

int ctl_mkdirs(const char *dir, int mode)
{
    char p[PATH_MAX];
    size_t n;

    if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
        return -1;
    n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int ctl_json_write_file(json_t *doc, const char *path)
{
    char dir[PATH_MAX];
    char tmp[PATH_MAX + 32];
    const char *slash = strrchr(path, '/');
    FILE *f;
    int rc;

    if (slash && slash != path) {
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
        if (ctl_mkdirs(dir, 0755) != 0)
            return -1;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
    f = fopen(tmp, "w");
    if (!f)
        return -1;
    rc = json_dumpf(
        doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    fputc('\n', f);
    if (fclose(f) != 0)
        rc = -1;
    if (rc != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- per-symbol totals ------------------------------------------------- */

int ctl_symbol_totals(sqlite3 *db, int day, ctl_symrow **rows, int *n,
                      bool *from_totals)
{
    return dayfile_totals_read(db, day, rows, n, from_totals);
}
