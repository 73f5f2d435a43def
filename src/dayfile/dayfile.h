/*
 * dayfile.h - one trading day's SQLite file (DATA_ROOT/YYYYMMDD.db): its
 * schema (compat.md §1.2 DDL text and user_version), its name, and the one
 * read-only open every program uses.
 *
 * This library depends on SQLite (and jansson for the manifest) only, so
 * the collector, the CLI, the simulator and later programs can link it
 * without each other. Nothing here keeps state between calls.
 */
#ifndef HK_DAYFILE_DAYFILE_H
#define HK_DAYFILE_DAYFILE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

/* PRAGMA user_version a writer sets on the files it creates or upgrades. */
#define DAYFILE_USER_VERSION 4

/* One schema object: its sqlite_master name and its exact CREATE text. */
typedef struct dayfile_ddl {
    const char *name;
    const char *sql;
} dayfile_ddl;

/* The compat schema in creation order (ticks, its indexes, gaps,
 * daily_quality); dayfile_schema_len entries. Static storage. */
extern const dayfile_ddl dayfile_schema[];
extern const size_t dayfile_schema_len;

/*
 * Create every missing schema object (compat DDL, then hk_symbol_totals,
 * seeded once from ticks when it is new) in one BEGIN IMMEDIATE
 * transaction. A file that already has everything is only read, so no
 * write lock is taken. Returns SQLITE_OK or an SQLite result code; on
 * failure the transaction is rolled back and the file is unchanged.
 */
int dayfile_schema_ensure(sqlite3 *db);

/*
 * "<data_root>/<YYYYMMDD>.db" into buf. Returns 0, or -1 when buf (cap
 * bytes) is too small (buf then holds a truncated string).
 */
int dayfile_path(const char *data_root, int day, char *buf, size_t cap);

/*
 * Day of a day-file name: "YYYYMMDD.db", optionally after a directory
 * ("/data/20260105.db"). The date must exist in the Gregorian calendar.
 * Returns 0 and *day (YYYYMMDD as an int), or -1 (day untouched).
 */
int dayfile_parse_name(const char *name, int *day);

/* dayfile_open_ro flag: the file is a private copy no process writes
 * (a decompressed archive, a backup): always open it immutable. */
#define DAYFILE_RO_PRIVATE 1u

/*
 * THE read-only open: "file:<path>?mode=ro" as a URI (path
 * percent-encoded). A WAL-mode file with neither -wal nor -shm beside it is
 * idle and holds everything in the main file; it gets "&immutable=1" so
 * SQLite does not create (and leave behind, owned by the caller's user)
 * -wal and -shm. Busy timeout 5 s. Never creates any file.
 * Returns SQLITE_OK and *db, or an SQLite code; *db may then be non-NULL
 * and must still be closed with sqlite3_close (the caller owns it always).
 */
int dayfile_open_ro(const char *path, unsigned flags, sqlite3 **db);

/* Whether db has a table called name (false on any error). */
bool dayfile_has_table(sqlite3 *db, const char *name);

#endif
