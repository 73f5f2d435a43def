/*
 * daycache.c - the columnar day cache's file (layout in daycache.h): the
 * day file's identity, the writer and the reader.
 *
 * Writer: rows collect in one block of DAYCACHE_BLOCK rows per column;
 * a full block is frame-of-reference encoded (each column's minimum as
 * its base, the offsets in the fewest of 0/1/2/4/8 bytes that hold the
 * block's range) and appended to the temporary file, its first ts_ms and
 * offset to the in-memory index; the checksum runs over the bytes as they
 * are written. commit appends the index, writes the header last (pwrite
 * at offset 0), fsyncs, renames, fsyncs the directory. States: open ->
 * (add)* -> commit | abort; both leave the writer empty (f == NULL).
 *
 * Reader: open validates the header against the caller's day, symbols
 * and the day file's identity, then reads the whole file once with pread
 * to check the body checksum (so a flipped bit is found before the first
 * row is handed out, never mid-replay), then maps it read-only. next
 * decodes one block at a time into the reader's arrays; every
 * DAYCACHE_RELEASE bytes it gives the mapping's pages behind it back to
 * the kernel (MADV_DONTNEED: they stay in the page cache but leave the
 * process's resident set), so the resident size does not grow with the
 * day. A block whose layout is broken despite a good checksum (a writer
 * bug) is an error of next, not a crash.
 *
 * The checksum: four lanes h = (h ^ word) * K over the 64-bit words,
 * word i into lane i % 4, then mixed with the word count. Each step is a
 * bijection of h, so any single changed word changes the result.
 */
#include "qte/daycache.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dayfile/dayfile.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "daycache.c assumes a little-endian host (the file is little-endian)"
#endif

static const char MAGIC[8] = {'Q', 'T', 'E', 'C', 'A', 'C', 'H', 'E'};
#define CK_K 0x9E3779B97F4A7C15ULL
#define BLOCK_HDR 56
#define BLOCK_MAX (BLOCK_HDR + DAYCACHE_NCOL * 8 * DAYCACHE_BLOCK)
/* Mapping given back behind the reader every this many bytes. */
#define DAYCACHE_RELEASE (2u << 20)

/* --- small helpers ----------------------------------------------------- */

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void wr64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static size_t pad8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static void ck_init(uint64_t ck[5])
{
    ck[0] = 0x243F6A8885A308D3ULL;
    ck[1] = 0x13198A2E03707344ULL;
    ck[2] = 0xA4093822299F31D0ULL;
    ck[3] = 0x082EFA98EC4E6C89ULL;
    ck[4] = 0;
}

/* Add n bytes (a multiple of 8) to the checksum state. */
static void ck_add(uint64_t ck[5], const uint8_t *p, size_t n)
{
    size_t w = n / 8;
    size_t i = 0;
    for (; i < w && (ck[4] & 3); i++, ck[4]++)
        ck[ck[4] & 3] = (ck[ck[4] & 3] ^ rd64(p + 8 * i)) * CK_K;
    uint64_t h0 = ck[0], h1 = ck[1], h2 = ck[2], h3 = ck[3];
    for (; i + 4 <= w; i += 4) {
        h0 = (h0 ^ rd64(p + 8 * i)) * CK_K;
        h1 = (h1 ^ rd64(p + 8 * i + 8)) * CK_K;
        h2 = (h2 ^ rd64(p + 8 * i + 16)) * CK_K;
        h3 = (h3 ^ rd64(p + 8 * i + 24)) * CK_K;
        ck[4] += 4;
    }
    ck[0] = h0;
    ck[1] = h1;
    ck[2] = h2;
    ck[3] = h3;
    for (; i < w; i++, ck[4]++)
        ck[ck[4] & 3] = (ck[ck[4] & 3] ^ rd64(p + 8 * i)) * CK_K;
}

static uint64_t fmix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

static uint64_t ck_final(const uint64_t ck[5])
{
    uint64_t h = fmix(ck[4]);
    for (int l = 0; l < 4; l++)
        h = fmix(h ^ ck[l]);
    return h;
}

static uint64_t ck_bytes(const uint8_t *p, size_t n)
{
    uint64_t ck[5];
    ck_init(ck);
    ck_add(ck, p, n);
    return ck_final(ck);
}

/* --- identity ------------------------------------------------------------ */

static int64_t stat_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

static int query_i64(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

int daycache_id_read(const char *path, daycache_id *id, char *err,
                     size_t errlen)
{
    struct stat st;
    char wal[620];
    memset(id, 0, sizeof(*id));
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    id->dev = (uint64_t)st.st_dev;
    id->ino = (uint64_t)st.st_ino;
    id->size = (int64_t)st.st_size;
    id->mtime_ns = stat_ns(&st);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    if (stat(wal, &st) == 0 && st.st_size > 0) {
        id->wal_size = (int64_t)st.st_size;
        id->wal_mtime_ns = stat_ns(&st);
    }
    sqlite3 *db = NULL;
    int rc = dayfile_open_ro(path, 0, &db);
    if (rc == SQLITE_OK)
        rc = query_i64(db, "SELECT MAX(rowid) FROM ticks", &id->max_rowid);
    if (rc == SQLITE_OK)
        rc = query_i64(db, "SELECT COUNT(*) FROM ticks", &id->rows);
    if (rc != SQLITE_OK)
        snprintf(err, errlen, "%s: %s", path,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

bool daycache_id_equal(const daycache_id *a, const daycache_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_ns == b->mtime_ns && a->wal_size == b->wal_size &&
           a->wal_mtime_ns == b->wal_mtime_ns && a->max_rowid == b->max_rowid &&
           a->rows == b->rows;
}

static void id_put(uint8_t *p, const daycache_id *id)
{
    wr64(p, id->dev);
    wr64(p + 8, id->ino);
    wr64(p + 16, (uint64_t)id->size);
    wr64(p + 24, (uint64_t)id->mtime_ns);
    wr64(p + 32, (uint64_t)id->wal_size);
    wr64(p + 40, (uint64_t)id->wal_mtime_ns);
    wr64(p + 48, (uint64_t)id->max_rowid);
    wr64(p + 56, (uint64_t)id->rows);
}

static void id_get(const uint8_t *p, daycache_id *id)
{
    id->dev = rd64(p);
    id->ino = rd64(p + 8);
    id->size = (int64_t)rd64(p + 16);
    id->mtime_ns = (int64_t)rd64(p + 24);
    id->wal_size = (int64_t)rd64(p + 32);
    id->wal_mtime_ns = (int64_t)rd64(p + 40);
    id->max_rowid = (int64_t)rd64(p + 48);
    id->rows = (int64_t)rd64(p + 56);
}

int daycache_path(const char *dir, int day, const char *const *symbols,
                  int nsym, char *buf, size_t cap)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;
    for (int k = 0; ok && k < nsym; k++)
        ok = EVP_DigestUpdate(c, symbols[k], strlen(symbols[k])) == 1 &&
             (k + 1 == nsym || EVP_DigestUpdate(c, "\n", 1) == 1);
    ok = ok && EVP_DigestFinal_ex(c, md, &mdlen) == 1 && mdlen >= 8;
    EVP_MD_CTX_free(c);
    if (!ok)
        return -1;
    char hex[17];
    for (int i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    int n = snprintf(buf, cap, "%s/%08d.%s.qtc", dir, day, hex);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* --- writer -------------------------------------------------------------- */

static int w_fail(daycache_writer *w, const char *what)
{
    snprintf(w->err, sizeof(w->err), "%.180s: %s: %s", w->tmp, what,
             strerror(errno));
    return -1;
}

/* Write n bytes (a multiple of 8) to the body. */
static int w_put(daycache_writer *w, const uint8_t *p, size_t n)
{
    if (fwrite(p, 1, n, w->f) != n)
        return w_fail(w, "write");
    ck_add(w->ck, p, n);
    w->off += (int64_t)n;
    return 0;
}

int daycache_writer_open(daycache_writer *w, const char *path, int day,
                         const char *const *symbols, int nsym,
                         const daycache_id *id, char *err, size_t errlen)
{
    memset(w, 0, offsetof(daycache_writer, col));
    snprintf(w->path, sizeof(w->path), "%s", path);
    snprintf(w->tmp, sizeof(w->tmp), "%s.tmp.XXXXXX", path);
    w->day = day;
    w->symbols = symbols;
    w->nsym = nsym;
    w->id = *id;
    w->last_ts = INT64_MIN;
    ck_init(w->ck);
    w->buf = malloc(BLOCK_MAX);
    w->index_cap = 256;
    w->index = malloc(sizeof(int64_t) * 2 * (size_t)w->index_cap);
    int fd = w->buf && w->index ? mkstemp(w->tmp) : -1;
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", w->tmp,
                 w->buf && w->index ? strerror(errno) : "out of memory");
        free(w->buf);
        free(w->index);
        w->buf = NULL;
        w->index = NULL;
        return -1;
    }
    w->f = fdopen(fd, "wb");
    if (!w->f) {
        snprintf(err, errlen, "%s: %s", w->tmp, strerror(errno));
        close(fd);
        unlink(w->tmp);
        daycache_writer_abort(w);
        return -1;
    }
    setvbuf(w->f, NULL, _IOFBF, 1 << 16);
    fchmod(fd, 0644); /* mkstemp made it 0600; readers may be others */
    static const uint8_t zero[DAYCACHE_HEADER];
    int rc = fwrite(zero, 1, sizeof(zero), w->f) == sizeof(zero)
                 ? 0
                 : w_fail(w, "write");
    w->off = DAYCACHE_HEADER;
    size_t n = 0;
    for (int k = 0; k < nsym; k++)
        n += strlen(symbols[k]) + 1;
    uint8_t *names = calloc(1, pad8(n) + 8);
    if (!names && rc == 0) {
        snprintf(w->err, sizeof(w->err), "out of memory");
        rc = -1;
    }
    for (int k = 0, at = 0; names && k < nsym; k++) {
        size_t len = strlen(symbols[k]) + 1;
        memcpy(names + at, symbols[k], len);
        at += (int)len;
    }
    if (rc == 0)
        rc = w_put(w, names, pad8(n));
    free(names);
    if (rc != 0) {
        snprintf(err, errlen, "%s", w->err);
        daycache_writer_abort(w);
        return -1;
    }
    return 0;
}

static int width_of(uint64_t range)
{
    if (range == 0)
        return 0;
    if (range <= 0xFFu)
        return 1;
    if (range <= 0xFFFFu)
        return 2;
    return range <= 0xFFFFFFFFu ? 4 : 8;
}

/* Encode n values of v as (v - base) in wd bytes at p; bytes used, padded. */
static size_t encode(uint8_t *p, const int64_t *v, int n, int64_t base, int wd)
{
    for (int r = 0; r < n; r++) {
        uint64_t u = (uint64_t)v[r] - (uint64_t)base;
        if (wd == 1) {
            p[r] = (uint8_t)u;
        } else if (wd == 2) {
            uint16_t x = (uint16_t)u;
            memcpy(p + 2 * r, &x, 2);
        } else if (wd == 4) {
            uint32_t x = (uint32_t)u;
            memcpy(p + 4 * r, &x, 4);
        } else if (wd == 8) {
            memcpy(p + 8 * r, &u, 8);
        }
    }
    size_t used = (size_t)n * (size_t)wd;
    size_t padded = pad8(used);
    memset(p + used, 0, padded - used);
    return padded;
}

static int flush_block(daycache_writer *w)
{
    uint8_t *b = w->buf;
    size_t off = BLOCK_HDR;
    memset(b, 0, BLOCK_HDR);
    for (int c = 0; c < DAYCACHE_NCOL; c++) {
        int64_t lo = w->col[c][0], hi = w->col[c][0];
        for (int r = 1; r < w->n; r++) {
            lo = w->col[c][r] < lo ? w->col[c][r] : lo;
            hi = w->col[c][r] > hi ? w->col[c][r] : hi;
        }
        int wd = width_of((uint64_t)hi - (uint64_t)lo);
        b[8 + c] = (uint8_t)wd;
        wr64(b + 16 + 8 * c, (uint64_t)lo);
        off += encode(b + off, w->col[c], w->n, lo, wd);
    }
    wr32(b, (uint32_t)w->n);
    wr32(b + 4, (uint32_t)off);
    if (w->nblocks == w->index_cap) {
        int64_t *ix =
            realloc(w->index, sizeof(int64_t) * 4 * (size_t)w->index_cap);
        if (!ix) {
            snprintf(w->err, sizeof(w->err), "out of memory");
            return -1;
        }
        w->index = ix;
        w->index_cap *= 2;
    }
    w->index[2 * w->nblocks] = w->col[0][0];
    w->index[2 * w->nblocks + 1] = w->off;
    w->nblocks++;
    w->n = 0;
    return w_put(w, b, off);
}

int daycache_writer_add(daycache_writer *w, const qte_tick *t)
{
    if (t->ts_ms < w->last_ts) {
        snprintf(w->err, sizeof(w->err), "%.200s: rows out of time order",
                 w->tmp);
        return -1;
    }
    w->last_ts = t->ts_ms;
    w->col[0][w->n] = t->ts_ms;
    w->col[1][w->n] = t->sym;
    w->col[2][w->n] = t->price_milli;
    w->col[3][w->n] = t->volume;
    w->col[4][w->n] = t->seq;
    w->rows++;
    if (++w->n == DAYCACHE_BLOCK)
        return flush_block(w);
    return 0;
}

static void header_fill(const daycache_writer *w, uint8_t *h, int64_t sym_end,
                        int64_t index_off)
{
    memset(h, 0, DAYCACHE_HEADER);
    memcpy(h, MAGIC, 8);
    wr32(h + 8, DAYCACHE_VERSION);
    wr32(h + 12, DAYCACHE_HEADER);
    wr32(h + 16, (uint32_t)w->day);
    wr32(h + 20, (uint32_t)w->nsym);
    wr64(h + 24, (uint64_t)w->rows);
    wr64(h + 32, (uint64_t)w->nblocks);
    wr64(h + 40, DAYCACHE_HEADER);
    wr64(h + 48, (uint64_t)(sym_end - DAYCACHE_HEADER));
    wr64(h + 56, (uint64_t)index_off);
    wr64(h + 64, (uint64_t)w->off);
    id_put(h + 72, &w->id);
    wr64(h + 136, ck_final(w->ck));
    wr64(h + 152, ck_bytes(h, 152));
}

static int sync_dir(const char *path)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Index, header, fsync, rename. 0 or -1 (w->err). */
static int finish(daycache_writer *w)
{
    int64_t sym_end = DAYCACHE_HEADER;
    for (int k = 0; k < w->nsym; k++)
        sym_end += (int64_t)strlen(w->symbols[k]) + 1;
    sym_end = (int64_t)pad8((size_t)sym_end);
    if (w->n > 0 && flush_block(w) != 0)
        return -1;
    int64_t index_off = w->off;
    for (int64_t b = 0; b < w->nblocks; b++) {
        uint8_t e[16];
        wr64(e, (uint64_t)w->index[2 * b]);
        wr64(e + 8, (uint64_t)w->index[2 * b + 1]);
        if (w_put(w, e, sizeof(e)) != 0)
            return -1;
    }
    uint8_t h[DAYCACHE_HEADER];
    header_fill(w, h, sym_end, index_off);
    if (fflush(w->f) != 0)
        return w_fail(w, "write");
    if (pwrite(fileno(w->f), h, sizeof(h), 0) != (ssize_t)sizeof(h))
        return w_fail(w, "write");
    if (fsync(fileno(w->f)) != 0)
        return w_fail(w, "fsync");
    if (rename(w->tmp, w->path) != 0)
        return w_fail(w, "rename");
    if (sync_dir(w->path) != 0)
        return w_fail(w, "fsync of the directory");
    return 0;
}

int daycache_writer_commit(daycache_writer *w, char *err, size_t errlen)
{
    if (!w->f) {
        snprintf(err, errlen, "cache writer not open");
        return -1;
    }
    int rc = finish(w);
    if (rc != 0)
        snprintf(err, errlen, "%s", w->err);
    else
        w->tmp[0] = '\0'; /* renamed: nothing to remove */
    daycache_writer_abort(w);
    return rc;
}

void daycache_writer_abort(daycache_writer *w)
{
    if (w->f) {
        fclose(w->f);
        if (w->tmp[0])
            unlink(w->tmp);
    }
    w->f = NULL;
    free(w->buf);
    free(w->index);
    w->buf = NULL;
    w->index = NULL;
}

/* --- reader -------------------------------------------------------------- */

/* The header's checks that need no more than the header: the verdict,
 * the reason in why. */
static int check_header(const uint8_t *h, int64_t fsize, int day, int nsym,
                        const daycache_id *id, char *why, size_t cap)
{
    daycache_id got;
    if (memcmp(h, MAGIC, 8) != 0) {
        snprintf(why, cap, "not a cache file (magic)");
        return DAYCACHE_CORRUPT;
    }
    if (rd64(h + 152) != ck_bytes(h, 152)) {
        snprintf(why, cap, "header checksum mismatch");
        return DAYCACHE_CORRUPT;
    }
    if (rd32(h + 8) != DAYCACHE_VERSION) {
        snprintf(why, cap, "format version %u, not %d", rd32(h + 8),
                 DAYCACHE_VERSION);
        return DAYCACHE_STALE;
    }
    if ((int64_t)rd64(h + 64) != fsize) {
        snprintf(why, cap, "truncated: %lld of %lld bytes", (long long)fsize,
                 (long long)rd64(h + 64));
        return DAYCACHE_CORRUPT;
    }
    if ((int)rd32(h + 16) != day || (int)rd32(h + 20) != nsym) {
        snprintf(why, cap, "another day or symbol list");
        return DAYCACHE_STALE;
    }
    id_get(h + 72, &got);
    if (!daycache_id_equal(&got, id)) {
        snprintf(why, cap, "the day file changed since the cache was built");
        return DAYCACHE_STALE;
    }
    uint64_t sym_bytes = rd64(h + 48);
    uint64_t index_off = rd64(h + 56);
    uint64_t nblocks = rd64(h + 32);
    uint64_t rows = rd64(h + 24);
    if (rd32(h + 12) != DAYCACHE_HEADER || rd64(h + 40) != DAYCACHE_HEADER ||
        (sym_bytes & 7) || (index_off & 7) || sym_bytes > (uint64_t)fsize ||
        index_off > (uint64_t)fsize ||
        DAYCACHE_HEADER + sym_bytes > index_off ||
        nblocks > ((uint64_t)fsize - index_off) / 16 ||
        index_off + nblocks * 16 != (uint64_t)fsize ||
        rows > nblocks * DAYCACHE_BLOCK) {
        snprintf(why, cap, "bad layout");
        return DAYCACHE_CORRUPT;
    }
    return DAYCACHE_OK;
}

/* The symbols section names exactly symbols. */
static bool symbols_match(const uint8_t *p, size_t n,
                          const char *const *symbols, int nsym)
{
    size_t off = 0;
    for (int k = 0; k < nsym; k++) {
        size_t len = strlen(symbols[k]) + 1;
        if (off + len > n || memcmp(p + off, symbols[k], len) != 0)
            return false;
        off += len;
    }
    return pad8(off) == n;
}

/* The body checksum, by pread in 1 MiB pieces. */
static int check_body(int fd, int64_t fsize, uint64_t want, char *why,
                      size_t cap)
{
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = malloc(CHUNK);
    uint64_t ck[5];
    ck_init(ck);
    int64_t off = DAYCACHE_HEADER;
    while (buf && off < fsize) {
        size_t n = (size_t)(fsize - off < CHUNK ? fsize - off : CHUNK);
        ssize_t got = pread(fd, buf, n, off);
        if (got != (ssize_t)n) {
            snprintf(why, cap, "read: %s", got < 0 ? strerror(errno) : "short");
            free(buf);
            return DAYCACHE_CORRUPT;
        }
        ck_add(ck, buf, n);
        off += (int64_t)n;
    }
    if (!buf) {
        snprintf(why, cap, "out of memory");
        return DAYCACHE_CORRUPT;
    }
    free(buf);
    if (ck_final(ck) != want) {
        snprintf(why, cap, "body checksum mismatch");
        return DAYCACHE_CORRUPT;
    }
    return DAYCACHE_OK;
}

int daycache_reader_open(daycache_reader *r, const char *path, int day,
                         const char *const *symbols, int nsym,
                         const daycache_id *id, char *why, size_t cap)
{
    memset(r, 0, offsetof(daycache_reader, ts));
    r->blk = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, cap, "%s", strerror(errno));
        return errno == ENOENT ? DAYCACHE_MISSING : DAYCACHE_CORRUPT;
    }
    struct stat st = {0};
    uint8_t h[DAYCACHE_HEADER];
    int v = DAYCACHE_OK;
    if (fstat(fd, &st) != 0 || st.st_size < DAYCACHE_HEADER ||
        pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
        snprintf(why, cap, "truncated: %lld bytes", (long long)st.st_size);
        v = DAYCACHE_CORRUPT;
    }
    if (v == DAYCACHE_OK)
        v = check_header(h, (int64_t)st.st_size, day, nsym, id, why, cap);
    uint8_t *sym = NULL;
    size_t sym_bytes = v == DAYCACHE_OK ? (size_t)rd64(h + 48) : 0;
    if (v == DAYCACHE_OK) {
        sym = malloc(sym_bytes ? sym_bytes : 1);
        if (!sym ||
            pread(fd, sym, sym_bytes, DAYCACHE_HEADER) != (ssize_t)sym_bytes) {
            snprintf(why, cap, "cannot read the symbol list");
            v = DAYCACHE_CORRUPT;
        } else if (!symbols_match(sym, sym_bytes, symbols, nsym)) {
            snprintf(why, cap, "another symbol list");
            v = DAYCACHE_STALE;
        }
    }
    free(sym);
    if (v == DAYCACHE_OK)
        v = check_body(fd, (int64_t)st.st_size, rd64(h + 136), why, cap);
    void *m = MAP_FAILED;
    if (v == DAYCACHE_OK) {
        m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) {
            snprintf(why, cap, "mmap: %s", strerror(errno));
            v = DAYCACHE_CORRUPT;
        }
    }
    close(fd);
    if (v != DAYCACHE_OK)
        return v;
    madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
    r->map = m;
    r->len = (size_t)st.st_size;
    r->rows = (int64_t)rd64(h + 24);
    r->nblocks = (int64_t)rd64(h + 32);
    r->index = r->map + rd64(h + 56);
    r->nsym = nsym;
    return DAYCACHE_OK;
}

/* Decode n values of wd bytes at p into out; the bytes used, padded. */
static size_t decode(const uint8_t *p, int wd, int64_t base, int n,
                     int64_t *out)
{
    uint64_t b = (uint64_t)base;
    switch (wd) {
    case 0:
        for (int i = 0; i < n; i++)
            out[i] = base;
        break;
    case 1:
        for (int i = 0; i < n; i++)
            out[i] = (int64_t)(b + p[i]);
        break;
    case 2:
        for (int i = 0; i < n; i++) {
            uint16_t x;
            memcpy(&x, p + 2 * i, 2);
            out[i] = (int64_t)(b + x);
        }
        break;
    case 4:
        for (int i = 0; i < n; i++) {
            uint32_t x;
            memcpy(&x, p + 4 * i, 4);
            out[i] = (int64_t)(b + x);
        }
        break;
    default:
        for (int i = 0; i < n; i++)
            out[i] = (int64_t)(b + rd64(p + 8 * i));
        break;
    }
    return pad8((size_t)n * (size_t)wd);
}

/* Give back the mapping below off (page-aligned) once it is large. */
static void release_behind(daycache_reader *r, size_t off)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t to = off & ~(page - 1);
    if (to < r->released)
        r->released = to; /* a seek backwards */
    if (to - r->released < DAYCACHE_RELEASE)
        return;
    madvise((void *)(uintptr_t)(r->map + r->released), to - r->released,
            MADV_DONTNEED);
    r->released = to;
}

static int bad_block(daycache_reader *r, int64_t b)
{
    snprintf(r->err, sizeof(r->err), "day cache: block %lld is damaged",
             (long long)b);
    return -1;
}

/* Decode block b. 1, 0 past the last block, -1 damaged. */
static int load_block(daycache_reader *r, int64_t b)
{
    if (b >= r->nblocks)
        return 0;
    uint64_t off = rd64(r->index + 16 * b + 8);
    uint64_t end = (uint64_t)(r->index - r->map);
    if (off < DAYCACHE_HEADER || (off & 7) || off + BLOCK_HDR > end)
        return bad_block(r, b);
    const uint8_t *p = r->map + off;
    uint32_t n = rd32(p);
    uint64_t size = BLOCK_HDR;
    for (int c = 0; c < DAYCACHE_NCOL; c++) {
        int wd = p[8 + c];
        if (wd != 0 && wd != 1 && wd != 2 && wd != 4 && wd != 8)
            return bad_block(r, b);
        size += pad8((size_t)n * (size_t)wd);
    }
    if (n == 0 || n > DAYCACHE_BLOCK || rd32(p + 4) != size ||
        off + size > end || rd64(r->index + 16 * b) != rd64(p + 16))
        return bad_block(r, b);
    int64_t *out[DAYCACHE_NCOL] = {r->ts, r->sym, r->price, r->volume, r->seq};
    const uint8_t *q = p + BLOCK_HDR;
    for (int c = 0; c < DAYCACHE_NCOL; c++)
        q += decode(q, p[8 + c], (int64_t)rd64(p + 16 + 8 * c), (int)n, out[c]);
    for (uint32_t i = 0; i < n; i++) {
        if (r->sym[i] < 0 || r->sym[i] >= r->nsym)
            return bad_block(r, b);
    }
    r->blk = b;
    r->n = (int)n;
    r->i = 0;
    release_behind(r, off);
    return 1;
}

int daycache_reader_seek(daycache_reader *r, int64_t ts_ms)
{
    /* p = the last block whose first row is < ts_ms: the first row at or
     * after ts_ms is in it or starts the block after it. */
    int64_t lo = 0, hi = r->nblocks;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if ((int64_t)rd64(r->index + 16 * mid) < ts_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t p = lo - 1;
    r->blk = p < 0 ? -1 : p;
    r->n = 0;
    r->i = 0;
    if (p < 0)
        return 0;
    int rc = load_block(r, p);
    if (rc < 0)
        return -1;
    while (r->i < r->n && r->ts[r->i] < ts_ms)
        r->i++;
    return 0;
}

int daycache_reader_next(daycache_reader *r, qte_tick *t)
{
    while (r->i >= r->n) {
        int rc = load_block(r, r->blk + 1);
        if (rc <= 0)
            return rc;
    }
    int i = r->i++;
    t->ts_ms = r->ts[i];
    t->sym = (int)r->sym[i];
    t->price_milli = r->price[i];
    t->volume = r->volume[i];
    t->seq = r->seq[i];
    return 1;
}

void daycache_reader_close(daycache_reader *r)
{
    if (r->map)
        munmap((void *)(uintptr_t)r->map, r->len);
    r->map = NULL;
    r->len = 0;
    r->n = 0;
    r->i = 0;
}
