/*
 * tick.c - HkTick encode/decode, subject and Msg-Id of a ticks row.
 *
 * Encoding fills a stack Hk__HkTick whose strings borrow the row's
 * pointers and packs it into the caller's buffer: nothing is allocated,
 * so the publisher can call it per row. Decoding uses protobuf-c's
 * allocator (one allocation tree per message, freed by
 * pipeline_tick_free). Stateless and thread-safe.
 */
#include "pipeline/tick.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "HkTick.pb-c.h"

int pipeline_subject(const char *symbol, char *buf, size_t cap)
{
    const char *dot = strchr(symbol, '.');
    size_t o = 0;

    if (cap > 0)
        buf[0] = '\0';
    if (!dot || dot == symbol || !dot[1])
        return -EINVAL;
    for (const char *p = symbol; p < dot; p++) {
        if (o + 1 >= cap)
            return -ENOSPC;
        buf[o++] = (char)tolower((unsigned char)*p);
    }
    for (const char *p = ".tick."; *p; p++) {
        if (o + 1 >= cap)
            return -ENOSPC;
        buf[o++] = *p;
    }
    for (const char *p = dot + 1; *p; p++) {
        if (o + 1 >= cap)
            return -ENOSPC;
        buf[o++] = *p == '.' ? '_' : *p;
    }
    buf[o] = '\0';
    return 0;
}

int pipeline_msg_id(const pipeline_row *r, char *buf, size_t cap)
{
    char p[32] = "", v[32] = "", t[32] = "";
    int n;

    if (r->has_seq) {
        n = snprintf(buf, cap, "%s:%lld", r->symbol, (long long)r->seq);
    } else {
        if (r->has_price)
            snprintf(p, sizeof(p), "%.17g", r->price);
        if (r->has_volume)
            snprintf(v, sizeof(v), "%lld", (long long)r->volume);
        if (r->has_turnover)
            snprintf(t, sizeof(t), "%.17g", r->turnover);
        n = snprintf(buf, cap, "%s:t%lld:%s:%s:%s", r->symbol,
                     (long long)r->ts_ms, p, v, t);
    }
    return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

/* protobuf-c wants char * for strings it only reads when packing. */
static char *unconst(const char *s)
{
    return (char *)(uintptr_t)s;
}

int pipeline_tick_encode(const pipeline_row *r, uint8_t *buf, size_t cap,
                         size_t *len)
{
    Hk__HkTick m = HK__HK_TICK__INIT;
    size_t need;

    if (!r->market || !r->symbol || !r->trading_day)
        return -EINVAL;
    m.version = PIPELINE_TICK_VERSION;
    m.market = unconst(r->market);
    m.symbol = unconst(r->symbol);
    m.ts_ms = r->ts_ms;
    m.has_price = r->has_price;
    m.price = r->price;
    m.has_volume = r->has_volume;
    m.volume = r->volume;
    m.has_turnover = r->has_turnover;
    m.turnover = r->turnover;
    m.direction = unconst(r->direction);
    m.has_seq = r->has_seq;
    m.seq = r->seq;
    m.tick_type = unconst(r->tick_type);
    m.push_type = unconst(r->push_type);
    m.provider = unconst(r->provider);
    m.trading_day = unconst(r->trading_day);
    m.recv_ts_ms = r->recv_ts_ms;
    m.inserted_at_ms = r->inserted_at_ms;
    need = hk__hk_tick__get_packed_size(&m);
    if (need > cap)
        return -ENOSPC;
    *len = hk__hk_tick__pack(&m, buf);
    return 0;
}

int pipeline_tick_decode(const uint8_t *buf, size_t len, pipeline_tick *t)
{
    Hk__HkTick *m = hk__hk_tick__unpack(NULL, len, buf);
    pipeline_row *r = &t->row;

    memset(t, 0, sizeof(*t));
    if (!m)
        return -EBADMSG;
    t->msg = m;
    t->version = m->version;
    r->market = m->market;
    r->symbol = m->symbol;
    r->ts_ms = m->ts_ms;
    r->has_price = m->has_price;
    r->price = m->price;
    r->has_volume = m->has_volume;
    r->volume = m->volume;
    r->has_turnover = m->has_turnover;
    r->turnover = m->turnover;
    r->direction = m->direction;
    r->has_seq = m->has_seq;
    r->seq = m->seq;
    r->tick_type = m->tick_type;
    r->push_type = m->push_type;
    r->provider = m->provider;
    r->trading_day = m->trading_day;
    r->recv_ts_ms = m->recv_ts_ms;
    r->inserted_at_ms = m->inserted_at_ms;
    return 0;
}

void pipeline_tick_free(pipeline_tick *t)
{
    if (t->msg)
        hk__hk_tick__free_unpacked(t->msg, NULL);
    memset(t, 0, sizeof(*t));
}
