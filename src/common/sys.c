/*
 * sys.c - the system-call table and its fault injector (see sys.h).
 *
 * One table of function pointers (g_sys) starts as the libc functions;
 * tests replace entries with sys_table_set. Per call there is one fault
 * slot {calls, nth, last, err, failed}, all atomics: each wrapper bumps
 * `calls` and fails with `err` when the new count is within [nth, last].
 * Nothing here allocates or locks, so the wrappers cost one atomic
 * increment and one indirect call over libc.
 *
 * Threads: any thread may call the wrappers and the injector; the table
 * itself is written only by sys_table_set/sys_fault_clear, which callers
 * run before starting threads (documented in sys.h).
 */
#include "common/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int libc_open(const char *path, int flags, mode_t mode)
{
    return open(path, flags, mode);
}

#define LIBC_TABLE                                                             \
    {                                                                          \
        .open = libc_open, .read = read, .pread = pread, .pwrite = pwrite,     \
        .fsync = fsync, .fdatasync = fdatasync, .ftruncate = ftruncate,        \
        .rename = rename, .mkdir = mkdir,                                      \
    }

static const sys_table libc_table = LIBC_TABLE;
static sys_table g_sys = LIBC_TABLE;

struct fault {
    atomic_long calls;
    atomic_long nth;  /* 0 = disarmed */
    atomic_long last; /* LONG_MAX = forever */
    atomic_int err;
    atomic_long failed;
};

static struct fault g_fault[SYS_CALL_COUNT];

/* Count one call; true (errno set) when the injector fails it. */
static int injected(enum sys_call c)
{
    struct fault *f = &g_fault[c];
    long n = atomic_fetch_add(&f->calls, 1) + 1;
    long nth = atomic_load(&f->nth);

    if (nth == 0 || n < nth || n > atomic_load(&f->last))
        return 0;
    atomic_fetch_add(&f->failed, 1);
    errno = atomic_load(&f->err);
    return 1;
}

int sys_open(const char *path, int flags, mode_t mode)
{
    return injected(SYS_OPEN) ? -1 : g_sys.open(path, flags, mode);
}

ssize_t sys_read(int fd, void *buf, size_t n)
{
    return injected(SYS_READ) ? -1 : g_sys.read(fd, buf, n);
}

ssize_t sys_pread(int fd, void *buf, size_t n, off_t off)
{
    return injected(SYS_PREAD) ? -1 : g_sys.pread(fd, buf, n, off);
}

ssize_t sys_pwrite(int fd, const void *buf, size_t n, off_t off)
{
    return injected(SYS_PWRITE) ? -1 : g_sys.pwrite(fd, buf, n, off);
}

int sys_fsync(int fd)
{
    return injected(SYS_FSYNC) ? -1 : g_sys.fsync(fd);
}

int sys_fdatasync(int fd)
{
    return injected(SYS_FDATASYNC) ? -1 : g_sys.fdatasync(fd);
}

int sys_ftruncate(int fd, off_t len)
{
    return injected(SYS_FTRUNCATE) ? -1 : g_sys.ftruncate(fd, len);
}

int sys_rename(const char *from, const char *to)
{
    return injected(SYS_RENAME) ? -1 : g_sys.rename(from, to);
}

int sys_mkdir(const char *path, mode_t mode)
{
    return injected(SYS_MKDIR) ? -1 : g_sys.mkdir(path, mode);
}

void sys_table_get(sys_table *out)
{
    *out = g_sys;
}

void sys_table_set(const sys_table *t)
{
    sys_table n = *t;
#define KEEP(f)                                                                \
    if (!n.f)                                                                  \
    n.f = libc_table.f
    KEEP(open);
    KEEP(read);
    KEEP(pread);
    KEEP(pwrite);
    KEEP(fsync);
    KEEP(fdatasync);
    KEEP(ftruncate);
    KEEP(rename);
    KEEP(mkdir);
#undef KEEP
    g_sys = n;
}

int sys_fault_arm(enum sys_call call, long nth, long count, int err)
{
    struct fault *f;

    if ((int)call < 0 || call >= SYS_CALL_COUNT || nth < 1 || err <= 0 ||
        count == 0 || count < -1)
        return -EINVAL;
    f = &g_fault[call];
    atomic_store(&f->nth, 0); /* disarm while the fields change */
    atomic_store(&f->calls, 0);
    atomic_store(&f->failed, 0);
    atomic_store(&f->err, err);
    atomic_store(&f->last, count < 0 || nth > LONG_MAX - count
                               ? LONG_MAX
                               : nth + count - 1);
    atomic_store(&f->nth, nth);
    return 0;
}

void sys_fault_clear(void)
{
    for (int c = 0; c < SYS_CALL_COUNT; c++) {
        atomic_store(&g_fault[c].nth, 0);
        atomic_store(&g_fault[c].calls, 0);
        atomic_store(&g_fault[c].failed, 0);
    }
    g_sys = libc_table;
}

long sys_fault_calls(enum sys_call call)
{
    return atomic_load(&g_fault[call].calls);
}

long sys_fault_failed(enum sys_call call)
{
    return atomic_load(&g_fault[call].failed);
}
