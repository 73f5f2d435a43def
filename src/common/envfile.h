/*
 * envfile.h - systemd EnvironmentFile-style KEY=VALUE files.
 *
 * Syntax (compat.md §2.1): one KEY=VALUE per line; blank lines and lines
 * starting with '#' are skipped; key and value are trimmed; an optional
 * "export " prefix is dropped; one pair of surrounding ' or " quotes is
 * stripped; no variable expansion. Used by the collector, the CLI and tests.
 *
 * Every file read here (env, config and secret files) must be a regular
 * file of at most ENVFILE_MAX_BYTES: a device, FIFO, socket or directory is
 * refused without blocking, and a file that is or grows too large is
 * refused without reading more than the limit. A NUL byte inside a line is
 * an error naming the line, never a silent truncation.
 */
#ifndef HK_COMMON_ENVFILE_H
#define HK_COMMON_ENVFILE_H

#include <stddef.h>

/* Largest env, config or secret file accepted (1 MiB). */
#define ENVFILE_MAX_BYTES (1024 * 1024)

/*
 * Called once per pair; key and value are NUL-terminated and valid only for
 * the duration of the call. Return non-zero to stop reading.
 */
typedef int (*envfile_cb)(const char *key, const char *value, void *ud);

/*
 * Read path and call cb for each pair, in file order. Returns 0, or:
 * -errno when the file cannot be opened or read; -EISDIR for a directory;
 * -EINVAL for anything else that is not a regular file; -EFBIG when it is
 * larger than ENVFILE_MAX_BYTES; -EILSEQ for a NUL byte in a line (no pair
 * at all is delivered); or the callback's non-zero value.
 * When err is not NULL it receives a one-line reason for every negative
 * return that names the problem (and the line for -EILSEQ), e.g.
 * "not a regular file (directory)" or "NUL byte at line 3"; the caller
 * adds the path. Lines without '=' or with an invalid key are reported
 * through bad_line (line number, may be NULL) and skipped.
 */
int envfile_read_err(const char *path, envfile_cb cb, void *ud,
                     void (*bad_line)(int lineno, void *ud), char *err,
                     size_t errlen);

/* envfile_read_err without the reason text (kept for older callers). */
int envfile_read(const char *path, envfile_cb cb, void *ud,
                 void (*bad_line)(int lineno, void *ud));

/*
 * Read the whole regular file path (at most max bytes, max <=
 * ENVFILE_MAX_BYTES) into a new NUL-terminated buffer. Returns 0 with
 * *out (caller frees) and *len set, or a negative code as for
 * envfile_read_err (-EFBIG when the file holds more than max bytes) with a
 * reason in err; *out is NULL on failure. Never blocks on a FIFO.
 */
int envfile_slurp(const char *path, size_t max, char **out, size_t *len,
                  char *err, size_t errlen);

#endif
