/*
 * ops_backup.c - `qte-engine backup` and `qte-engine rollback FILE`.
 *
 * A backup is one QTE_BACKUP_DIR/qte-backup-YYYYMMDDTHHMMSSZ.tar.gz:
 *   MANIFEST.sha256      "<sha256>  <member>" per other member
 *                        (`sha256sum -c` reads it)
 *   meta.json            {"version","created","store","sources":
 *                         {member: the path it was taken from}}
 *   db/qte.sqlite        SQLite store: an online copy (sqlite3_backup)
 *   db/<table>.copy      PostgreSQL store: COPY text of each table,
 *                        ordered by primary key
 *   config/<name>        the config file and env file in use, if any
 *   keys/keys            the hashed API keys file, if any
 * Members are staged in a hidden directory next to the archive, hashed,
 * written through a .tmp name and renamed, so a failed backup leaves no
 * archive.
 *
 * Rollback refuses while the daemon holds its lock file (stop it first;
 * deploy.sh rollback does), extracts into a staging directory, checks
 * that the manifest covers every member and every digest matches, and
 * only then restores: the SQLite file through a .tmp copy and rename (its
 * -wal/-shm removed), the PostgreSQL tables in one transaction (TRUNCATE,
 * COPY FROM STDIN), files to the paths the current configuration names
 * (else the ones recorded in meta.json), each through .tmp and rename.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hktime.h"
#include "common/log.h"
#include "common/util.h"
#include "qte/ops.h"
#include "qte/ops_tar.h"
#include "qte/store_pg.h"
#include "svc/life.h"

#define MAX_MEMBERS 32

typedef struct member {
    char name[96];  /* in the archive */
    char src[700];  /* staged file */
    char orig[512]; /* where it came from / goes back to */
    char sha[65];
} member;

typedef struct bset {
    member m[MAX_MEMBERS];
    int n;
    char stage[512];
    char err[600];
} bset;

static int sha256_file(const char *path, char out[65])
{
    unsigned char buf[65536];
    unsigned char md[32];
    unsigned int mdn = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int rc = fd >= 0 && c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1
                 ? 0
                 : -EIO;
    ssize_t r;
    while (rc == 0 && (r = read(fd, buf, sizeof(buf))) != 0) {
        if (r < 0 || EVP_DigestUpdate(c, buf, (size_t)r) != 1)
            rc = -EIO;
    }
    if (rc == 0 && EVP_DigestFinal_ex(c, md, &mdn) != 1)
        rc = -EIO;
    for (unsigned i = 0; rc == 0 && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    EVP_MD_CTX_free(c);
    if (fd >= 0)
        close(fd);
    return rc;
}

static member *add_member(bset *b, const char *name, const char *orig)
{
    if (b->n >= MAX_MEMBERS)
        return NULL;
    member *m = &b->m[b->n];
    snprintf(m->name, sizeof(m->name), "%s", name);
    if (snprintf(m->src, sizeof(m->src), "%s/%s", b->stage, name) >=
        (int)sizeof(m->src))
        return NULL;
    snprintf(m->orig, sizeof(m->orig), "%s", orig ? orig : "");
    b->n++;
    return m;
}

static int mkdirs(const char *path)
{
    char p[600];
    snprintf(p, sizeof(p), "%s", path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, 0750) != 0 && errno != EEXIST)
            return -errno;
        *s = '/';
    }
    return mkdir(p, 0750) != 0 && errno != EEXIST ? -errno : 0;
}

static int copy_file(const char *from, const char *to)
{
    char buf[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out =
        in >= 0 ? open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640) : -1;
    int rc = in >= 0 && out >= 0 ? 0 : -errno;
    ssize_t r;
    while (rc == 0 && (r = read(in, buf, sizeof(buf))) != 0)
        rc = r < 0 ? -errno : util_write_all(out, buf, (size_t)r);
    if (rc == 0 && fsync(out) != 0)
        rc = -errno;
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

/* Replace to with a copy of from, atomically (to.tmp + rename). */
static int install_file(const char *from, const char *to)
{
    char tmp[700];
    snprintf(tmp, sizeof(tmp), "%s.tmp", to);
    char dir[700];
    snprintf(dir, sizeof(dir), "%s", to);
    mkdirs(dirname(dir));
    int rc = copy_file(from, tmp);
    if (rc == 0 && rename(tmp, to) != 0)
        rc = -errno;
    if (rc != 0)
        unlink(tmp);
    return rc;
}

/* ---- SQLite ------------------------------------------------------------ */

static int sqlite_dump(const char *db_path, const char *to, char *err,
                       size_t errlen)
{
    sqlite3 *src = NULL;
    sqlite3 *dst = NULL;
    int rc = sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_open(to, &dst);
    if (rc == SQLITE_OK) {
        sqlite3_backup *bk = sqlite3_backup_init(dst, "main", src, "main");
        rc = bk ? sqlite3_backup_step(bk, -1) : sqlite3_errcode(dst);
        if (bk)
            sqlite3_backup_finish(bk);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        snprintf(err, errlen, "sqlite backup of %s: %s", db_path,
                 sqlite3_errstr(rc));
    sqlite3_close(src);
    sqlite3_close(dst);
    return rc == SQLITE_OK ? 0 : -EIO;
}

/* ---- PostgreSQL -------------------------------------------------------- */

static PGconn *pg_connect(const char *url, char *err, size_t errlen)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) {
        snprintf(err, errlen, "postgres: %s", PQerrorMessage(c));
        err[strcspn(err, "\n")] = 0;
        PQfinish(c);
        return NULL;
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

static int pg_copy_out(PGconn *c, const char *table, const char *to, char *err,
                       size_t errlen)
{
    char sql[200];
    char *buf = NULL;
    int n;
    int rc = 0;
    snprintf(sql, sizeof(sql),
             "COPY (SELECT * FROM %s ORDER BY 1, 2) TO STDOUT", table);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COPY_OUT) {
        snprintf(err, errlen, "postgres COPY %s: %s", table,
                 PQresultErrorMessage(r));
        PQclear(r);
        return -EIO;
    }
    PQclear(r);
    int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    while ((n = PQgetCopyData(c, &buf, 0)) > 0) {
        if (fd < 0 || util_write_all(fd, buf, (size_t)n) != 0)
            rc = -EIO;
        PQfreemem(buf);
    }
    r = PQgetResult(c);
    if (n == -2 || PQresultStatus(r) != PGRES_COMMAND_OK || fd < 0)
        rc = -EIO;
    PQclear(r);
    if (fd >= 0 && (fsync(fd) != 0 || close(fd) != 0))
        rc = -EIO;
    if (rc &&
        snprintf(err, errlen, "postgres COPY %s to %s failed", table, to) < 0)
        err[0] = 0;
    return rc;
}

static int pg_dump(const qte_config *cfg, bset *b)
{
    PGconn *c = pg_connect(cfg->database_url, b->err, sizeof(b->err));
    int rc = c ? 0 : -EIO;
    if (c)
        PQclear(PQexec(c, qte_pg_schema_sql()));
    for (int i = 0; rc == 0 && qte_pg_tables[i]; i++) {
        char name[96];
        snprintf(name, sizeof(name), "db/%s.copy", qte_pg_tables[i]);
        member *m = add_member(b, name, qte_pg_tables[i]);
        rc =
            m ? pg_copy_out(c, qte_pg_tables[i], m->src, b->err, sizeof(b->err))
              : -ENOSPC;
    }
    PQfinish(c);
    return rc;
}

static int pg_exec_ok(PGconn *c, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        snprintf(err, errlen, "postgres: %s", PQresultErrorMessage(r));
    PQclear(r);
    return ok ? 0 : -EIO;
}

static int pg_copy_in(PGconn *c, const char *table, const char *from, char *err,
                      size_t errlen)
{
    char sql[120];
    char buf[65536];
    ssize_t n;
    int rc = 0;
    snprintf(sql, sizeof(sql), "COPY %s FROM STDIN", table);
    PGresult *r = PQexec(c, sql);
    int fd = open(from, O_RDONLY | O_CLOEXEC);
    if (PQresultStatus(r) != PGRES_COPY_IN || fd < 0) {
        snprintf(err, errlen, "postgres COPY %s: %s", table,
                 PQresultErrorMessage(r));
        PQclear(r);
        if (fd >= 0)
            close(fd);
        return -EIO;
    }
    PQclear(r);
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        if (PQputCopyData(c, buf, (int)n) != 1)
            rc = -EIO;
    close(fd);
    PQputCopyEnd(c, n < 0 || rc ? "read failed" : NULL);
    r = PQgetResult(c);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        snprintf(err, errlen, "postgres COPY %s: %s", table,
                 PQresultErrorMessage(r));
        rc = -EIO;
    }
    PQclear(r);
    while ((r = PQgetResult(c)))
        PQclear(r);
    return rc;
}

static int pg_restore(const char *url, const char *stage, char *err,
                      size_t errlen)
{
    PGconn *c = pg_connect(url, err, errlen);
    int rc = c ? pg_exec_ok(c, "BEGIN", err, errlen) : -EIO;
    if (rc == 0)
        rc = pg_exec_ok(c, qte_pg_schema_sql(), err, errlen);
    if (rc == 0)
        rc = pg_exec_ok(c,
                        "TRUNCATE qte_runs, orders, trades, positions, "
                        "snapshots",
                        err, errlen);
    for (int i = 0; rc == 0 && qte_pg_tables[i]; i++) {
        char path[700];
        snprintf(path, sizeof(path), "%s/db/%s.copy", stage, qte_pg_tables[i]);
        rc = pg_copy_in(c, qte_pg_tables[i], path, err, errlen);
    }
    if (rc == 0)
        rc = pg_exec_ok(c, "COMMIT", err, errlen);
    PQfinish(c); /* an open transaction is rolled back */
    return rc;
}

/* ---- backup ------------------------------------------------------------ */

static int stage_file(bset *b, const char *dir, const char *path)
{
    char name[96];
    char tmp[700];
    struct stat st;
    if (!path || !path[0] || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    snprintf(tmp, sizeof(tmp), "%s", path);
    snprintf(name, sizeof(name), "%s/%s", dir, basename(tmp));
    member *m = add_member(b, name, path);
    if (!m)
        return -ENOSPC;
    snprintf(tmp, sizeof(tmp), "%s/%s", b->stage, dir);
    mkdirs(tmp);
    int rc = copy_file(path, m->src);
    if (rc)
        snprintf(b->err, sizeof(b->err), "%s: %s", path, strerror(-rc));
    return rc;
}

static int write_meta(bset *b, const char *store)
{
    char ts[30];
    json_t *src = json_object();
    hktime_format_utc_iso(hktime_now_ms(), ts);
    for (int i = 0; i < b->n; i++)
        json_object_set_new(src, b->m[i].name, json_string(b->m[i].orig));
    json_t *o = json_pack("{s:s,s:s,s:s,s:o}", "version", HK_VERSION, "created",
                          ts, "store", store, "sources", src);
    member *m = add_member(b, "meta.json", "");
    int rc =
        o && m &&
                json_dump_file(o, m->src, JSON_INDENT(2) | JSON_SORT_KEYS) == 0
            ? 0
            : -EIO;
    json_decref(o);
    return rc;
}

static int write_archive(bset *b, const char *out_path)
{
    char manifest[MAX_MEMBERS * 180] = "";
    size_t used = 0;
    for (int i = 0; i < b->n; i++) {
        if (sha256_file(b->m[i].src, b->m[i].sha) != 0)
            return -EIO;
        used += (size_t)snprintf(manifest + used, sizeof(manifest) - used,
                                 "%s  %s\n", b->m[i].sha, b->m[i].name);
    }
    char tmp[720];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", out_path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    qte_tar *t = qte_tar_create(tmp);
    if (!t)
        return -errno;
    int rc = qte_tar_add(t, "MANIFEST.sha256", manifest, used,
                         hktime_now_ms() / 1000);
    for (int i = 0; rc == 0 && i < b->n; i++)
        rc = qte_tar_add_file(t, b->m[i].name, b->m[i].src);
    int rc2 = qte_tar_close(t);
    rc = rc ? rc : rc2;
    if (rc == 0 && rename(tmp, out_path) != 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[1024];
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static int collect(const qte_config *cfg, bset *b, const char **store)
{
    struct stat st;
    int rc = 0;
    *store = "none";
    if (cfg->database_url[0]) {
        char d[700];
        *store = "postgres";
        snprintf(d, sizeof(d), "%s/db", b->stage);
        mkdirs(d);
        rc = pg_dump(cfg, b);
    } else if (cfg->sqlite_path[0] && stat(cfg->sqlite_path, &st) == 0) {
        *store = "sqlite";
        member *m = add_member(b, "db/qte.sqlite", cfg->sqlite_path);
        char d[700];
        snprintf(d, sizeof(d), "%s/db", b->stage);
        mkdirs(d);
        rc = m ? sqlite_dump(cfg->sqlite_path, m->src, b->err, sizeof(b->err))
               : -ENOSPC;
    }
    if (rc == 0)
        rc = stage_file(b, "config", cfg->config_file);
    if (rc == 0)
        rc = stage_file(b, "config", cfg->env_file);
    if (rc == 0 && cfg->keys_file[0] && stat(cfg->keys_file, &st) == 0) {
        member *m = add_member(b, "keys/keys", cfg->keys_file);
        char d[700];
        snprintf(d, sizeof(d), "%s/keys", b->stage);
        mkdirs(d);
        rc = m ? copy_file(cfg->keys_file, m->src) : -ENOSPC;
    }
    return rc;
}

static void backup_name(const char *dir, char *out, size_t cap)
{
    char ts[30];
    int64_t now = hktime_now_ms();
    hktime_format_utc_iso(now, ts); /* 2026-12-06T07:05:00.123+00:00 */
    snprintf(out, cap, "%s/qte-backup-%.4s%.2s%.2sT%.2s%.2s%.2sZ.tar.gz", dir,
             ts, ts + 5, ts + 8, ts + 11, ts + 14, ts + 17);
}

int qte_ops_backup(const qte_config *cfg, int argc, char **argv)
{
    static bset b;
    const char *dir = cfg->backup_dir;
    const char *store;
    char out[700];
    struct stat st;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "backup") != 0) {
            fprintf(stderr, "usage: qte-engine backup [--out DIR]\n");
            return 2;
        }
    }
    memset(&b, 0, sizeof(b));
    if (mkdirs(dir) != 0) {
        fprintf(stderr, "qte-engine backup: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    if (snprintf(b.stage, sizeof(b.stage), "%s/.qte-backup-XXXXXX", dir) >=
            (int)sizeof(b.stage) ||
        !mkdtemp(b.stage)) {
        fprintf(stderr, "qte-engine backup: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    backup_name(dir, out, sizeof(out));
    int rc = collect(cfg, &b, &store);
    if (rc == 0)
        rc = write_meta(&b, store);
    if (rc == 0)
        rc = write_archive(&b, out);
    remove_tree(b.stage);
    if (rc != 0) {
        fprintf(stderr, "qte-engine backup: failed: %s\n",
                b.err[0] ? b.err : strerror(-rc));
        LOG(LOG_ERROR, LC_QTE, "backup_failed dir=%s error=\"%s\"", dir,
            b.err[0] ? b.err : strerror(-rc));
        return 1;
    }
    stat(out, &st);
    LOG(LOG_INFO, LC_QTE, "backup_done path=%s bytes=%lld members=%d store=%s",
        out, (long long)st.st_size, b.n + 1, store);
    printf("%s\n", out);
    return 0;
}

/* ---- rollback ---------------------------------------------------------- */

/* Check MANIFEST.sha256 against the staged files; fill b->m. */
static int verify(bset *b)
{
    char path[700];
    char line[300];
    int listed = 0;
    snprintf(path, sizeof(path), "%s/MANIFEST.sha256", b->stage);
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(b->err, sizeof(b->err), "no MANIFEST.sha256 in the archive");
        return -EINVAL;
    }
    while (fgets(line, sizeof(line), f)) {
        char sha[65];
        char name[96];
        char got[65];
        if (sscanf(line, "%64s  %95s", sha, name) != 2)
            continue;
        member *m = add_member(b, name, "");
        if (!m || sha256_file(m->src, got) != 0 || strcmp(got, sha) != 0) {
            snprintf(b->err, sizeof(b->err), "checksum mismatch: %s", name);
            fclose(f);
            return -EINVAL;
        }
        snprintf(m->sha, sizeof(m->sha), "%s", sha);
        listed++;
    }
    fclose(f);
    return listed;
}

/* Where a restored file goes: the current configuration's path for the
 * kind, else the path recorded at backup time. */
static const char *target(const qte_config *cfg, json_t *sources,
                          const member *m)
{
    const char *rec = json_string_value(json_object_get(sources, m->name));
    if (strcmp(m->name, "keys/keys") == 0 && cfg->keys_file[0])
        return cfg->keys_file;
    if (strcmp(m->name, "db/qte.sqlite") == 0 && cfg->sqlite_path[0])
        return cfg->sqlite_path;
    return rec && rec[0] ? rec : NULL;
}

static int restore_files(const qte_config *cfg, bset *b, json_t *sources)
{
    bool pg_done = false;
    for (int i = 0; i < b->n; i++) {
        member *m = &b->m[i];
        const char *to = target(cfg, sources, m);
        int rc = 0;
        if (strncmp(m->name, "db/", 3) == 0 && strstr(m->name, ".copy")) {
            if (pg_done)
                continue;
            if (!cfg->database_url[0]) {
                snprintf(b->err, sizeof(b->err),
                         "PostgreSQL backup but QTE_DATABASE_URL is not set");
                return -EINVAL;
            }
            rc =
                pg_restore(cfg->database_url, b->stage, b->err, sizeof(b->err));
            pg_done = true;
            to = "postgres";
        } else if (strcmp(m->name, "meta.json") == 0 || !to) {
            continue;
        } else {
            rc = install_file(m->src, to);
            if (rc == 0 && strcmp(m->name, "db/qte.sqlite") == 0) {
                char side[700];
                snprintf(side, sizeof(side), "%s-wal", to);
                unlink(side);
                snprintf(side, sizeof(side), "%s-shm", to);
                unlink(side);
            }
        }
        if (rc != 0) {
            if (!b->err[0])
                snprintf(b->err, sizeof(b->err), "%s: %s", to, strerror(-rc));
            return rc;
        }
        printf("restored %s -> %s\n", m->name, to);
    }
    return 0;
}

static int rollback_staged(const qte_config *cfg, bset *b, const char *file)
{
    char err[600];
    char path[700];
    int n = qte_tar_extract(file, b->stage, err, sizeof(err));
    if (n < 0) {
        snprintf(b->err, sizeof(b->err), "%s", err);
        return n;
    }
    int listed = verify(b);
    if (listed < 0)
        return listed;
    if (listed != n - 1) {
        snprintf(b->err, sizeof(b->err),
                 "manifest lists %d members, archive holds %d", listed, n - 1);
        return -EINVAL;
    }
    printf("verified %d files of %s\n", listed, file);
    snprintf(path, sizeof(path), "%s/meta.json", b->stage);
    json_t *meta = json_load_file(path, 0, NULL);
    int rc = restore_files(cfg, b, json_object_get(meta, "sources"));
    json_decref(meta);
    return rc;
}

int qte_ops_rollback(const qte_config *cfg, int argc, char **argv)
{
    static bset b;
    int lock_fd = -1;
    char dir[700];
    if (argc != 2) {
        fprintf(stderr, "usage: qte-engine rollback FILE.tar.gz\n");
        return 2;
    }
    memset(&b, 0, sizeof(b));
    if (cfg->lock_file[0] &&
        svc_lock_acquire(cfg->lock_file, &lock_fd) == -EWOULDBLOCK) {
        fprintf(stderr,
                "qte-engine rollback: qte-engine serve is running (lock %s); "
                "stop it first\n",
                cfg->lock_file);
        return 1;
    }
    snprintf(dir, sizeof(dir), "%s", argv[1]);
    snprintf(b.stage, sizeof(b.stage), "%s/.qte-rollback-XXXXXX", dirname(dir));
    int rc = mkdtemp(b.stage) ? rollback_staged(cfg, &b, argv[1]) : -errno;
    if (b.stage[0] && access(b.stage, F_OK) == 0)
        remove_tree(b.stage);
    svc_lock_release(lock_fd);
    if (rc != 0) {
        fprintf(stderr, "qte-engine rollback: refused: %s\n",
                b.err[0] ? b.err : strerror(-rc));
        LOG(LOG_ERROR, LC_QTE, "rollback_failed file=%s error=\"%s\"", argv[1],
            b.err[0] ? b.err : strerror(-rc));
        return 1;
    }
    LOG(LOG_INFO, LC_QTE, "rollback_done file=%s members=%d", argv[1], b.n);
    return 0;
}
