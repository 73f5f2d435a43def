/*
 * mapping.h - Ticker message -> row (compat.md §1.4, §1.5).
 *
 * ts_ms comes from the time string in the market's zone (HK/SH/SZ: UTC+8,
 * US: New York), else from round(timestamp x 1000); with neither the tick
 * is dropped and counted (tick_time_unparseable). The future guard moves a
 * ts_ms that is ~8 h ahead of now back by 8 h (a naive-UTC upstream).
 */
#ifndef HK_COLLECTOR_MAPPING_H
#define HK_COLLECTOR_MAPPING_H

#include <stdint.h>

#include "collector/row.h"
#include "opend/msg.h"

typedef struct mapping_stats {
    int64_t unparseable;
    int64_t future_corrected;
    int64_t last_future_log_ms; /* wall ms of the last guard log line */
    int64_t future_since_log;
    int64_t last_unparseable_log_ms;
    int64_t unparseable_since_log;
} mapping_stats;

/*
 * Map t into *out. Returns 0, or -1 when the tick has no usable time (out
 * untouched; counted and logged at most once a minute).
 */
int mapping_ticker(const QotCommon__Ticker *t, uint32_t sym, const char *symbol,
                   int market, int push_type, int64_t recv_ms, int64_t now_ms,
                   mapping_stats *st, row *out);

#endif
