/*
 * mapping.c - decode one Ticker into a row.
 */
#include "collector/mapping.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/hktime.h"
#include "common/log.h"

#define H2 (2LL * 3600 * 1000)
#define H8 (8LL * 3600 * 1000)
#define M30 (30LL * 60 * 1000)

int mapping_ticker(const QotCommon__Ticker *t, uint32_t sym, const char *symbol,
                   int market, int push_type, int64_t recv_ms, int64_t now_ms,
                   mapping_stats *st, row *out)
{
    enum hktime_zone zone = market == 11 ? HKTIME_ZONE_US : HKTIME_ZONE_HK;
    int64_t ts = 0;
    bool ok = false;

    if (t->time && t->time[0])
        ok = hktime_parse(t->time, strlen(t->time), zone, now_ms, &ts) == 0;
    if (!ok && t->has_timestamp && isfinite(t->timestamp) && t->timestamp > 0 &&
        t->timestamp < 1e11) {
        ts = (int64_t)llround(t->timestamp * 1000.0);
        ok = true;
    }
    if (!ok) {
        st->unparseable++;
        st->unparseable_since_log++;
        if (now_ms - st->last_unparseable_log_ms >= 60000) {
            char q[128];
            LOG(LOG_WARNING, LC_MAPPING,
                "tick_time_unparseable symbol=%s raw=%s count=%lld", symbol,
                log_quote(t->time, q, sizeof(q)),
                (long long)st->unparseable_since_log);
            st->last_unparseable_log_ms = now_ms;
            st->unparseable_since_log = 0;
        }
        return -1;
    }
    if (ts > now_ms + H2 && llabs(ts - now_ms - H8) <= M30) {
        int64_t raw = ts;
        ts -= H8;
        st->future_corrected++;
        st->future_since_log++;
        if (now_ms - st->last_future_log_ms >= 60000) {
            LOG(LOG_WARNING, LC_MAPPING,
                "ts_ms_future_offset_corrected raw_ts_ms=%lld "
                "corrected_ts_ms=%lld drift_ms=%lld count=%lld",
                (long long)raw, (long long)ts, (long long)(raw - now_ms),
                (long long)st->future_since_log);
            st->last_future_log_ms = now_ms;
            st->future_since_log = 0;
        }
    }
    memset(out, 0, sizeof(*out));
    out->ts_ms = ts;
    out->seq = t->sequence;
    out->volume = t->volume;
    out->recv_ts_ms = recv_ms;
    out->price = t->price;
    out->turnover = t->turnover;
    out->sym = sym;
    out->dir = (int8_t)(t->dir >= 0 && t->dir <= 3 ? t->dir : 0);
    out->tick_type = (int16_t)(t->has_type ? t->type : 0);
    out->push_type = (uint8_t)push_type;
    out->flags = ROW_HAS_SEQ | (t->has_type ? ROW_HAS_TYPE : 0);
    return 0;
}
