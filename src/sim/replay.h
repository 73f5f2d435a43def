/*
 * replay.h - serve the rows of an existing day file (YYYYMMDD.db, `ticks`
 * table, compat.md §1.2) as the simulator's market instead of generated
 * ticks. Rows are read ordered by (ts_ms, seq) and stored into the market
 * (which pushes them and records them as ground truth) at `speed` times
 * real time, or as fast as the clients read with speed 0.
 */
#ifndef HK_SIM_REPLAY_H
#define HK_SIM_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/market.h"

#define REPLAY_E_DB (-5001)

typedef struct replay replay;

/*
 * Open path read-only and list its symbols. Returns 0 and *out (free with
 * replay_close) or REPLAY_E_DB with the SQLite reason in err.
 */
int replay_open(replay **out, const char *path, double speed, char *err,
                size_t errlen);
/* Distinct symbols of the file, sorted; valid until replay_close. */
void replay_symbols(const replay *r, const char *const **list, size_t *n);
/*
 * Store the rows that are due at monotonic time now_ms (the first call
 * anchors the schedule), at most max_rows. Rows of symbols unknown to the
 * market are skipped. Returns the number of rows stored, or REPLAY_E_DB.
 */
int replay_step(replay *r, market *m, int64_t now_ms, size_t max_rows);
/* True once every row has been stored. */
bool replay_done(const replay *r);
void replay_close(replay *r);

/* Enum of an SDK direction string (BUY 1, SELL 2, NEUTRAL 3, else 0). */
int replay_direction(const char *s);
/* Enum of an SDK TickerType string (AUTO_MATCH 1 ...); unknown/N/A 0. */
int replay_ticker_type(const char *s);

#endif
