/*
 * ops_health.c - `qte-engine healthcheck`: one line per check, then a
 * verdict; exit 0 when nothing failed, 1 otherwise (WARN does not fail).
 *
 *   OK   api       https://127.0.0.1:8080/health 200 (1.8 ms)
 *   OK   admin     https://127.0.0.1:8081/health 200 (1.2 ms)
 *   OK   metrics   qte_event_queue_size 0
 *   OK   database  postgres: 5 tables
 *   SKIP redis     REDIS_URL not set
 *   OK   disk      /opt/qte/backups 71 % free
 *   WARN tls       /opt/qte/.../qte.crt expires in 9 days
 *   OK   keys      1 admin key(s)
 *   OK   backup    newest qte-backup-20261206T020000Z.tar.gz, 5.1 h old
 *   healthy (0 failed, 1 warning)
 *
 * HTTP checks go to the configured ports on loopback (HTTPS when a
 * certificate is configured; the peer is not verified, the check is about
 * liveness) with a 3 s timeout. Database checks open their own
 * connection. Nothing is changed anywhere.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <libgen.h>
#include <libpq-fe.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "common/hktime.h"
#include "qte/keys.h"
#include "qte/ops.h"
#include "qte/redis.h"
#include "svc/prom.h"

typedef struct tally {
    int failed;
    int warned;
} tally;

enum { R_OK, R_WARN, R_FAIL, R_SKIP };

static void line(tally *t, int r, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void line(tally *t, int r, const char *check, const char *fmt, ...)
{
    static const char *const tag[] = {"OK", "WARN", "FAIL", "SKIP"};
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printf("%-4s %-9s %s\n", tag[r], check, msg);
    t->failed += r == R_FAIL;
    t->warned += r == R_WARN;
}

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
    svc_buf *b = ud;
    svc_buf_printf(b, "%.*s", (int)(sz * n), p);
    return b->oom ? 0 : sz * n;
}

/* GET url; returns the status (0 = no answer) and the body into b. */
static long http_get(const char *url, svc_buf *b, double *ms, char *err,
                     size_t errlen)
{
    CURL *c = curl_easy_init();
    long code = 0;
    char eb[CURL_ERROR_SIZE] = "";
    if (!c)
        return 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, eb);
    int64_t t0 = hktime_mono_ms();
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    else
        snprintf(err, errlen, "%s", eb);
    *ms = (double)(hktime_mono_ms() - t0);
    curl_easy_cleanup(c);
    return code;
}

static void check_http(tally *t, const qte_config *cfg, const char *check,
                       int port, const char *path, svc_buf *body)
{
    char url[300];
    char err[CURL_ERROR_SIZE + 1] = "";
    double ms = 0;
    const char *host =
        strcmp(cfg->http_bind, "0.0.0.0") == 0 || !cfg->http_bind[0]
            ? "127.0.0.1"
            : cfg->http_bind;
    if (port <= 0) {
        line(t, R_SKIP, check, "port %d: not served", port);
        return;
    }
    snprintf(url, sizeof(url), "%s://%s:%d%s",
             cfg->tls_cert[0] ? "https" : "http", host, port, path);
    long code = http_get(url, body, &ms, err, sizeof(err));
    if (code == 200)
        line(t, R_OK, check, "%s 200 (%.0f ms)", url, ms);
    else if (code)
        line(t, R_FAIL, check, "%s answered %ld", url, code);
    else
        line(t, R_FAIL, check, "%s: %s", url, err[0] ? err : "no answer");
}

static void check_metrics(tally *t, const svc_buf *b)
{
    const char *p = b->p ? strstr(b->p, "\nqte_event_queue_size ") : NULL;
    if (!b->p)
        line(t, R_SKIP, "metrics", "no /metrics page (API down)");
    else if (!p)
        line(t, R_FAIL, "metrics", "qte_event_queue_size missing");
    else
        line(t, R_OK, "metrics", "qte_event_queue_size %.0f",
             strtod(p + 22, NULL));
}

static void check_pg(tally *t, const char *url)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) {
        char e[300];
        snprintf(e, sizeof(e), "%s", PQerrorMessage(c));
        e[strcspn(e, "\n")] = 0;
        line(t, R_FAIL, "database", "postgres: %s", e);
        PQfinish(c);
        return;
    }
    PGresult *r = PQexec(c, "SELECT count(*) FROM pg_tables WHERE tablename IN"
                            " ('qte_runs','orders','trades','positions',"
                            "'snapshots')");
    int n =
        PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    PQfinish(c);
    line(t, n < 0 ? R_FAIL : R_OK, "database", "postgres: %d of 5 tables", n);
}

static void check_sqlite(tally *t, const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        line(t, R_WARN, "database", "sqlite %s: not created yet", path);
        return;
    }
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
    const char *v = rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW
                        ? (const char *)sqlite3_column_text(st, 0)
                        : NULL;
    if (v && strcmp(v, "ok") == 0)
        line(t, R_OK, "database", "sqlite %s: quick_check ok", path);
    else
        line(t, R_FAIL, "database", "sqlite %s: %s", path,
             v ? v : sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void check_redis(tally *t, const qte_config *cfg)
{
    qte_redis r;
    char err[200];
    if (!cfg->redis_url[0]) {
        line(t, R_SKIP, "redis", "REDIS_URL not set");
        return;
    }
    if (qte_redis_init(&r, cfg->redis_url, err, sizeof(err)) != 0) {
        line(t, R_FAIL, "redis", "%s", err);
        return;
    }
    struct timeval tv = {.tv_sec = 2};
    redisContext *c = redisConnectWithTimeout(r.host, r.port, tv);
    redisReply *rep = NULL;
    if (c && !c->err) {
        redisSetTimeout(c, tv);
        if (r.password[0])
            freeReplyObject(redisCommand(c, "AUTH %s", r.password));
        rep = redisCommand(c, "PING");
    }
    bool ok = rep && rep->type == REDIS_REPLY_STATUS;
    line(t, ok ? R_OK : R_FAIL, "redis", "%s:%d %s", r.host, r.port,
         ok ? "PONG" : (c && c->err ? c->errstr : "no PONG"));
    freeReplyObject(rep);
    if (c)
        redisFree(c);
}

static void check_disk(tally *t, const char *label, const char *path)
{
    char d[600];
    struct statvfs v;
    struct stat st;
    if (!path[0])
        return;
    snprintf(d, sizeof(d), "%s", path);
    /* A file's directory; a missing directory's nearest parent. */
    char *p = d;
    if (stat(p, &st) == 0 && !S_ISDIR(st.st_mode))
        p = dirname(d);
    while (stat(p, &st) != 0 && strcmp(p, "/") != 0 && strcmp(p, ".") != 0)
        p = dirname(p);
    if (statvfs(p, &v) != 0 || v.f_blocks == 0) {
        line(t, R_WARN, "disk", "%s %s: cannot stat", label, p);
        return;
    }
    double pct = 100.0 * (double)v.f_bavail / (double)v.f_blocks;
    line(t, pct < 5 ? R_FAIL : (pct < 10 ? R_WARN : R_OK), "disk",
         "%s %s %.0f %% free", label, p, pct);
}

static void check_tls(tally *t, const qte_config *cfg)
{
    if (!cfg->tls_cert[0]) {
        line(t, R_SKIP, "tls", "no certificate configured (plain HTTP)");
        return;
    }
    FILE *f = fopen(cfg->tls_cert, "re");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (!x) {
        line(t, R_FAIL, "tls", "%s: not a PEM certificate", cfg->tls_cert);
        return;
    }
    int days = 0;
    int secs = 0;
    ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x));
    X509_free(x);
    if (days < 0 || (days == 0 && secs < 0))
        line(t, R_FAIL, "tls", "%s expired", cfg->tls_cert);
    else
        line(t, days < 14 ? R_WARN : R_OK, "tls", "%s expires in %d days",
             cfg->tls_cert, days);
}

static void check_keys(tally *t, const qte_config *cfg)
{
    qte_key_entry e[QTE_KEYS_MAX];
    char err[600];
    int n = qte_keys_read(cfg->keys_file, e, QTE_KEYS_MAX, err, sizeof(err));
    if (n < 0)
        line(t, R_FAIL, "keys", "%s", err);
    else if (n == 0)
        line(t, R_WARN, "keys",
             "no API key in %s: the admin API refuses every request "
             "(qte-engine keys generate admin)",
             cfg->keys_file);
    else
        line(t, R_OK, "keys", "%d key(s) in %s", n, cfg->keys_file);
}

static void check_backup(tally *t, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char best[256] = "";
    time_t best_t = 0;
    while (d && (e = readdir(d))) {
        char p[900];
        struct stat st;
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "qte-backup-", 11) != 0 || n < 7 ||
            strcmp(e->d_name + n - 7, ".tar.gz") != 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (stat(p, &st) == 0 && st.st_mtime >= best_t) {
            best_t = st.st_mtime;
            snprintf(best, sizeof(best), "%s", e->d_name);
        }
    }
    if (d)
        closedir(d);
    if (!best[0]) {
        line(t, R_WARN, "backup", "no backup in %s (qte-engine backup)", dir);
        return;
    }
    double h = difftime(time(NULL), best_t) / 3600.0;
    line(t, h > 48 ? R_WARN : R_OK, "backup", "newest %s, %.1f h old", best, h);
}

int qte_ops_healthcheck(const qte_config *cfg, int argc, char **argv)
{
    tally t = {0};
    svc_buf api = {0};
    svc_buf admin = {0};
    svc_buf metrics = {0};
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: qte-engine healthcheck\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    line(&t, R_OK, "config", "%s",
         cfg->config_file[0] ? cfg->config_file : "environment and defaults");
    check_http(&t, cfg, "api", cfg->http_port, "/health", &api);
    check_http(&t, cfg, "admin", cfg->admin_port, "/health", &admin);
    if (api.p) {
        double ms;
        char err[CURL_ERROR_SIZE + 1];
        char url[300];
        snprintf(url, sizeof(url), "%s://127.0.0.1:%d/metrics",
                 cfg->tls_cert[0] ? "https" : "http", cfg->http_port);
        http_get(url, &metrics, &ms, err, sizeof(err));
    }
    check_metrics(&t, &metrics);
    if (cfg->database_url[0])
        check_pg(&t, cfg->database_url);
    else if (cfg->sqlite_path[0])
        check_sqlite(&t, cfg->sqlite_path);
    else
        line(&t, R_SKIP, "database", "no store configured");
    check_redis(&t, cfg);
    check_disk(&t, "backups", cfg->backup_dir);
    check_disk(&t, "logs", cfg->log_file);
    check_tls(&t, cfg);
    check_keys(&t, cfg);
    check_backup(&t, cfg->backup_dir);
    printf("%s (%d failed, %d warning%s)\n", t.failed ? "unhealthy" : "healthy",
           t.failed, t.warned, t.warned == 1 ? "" : "s");
    svc_buf_free(&api);
    svc_buf_free(&admin);
    svc_buf_free(&metrics);
    curl_global_cleanup();
    return t.failed ? 1 : 0;
}
