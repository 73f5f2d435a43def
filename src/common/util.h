/*
 * util.h - small helpers every program needs once: bounded formatting that
 * reports truncation, complete writes, file sizes.
 */
#ifndef HK_COMMON_UTIL_H
#define HK_COMMON_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * snprintf into buf (cap bytes) that says whether everything fit.
 * Returns 0, or -1 when the output was truncated or the format failed; buf
 * is NUL-terminated in every case when cap > 0 (then holding the truncated
 * text). Callers with paths check it; callers formatting display text may
 * ignore it.
 */
int util_fmt(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Write all n bytes of buf to fd, retrying short writes and EINTR.
 * Returns 0, or -errno of the failed write(2) (some bytes may then have
 * been written).
 */
int util_write_all(int fd, const void *buf, size_t n);
/* The same with pwrite(2) at offset off (the file offset is unchanged),
 * through sys_pwrite so tests can fail it (common/sys.h). */
int util_pwrite_all(int fd, const void *buf, size_t n, off_t off);

/*
 * Replace path with the n bytes at data, durably: written to "path.tmp",
 * fsync'ed, renamed over path, then the directory fsync'ed, so after a
 * crash path holds either the old or the new content, never a mix.
 * Returns 0, or -errno of the failing step (path then still holds the old
 * content; the .tmp file is removed).
 */
int util_write_file_atomic(const char *path, const void *data, size_t n);

/*
 * fsync the directory that holds path (what makes a rename or a create in
 * it durable). Returns 0 or -errno.
 */
int util_fsync_parent(const char *path);

/*
 * Size of path in bytes (stat(2), following links) into *size. Returns 0,
 * or -errno when it cannot be stat'ed (*size is then 0).
 */
int util_file_size(const char *path, int64_t *size);

#endif
