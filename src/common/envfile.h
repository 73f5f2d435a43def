/*
 * envfile.h - systemd EnvironmentFile-style KEY=VALUE files.
 *
 * Syntax (compat.md §2.1): one KEY=VALUE per line; blank lines and lines
 * starting with '#' are skipped; key and value are trimmed; an optional
 * "export " prefix is dropped; one pair of surrounding ' or " quotes is
 * stripped; no variable expansion. Used by the collector, the CLI and tests.
 */
#ifndef HK_COMMON_ENVFILE_H
#define HK_COMMON_ENVFILE_H

#include <stddef.h>

/*
 * Called once per pair; key and value are NUL-terminated and valid only for
 * the duration of the call. Return non-zero to stop reading.
 */
typedef int (*envfile_cb)(const char *key, const char *value, void *ud);

/*
 * Read path and call cb for each pair, in file order. Returns 0, -errno when
 * the file cannot be opened or read, or the callback's non-zero value.
 * Lines without '=' or with an invalid key are reported through bad_line
 * (line number, may be NULL) and skipped.
 */
int envfile_read(const char *path, envfile_cb cb, void *ud,
                 void (*bad_line)(int lineno, void *ud));

#endif
