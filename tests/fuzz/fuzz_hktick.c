/*
 * fuzz_hktick.c - libFuzzer target: the HkTick message decoder
 * (pipeline/tick.c, pipeline_tick_decode), which hot-store runs on every
 * JetStream message, poison included.
 *
 * Oracles (abort on violation): a decoded message has market, symbol and
 * trading_day; encoding the decoded row and decoding that again gives the
 * same row, field by field (a decoded row is always re-encodable); no read
 * past the input (ASan, exact-size heap copy).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/tick.h"

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_row(const pipeline_row *a, const pipeline_row *b)
{
    return same_str(a->market, b->market) && same_str(a->symbol, b->symbol) &&
           a->ts_ms == b->ts_ms && a->has_price == b->has_price &&
           (!a->has_price || memcmp(&a->price, &b->price, 8) == 0) &&
           a->has_volume == b->has_volume &&
           (!a->has_volume || a->volume == b->volume) &&
           a->has_turnover == b->has_turnover &&
           (!a->has_turnover || memcmp(&a->turnover, &b->turnover, 8) == 0) &&
           same_str(a->direction, b->direction) && a->has_seq == b->has_seq &&
           (!a->has_seq || a->seq == b->seq) &&
           same_str(a->tick_type, b->tick_type) &&
           same_str(a->push_type, b->push_type) &&
           same_str(a->provider, b->provider) &&
           same_str(a->trading_day, b->trading_day) &&
           a->recv_ts_ms == b->recv_ts_ms &&
           a->inserted_at_ms == b->inserted_at_ms;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    pipeline_tick t, u;
    if (!p)
        return 0;
    memcpy(p, data, size);
    if (pipeline_tick_decode(p, size, &t) == 0) {
        const pipeline_row *r = &t.row;
        if (!r->market || !r->symbol || !r->trading_day)
            abort();
        size_t cap = size + 1024, n = 0;
        uint8_t *buf = malloc(cap);
        if (buf && pipeline_tick_encode(r, buf, cap, &n) == 0) {
            if (pipeline_tick_decode(buf, n, &u) != 0 || !same_row(r, &u.row))
                abort();
            pipeline_tick_free(&u);
        } else if (buf) {
            abort();
        }
        free(buf);
        pipeline_tick_free(&t);
    }
    free(p);
    return 0;
}
