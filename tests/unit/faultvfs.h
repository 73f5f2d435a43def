/*
 * faultvfs.h - a SQLite VFS shim for tests that fail chosen I/O calls.
 *
 * faultvfs_register() wraps the default VFS (unix) in a VFS named
 * "faultvfs" and makes it the process default, so every connection the
 * code under test opens with a NULL VFS name goes through it (the writer's
 * store needs no change). Tests reading results back should open with the
 * VFS name "unix" so their own I/O is never counted or failed.
 *
 * faultvfs_arm(FAULTVFS_WRITE, 3, 1, SQLITE_FULL) makes the 3rd xWrite
 * counted from the arm (on any file: database, WAL, journal) return
 * SQLITE_FULL without writing; count -1 fails every call from the nth on.
 * FAULTVFS_SYNC fails xSync, FAULTVFS_OPEN fails xOpen (SQLITE_CANTOPEN
 * is what SQLite expects there, but any code is returned as given).
 * Counters are atomics: the writer thread may do I/O while the test
 * thread arms or reads them.
 */
#ifndef HK_TESTS_FAULTVFS_H
#define HK_TESTS_FAULTVFS_H

enum faultvfs_op {
    FAULTVFS_WRITE = 0,
    FAULTVFS_SYNC,
    FAULTVFS_OPEN,
    FAULTVFS_OP_COUNT,
};

/* Register "faultvfs" as the default VFS. Returns SQLITE_OK or an error. */
int faultvfs_register(void);
/* Restore the wrapped VFS as the default and disarm everything. */
void faultvfs_unregister(void);
/* Fail calls nth .. nth+count-1 of op (1-based, from now) with rc. */
void faultvfs_arm(enum faultvfs_op op, long nth, long count, int rc);
/* Disarm every op and reset the counters. */
void faultvfs_clear(void);
/* Calls of op since the last arm/clear, and how many of them failed. */
long faultvfs_calls(enum faultvfs_op op);
long faultvfs_failed(enum faultvfs_op op);

#endif
