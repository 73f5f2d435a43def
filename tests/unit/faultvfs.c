/*
 * faultvfs.c - SQLite VFS shim failing chosen xWrite/xSync/xOpen calls
 * (see faultvfs.h; SQLite's own test harness does the same in
 * src/test_vfs.c and test_devsym.c).
 *
 * Every sqlite3_file opened through the shim is a struct ffile: our
 * io_methods first, then the wrapped VFS's file (szOsFile bytes) right
 * after it. Each method forwards to the wrapped file; xWrite and xSync
 * first ask the injector. The io_methods version follows the wrapped
 * file's (unix files are version 3: WAL shared memory and mmap), and the
 * VFS methods other than xOpen forward unchanged.
 *
 * Threads: the injector state is atomics; the VFS object is written only
 * by faultvfs_register/unregister, before and after the code under test.
 */
#include "faultvfs.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <string.h>

struct fault {
    atomic_long calls;
    atomic_long nth; /* 0 = disarmed */
    atomic_long last;
    atomic_int rc;
    atomic_long failed;
};

static struct fault g_fault[FAULTVFS_OP_COUNT];
static sqlite3_vfs *g_real;
static sqlite3_vfs g_vfs;

struct ffile {
    sqlite3_file base;
    sqlite3_file *real;
};

static int injected(enum faultvfs_op op)
{
    struct fault *f = &g_fault[op];
    long n = atomic_fetch_add(&f->calls, 1) + 1;
    long nth = atomic_load(&f->nth);

    if (nth == 0 || n < nth || n > atomic_load(&f->last))
        return SQLITE_OK;
    atomic_fetch_add(&f->failed, 1);
    return atomic_load(&f->rc);
}

#define REAL(p) (((struct ffile *)(p))->real)

static int f_close(sqlite3_file *p)
{
    return REAL(p)->pMethods->xClose(REAL(p));
}

static int f_read(sqlite3_file *p, void *buf, int n, sqlite3_int64 off)
{
    return REAL(p)->pMethods->xRead(REAL(p), buf, n, off);
}

static int f_write(sqlite3_file *p, const void *buf, int n, sqlite3_int64 off)
{
    int rc = injected(FAULTVFS_WRITE);
    return rc != SQLITE_OK ? rc
                           : REAL(p)->pMethods->xWrite(REAL(p), buf, n, off);
}

static int f_truncate(sqlite3_file *p, sqlite3_int64 size)
{
    return REAL(p)->pMethods->xTruncate(REAL(p), size);
}

static int f_sync(sqlite3_file *p, int flags)
{
    int rc = injected(FAULTVFS_SYNC);
    return rc != SQLITE_OK ? rc : REAL(p)->pMethods->xSync(REAL(p), flags);
}

static int f_file_size(sqlite3_file *p, sqlite3_int64 *size)
{
    return REAL(p)->pMethods->xFileSize(REAL(p), size);
}

static int f_lock(sqlite3_file *p, int lock)
{
    return REAL(p)->pMethods->xLock(REAL(p), lock);
}

static int f_unlock(sqlite3_file *p, int lock)
{
    return REAL(p)->pMethods->xUnlock(REAL(p), lock);
}

static int f_check_reserved(sqlite3_file *p, int *out)
{
    return REAL(p)->pMethods->xCheckReservedLock(REAL(p), out);
}

static int f_file_control(sqlite3_file *p, int op, void *arg)
{
    return REAL(p)->pMethods->xFileControl(REAL(p), op, arg);
}

static int f_sector_size(sqlite3_file *p)
{
    return REAL(p)->pMethods->xSectorSize(REAL(p));
}

static int f_device_chars(sqlite3_file *p)
{
    return REAL(p)->pMethods->xDeviceCharacteristics(REAL(p));
}

static int f_shm_map(sqlite3_file *p, int pg, int sz, int extend,
                     void volatile **out)
{
    return REAL(p)->pMethods->xShmMap(REAL(p), pg, sz, extend, out);
}

static int f_shm_lock(sqlite3_file *p, int off, int n, int flags)
{
    return REAL(p)->pMethods->xShmLock(REAL(p), off, n, flags);
}

static void f_shm_barrier(sqlite3_file *p)
{
    REAL(p)->pMethods->xShmBarrier(REAL(p));
}

static int f_shm_unmap(sqlite3_file *p, int del)
{
    return REAL(p)->pMethods->xShmUnmap(REAL(p), del);
}

static int f_fetch(sqlite3_file *p, sqlite3_int64 off, int n, void **out)
{
    return REAL(p)->pMethods->xFetch(REAL(p), off, n, out);
}

static int f_unfetch(sqlite3_file *p, sqlite3_int64 off, void *ptr)
{
    return REAL(p)->pMethods->xUnfetch(REAL(p), off, ptr);
}

/* One table per io_methods version the wrapped VFS may hand out. */
static sqlite3_io_methods g_methods[4];

static void init_methods(void)
{
    for (int v = 1; v <= 3; v++) {
        sqlite3_io_methods m = {
            .iVersion = v,
            .xClose = f_close,
            .xRead = f_read,
            .xWrite = f_write,
            .xTruncate = f_truncate,
            .xSync = f_sync,
            .xFileSize = f_file_size,
            .xLock = f_lock,
            .xUnlock = f_unlock,
            .xCheckReservedLock = f_check_reserved,
            .xFileControl = f_file_control,
            .xSectorSize = f_sector_size,
            .xDeviceCharacteristics = f_device_chars,
        };
        if (v >= 2) {
            m.xShmMap = f_shm_map;
            m.xShmLock = f_shm_lock;
            m.xShmBarrier = f_shm_barrier;
            m.xShmUnmap = f_shm_unmap;
        }
        if (v >= 3) {
            m.xFetch = f_fetch;
            m.xUnfetch = f_unfetch;
        }
        g_methods[v] = m;
    }
}

static int f_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
                  int flags, int *out_flags)
{
    struct ffile *ff = (struct ffile *)file;
    int rc = injected(FAULTVFS_OPEN);

    (void)vfs;
    ff->base.pMethods = NULL;
    if (rc != SQLITE_OK)
        return rc;
    ff->real = (sqlite3_file *)(ff + 1);
    rc = g_real->xOpen(g_real, name, ff->real, flags, out_flags);
    if (rc != SQLITE_OK || !ff->real->pMethods)
        return rc;
    int v = ff->real->pMethods->iVersion;
    ff->base.pMethods = &g_methods[v < 1 ? 1 : v > 3 ? 3 : v];
    return SQLITE_OK;
}

static int f_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
    (void)vfs;
    return g_real->xDelete(g_real, name, sync);
}

static int f_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return g_real->xAccess(g_real, name, flags, out);
}

static int f_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return g_real->xFullPathname(g_real, name, n, out);
}

static int f_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return g_real->xRandomness(g_real, n, out);
}

static int f_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return g_real->xSleep(g_real, us);
}

static int f_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return g_real->xCurrentTime(g_real, out);
}

static int f_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return g_real->xGetLastError(g_real, n, out);
}

static int f_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return g_real->xCurrentTimeInt64(g_real, out);
}

int faultvfs_register(void)
{
    if (g_real)
        return sqlite3_vfs_register(&g_vfs, 1);
    g_real = sqlite3_vfs_find("unix");
    if (!g_real)
        g_real = sqlite3_vfs_find(NULL);
    if (!g_real)
        return SQLITE_ERROR;
    init_methods();
    memset(&g_vfs, 0, sizeof(g_vfs));
    g_vfs.iVersion = 2;
    g_vfs.szOsFile = (int)sizeof(struct ffile) + g_real->szOsFile;
    g_vfs.mxPathname = g_real->mxPathname;
    g_vfs.zName = "faultvfs";
    g_vfs.xOpen = f_open;
    g_vfs.xDelete = f_delete;
    g_vfs.xAccess = f_access;
    g_vfs.xFullPathname = f_full_pathname;
    g_vfs.xRandomness = f_randomness;
    g_vfs.xSleep = f_sleep;
    g_vfs.xCurrentTime = f_current_time;
    g_vfs.xGetLastError = f_last_error;
    g_vfs.xCurrentTimeInt64 = f_current_time64;
    faultvfs_clear();
    return sqlite3_vfs_register(&g_vfs, 1);
}

void faultvfs_unregister(void)
{
    faultvfs_clear();
    if (g_real) {
        sqlite3_vfs_unregister(&g_vfs);
        sqlite3_vfs_register(g_real, 1);
    }
}

void faultvfs_arm(enum faultvfs_op op, long nth, long count, int rc)
{
    struct fault *f = &g_fault[op];

    atomic_store(&f->nth, 0);
    atomic_store(&f->calls, 0);
    atomic_store(&f->failed, 0);
    atomic_store(&f->rc, rc);
    atomic_store(&f->last, count < 0 || nth > LONG_MAX - count
                               ? LONG_MAX
                               : nth + count - 1);
    atomic_store(&f->nth, nth < 1 ? 1 : nth);
}

void faultvfs_clear(void)
{
    for (int op = 0; op < FAULTVFS_OP_COUNT; op++) {
        atomic_store(&g_fault[op].nth, 0);
        atomic_store(&g_fault[op].calls, 0);
        atomic_store(&g_fault[op].failed, 0);
    }
}

long faultvfs_calls(enum faultvfs_op op)
{
    return atomic_load(&g_fault[op].calls);
}

long faultvfs_failed(enum faultvfs_op op)
{
    return atomic_load(&g_fault[op].failed);
}
