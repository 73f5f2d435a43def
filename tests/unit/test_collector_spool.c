/*
 * test_collector_spool.c - unit tests for collector/spool.c.
 *
 * Each test gets its own DATA_ROOT (mkdtemp under /tmp, removed in
 * teardown) and a symtab with three symbols. Rows are built so that every
 * field is distinct, and compared field by field.
 *
 * Coverage: live spool append/take order and chunking, the pending and
 * spilled counters, truncation to the header once drained, reuse after
 * truncation, spool_free removing only an empty live file; crash spool
 * write + replay into a fresh symtab (names re-interned, ids remapped),
 * replay in chunks, callback errors, a torn last record, a bad header, a
 * missing file; append and crash-write failures as negative errno.
 * Fault seams (common/sys.h): pwrite failing with ENOSPC then EIO, on the
 * first chunk, on a later chunk and after a short write (all or nothing:
 * pending, file size and the rows already spooled unchanged, later appends
 * land after them); pread failing in take (rows kept, taken next time);
 * ftruncate failing after a drain; fdatasync failing on the live spool and
 * on a crash spool (reported, file kept and replayable).
 * Record checks: spool_record_check for every reason (and a good record);
 * a byte flipped in the live spool on disk is quarantined by spool_take
 * (raw bytes and header in _spool/quarantine/live-<pid>.spool.bad,
 * counted, logged once), the other rows still taken.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>
#include <zlib.h>

#include "collector/spool.h"
#include "collector/symtab.h"
#include "common/log.h"
#include "common/sys.h"

static const char *const names[] = {"HK.00700", "HK.00981", "US.AAPL"};

struct fx {
    char dir[64];
    symtab t;
    uint32_t id[3];
};

static int rm_cb(const char *p, const struct stat *sb, int flag,
                 struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/hkut-spool-XXXXXX");
    if (!mkdtemp(f->dir) || symtab_init(&f->t, 16) != 0)
        return -1;
    for (int i = 0; i < 3; i++)
        f->id[i] = symtab_intern(&f->t, names[i], strlen(names[i]));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    sys_fault_clear();
    nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    symtab_free(&f->t);
    free(f);
    return 0;
}

static row mk(const struct fx *f, int n)
{
    row r;
    memset(&r, 0, sizeof(r));
    r.ts_ms = 1709258400000LL + n * 10;
    r.seq = 7000000000LL + n;
    r.volume = 100 * (n + 1);
    r.recv_ts_ms = 1709258400500LL + n;
    r.price = 300.2 + n * 0.2;
    r.turnover = r.price * (double)r.volume;
    r.sym = f->id[n % 3];
    r.tick_type = (int16_t)(n % 5);
    r.dir = (int8_t)(n % 4);
    r.push_type = (uint8_t)(n % 3);
    r.flags = (uint8_t)(ROW_HAS_SEQ | (n % 2 ? ROW_HAS_TYPE : 0));
    return r;
}

/* Fields equal; sym compared by name through the two tables. */
static void same_row(const row *a, const symtab *ta, const row *b,
                     const symtab *tb)
{
    assert_int_equal(a->ts_ms, b->ts_ms);
    assert_int_equal(a->seq, b->seq);
    assert_int_equal(a->volume, b->volume);
    assert_int_equal(a->recv_ts_ms, b->recv_ts_ms);
    assert_memory_equal(&a->price, &b->price, sizeof(double));
    assert_memory_equal(&a->turnover, &b->turnover, sizeof(double));
    assert_int_equal(a->tick_type, b->tick_type);
    assert_int_equal(a->dir, b->dir);
    assert_int_equal(a->push_type, b->push_type);
    assert_int_equal(a->flags, b->flags);
    assert_string_equal(symtab_name(ta, a->sym), symtab_name(tb, b->sym));
}

static off_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

static void test_init_creates_nothing(void **state)
{
    struct fx *f = *state;
    spool s;
    char dir[128];
    struct stat st;
    row out[4];

    assert_int_equal(spool_init(&s, f->dir), 0);
    snprintf(dir, sizeof(dir), "%s/_spool", f->dir);
    assert_string_equal(s.dir, dir);
    assert_int_equal(s.fd, -1);
    assert_int_equal(spool_pending(&s), 0);
    assert_int_equal(spool_take(&s, out, 4), 0);
    assert_int_equal(stat(dir, &st), -1);
    spool_free(&s);
    assert_int_equal(stat(dir, &st), -1);
}

static void test_append_take_order(void **state)
{
    struct fx *f = *state;
    spool s;
    row in[200], out[200];

    for (int i = 0; i < 200; i++)
        in[i] = mk(f, i);
    assert_int_equal(spool_init(&s, f->dir), 0);
    assert_int_equal(spool_append(&s, in, 70, &f->t), 0); /* > 64: 2 chunks */
    assert_int_equal(spool_pending(&s), 70);
    assert_int_equal(spool_append(&s, in + 70, 130, &f->t), 0);
    assert_int_equal(spool_pending(&s), 200);
    assert_int_equal(atomic_load(&s.spilled), 200);
    assert_int_equal(file_size(s.path),
                     SPOOL_HEADER + 200 * (off_t)SPOOL_RECORD);

    /* Header bytes. */
    uint8_t h[SPOOL_HEADER];
    int fd = open(s.path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, h, sizeof(h)), SPOOL_HEADER);
    close(fd);
    assert_memory_equal(h, "HKSPOOL2", 8);
    uint32_t rs;
    memcpy(&rs, h + 8, 4);
    assert_int_equal(rs, 100);
    assert_int_equal(SPOOL_RECORD, 100);
    assert_int_equal(h[12] | h[13] | h[14] | h[15], 0);

    assert_int_equal(spool_take(&s, out, 1), 1);
    same_row(&out[0], &f->t, &in[0], &f->t);
    assert_int_equal(out[0].sym, in[0].sym);
    assert_int_equal(spool_pending(&s), 199);
    assert_int_equal(spool_take(&s, out, 150), 150);
    for (int i = 0; i < 150; i++) {
        same_row(&out[i], &f->t, &in[1 + i], &f->t);
        assert_int_equal(out[i].sym, in[1 + i].sym);
    }
    assert_int_equal(spool_pending(&s), 49);
    /* Not yet drained: the file keeps its data. */
    assert_int_equal(file_size(s.path),
                     SPOOL_HEADER + 200 * (off_t)SPOOL_RECORD);
    assert_int_equal(spool_take(&s, out, 200), 49);
    for (int i = 0; i < 49; i++)
        same_row(&out[i], &f->t, &in[151 + i], &f->t);
    assert_int_equal(spool_pending(&s), 0);
    assert_int_equal(file_size(s.path), SPOOL_HEADER);
    assert_int_equal(spool_take(&s, out, 200), 0);
    assert_int_equal(atomic_load(&s.spilled), 200);

    /* Reuse after truncation: appends restart right after the header. */
    assert_int_equal(spool_append(&s, in + 5, 3, &f->t), 0);
    assert_int_equal(file_size(s.path), SPOOL_HEADER + 3 * (off_t)SPOOL_RECORD);
    assert_int_equal(spool_take(&s, out, 10), 3);
    for (int i = 0; i < 3; i++)
        same_row(&out[i], &f->t, &in[5 + i], &f->t);
    assert_int_equal(file_size(s.path), SPOOL_HEADER);
    assert_int_equal(atomic_load(&s.spilled), 203);

    char path[sizeof(s.path)];
    snprintf(path, sizeof(path), "%s", s.path);
    spool_free(&s);
    assert_int_equal(access(path, F_OK), -1); /* empty live file removed */
}

struct collect {
    row rows[1000];
    size_t n;
    int calls;
    int fail_at; /* return -1234 on this call (1-based), 0 = never */
};

static int count_fn(const row *rows, size_t n, void *ud)
{
    (void)rows;
    ((struct collect *)ud)->n += n;
    return 0;
}

static int collect_fn(const row *rows, size_t n, void *ud)
{
    struct collect *c = ud;
    c->calls++;
    if (c->fail_at && c->calls == c->fail_at)
        return -1234;
    assert_true(c->n + n <= 1000);
    memcpy(c->rows + c->n, rows, n * sizeof(row));
    c->n += n;
    return 0;
}

static void test_free_keeps_pending(void **state)
{
    struct fx *f = *state;
    spool s;
    row in[2] = {mk(f, 0), mk(f, 1)};
    char path[sizeof(s.path)];

    assert_int_equal(spool_init(&s, f->dir), 0);
    assert_int_equal(spool_append(&s, in, 2, &f->t), 0);
    snprintf(path, sizeof(path), "%s", s.path);
    spool_free(&s);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(file_size(path), SPOOL_HEADER + 2 * (off_t)SPOOL_RECORD);
    /* The leftover live file is a valid spool for the next start. */
    symtab t2;
    struct collect *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    assert_int_equal(symtab_init(&t2, 8), 0);
    assert_int_equal(spool_replay_file(path, &t2, collect_fn, c, NULL), 2);
    assert_int_equal(c->n, 2);
    same_row(&c->rows[0], &t2, &in[0], &f->t);
    same_row(&c->rows[1], &t2, &in[1], &f->t);
    symtab_free(&t2);
    free(c);
}

static void test_crash_round_trip(void **state)
{
    struct fx *f = *state;
    static row in[600];
    char path[512];
    char dir[128];
    symtab fresh;
    struct collect *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    for (int i = 0; i < 600; i++)
        in[i] = mk(f, i);
    assert_int_equal(
        spool_write_crash(f->dir, in, 600, &f->t, path, sizeof(path)), 0);
    snprintf(dir, sizeof(dir), "%s/_spool/", f->dir);
    assert_memory_equal(path, dir, strlen(dir));
    char suffix[32];
    snprintf(suffix, sizeof(suffix), "Z-%ld.spool", (long)getpid());
    assert_true(strlen(path) > strlen(suffix));
    assert_string_equal(path + strlen(path) - strlen(suffix), suffix);
    assert_int_equal(file_size(path), SPOOL_HEADER + 600 * (off_t)SPOOL_RECORD);

    /* A fresh table that already knows one name under another id. */
    assert_int_equal(symtab_init(&fresh, 8), 0);
    assert_int_equal(symtab_intern(&fresh, "HK.99999", 8), 0);
    assert_int_equal(spool_replay_file(path, &fresh, collect_fn, c, NULL), 600);
    assert_int_equal(c->n, 600);
    assert_int_equal(c->calls, 3); /* 256 + 256 + 88 */
    assert_int_equal(fresh.count, 4);
    for (int i = 0; i < 600; i++) {
        same_row(&c->rows[i], &fresh, &in[i], &f->t);
        /* ids are those of the fresh table: HK.00700 became 1, etc. */
        assert_int_equal(c->rows[i].sym, 1 + (uint32_t)(i % 3));
    }
    symtab_free(&fresh);

    /* A callback error stops the replay and is returned. */
    assert_int_equal(symtab_init(&fresh, 8), 0);
    memset(c, 0, sizeof(*c));
    c->fail_at = 2;
    assert_int_equal(spool_replay_file(path, &fresh, collect_fn, c, NULL),
                     -1234);
    assert_int_equal(c->calls, 2);
    assert_int_equal(c->n, 256);
    symtab_free(&fresh);
    free(c);
}

/* A spool naming more new symbols than SPOOL_NEW_NAMES_MAX: the first
 * SPOOL_NEW_NAMES_MAX names are interned and their rows replayed, the rest
 * are counted as skipped and kept in the quarantine file, not dropped. */
static void test_name_budget(void **state)
{
    struct fx *f = *state;
    enum { EXTRA = 5, N = SPOOL_NEW_NAMES_MAX + EXTRA };
    row *in = calloc(N, sizeof(row));
    symtab big, fresh;
    char path[512], bad[700], name[16];
    struct collect *c = calloc(1, sizeof(*c));
    assert_non_null(in);
    assert_non_null(c);
    assert_int_equal(symtab_init(&big, N + 8), 0);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "HK.%05d", i);
        in[i] = mk(f, i);
        in[i].sym = symtab_intern(&big, name, strlen(name));
    }
    assert_int_equal(spool_write_crash(f->dir, in, N, &big, path, sizeof(path)),
                     0);
    assert_int_equal(symtab_init(&fresh, N + 8), 0);
    long skipped = 0, quarantined = 0;
    c->n = 0;
    assert_int_equal(
        spool_replay_file_q(path, &fresh, count_fn, c, &skipped, &quarantined),
        SPOOL_NEW_NAMES_MAX);
    assert_int_equal(c->n, SPOOL_NEW_NAMES_MAX);
    assert_int_equal(fresh.count, SPOOL_NEW_NAMES_MAX);
    assert_int_equal(skipped, EXTRA);
    assert_int_equal(quarantined, EXTRA);
    const char *base = strrchr(path, '/') + 1;
    snprintf(bad, sizeof(bad), "%s/_spool/quarantine/%s.bad", f->dir, base);
    /* EXTRA records of SPOOL_RECORD bytes, each after its header line. */
    off_t size = file_size(bad);
    char *text = calloc(1, (size_t)size + 1);
    FILE *fp = fopen(bad, "r");
    assert_non_null(fp);
    assert_int_equal(fread(text, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    int headers = 0;
    for (char *p = text; (p = memmem(p, (size_t)(text + size - p),
                                     "reason=symbol_budget\n", 21));
         p++)
        headers++;
    assert_int_equal(headers, EXTRA);
    assert_true(size > EXTRA * (off_t)SPOOL_RECORD);
    free(text);
    symtab_free(&fresh);
    symtab_free(&big);
    free(in);
    free(c);
}

static void test_torn_last_record(void **state)
{
    struct fx *f = *state;
    row in[5];
    char path[512];
    symtab fresh;
    struct collect *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    for (int i = 0; i < 5; i++)
        in[i] = mk(f, i);
    assert_int_equal(
        spool_write_crash(f->dir, in, 5, &f->t, path, sizeof(path)), 0);
    assert_int_equal(truncate(path, SPOOL_HEADER + 5 * (off_t)SPOOL_RECORD - 7),
                     0);
    assert_int_equal(symtab_init(&fresh, 8), 0);
    assert_int_equal(spool_replay_file(path, &fresh, collect_fn, c, NULL), 4);
    assert_int_equal(c->n, 4);
    for (int i = 0; i < 4; i++)
        same_row(&c->rows[i], &fresh, &in[i], &f->t);
    symtab_free(&fresh);

    /* Header only: zero rows, callback never called. */
    assert_int_equal(truncate(path, SPOOL_HEADER), 0);
    assert_int_equal(symtab_init(&fresh, 8), 0);
    memset(c, 0, sizeof(*c));
    assert_int_equal(spool_replay_file(path, &fresh, collect_fn, c, NULL), 0);
    assert_int_equal(c->calls, 0);
    symtab_free(&fresh);
    free(c);
}

static void test_bad_header(void **state)
{
    struct fx *f = *state;
    row in[2] = {mk(f, 0), mk(f, 1)};
    char path[512];
    symtab fresh;
    struct collect *c = calloc(1, sizeof(*c));
    int fd;

    assert_non_null(c);
    assert_int_equal(symtab_init(&fresh, 8), 0);
    assert_int_equal(
        spool_write_crash(f->dir, in, 2, &f->t, path, sizeof(path)), 0);
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "HKSPOOL3", 8, 0), 8);
    assert_int_equal(spool_replay_file(path, &fresh, collect_fn, c, NULL),
                     -EINVAL);
    /* Right magic, wrong record size (each version has its own). */
    uint32_t rs = 104;
    assert_int_equal(pwrite(fd, "HKSPOOL2", 8, 0), 8);
    assert_int_equal(pwrite(fd, &rs, 4, 8), 4);
    assert_int_equal(spool_replay_file(path, &fresh, collect_fn, c, NULL),
                     -EINVAL);
    rs = 96;
    assert_int_equal(pwrite(fd, &rs, 4, 8), 4);
    assert_int_equal(spool_replay_file(path, &fresh, collect_fn, c, NULL),
                     -EINVAL);
    rs = 100;
    assert_int_equal(pwrite(fd, "HKSPOOL1", 8, 0), 8);
    assert_int_equal(pwrite(fd, &rs, 4, 8), 4);
    assert_int_equal(spool_replay_file(path, &fresh, collect_fn, c, NULL),
                     -EINVAL);
    close(fd);
    /* Shorter than a header. */
    assert_int_equal(truncate(path, 10), 0);
    assert_int_equal(spool_replay_file(path, &fresh, collect_fn, c, NULL),
                     -EINVAL);
    assert_int_equal(c->calls, 0);
    assert_int_equal(fresh.count, 0);
    /* Missing file. */
    char missing[600];
    snprintf(missing, sizeof(missing), "%s/none.spool", f->dir);
    assert_int_equal(spool_replay_file(missing, &fresh, collect_fn, c, NULL),
                     -ENOENT);
    symtab_free(&fresh);
    free(c);
}

static void test_append_failure(void **state)
{
    struct fx *f = *state;
    spool s;
    row in[3] = {mk(f, 0), mk(f, 1), mk(f, 2)};
    char dir[128], path[512];

    /* _spool is a regular file: the live file cannot be created. */
    snprintf(dir, sizeof(dir), "%s/_spool", f->dir);
    int fd = open(dir, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(spool_init(&s, f->dir), 0);
    int rc = spool_append(&s, in, 3, &f->t);
    assert_true(rc < 0);
    assert_int_equal(rc, -ENOTDIR);
    assert_int_equal(spool_pending(&s), 0);
    assert_int_equal(atomic_load(&s.spilled), 0);
    assert_int_equal(s.fd, -1);
    row out[3];
    assert_int_equal(spool_take(&s, out, 3), 0);
    spool_free(&s);

    /* The crash spool fails the same way. */
    assert_int_equal(
        spool_write_crash(f->dir, in, 3, &f->t, path, sizeof(path)), -ENOTDIR);

    /* DATA_ROOT missing entirely. */
    char gone[128];
    snprintf(gone, sizeof(gone), "%s/missing/root", f->dir);
    assert_int_equal(spool_init(&s, gone), 0);
    assert_int_equal(spool_append(&s, in, 3, &f->t), -ENOENT);
    spool_free(&s);
}

/* ------------------------------------------------------------ fault seams */

static void take_all(spool *s, row *out, size_t want)
{
    assert_int_equal(spool_take(s, out, want + 10), want);
    assert_int_equal(spool_pending(s), 0);
}

static void test_append_enospc_then_eio(void **state)
{
    struct fx *f = *state;
    spool s;
    static row in[200], out[200];

    for (int i = 0; i < 200; i++)
        in[i] = mk(f, i);
    assert_int_equal(spool_init(&s, f->dir), 0);
    assert_int_equal(spool_append(&s, in, 3, &f->t), 0);
    off_t size3 = file_size(s.path);

    /* Disk full on the first chunk of the next append. */
    assert_int_equal(sys_fault_arm(SYS_PWRITE, 1, 1, ENOSPC), 0);
    assert_int_equal(spool_append(&s, in + 3, 10, &f->t), -ENOSPC);
    assert_int_equal(sys_fault_failed(SYS_PWRITE), 1);
    assert_int_equal(spool_pending(&s), 3);
    assert_int_equal(atomic_load(&s.spilled), 3);
    assert_int_equal(file_size(s.path), size3);

    /* EIO on the third chunk of 130 rows: the first two chunks (128 rows)
     * were written but are not counted, and get overwritten later. */
    assert_int_equal(sys_fault_arm(SYS_PWRITE, 3, 1, EIO), 0);
    assert_int_equal(spool_append(&s, in + 3, 130, &f->t), -EIO);
    assert_int_equal(sys_fault_calls(SYS_PWRITE), 3);
    assert_int_equal(spool_pending(&s), 3);
    assert_int_equal(atomic_load(&s.spilled), 3);

    /* Space returns: the next append lands right after the first three. */
    sys_fault_clear();
    assert_int_equal(spool_append(&s, in + 50, 5, &f->t), 0);
    assert_int_equal(spool_pending(&s), 8);
    assert_int_equal(atomic_load(&s.spilled), 8);
    take_all(&s, out, 8);
    for (int i = 0; i < 3; i++)
        same_row(&out[i], &f->t, &in[i], &f->t);
    for (int i = 0; i < 5; i++)
        same_row(&out[3 + i], &f->t, &in[50 + i], &f->t);
    assert_int_equal(file_size(s.path), SPOOL_HEADER);
    spool_free(&s);
}

/* A disk that takes half of a write, then refuses the rest. */
static atomic_int short_left;
static ssize_t short_pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (atomic_fetch_sub(&short_left, 1) <= 0) {
        errno = ENOSPC;
        return -1;
    }
    return pwrite(fd, buf, n > 1 ? n / 2 : n, off);
}

static void test_append_short_write(void **state)
{
    struct fx *f = *state;
    spool s;
    row in[20], out[20];
    sys_table tb;

    for (int i = 0; i < 20; i++)
        in[i] = mk(f, i);
    assert_int_equal(spool_init(&s, f->dir), 0);
    assert_int_equal(spool_append(&s, in, 2, &f->t), 0);
    sys_table_get(&tb);
    tb.pwrite = short_pwrite;
    sys_table_set(&tb);
    atomic_store(&short_left, 1);
    assert_int_equal(spool_append(&s, in + 2, 10, &f->t), -ENOSPC);
    /* header, first append, half a chunk, refused rest */
    assert_int_equal(sys_fault_calls(SYS_PWRITE), 4);
    assert_int_equal(spool_pending(&s), 2);
    sys_fault_clear(); /* restores libc pwrite */
    assert_int_equal(spool_append(&s, in + 12, 3, &f->t), 0);
    take_all(&s, out, 5);
    same_row(&out[0], &f->t, &in[0], &f->t);
    same_row(&out[1], &f->t, &in[1], &f->t);
    for (int i = 0; i < 3; i++)
        same_row(&out[2 + i], &f->t, &in[12 + i], &f->t);
    spool_free(&s);
}

static void test_open_and_mkdir_faults(void **state)
{
    struct fx *f = *state;
    spool s;
    row in[2] = {mk(f, 0), mk(f, 1)}, out[2];

    assert_int_equal(spool_init(&s, f->dir), 0);
    assert_int_equal(sys_fault_arm(SYS_MKDIR, 1, 1, EROFS), 0);
    assert_int_equal(spool_append(&s, in, 2, &f->t), -EROFS);
    assert_int_equal(s.fd, -1);
    assert_int_equal(sys_fault_arm(SYS_OPEN, 1, 1, EMFILE), 0);
    assert_int_equal(spool_append(&s, in, 2, &f->t), -EMFILE);
    assert_int_equal(s.fd, -1);
    /* The header write fails: no half-made live file is left behind. */
    assert_int_equal(sys_fault_arm(SYS_PWRITE, 1, 1, ENOSPC), 0);
    assert_int_equal(spool_append(&s, in, 2, &f->t), -ENOSPC);
    assert_int_equal(s.fd, -1);
    assert_int_equal(access(s.path, F_OK), -1);
    sys_fault_clear();
    assert_int_equal(spool_append(&s, in, 2, &f->t), 0);
    take_all(&s, out, 2);
    same_row(&out[1], &f->t, &in[1], &f->t);
    spool_free(&s);
}

static void test_take_pread_and_truncate_faults(void **state)
{
    struct fx *f = *state;
    spool s;
    row in[10], out[10];

    for (int i = 0; i < 10; i++)
        in[i] = mk(f, i);
    assert_int_equal(spool_init(&s, f->dir), 0);
    assert_int_equal(spool_append(&s, in, 6, &f->t), 0);
    /* A read error leaves every row for the next attempt. */
    assert_int_equal(sys_fault_arm(SYS_PREAD, 1, 2, EIO), 0);
    assert_int_equal(spool_take(&s, out, 10), 0);
    assert_int_equal(spool_take(&s, out, 10), 0);
    assert_int_equal(spool_pending(&s), 6);
    assert_int_equal(spool_take(&s, out, 4), 4);
    for (int i = 0; i < 4; i++)
        same_row(&out[i], &f->t, &in[i], &f->t);
    /* The drain's truncate fails: the file keeps its bytes but nothing is
     * taken twice, and appends continue after them. */
    assert_int_equal(sys_fault_arm(SYS_FTRUNCATE, 1, 1, EIO), 0);
    assert_int_equal(spool_take(&s, out, 10), 2);
    same_row(&out[1], &f->t, &in[5], &f->t);
    assert_int_equal(file_size(s.path), SPOOL_HEADER + 6 * (off_t)SPOOL_RECORD);
    assert_int_equal(spool_take(&s, out, 10), 0);
    assert_int_equal(spool_append(&s, in + 6, 4, &f->t), 0);
    sys_fault_clear();
    take_all(&s, out, 4);
    for (int i = 0; i < 4; i++)
        same_row(&out[i], &f->t, &in[6 + i], &f->t);
    assert_int_equal(file_size(s.path), SPOOL_HEADER);
    spool_free(&s);
}

static void test_fdatasync_faults(void **state)
{
    struct fx *f = *state;
    spool s;
    row in[4] = {mk(f, 0), mk(f, 1), mk(f, 2), mk(f, 3)}, out[4];
    char path[512];
    symtab fresh;
    struct collect *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    assert_int_equal(spool_init(&s, f->dir), 0);
    assert_int_equal(spool_sync(&s), 0); /* no file yet: nothing to sync */
    assert_int_equal(spool_append(&s, in, 4, &f->t), 0);
    assert_int_equal(sys_fault_arm(SYS_FDATASYNC, 1, 1, EIO), 0);
    assert_int_equal(spool_sync(&s), -EIO);
    assert_int_equal(spool_pending(&s), 4);
    assert_int_equal(spool_sync(&s), 0);
    take_all(&s, out, 4);
    spool_free(&s);

    /* Crash spool: the sync error is reported, the file is kept whole. */
    assert_int_equal(sys_fault_arm(SYS_FDATASYNC, 1, 1, EIO), 0);
    assert_int_equal(
        spool_write_crash(f->dir, in, 4, &f->t, path, sizeof(path)), -EIO);
    assert_int_equal(access(path, F_OK), 0);
    sys_fault_clear();
    assert_int_equal(symtab_init(&fresh, 8), 0);
    assert_int_equal(spool_replay_file(path, &fresh, collect_fn, c, NULL), 4);
    for (int i = 0; i < 4; i++)
        same_row(&c->rows[i], &fresh, &in[i], &f->t);
    symtab_free(&fresh);
    assert_int_equal(unlink(path), 0); /* the next stamp may be the same */

    /* A write error still removes the partial crash spool. */
    assert_int_equal(sys_fault_arm(SYS_PWRITE, 3, 1, ENOSPC), 0);
    assert_int_equal(
        spool_write_crash(f->dir, in, 4, &f->t, path, sizeof(path)), -ENOSPC);
    assert_int_equal(access(path, F_OK), -1);
    /* A read error while replaying is returned, not taken for EOF (the
     * caller keeps the file; rows already handed over are re-delivered
     * next time, which INSERT OR IGNORE makes harmless). */
    sys_fault_clear();
    assert_int_equal(
        spool_write_crash(f->dir, in, 4, &f->t, path, sizeof(path)), 0);
    assert_int_equal(symtab_init(&fresh, 8), 0);
    memset(c, 0, sizeof(*c));
    assert_int_equal(sys_fault_arm(SYS_READ, 3, 1, EIO), 0);
    assert_int_equal(spool_replay_file(path, &fresh, collect_fn, c, NULL),
                     -EIO);
    assert_int_equal(c->calls, 0); /* one record read, not yet handed over */
    assert_int_equal(sys_fault_failed(SYS_READ), 1);
    symtab_free(&fresh);
    free(c);
}

static void test_sys_arm_bounds(void **state)
{
    (void)state;
    assert_int_equal(sys_fault_arm(SYS_CALL_COUNT, 1, 1, EIO), -EINVAL);
    assert_int_equal(sys_fault_arm(SYS_PWRITE, 0, 1, EIO), -EINVAL);
    assert_int_equal(sys_fault_arm(SYS_PWRITE, 1, 0, EIO), -EINVAL);
    assert_int_equal(sys_fault_arm(SYS_PWRITE, 1, -2, EIO), -EINVAL);
    assert_int_equal(sys_fault_arm(SYS_PWRITE, 1, 1, 0), -EINVAL);
    /* count -1: every call from the nth on. */
    assert_int_equal(sys_fault_arm(SYS_RENAME, 2, -1, EXDEV), 0);
    assert_int_equal(sys_rename("/nonexistent/a", "/nonexistent/b"), -1);
    assert_int_equal(errno, ENOENT); /* call 1 is real */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sys_rename("/nonexistent/a", "/nonexistent/b"), -1);
        assert_int_equal(errno, EXDEV);
    }
    assert_int_equal(sys_fault_calls(SYS_RENAME), 4);
    assert_int_equal(sys_fault_failed(SYS_RENAME), 3);
    assert_int_equal(sys_fault_arm(SYS_FSYNC, 1, 1, EIO), 0);
    assert_int_equal(sys_fsync(-1), -1);
    assert_int_equal(errno, EIO);
    assert_int_equal(sys_fsync(-1), -1);
    assert_int_equal(errno, EBADF);
    sys_fault_clear();
    assert_int_equal(sys_fault_calls(SYS_RENAME), 0);
}

/* ------------------------------------------------------- record checks */

static void reseal(uint8_t *rec)
{
    uint32_t crc = (uint32_t)crc32(0L, rec, (uInt)SPOOL_RECORD_V1);
    memcpy(rec + SPOOL_RECORD_V1, &crc, 4);
}

/* Encode r under name through a crash spool, return its record bytes. */
static void record_of(struct fx *f, const row *r, uint8_t *rec)
{
    char path[512];
    int fd;

    assert_int_equal(spool_write_crash(f->dir, r, 1, &f->t, path, sizeof(path)),
                     0);
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, rec, SPOOL_RECORD, SPOOL_HEADER), SPOOL_RECORD);
    close(fd);
    assert_int_equal(unlink(path), 0);
}

static void test_record_check_reasons(void **state)
{
    struct fx *f = *state;
    const int64_t now = 1709258400000LL;
    uint8_t good[SPOOL_RECORD], rec[SPOOL_RECORD];
    row r = mk(f, 1);

    record_of(f, &r, good);
    assert_null(spool_record_check(good, SPOOL_RECORD, now));
    /* Version 1: the same bytes without the CRC. */
    assert_null(spool_record_check(good, SPOOL_RECORD_V1, now));
    assert_string_equal(spool_record_check(good, 50, now), "truncated");

    memcpy(rec, good, sizeof(rec));
    rec[20] ^= 0x01;
    assert_string_equal(spool_record_check(rec, SPOOL_RECORD, now), "checksum");
    memcpy(rec, good, sizeof(rec));
    rec[SPOOL_RECORD - 1] ^= 0x80; /* the CRC itself */
    assert_string_equal(spool_record_check(rec, SPOOL_RECORD, now), "checksum");

    static const char *const bad_names[] = {
        "hk.00700",  "HK.",      ".00700",      "HK00700",
        "HK.007 00", "HK.0\x01", "ABCDEFGHI.1", "HK.00700\xff"};
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        memcpy(rec, good, sizeof(rec));
        memset(rec + sizeof(row), 0, SYMTAB_NAME_LEN);
        memcpy(rec + sizeof(row), bad_names[i], strlen(bad_names[i]));
        reseal(rec);
        assert_string_equal(spool_record_check(rec, SPOOL_RECORD, now),
                            "symbol");
    }
    /* Not NUL-terminated; junk after the NUL. */
    memcpy(rec, good, sizeof(rec));
    memset(rec + sizeof(row), 'A', SYMTAB_NAME_LEN);
    reseal(rec);
    assert_string_equal(spool_record_check(rec, SPOOL_RECORD, now), "symbol");
    memcpy(rec, good, sizeof(rec));
    rec[sizeof(row) + 20] = 'X';
    reseal(rec);
    assert_string_equal(spool_record_check(rec, SPOOL_RECORD, now), "symbol");
    /* Good exotic names. */
    static const char *const ok_names[] = {"US.BRK.B", "SH.600000",
                                           "HK.TCH-240328", "SZ.a_1"};
    for (size_t i = 0; i < sizeof(ok_names) / sizeof(ok_names[0]); i++) {
        memcpy(rec, good, sizeof(rec));
        memset(rec + sizeof(row), 0, SYMTAB_NAME_LEN);
        memcpy(rec + sizeof(row), ok_names[i], strlen(ok_names[i]));
        reseal(rec);
        assert_null(spool_record_check(rec, SPOOL_RECORD, now));
    }

    row x;
#define BAD(stmt, reason)                                                      \
    do {                                                                       \
        memcpy(rec, good, sizeof(rec));                                        \
        memcpy(&x, rec, sizeof(x));                                            \
        stmt;                                                                  \
        memcpy(rec, &x, sizeof(x));                                            \
        reseal(rec);                                                           \
        assert_string_equal(spool_record_check(rec, SPOOL_RECORD, now),        \
                            reason);                                           \
    } while (0)
    BAD(x.ts_ms = 0, "ts_ms");
    BAD(x.ts_ms = SPOOL_TS_MIN_MS - 1, "ts_ms");
    BAD(x.ts_ms = now + SPOOL_TS_AHEAD_MS + 1, "ts_ms");
    BAD(x.ts_ms = INT64_MIN, "ts_ms");
    BAD(x.ts_ms = INT64_MAX, "ts_ms");
    BAD(x.recv_ts_ms = INT64_MIN, "recv_ts_ms");
    BAD(x.recv_ts_ms = -1, "recv_ts_ms");
    BAD(x.flags = 0x80 | ROW_HAS_SEQ, "flags");
    BAD(x.seq = 0, "seq");
    BAD(x.seq = -7, "seq");
    BAD(x.price = NAN, "price");
    BAD(x.price = INFINITY, "price");
    BAD(x.turnover = -INFINITY, "turnover");
    BAD(x.push_type = 3, "push_type");
#undef BAD
    /* Edges that are fine: the bounds themselves, no seq with seq 0. */
    memcpy(&x, good, sizeof(x));
    x.ts_ms = SPOOL_TS_MIN_MS;
    x.recv_ts_ms = now + SPOOL_TS_AHEAD_MS;
    x.seq = 0;
    x.flags = ROW_HAS_TYPE;
    memcpy(rec, &x, sizeof(x));
    reseal(rec);
    assert_null(spool_record_check(rec, SPOOL_RECORD, now));
}

static void test_take_quarantines_flipped_byte(void **state)
{
    struct fx *f = *state;
    spool s;
    row in[5], out[5];
    char qpath[1400], want[256];
    uint8_t rec[SPOOL_RECORD];

    for (int i = 0; i < 5; i++)
        in[i] = mk(f, i);
    assert_int_equal(spool_init(&s, f->dir), 0);
    assert_int_equal(spool_append(&s, in, 5, &f->t), 0);
    int fd = open(s.path, O_RDWR);
    assert_true(fd >= 0);
    off_t off = SPOOL_HEADER + 2 * (off_t)SPOOL_RECORD;
    assert_int_equal(pread(fd, rec, SPOOL_RECORD, off), SPOOL_RECORD);
    rec[33] ^= 0x10; /* inside the price */
    assert_int_equal(pwrite(fd, rec, SPOOL_RECORD, off), SPOOL_RECORD);
    close(fd);

    char logp[128];
    snprintf(logp, sizeof(logp), "%s/log", f->dir);
    int lf = open(logp, O_RDWR | O_CREAT, 0600);
    log_set_fd(lf);
    assert_int_equal(spool_take(&s, out, 5), 4);
    log_set_fd(2);
    same_row(&out[1], &f->t, &in[1], &f->t);
    same_row(&out[2], &f->t, &in[3], &f->t);
    assert_int_equal(spool_pending(&s), 0);
    assert_int_equal(atomic_load(&s.quarantined), 1);

    snprintf(qpath, sizeof(qpath), "%s/_spool/quarantine/live-%ld.spool.bad",
             f->dir, (long)getpid());
    int hl = snprintf(want, sizeof(want),
                      "HKSPOOL-BAD source=live-%ld.spool offset=%lld "
                      "bytes=100 reason=checksum\n",
                      (long)getpid(), (long long)off);
    assert_int_equal(file_size(qpath), hl + SPOOL_RECORD + 1);
    uint8_t got[512];
    fd = open(qpath, O_RDONLY);
    assert_int_equal(read(fd, got, sizeof(got)), hl + SPOOL_RECORD + 1);
    close(fd);
    assert_memory_equal(got, want, (size_t)hl);
    assert_memory_equal(got + hl, rec, SPOOL_RECORD);
    assert_int_equal(got[hl + SPOOL_RECORD], '\n');

    char line[1024] = "";
    assert_int_equal(lseek(lf, 0, SEEK_SET), 0);
    ssize_t n = read(lf, line, sizeof(line) - 1);
    close(lf);
    assert_true(n > 0);
    line[n] = '\0';
    assert_non_null(strstr(line, "WARNING hk_tick_collector.collector "
                                 "spool_record_quarantined path="));
    assert_non_null(strstr(line, " reason=checksum quarantine="));
    assert_ptr_equal(strchr(line, '\n'), line + n - 1); /* one line */
    spool_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_creates_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_append_take_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_free_keeps_pending, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_crash_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_last_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_enospc_then_eio, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_append_short_write, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_open_and_mkdir_faults, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_take_pread_and_truncate_faults,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_fdatasync_faults, setup, teardown),
        cmocka_unit_test(test_sys_arm_bounds),
        cmocka_unit_test_setup_teardown(test_record_check_reasons, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_take_quarantines_flipped_byte,
                                        setup, teardown),
    };

    return cmocka_run_group_tests_name("collector_spool", tests, NULL, NULL);
}
