/*
 * state.h - cold-store's durable watermark: what is verified in cold.
 *
 * One entry per trading day cold-store has dealt with:
 *   closed day  - verified whole: cold FINAL holds every row hot had when
 *                 the hot partition's newest block was max_block; a later
 *                 insert into hot raises max_block and the day is copied
 *                 and verified again.
 *   open day    - today (or later): rows with ts_ms < upto_ts_ms are
 *                 verified in cold (rolling window); the day becomes
 *                 closed once the HK date moves past it.
 *   dropped     - the hot partition was dropped after verification (hot
 *                 retention); rows that show up in hot for it later are
 *                 appended to cold, never replacing what cold holds.
 *
 * File: COLD_STATE_DIR/watermark.json, replaced atomically and fsync'ed
 * (util_write_file_atomic), so a crash leaves the old or the new file:
 *   {"version":1,"days":[
 *    {"day":20240102,"closed":true,"dropped":false,"rows":812,
 *     "max_block":17,"upto_ts_ms":0},
 *    ...]}
 * Days are kept sorted ascending. A file that cannot be read as this is
 * "corrupt": the caller moves it aside and starts empty (see cold_repl).
 */
#ifndef HK_COLD_STATE_H
#define HK_COLD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cold_day {
    int day;            /* YYYYMMDD */
    bool closed;        /* verified as a whole (see above) */
    bool dropped;       /* hot partition dropped after verification */
    int64_t rows;       /* rows verified in cold FINAL (open: ts < upto) */
    int64_t max_block;  /* closed: hot's max_block_number when verified */
    int64_t upto_ts_ms; /* open: rows below this ts_ms are verified */
    int mismatches;     /* consecutive failed checks (not saved) */
} cold_day;

typedef struct cold_state {
    cold_day *days; /* sorted by day, ascending */
    size_t n, cap;
} cold_state;

/*
 * Read dir/watermark.json into s (which must be zeroed). Returns 0 (s
 * filled), 1 when the file does not exist (s empty), -EBADMSG when it is
 * not a watermark file (err says why; s empty), or another -errno when it
 * cannot be read.
 */
int cold_state_load(cold_state *s, const char *dir, char *err, size_t errlen);

/* Write s to dir/watermark.json atomically. Returns 0 or -errno (the old
 * file is then intact). */
int cold_state_save(const cold_state *s, const char *dir);

/*
 * The entry of day, or NULL when there is none and create is false. With
 * create, a zeroed entry is inserted in order (NULL only out of memory).
 * Pointers are valid until the next create.
 */
cold_day *cold_state_day(cold_state *s, int day, bool create);

/* Free the entries; s is empty afterwards. */
void cold_state_free(cold_state *s);

#endif
