/*
 * truth.h - ground-truth CSV of every tick the simulator produced.
 *
 *   symbol,seq,time,ts_ms,price,volume,turnover,direction,tick_type
 *   HK.00700,7257436441708356763,2024-03-01 10:00:00.123,1709258400123,
 *     380.19999999999999,100,38020,BUY,AUTO_MATCH            (one line)
 *
 * time is the HK wall-clock string sent to clients, ts_ms its UTC epoch ms
 * (both after --time-offset-sec); price and turnover use %.17g so they
 * parse back to the identical double; direction and tick_type are the SDK
 * strings (BUY/SELL/NEUTRAL/N/A, AUTO_MATCH/ODD_LOT/AUCTION/...).
 */
#ifndef HK_SIM_TRUTH_H
#define HK_SIM_TRUTH_H

#include <stddef.h>
#include <stdint.h>

#include "sim/market.h"

typedef struct truth truth;

/*
 * Create (truncate) path and write the header. Returns 0 and *out (free
 * with truth_close) or -errno with a reason in err.
 */
int truth_open(truth **out, const char *path, char *err, size_t errlen);
/* Append one row to the buffer (written out when the buffer fills).
 * Returns 0 or -errno if a write failed (the row is kept buffered). */
int truth_add(truth *t, const char *symbol, const market_tick *k);
/* Write every buffered row to the file. Returns 0 or -errno. */
int truth_flush(truth *t);
/* Flush, then copy the whole file to dest atomically (dest.tmp + rename).
 * Returns 0 or -errno. */
int truth_copy(truth *t, const char *dest);
/* Rows added so far. */
uint64_t truth_rows(const truth *t);
/* Flush, close and free (NULL is ignored). Returns the flush result. */
int truth_close(truth *t);

#endif
