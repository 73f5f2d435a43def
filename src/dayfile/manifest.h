/*
 * manifest.h - the archive manifest <archive_dir>/manifest/<day>.json
 * (compat.md §9.1): what `hk-tickctl archive` wrote and verified, read back
 * by retention, restore and later by the cold archive.
 */
#ifndef HK_DAYFILE_MANIFEST_H
#define HK_DAYFILE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define DAYFILE_MANIFEST_PATH_MAX 4352

/*
 * The manifest's fields, in the order they are written. verify_details and
 * quality_summary are JSON objects the struct owns (one reference each,
 * released by dayfile_manifest_free; NULL writes {}).
 */
typedef struct dayfile_manifest {
    char trading_day[9];
    int64_t created_at_ms;
    char host[256];
    char collector_version[64];
    char source_db[DAYFILE_MANIFEST_PATH_MAX];
    char archive_file[DAYFILE_MANIFEST_PATH_MAX];
    int64_t archive_size_bytes;
    char checksum_sha256[65];
    char compression[16];
    bool verify_enabled;
    bool verify_ok;
    json_t *verify_details;
    json_t *quality_summary;
} dayfile_manifest;

/* "<archive_dir>/manifest/<YYYYMMDD>.json". Returns 0 or -1 if too long. */
int dayfile_manifest_path(const char *archive_dir, int day, char *buf,
                          size_t cap);

/*
 * Write m to path: JSON with 2-space indent, keys in the order above,
 * trailing newline, through "<path>.tmp.<pid>" and rename (the directory
 * must exist). Returns 0, or -1 with errno set (no file left at path's
 * temporary name; an existing path is unchanged).
 */
int dayfile_manifest_write(const char *path, const dayfile_manifest *m);

/*
 * Read path into *m (zeroed first; missing or mistyped keys stay zero /
 * empty / NULL). Returns 0, or -1 when the file is missing or not a JSON
 * object (*m then zeroed, nothing to free). On success the caller frees
 * with dayfile_manifest_free.
 */
int dayfile_manifest_read(const char *path, dayfile_manifest *m);

/*
 * Rows the manifest vouches for: verify_details.ticks_count when present
 * (with *max_ts and *has_max from verify_details.max_ts_ms), else
 * quality_summary.total_rows (*has_max false). Returns 0 and *rows, or -1
 * when the manifest says neither.
 */
int dayfile_manifest_rows(const dayfile_manifest *m, int64_t *rows,
                          int64_t *max_ts, bool *has_max);

/* Release the JSON members; m may be reused after. */
void dayfile_manifest_free(dayfile_manifest *m);

#endif
