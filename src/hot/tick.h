/*
 * tick.h - hot-store's decoding of one JetStream message body (protobuf
 * hk.HkTick, src/proto/HkTick.proto) straight into RowBinary.
 *
 * Private to hot-store until the shared src/pipeline/ decoder (owned by
 * the publisher's change) is on main; then hot_tick_append becomes a thin
 * wrapper over pipeline_tick_decode.
 */
#ifndef HK_HOT_TICK_H
#define HK_HOT_TICK_H

#include <stddef.h>
#include <stdint.h>

#include "clickhouse/rowbin.h"

/*
 * Decode len bytes of HkTick and append the row to b in RowBinary.
 * Returns 0 (with the row's ts_ms in *ts_ms), -EBADMSG when the bytes are
 * not an HkTick, a version this build does not know (0), or a row no
 * table can hold (bad trading_day, market or symbol empty) — a poison
 * message; -ENOMEM when b cannot grow. b is unchanged on failure.
 */
int hot_tick_append(ch_buf *b, const uint8_t *data, size_t len, int64_t *ts_ms);

#endif
