/*
 * keys.c - generation, storage and checking of admin API keys (contract
 * in keys.h).
 *
 * Storage: the file is small (at most QTE_KEYS_MAX lines), so every change
 * reads it whole, edits the array and writes a new file next to it
 * (path.tmp, 0600, fsync) that replaces the old one with rename(2): a
 * crash leaves either the old or the new file, never a torn one.
 *
 * Checking: the offered key is hashed with each entry's salt and the
 * digests are compared with CRYPTO_memcmp, so the time taken does not
 * depend on how much of a key was right. The keyring's mutex guards its
 * array and the stat() figures that tell it when to reread; hashing runs
 * under it too (a few microseconds per key, admin traffic only).
 */
#include "qte/keys.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hktime.h"

static void hex_encode(const unsigned char *b, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[2 * n] = 0;
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int hex_decode(const char *s, unsigned char *out, size_t n)
{
    if (strlen(s) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_nibble(s[2 * i]);
        int lo = hex_nibble(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

static int key_hash(const unsigned char salt[16], const char *key,
                    size_t keylen, unsigned char out[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(c, salt, 16) == 1 &&
             EVP_DigestUpdate(c, key, keylen) == 1 &&
             EVP_DigestFinal_ex(c, out, &n) == 1 && n == 32;
    EVP_MD_CTX_free(c);
    return ok ? 0 : -EIO;
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= QTE_KEY_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

static int parse_line(char *line, qte_key_entry *e)
{
    char *save = NULL;
    char *name = strtok_r(line, " \t\r\n", &save);
    char *salt = strtok_r(NULL, " \t\r\n", &save);
    char *hash = strtok_r(NULL, " \t\r\n", &save);
    char *created = strtok_r(NULL, " \t\r\n", &save);
    if (!name || !salt || !hash || !name_ok(name) ||
        hex_decode(salt, e->salt, 16) != 0 ||
        hex_decode(hash, e->hash, 32) != 0)
        return -1;
    snprintf(e->name, sizeof(e->name), "%s", name);
    snprintf(e->created, sizeof(e->created), "%s", created ? created : "-");
    return 0;
}

int qte_keys_read(const char *path, qte_key_entry *entries, size_t max,
                  char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    char line[512];
    int n = 0;
    int lineno = 0;
    if (!f) {
        if (errno == ENOENT)
            return 0;
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        const char *p = line + strspn(line, " \t");
        if (*p == '#' || *p == '\n' || *p == 0)
            continue;
        if ((size_t)n >= max || parse_line(line, &entries[n]) != 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno,
                     (size_t)n >= max ? "too many keys" : "malformed key line");
            fclose(f);
            return -EINVAL;
        }
        n++;
    }
    fclose(f);
    return n;
}

static int mkdir_parent(const char *path)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = 0;
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(dir, 0750) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int write_keys(const char *path, const qte_key_entry *e, size_t n,
                      char *err, size_t errlen)
{
    char tmp[600];
    int rc = mkdir_parent(path);
    if (rc == 0 &&
        snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        rc = -ENAMETOOLONG;
    FILE *f = rc == 0 ? fopen(tmp, "we") : NULL;
    if (!f) {
        rc = rc ? rc : -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    fchmod(fileno(f), 0600);
    fprintf(f, "# qte-engine API keys: name salt sha256(salt||key) created\n"
               "# (the keys themselves are never stored)\n");
    for (size_t i = 0; i < n; i++) {
        char salt[33];
        char hash[65];
        hex_encode(e[i].salt, 16, salt);
        hex_encode(e[i].hash, 32, hash);
        fprintf(f, "%s %s %s %s\n", e[i].name, salt, hash, e[i].created);
    }
    bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        rc = -errno;
        unlink(tmp);
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    return 0;
}

int qte_keys_generate(const char *path, const char *name, char *key_out,
                      size_t cap, char *err, size_t errlen)
{
    qte_key_entry e[QTE_KEYS_MAX];
    unsigned char raw[32];
    qte_key_entry ne = {0};
    char hex[65];
    if (!name_ok(name)) {
        snprintf(err, errlen, "bad key name '%s' (1-31 of A-Za-z0-9_.-)", name);
        return -EINVAL;
    }
    if (cap < QTE_KEY_TEXT_LEN + 1) {
        snprintf(err, errlen, "key buffer too small");
        return -EINVAL;
    }
    int n = qte_keys_read(path, e, QTE_KEYS_MAX, err, errlen);
    if (n < 0)
        return n;
    if (RAND_bytes(raw, sizeof(raw)) != 1 ||
        RAND_bytes(ne.salt, sizeof(ne.salt)) != 1) {
        snprintf(err, errlen, "no randomness (RAND_bytes failed)");
        return -EIO;
    }
    hex_encode(raw, sizeof(raw), hex);
    snprintf(key_out, cap, "qte_%s", hex);
    snprintf(ne.name, sizeof(ne.name), "%s", name);
    hktime_format_utc_iso(hktime_now_ms(), ne.created);
    if (key_hash(ne.salt, key_out, strlen(key_out), ne.hash) != 0) {
        snprintf(err, errlen, "sha256 failed");
        return -EIO;
    }
    int at = n;
    for (int i = 0; i < n; i++)
        if (strcmp(e[i].name, name) == 0)
            at = i;
    if (at == QTE_KEYS_MAX) {
        snprintf(err, errlen, "%s: too many keys (%d)", path, QTE_KEYS_MAX);
        return -ENOSPC;
    }
    e[at] = ne;
    if (at == n)
        n++;
    return write_keys(path, e, (size_t)n, err, errlen);
}

int qte_keys_revoke(const char *path, const char *name, char *err,
                    size_t errlen)
{
    qte_key_entry e[QTE_KEYS_MAX];
    int n = qte_keys_read(path, e, QTE_KEYS_MAX, err, errlen);
    int out = 0;
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++)
        if (strcmp(e[i].name, name) != 0)
            e[out++] = e[i];
    if (out == n) {
        snprintf(err, errlen, "no key named '%s' in %s", name, path);
        return -ENOENT;
    }
    return write_keys(path, e, (size_t)out, err, errlen);
}

void qte_keyring_init(qte_keyring *k, const char *path)
{
    memset(k, 0, sizeof(*k));
    snprintf(k->path, sizeof(k->path), "%s", path ? path : "");
    pthread_mutex_init(&k->mu, NULL);
}

void qte_keyring_free(qte_keyring *k)
{
    pthread_mutex_destroy(&k->mu);
}

/* Reread the file when it changed since the last read. Caller holds mu. */
static void refresh(qte_keyring *k)
{
    struct stat st;
    char err[256];
    if (!k->path[0] || stat(k->path, &st) != 0) {
        k->n = 0;
        k->size = -1;
        return;
    }
    if (st.st_mtim.tv_sec == k->mtime.tv_sec &&
        st.st_mtim.tv_nsec == k->mtime.tv_nsec && st.st_size == k->size)
        return;
    int n = qte_keys_read(k->path, k->e, QTE_KEYS_MAX, err, sizeof(err));
    k->n = n > 0 ? (size_t)n : 0;
    k->mtime = st.st_mtim;
    k->size = st.st_size;
}

size_t qte_keyring_count(qte_keyring *k)
{
    pthread_mutex_lock(&k->mu);
    refresh(k);
    size_t n = k->n;
    pthread_mutex_unlock(&k->mu);
    return n;
}

bool qte_keyring_check(qte_keyring *k, const char *header, char *who,
                       size_t cap)
{
    const char *key;
    bool found = false;
    if (!header || !*header) {
        snprintf(who, cap, "missing_key");
        return false;
    }
    if (strncasecmp(header, "Bearer", 6) != 0 || header[6] != ' ') {
        snprintf(who, cap, "bad_scheme");
        return false;
    }
    key = header + 6;
    while (*key == ' ')
        key++;
    pthread_mutex_lock(&k->mu);
    refresh(k);
    snprintf(who, cap, "%s", k->n ? "unknown_key" : "no_keys");
    for (size_t i = 0; i < k->n; i++) {
        unsigned char h[32];
        if (key_hash(k->e[i].salt, key, strlen(key), h) != 0)
            continue;
        if (CRYPTO_memcmp(h, k->e[i].hash, 32) == 0 && !found) {
            found = true;
            snprintf(who, cap, "%s", k->e[i].name);
        }
    }
    pthread_mutex_unlock(&k->mu);
    return found;
}
