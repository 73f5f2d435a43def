/*
 * tick.c - HkTick bytes -> RowBinary row (contract in tick.h).
 *
 * protobuf-c unpacks into a heap message; its strings are borrowed by the
 * ch_tick_row only while ch_rowbin_tick copies them into the batch
 * buffer, then the message is freed. proto2 "optional" fields carry
 * has_* flags for numbers and NULL pointers for absent strings, which is
 * exactly SQL NULL. Later versions (> 1) keep fields 1..15 and may add
 * more; unknown fields are skipped by protobuf-c, so they are accepted.
 */
#include "hot/tick.h"

#include <errno.h>

#include "HkTick.pb-c.h"

int hot_tick_append(ch_buf *b, const uint8_t *data, size_t len, int64_t *ts_ms)
{
    Hk__HkTick *m = hk__hk_tick__unpack(NULL, len, data);
    if (!m)
        return -EBADMSG;
    ch_tick_row r = {
        .market = m->market,
        .symbol = m->symbol,
        .ts_ms = m->ts_ms,
        .has_price = m->has_price,
        .price = m->price,
        .has_volume = m->has_volume,
        .volume = m->volume,
        .has_turnover = m->has_turnover,
        .turnover = m->turnover,
        .direction = m->direction,
        .has_seq = m->has_seq,
        .seq = m->seq,
        .tick_type = m->tick_type,
        .push_type = m->push_type,
        .provider = m->provider,
        .recv_ts_ms = m->recv_ts_ms,
        .inserted_at_ms = m->inserted_at_ms,
    };
    int rc = 0;
    if (m->version == 0 || !m->market || !m->market[0] || !m->symbol ||
        !m->symbol[0] ||
        ch_date_from_yyyymmdd(m->trading_day, &r.trading_day) != 0)
        rc = -EBADMSG;
    if (rc == 0)
        rc = ch_rowbin_tick(b, &r);
    if (rc == 0)
        *ts_ms = m->ts_ms;
    hk__hk_tick__free_unpacked(m, NULL);
    return rc;
}
