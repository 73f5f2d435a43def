/*
 * sys.h - the system calls of the file paths that must survive I/O
 * failure (the spool), behind a table of function pointers that tests can
 * replace or arm to fail (STYLE rule 18; SQLite src/os_unix.c aSyscall[]).
 *
 * Production code calls sys_pwrite(), sys_fdatasync(), ... exactly as it
 * would call pwrite(), fdatasync(): same arguments, same return value,
 * errno set on failure. Each wrapper first checks the fault injector, then
 * calls the table's pointer (the libc function unless a test replaced it).
 *
 * Fault injector: sys_fault_arm(SYS_PWRITE, 3, 2, ENOSPC) makes the 3rd
 * and 4th sys_pwrite calls counted from the arm fail with -1 / ENOSPC
 * without calling the real function; count -1 fails every call from the
 * nth on. sys_fault_clear() disarms everything and restores the table.
 * Counters and the injector are atomics, so the event and writer threads
 * may both go through the wrappers while a test thread arms a fault.
 * sys_table_set() is not synchronised: call it before threads start.
 */
#ifndef HK_COMMON_SYS_H
#define HK_COMMON_SYS_H

#include <stddef.h>
#include <sys/types.h>

enum sys_call {
    SYS_OPEN = 0,
    SYS_READ,
    SYS_PREAD,
    SYS_PWRITE,
    SYS_FSYNC,
    SYS_FDATASYNC,
    SYS_FTRUNCATE,
    SYS_RENAME,
    SYS_MKDIR,
    SYS_CALL_COUNT,
};

/* The replaceable functions; every field is the libc function by default. */
typedef struct sys_table {
    int (*open)(const char *path, int flags, mode_t mode);
    ssize_t (*read)(int fd, void *buf, size_t n);
    ssize_t (*pread)(int fd, void *buf, size_t n, off_t off);
    ssize_t (*pwrite)(int fd, const void *buf, size_t n, off_t off);
    int (*fsync)(int fd);
    int (*fdatasync)(int fd);
    int (*ftruncate)(int fd, off_t len);
    int (*rename)(const char *from, const char *to);
    int (*mkdir)(const char *path, mode_t mode);
} sys_table;

/* Wrappers: the libc contract (return value, errno) of the same name. */
int sys_open(const char *path, int flags, mode_t mode);
ssize_t sys_read(int fd, void *buf, size_t n);
ssize_t sys_pread(int fd, void *buf, size_t n, off_t off);
ssize_t sys_pwrite(int fd, const void *buf, size_t n, off_t off);
int sys_fsync(int fd);
int sys_fdatasync(int fd);
int sys_ftruncate(int fd, off_t len);
int sys_rename(const char *from, const char *to);
int sys_mkdir(const char *path, mode_t mode);

/* Copy the current table into *out (tests: change a field, set it back). */
void sys_table_get(sys_table *out);
/* Install *t; a NULL field keeps the libc function. Not thread-safe. */
void sys_table_set(const sys_table *t);

/*
 * Fail calls nth .. nth+count-1 of `call` (1-based, counted from now) with
 * errno err; count -1 = every call from the nth on. Replaces an earlier
 * arm of the same call. Returns 0, or -EINVAL for a bad call/nth/err.
 */
int sys_fault_arm(enum sys_call call, long nth, long count, int err);
/* Disarm every fault, reset the counters and restore the libc table. */
void sys_fault_clear(void);
/* Calls of `call` since the last arm/clear, failed ones included. */
long sys_fault_calls(enum sys_call call);
/* Calls of `call` the injector failed since the last arm/clear. */
long sys_fault_failed(enum sys_call call);

#endif
