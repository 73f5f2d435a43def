/*
 * test_msg.c - unit tests for opend/msg.c (protobuf-c glue, arena, SDK
 * display strings).
 *
 * Known answers come from tests/data/opend-vectors.json (sections packets,
 * wire_values, encrypted_packets), found through $HK_VECTORS or the
 * repository relative default; the group setup loads it once and hands the
 * jansson root to every test as its state.
 *
 * Coverage: every plaintext packet decodes with the descriptor its
 * direction picks (client->server: request; server->client and pushes:
 * response) and re-encodes to the same body and packet bytes; the field
 * values that matter for tick collection are checked one by one, and the
 * ticker vectors' `sdk_view` rows are rebuilt through the msg_*_str
 * functions; every wire_values entry is decoded from a synthetic message;
 * decoder tolerance (any field order, last value wins, packed repeated
 * scalars, unknown fields of every wire type); invalid bodies (truncated,
 * malformed, missing required fields) give NULL; the arena stops growing
 * after warm-up (chunk chain inspected through opend_msg_arena.head).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vectors.h"
#include <jansson.h>

#include "opend/crypto.h"
#include "opend/frame.h"
#include "opend/msg.h"

/* ---------------------------------------------------------------- helpers */

static const json_t *find_vector(void **state, const char *name)
{
    const json_t *arr = jsection(state, "packets");
    size_t i;
    json_t *e;

    json_array_foreach(arr, i, e)
    {
        if (strcmp(jstr(e, "name"), name) == 0)
            return e;
    }
    fail_msg("no packet vector \"%s\"", name);
    return NULL;
}

static uint32_t jproto(const json_t *e)
{
    return (uint32_t)json_integer_value(json_object_get(e, "proto_id"));
}

static uint32_t jserial(const json_t *e)
{
    return (uint32_t)json_integer_value(json_object_get(e, "serial_no"));
}

/* Requests go client -> server; responses and pushes the other way. */
static const ProtobufCMessageDescriptor *desc_for(const json_t *e)
{
    const char *dir = jstr(e, "direction");

    if (strncmp(dir, "client->server", 14) == 0)
        return opend_msg_request_desc(jproto(e));
    return opend_msg_response_desc(jproto(e));
}

static void assert_bytes(const char *what, const uint8_t *got, size_t glen,
                         const uint8_t *want, size_t wlen)
{
    if (glen != wlen)
        fail_msg("%s: length %zu, want %zu", what, glen, wlen);
    for (size_t i = 0; i < wlen; i++)
        if (got[i] != want[i])
            fail_msg("%s: byte %zu is %02x, want %02x", what, i, got[i],
                     want[i]);
}

static void assert_double(double got, double want)
{
    if (got != want)
        fail_msg("double %.17g, want %.17g", got, want);
}

/* Decode a named vector's body into arena memory; fails the test on NULL. */
static const ProtobufCMessage *decode(void **state, opend_msg_arena *a,
                                      const char *name)
{
    const json_t *e = find_vector(state, name);
    size_t len = 0;
    uint8_t *body = unhex(jstr(e, "body_hex"), &len);
    const ProtobufCMessageDescriptor *d = desc_for(e);
    ProtobufCMessage *m;

    assert_non_null(d);
    m = opend_msg_unpack(a, d, body, len);
    free(body);
    if (m == NULL)
        fail_msg("%s: opend_msg_unpack failed", name);
    assert_ptr_equal(m->descriptor, d);
    return m;
}

/* opend_msg_unpack of a hex string with an explicit descriptor (may be NULL).
 */
static ProtobufCMessage *unpack_hex(opend_msg_arena *a,
                                    const ProtobufCMessageDescriptor *d,
                                    const char *hex)
{
    size_t len = 0;
    uint8_t *body = unhex(hex, &len);
    ProtobufCMessage *m = opend_msg_unpack(a, d, body, len);

    free(body);
    return m;
}

static void arena_init(opend_msg_arena *a, size_t chunk)
{
    assert_int_equal(opend_msg_arena_init(a, chunk), 0);
    assert_non_null(a->head);
}

/*
 * Mirror of the head of struct opend_msg_arena_chunk (msg.c): the chain link
 * and the capacity come first. Only read here, never written.
 */
struct chunk_view {
    const struct chunk_view *next;
    size_t cap;
};

static size_t arena_chunks(const opend_msg_arena *a, size_t *total_cap)
{
    const struct chunk_view *c = (const struct chunk_view *)(void *)a->head;
    size_t n = 0;

    *total_cap = 0;
    while (c) {
        n++;
        *total_cap += c->cap;
        c = c->next;
    }
    return n;
}

/* ------------------------------------------------------- descriptors */

static void test_descriptors(void **state)
{
    const json_t *arr = jsection(state, "packets");
    size_t i;
    json_t *e;

    json_array_foreach(arr, i, e)
    {
        const ProtobufCMessageDescriptor *d = desc_for(e);
        const char *msg = jstr(e, "message");
        const char *dot = strchr(msg, '.');

        if (d == NULL)
            fail_msg("%s: no descriptor", jstr(e, "name"));
        assert_string_equal(d->name, msg);
        assert_non_null(dot);
        assert_int_equal(strlen(opend_msg_proto_name(jproto(e))), dot - msg);
        assert_memory_equal(opend_msg_proto_name(jproto(e)), msg, dot - msg);
    }
    /* Pushes have no request; unknown ids have nothing. */
    assert_null(opend_msg_request_desc(PROTO_NOTIFY));
    assert_null(opend_msg_request_desc(PROTO_QOT_UPDATE_TICKER));
    assert_non_null(opend_msg_response_desc(PROTO_QOT_UPDATE_TICKER));
    assert_null(opend_msg_request_desc(9999));
    assert_null(opend_msg_response_desc(9999));
    assert_null(opend_msg_response_desc(0));
    assert_string_equal(opend_msg_proto_name(9999), "unknown");
    assert_string_equal(opend_msg_proto_name(PROTO_QOT_GET_TICKER),
                        "Qot_GetTicker");
}

/* --------------------------------------------- decode + re-encode all */

static void test_unpack_repack_all(void **state)
{
    const json_t *arr = jsection(state, "packets");
    opend_msg_arena a;
    size_t i;
    json_t *e;

    arena_init(&a, 0);
    assert_int_equal(json_array_size(arr), 27);
    json_array_foreach(arr, i, e)
    {
        const char *name = jstr(e, "name");
        size_t blen = 0;
        size_t plen = 0;
        uint8_t *body = unhex(jstr(e, "body_hex"), &blen);
        uint8_t *pkt = unhex(jstr(e, "packet_hex"), &plen);
        const ProtobufCMessage *m;
        size_t need;
        uint8_t *out;
        size_t outlen = 0;

        opend_msg_arena_reset(&a);
        m = opend_msg_unpack(&a, desc_for(e), body, blen);
        if (m == NULL)
            fail_msg("%s: opend_msg_unpack failed", name);
        /* Re-encode: same body byte for byte. */
        assert_int_equal(protobuf_c_message_get_packed_size(m), blen);
        out = malloc(blen + 1);
        assert_non_null(out);
        assert_int_equal(protobuf_c_message_pack(m, out), blen);
        assert_bytes(name, out, blen, body, blen);
        free(out);
        /* Whole packet via opend_msg_pack_packet, into an exact-size buffer. */
        need = opend_msg_packet_size(m, false);
        assert_int_equal(need, plen);
        out = malloc(need);
        assert_non_null(out);
        assert_int_equal(opend_msg_pack_packet(jproto(e), jserial(e), m, NULL,
                                               false, out, need, &outlen),
                         0);
        assert_bytes(name, out, outlen, pkt, plen);
        assert_int_equal(opend_msg_pack_packet(jproto(e), jserial(e), m, NULL,
                                               false, out, need - 1, &outlen),
                         FRAME_E_SPACE);
        free(out);
        free(body);
        free(pkt);
    }
    opend_msg_arena_free(&a);
}

/* ------------------------------------------------------ field values */

static void test_init_connect(void **state)
{
    opend_msg_arena a;
    const InitConnect__Request *rq;
    const InitConnect__Response *rs;

    arena_init(&a, 0);
    rq =
        (const InitConnect__Request *)decode(state, &a, "init_connect_request");
    assert_non_null(rq->c2s);
    assert_int_equal(rq->c2s->clientver, 300);
    assert_string_equal(rq->c2s->clientid, "PyNormal");
    assert_true(rq->c2s->has_recvnotify);
    assert_true(rq->c2s->recvnotify);
    assert_true(rq->c2s->has_packetencalgo);
    assert_int_equal(rq->c2s->packetencalgo, -1);
    assert_true(rq->c2s->has_pushprotofmt);
    assert_int_equal(rq->c2s->pushprotofmt, 0);
    assert_string_equal(rq->c2s->programminglanguage, "Python");

    rs = (const InitConnect__Response *)decode(state, &a,
                                               "init_connect_response");
    assert_int_equal(rs->rettype, 0);
    assert_null(rs->retmsg);
    assert_non_null(rs->s2c);
    assert_int_equal(rs->s2c->serverver, 1002);
    assert_int_equal(rs->s2c->loginuserid, 12345678);
    assert_int_equal(rs->s2c->connid, 7000000001ull);
    assert_string_equal(rs->s2c->connaeskey, "0123456789abcdef");
    assert_int_equal(rs->s2c->keepaliveinterval, 10);
    assert_null(rs->s2c->aescbciv);

    rs = (const InitConnect__Response *)decode(state, &a,
                                               "init_connect_response_with_iv");
    assert_int_equal(rs->s2c->keepaliveinterval, 10);
    assert_int_equal(rs->s2c->connid, 7000000001ull);
    assert_non_null(rs->s2c->aescbciv);
    assert_string_equal(rs->s2c->aescbciv, "fedcba9876543210");
    opend_msg_arena_free(&a);
}

static void test_keepalive_and_global_state(void **state)
{
    opend_msg_arena a;
    const KeepAlive__Request *kq;
    const KeepAlive__Response *ks;
    const GetGlobalState__Request *gq;
    const GetGlobalState__Response *gs;

    arena_init(&a, 0);
    kq = (const KeepAlive__Request *)decode(state, &a, "keepalive_request");
    assert_int_equal(kq->c2s->time, 1709258400);
    ks = (const KeepAlive__Response *)decode(state, &a, "keepalive_response");
    assert_int_equal(ks->rettype, 0);
    assert_int_equal(ks->s2c->time, 1709258401);
    gq = (const GetGlobalState__Request *)decode(state, &a,
                                                 "get_global_state_request");
    assert_int_equal(gq->c2s->userid, 12345678);
    gs = (const GetGlobalState__Response *)decode(state, &a,
                                                  "get_global_state_response");
    assert_int_equal(gs->rettype, 0);
    assert_int_equal(gs->s2c->markethk, 3);
    assert_int_equal(gs->s2c->marketus, 0);
    assert_int_equal(gs->s2c->marketsh, 3);
    assert_int_equal(gs->s2c->marketsz, 3);
    assert_int_equal(gs->s2c->markethkfuture, 15);
    assert_true(gs->s2c->qotlogined);
    assert_true(gs->s2c->trdlogined);
    assert_int_equal(gs->s2c->serverver, 1002);
    assert_int_equal(gs->s2c->serverbuildno, 6208);
    assert_int_equal(gs->s2c->time, 1709258400);
    assert_true(gs->s2c->has_localtime);
    assert_double(gs->s2c->localtime, 1709258400.5);
    assert_non_null(gs->s2c->programstatus);
    assert_int_equal(gs->s2c->programstatus->type, 10);
    assert_true(gs->s2c->has_connid);
    assert_int_equal(gs->s2c->connid, 7000000001ull);
    opend_msg_arena_free(&a);
}

static void test_notify(void **state)
{
    opend_msg_arena a;
    const Notify__Response *n;

    arena_init(&a, 0);
    n = (const Notify__Response *)decode(state, &a, "notify_conn_status_push");
    assert_int_equal(n->rettype, 0);
    assert_int_equal(n->s2c->type, 3);
    assert_non_null(n->s2c->connectstatus);
    assert_false(n->s2c->connectstatus->qotlogined);
    assert_true(n->s2c->connectstatus->trdlogined);
    assert_null(n->s2c->event);
    n = (const Notify__Response *)decode(state, &a,
                                         "notify_gtw_event_kicked_out_push");
    assert_int_equal(n->s2c->type, 1);
    assert_non_null(n->s2c->event);
    assert_int_equal(n->s2c->event->eventtype, 7);
    assert_string_equal(n->s2c->event->desc, "kicked out");
    opend_msg_arena_free(&a);
}

static void assert_security(const QotCommon__Security *s, int market,
                            const char *code)
{
    assert_non_null(s);
    assert_int_equal(s->market, market);
    assert_string_equal(s->code, code);
}

static void test_qot_sub(void **state)
{
    opend_msg_arena a;
    const QotSub__Request *q;
    const QotSub__Response *r;

    arena_init(&a, 0);
    q = (const QotSub__Request *)decode(state, &a, "qot_sub_request_minimal");
    assert_int_equal(q->c2s->n_securitylist, 1);
    assert_security(q->c2s->securitylist[0], 1, "00700");
    assert_int_equal(q->c2s->n_subtypelist, 1);
    assert_int_equal(q->c2s->subtypelist[0], MSG_SUBTYPE_TICKER);
    assert_true(q->c2s->issuborunsub);
    assert_true(q->c2s->has_isregorunregpush && q->c2s->isregorunregpush);
    assert_true(q->c2s->has_isfirstpush && q->c2s->isfirstpush);
    assert_false(q->c2s->has_session);

    q = (const QotSub__Request *)decode(state, &a,
                                        "qot_sub_request_two_codes_two_types");
    assert_int_equal(q->c2s->n_securitylist, 2);
    assert_security(q->c2s->securitylist[0], 1, "00700");
    assert_security(q->c2s->securitylist[1], 1, "09988");
    assert_int_equal(q->c2s->n_subtypelist, 2);
    assert_int_equal(q->c2s->subtypelist[0], 4);
    assert_int_equal(q->c2s->subtypelist[1], 1);
    assert_true(q->c2s->has_session);
    assert_int_equal(q->c2s->session, 0);

    q = (const QotSub__Request *)decode(state, &a,
                                        "qot_sub_request_unsubscribe_all");
    assert_false(q->c2s->issuborunsub);
    assert_true(q->c2s->has_isunsuball && q->c2s->isunsuball);
    assert_int_equal(q->c2s->n_securitylist, 0);

    r = (const QotSub__Response *)decode(state, &a, "qot_sub_response_ok");
    assert_int_equal(r->rettype, 0);
    assert_non_null(r->s2c);
    r = (const QotSub__Response *)decode(state, &a, "qot_sub_response_error");
    assert_int_equal(r->rettype, -1);
    assert_non_null(r->retmsg);
    assert_string_equal(r->retmsg, "No right to subscribe 00700");
    assert_false(r->has_errcode);
    assert_null(r->s2c);
    opend_msg_arena_free(&a);
}

static void test_sub_info_and_market_state(void **state)
{
    opend_msg_arena a;
    const QotRegQotPush__Request *rp;
    const QotGetSubInfo__Response *si;
    const QotGetMarketState__Response *ms;
    const QotCommon__ConnSubInfo *c;

    arena_init(&a, 0);
    rp = (const QotRegQotPush__Request *)decode(
        state, &a, "qot_reg_qot_push_request_unregister");
    assert_false(rp->c2s->isregorunreg);
    assert_int_equal(rp->c2s->n_subtypelist, 1);
    assert_int_equal(rp->c2s->subtypelist[0], 4);
    assert_security(rp->c2s->securitylist[0], 1, "00700");

    si = (const QotGetSubInfo__Response *)decode(state, &a,
                                                 "qot_get_sub_info_response");
    assert_int_equal(si->s2c->totalusedquota, 1);
    assert_int_equal(si->s2c->remainquota, 99);
    assert_int_equal(si->s2c->n_connsubinfolist, 1);
    c = si->s2c->connsubinfolist[0];
    assert_int_equal(c->usedquota, 1);
    assert_true(c->isownconndata);
    assert_int_equal(c->n_subinfolist, 1);
    assert_int_equal(c->subinfolist[0]->subtype, 4);
    assert_int_equal(c->subinfolist[0]->n_securitylist, 1);
    assert_security(c->subinfolist[0]->securitylist[0], 1, "00700");

    ms = (const QotGetMarketState__Response *)decode(
        state, &a, "qot_get_market_state_response");
    assert_int_equal(ms->s2c->n_marketinfolist, 1);
    assert_security(ms->s2c->marketinfolist[0]->security, 1, "00700");
    assert_string_equal(ms->s2c->marketinfolist[0]->name, "TENCENT");
    assert_int_equal(ms->s2c->marketinfolist[0]->marketstate, 3);
    opend_msg_arena_free(&a);
}

/* Tick A of the vectors (opend-protocol.md §14 worked example). */
static void assert_tick_a(const QotCommon__Ticker *t, bool push)
{
    assert_string_equal(t->time, "2024-03-01 10:00:00.123");
    assert_int_equal(t->sequence, 7257436441708356760LL);
    assert_int_equal(t->dir, 1);
    assert_double(t->price, 380.2);
    assert_int_equal(t->volume, 100);
    assert_double(t->turnover, 38020.0);
    assert_true(t->has_type);
    assert_int_equal(t->type, 1);
    assert_int_equal(t->has_pushdatatype, push);
    if (push)
        assert_int_equal(t->pushdatatype, 1);
    assert_true(t->has_timestamp);
    assert_double(t->timestamp, 1709258400.123);
    assert_false(t->has_recvtime);
    assert_false(t->has_typesign);
}

static void assert_tick_b(const QotCommon__Ticker *t, bool push)
{
    assert_string_equal(t->time, "2024-03-01 10:00:01.456");
    assert_int_equal(t->sequence, 7257436441708356761LL);
    assert_int_equal(t->dir, 2);
    assert_double(t->price, 380.0);
    assert_int_equal(t->volume, 2000);
    assert_double(t->turnover, 760000.0);
    assert_true(t->has_type);
    assert_int_equal(t->type, 1);
    assert_int_equal(t->has_pushdatatype, push);
    assert_true(t->has_timestamp);
    assert_double(t->timestamp, 1709258401.456);
}

static void test_tickers(void **state)
{
    opend_msg_arena a;
    const QotUpdateTicker__Response *u;
    const QotGetTicker__Request *gq;
    const QotGetTicker__Response *g;

    arena_init(&a, 0);
    u = (const QotUpdateTicker__Response *)decode(state, &a,
                                                  "qot_update_ticker_push_one");
    assert_int_equal(u->rettype, 0);
    assert_non_null(u->s2c);
    assert_security(u->s2c->security, 1, "00700");
    assert_string_equal(u->s2c->name, "TENCENT");
    assert_int_equal(u->s2c->n_tickerlist, 1);
    assert_tick_a(u->s2c->tickerlist[0], true);
    assert_int_equal(u->s2c->tickerlist[0]->base.n_unknown_fields, 0);

    u = (const QotUpdateTicker__Response *)decode(state, &a,
                                                  "qot_update_ticker_push_two");
    assert_int_equal(u->s2c->n_tickerlist, 2);
    assert_tick_a(u->s2c->tickerlist[0], true);
    assert_tick_b(u->s2c->tickerlist[1], true);
    assert_int_equal(u->s2c->tickerlist[1]->pushdatatype, 1);

    gq = (const QotGetTicker__Request *)decode(state, &a,
                                               "qot_get_ticker_request");
    assert_security(gq->c2s->security, 1, "00700");
    assert_int_equal(gq->c2s->maxretnum, MSG_MAX_TICKER_NUM);

    g = (const QotGetTicker__Response *)decode(state, &a,
                                               "qot_get_ticker_response_two");
    assert_int_equal(g->rettype, 0);
    assert_security(g->s2c->security, 1, "00700");
    assert_string_equal(g->s2c->name, "TENCENT");
    assert_int_equal(g->s2c->n_tickerlist, 2);
    assert_tick_a(g->s2c->tickerlist[0], false);
    assert_tick_b(g->s2c->tickerlist[1], false);

    g = (const QotGetTicker__Response *)decode(state, &a,
                                               "qot_get_ticker_response_error");
    assert_int_equal(g->rettype, -1);
    assert_string_equal(g->retmsg, "not subscribed");
    assert_null(g->s2c);
    opend_msg_arena_free(&a);
}

static void test_ticker_hpvolume_skipped(void **state)
{
    static const uint8_t hp100[8] = {0, 0, 0, 0, 0, 0, 0x59, 0x40};
    opend_msg_arena a;
    const QotUpdateTicker__Response *u;
    const QotCommon__Ticker *t;
    const ProtobufCMessageUnknownField *f;

    arena_init(&a, 0);
    u = (const QotUpdateTicker__Response *)decode(
        state, &a, "qot_update_ticker_push_hpvolume");
    assert_int_equal(u->rettype, 0);
    assert_security(u->s2c->security, 1, "00700");
    assert_string_equal(u->s2c->name, "TENCENT");
    assert_int_equal(u->s2c->n_tickerlist, 1);
    t = u->s2c->tickerlist[0];
    assert_tick_a(t, true);
    /* Field 12 is not in our .proto: kept aside as one unknown field. */
    assert_int_equal(t->base.n_unknown_fields, 1);
    f = &t->base.unknown_fields[0];
    assert_int_equal(f->tag, 12);
    assert_int_equal(f->wire_type, PROTOBUF_C_WIRE_TYPE_64BIT);
    assert_int_equal(f->len, 8);
    assert_memory_equal(f->data, hp100, 8);
    opend_msg_arena_free(&a);
}

/* ------------------------------------------------------------ sdk_view */

static const QotCommon__Ticker *const *tickers_of(const ProtobufCMessage *m,
                                                  size_t *n,
                                                  const QotCommon__Security **s,
                                                  const char **name)
{
    if (m->descriptor == &qot__update_ticker__response__descriptor) {
        const QotUpdateTicker__S2C *x =
            ((const QotUpdateTicker__Response *)m)->s2c;

        assert_non_null(x);
        *n = x->n_tickerlist;
        *s = x->security;
        *name = x->name;
        return (const QotCommon__Ticker *const *)x->tickerlist;
    }
    assert_ptr_equal(m->descriptor, &qot__get_ticker__response__descriptor);
    {
        const QotGetTicker__S2C *x = ((const QotGetTicker__Response *)m)->s2c;

        assert_non_null(x);
        *n = x->n_tickerlist;
        *s = x->security;
        *name = x->name;
        return (const QotCommon__Ticker *const *)x->tickerlist;
    }
}

static void check_sdk_cell(const char *col, const json_t *cell,
                           const QotCommon__Security *sec, const char *name,
                           const QotCommon__Ticker *t)
{
    char code[64];

    if (strcmp(col, "code") == 0) {
        int n = snprintf(code, sizeof(code), "%s.%s",
                         opend_msg_market_prefix(sec->market), sec->code);

        assert_true(n > 0 && (size_t)n < sizeof(code));
        assert_string_equal(code, json_string_value(cell));
    } else if (strcmp(col, "name") == 0) {
        assert_string_equal(name, json_string_value(cell));
    } else if (strcmp(col, "time") == 0) {
        assert_string_equal(t->time, json_string_value(cell));
    } else if (strcmp(col, "price") == 0) {
        assert_double(t->price, json_number_value(cell));
    } else if (strcmp(col, "volume") == 0) {
        assert_int_equal(t->volume, json_integer_value(cell));
    } else if (strcmp(col, "turnover") == 0) {
        assert_double(t->turnover, json_number_value(cell));
    } else if (strcmp(col, "ticker_direction") == 0) {
        assert_string_equal(opend_msg_direction_str(t->dir),
                            json_string_value(cell));
    } else if (strcmp(col, "sequence") == 0) {
        assert_true(json_is_integer(cell));
        assert_int_equal(t->sequence, json_integer_value(cell));
    } else if (strcmp(col, "type") == 0) {
        assert_string_equal(opend_msg_ticker_type_str(t->type, t->has_type),
                            json_string_value(cell));
    } else if (strcmp(col, "push_data_type") == 0) {
        assert_true(t->has_pushdatatype);
        assert_string_equal(opend_msg_push_data_type_str(t->pushdatatype),
                            json_string_value(cell));
    } else {
        fail_msg("unknown sdk_view column \"%s\"", col);
    }
}

static void test_sdk_view(void **state)
{
    const json_t *arr = jsection(state, "packets");
    size_t checked = 0;
    opend_msg_arena a;
    size_t i;
    json_t *e;

    arena_init(&a, 0);
    json_array_foreach(arr, i, e)
    {
        const json_t *view = json_object_get(e, "sdk_view");
        const json_t *cols = json_object_get(view, "columns");
        const json_t *rows = json_object_get(view, "rows");
        const QotCommon__Ticker *const *tk;
        const QotCommon__Security *sec = NULL;
        const char *name = NULL;
        size_t n = 0;
        size_t r;
        json_t *row;

        if (view == NULL)
            continue;
        opend_msg_arena_reset(&a);
        tk = tickers_of(decode(state, &a, jstr(e, "name")), &n, &sec, &name);
        assert_int_equal(n, json_array_size(rows));
        json_array_foreach(rows, r, row)
        {
            assert_int_equal(json_array_size(row), json_array_size(cols));
            for (size_t c = 0; c < json_array_size(cols); c++)
                check_sdk_cell(json_string_value(json_array_get(cols, c)),
                               json_array_get(row, c), sec, name, tk[r]);
            checked++;
        }
    }
    assert_int_equal(checked, 5);
    opend_msg_arena_free(&a);
}

/* -------------------------------------------------------- enum strings */

static void test_enum_strings(void **state)
{
    /* opend-protocol.md §7.4, TickerType 0..31, spelled as the SDK does. */
    static const char *const types[] = {
        "UNKNOWN",
        "AUTO_MATCH",
        "LATE",
        "NON_AUTO_MATCH",
        "INTER_AUTO_MATCH",
        "INTER_NON_AUTO_MATCH",
        "ODD_LOT",
        "AUCTION",
        "BULK",
        "CRASH",
        "CROSS_MARKET",
        "BULK_SOLD",
        "FREE_ON_BOARD",
        "RULE127_OR_155",
        "DELAY",
        "MARKET_CENTER_CLOSE_PRICE",
        "NEXT_DAY",
        "MARKET_CENTER_OPENING",
        "PRIOR_REFERENCE_PRICE",
        "MARKET_CENTER_OPEN_PRICE",
        "SELLER",
        "T",
        "EXTENDED_TRADING_HOURS",
        "CONTINGENT",
        "AVERAGE_PRICE",
        "OTC_SOLD",
        "ODD_LOT_CROSS_MARKET",
        "DERIVATIVELY_PRICED",
        "REOPENINGP_RICED",
        "CLOSING_PRICED",
        "COMPREHENSIVE_DELAY_PRICE",
        "OVERSEAS",
    };
    static const struct {
        int id;
        const char *prefix;
    } markets[] = {
        {1, "HK"},  {2, "HK_FUTURE"}, {11, "US"}, {21, "SH"},
        {22, "SZ"}, {31, "SG"},       {41, "JP"}, {51, "AU"},
        {61, "MY"}, {71, "CA"},       {81, "FX"},
    };

    (void)state;
    assert_string_equal(opend_msg_direction_str(0), "N/A");
    assert_string_equal(opend_msg_direction_str(1), "BUY");
    assert_string_equal(opend_msg_direction_str(2), "SELL");
    assert_string_equal(opend_msg_direction_str(3), "NEUTRAL");
    assert_string_equal(opend_msg_direction_str(4), "N/A");
    assert_string_equal(opend_msg_direction_str(-1), "N/A");
    assert_string_equal(opend_msg_direction_str(INT32_MIN), "N/A");

    for (int i = 0; i < (int)(sizeof(types) / sizeof(types[0])); i++) {
        assert_string_equal(opend_msg_ticker_type_str(i, true), types[i]);
        assert_string_equal(opend_msg_ticker_type_str(i, false), "N/A");
    }
    assert_string_equal(opend_msg_ticker_type_str(32, true), "N/A");
    assert_string_equal(opend_msg_ticker_type_str(-1, true), "N/A");
    assert_string_equal(opend_msg_ticker_type_str(INT32_MAX, true), "N/A");
    assert_string_equal(opend_msg_ticker_type_str(INT32_MIN, true), "N/A");

    assert_string_equal(opend_msg_push_data_type_str(0), "N/A");
    assert_string_equal(opend_msg_push_data_type_str(1), "REALTIME");
    assert_string_equal(opend_msg_push_data_type_str(2), "BYDISCONN");
    assert_string_equal(opend_msg_push_data_type_str(3), "CACHE");
    assert_string_equal(opend_msg_push_data_type_str(4), "N/A");
    assert_string_equal(opend_msg_push_data_type_str(-7), "N/A");

    for (size_t i = 0; i < sizeof(markets) / sizeof(markets[0]); i++) {
        const char *p = markets[i].prefix;

        assert_string_equal(opend_msg_market_prefix(markets[i].id), p);
        assert_int_equal(opend_msg_market_from_prefix(p, strlen(p)),
                         markets[i].id);
    }
    assert_string_equal(opend_msg_market_prefix(0), "N/A");
    assert_string_equal(opend_msg_market_prefix(3), "N/A");
    assert_string_equal(opend_msg_market_prefix(-1), "N/A");
    assert_int_equal(opend_msg_market_from_prefix("XX", 2), -1);
    assert_int_equal(opend_msg_market_from_prefix("", 0), -1);
    assert_int_equal(opend_msg_market_from_prefix("H", 1), -1);
    assert_int_equal(opend_msg_market_from_prefix("HKX", 3), -1);
    assert_int_equal(opend_msg_market_from_prefix("hk", 2), -1);
    /* len bounds the prefix: no NUL needed after it. */
    assert_int_equal(opend_msg_market_from_prefix("HK.00700", 2), 1);
    assert_int_equal(opend_msg_market_from_prefix("US.AAPL", 2), 11);
}

/* ----------------------------------------------------------- wire values */

/* Hex of a minimal valid Ticker with the given field bytes spliced in. */
static void ticker_hex(char *out, size_t cap, const char *fields)
{
    /* time "", sequence 0, dir 0, price 0.0, volume 0, turnover 0.0 */
    int n = snprintf(out, cap, "0a00%s", fields);

    assert_true(n > 0 && (size_t)n < cap);
}

static void test_wire_values(void **state)
{
    const json_t *arr = jsection(state, "wire_values");
    size_t decoded = 0;
    opend_msg_arena a;
    size_t i;
    json_t *e;

    arena_init(&a, 0);
    json_array_foreach(arr, i, e)
    {
        const char *type = jstr(e, "type");
        const char *hex = jstr(e, "hex");
        const json_t *val = json_object_get(e, "value");
        char fields[256];
        char body[512];
        const QotCommon__Ticker *t;
        int n;

        opend_msg_arena_reset(&a);
        if (strncmp(type, "int32", 5) == 0) {
            /* As Ticker.dir (3) and as the envelope's retType (1). */
            const KeepAlive__Response *r;

            n = snprintf(fields, sizeof(fields),
                         "1000%s%s2100000000000000002800310000000000000000",
                         "18", hex);
            assert_true(n > 0 && (size_t)n < sizeof(fields));
            ticker_hex(body, sizeof(body), fields);
            t = (const QotCommon__Ticker *)unpack_hex(
                &a, &qot__common__ticker__descriptor, body);
            assert_non_null(t);
            assert_int_equal(t->dir, json_integer_value(val));
            n = snprintf(body, sizeof(body), "08%s", hex);
            assert_true(n > 0 && (size_t)n < sizeof(body));
            r = (const KeepAlive__Response *)unpack_hex(
                &a, &keep_alive__response__descriptor, body);
            assert_non_null(r);
            assert_int_equal(r->rettype, json_integer_value(val));
        } else if (strcmp(type, "int64") == 0) {
            /* As Ticker.sequence (2) and Ticker.volume (5). */
            n = snprintf(fields, sizeof(fields),
                         "10%s180021000000000000000028%s310000000000000000",
                         hex, hex);
            assert_true(n > 0 && (size_t)n < sizeof(fields));
            ticker_hex(body, sizeof(body), fields);
            t = (const QotCommon__Ticker *)unpack_hex(
                &a, &qot__common__ticker__descriptor, body);
            assert_non_null(t);
            assert_int_equal(t->sequence, json_integer_value(val));
            assert_int_equal(t->volume, json_integer_value(val));
        } else if (strcmp(type, "uint64") == 0) {
            /* As InitConnect.S2C.connID (3) and GetGlobalState userID. */
            const GetGlobalState__C2S *g;

            n = snprintf(body, sizeof(body), "08%s", hex);
            assert_true(n > 0 && (size_t)n < sizeof(body));
            g = (const GetGlobalState__C2S *)unpack_hex(
                &a, &get_global_state__c2_s__descriptor, body);
            assert_non_null(g);
            assert_int_equal(g->userid, (uint64_t)json_integer_value(val));
        } else if (strcmp(type, "double") == 0) {
            /* As price (4), turnover (6), recvTime (7) and timestamp (11). */
            n = snprintf(fields, sizeof(fields), "1000180021%s280031%s39%s59%s",
                         hex, hex, hex, hex);
            assert_true(n > 0 && (size_t)n < sizeof(fields));
            ticker_hex(body, sizeof(body), fields);
            t = (const QotCommon__Ticker *)unpack_hex(
                &a, &qot__common__ticker__descriptor, body);
            assert_non_null(t);
            assert_double(t->price, json_number_value(val));
            assert_double(t->turnover, json_number_value(val));
            assert_true(t->has_recvtime && t->has_timestamp);
            assert_double(t->recvtime, json_number_value(val));
            assert_double(t->timestamp, json_number_value(val));
        } else {
            fail_msg("unknown wire_values type \"%s\"", type);
        }
        decoded++;
    }
    assert_int_equal(decoded, json_array_size(arr));
    assert_true(decoded >= 9);
    opend_msg_arena_free(&a);
}

/* Encoding side of the same values: packing gives exactly their bytes. */
static void test_wire_values_encode(void **state)
{
    QotCommon__Ticker t = QOT__COMMON__TICKER__INIT;
    InitConnect__C2S c = INIT_CONNECT__C2_S__INIT;
    uint8_t out[128];
    size_t n;

    (void)state;
    t.time = "";
    t.sequence = 7257436441708356760LL;
    t.dir = -1;
    t.price = 380.2;
    t.volume = 1709258400;
    t.turnover = 38020.0;
    t.has_timestamp = true;
    t.timestamp = 1709258400.123;
    n = protobuf_c_message_pack(&t.base, out);
    {
        size_t wl = 0;
        uint8_t *want = unhex("0a00"
                              "1098c98180e0ffe5db64"
                              "18ffffffffffffffffff01"
                              "213333333333c37740"
                              "28a0ed84af06"
                              "31000000008090e240"
                              "593bdf07a84d78d941",
                              &wl);

        assert_bytes("ticker", out, n, want, wl);
        free(want);
    }
    c.clientver = 300;
    c.clientid = "";
    c.has_packetencalgo = true;
    c.packetencalgo = -1;
    n = protobuf_c_message_pack(&c.base, out);
    {
        size_t wl = 0;
        uint8_t *want = unhex("08ac02"
                              "1200"
                              "20ffffffffffffffffff01",
                              &wl);

        assert_bytes("c2s", out, n, want, wl);
        free(want);
    }
}

/* ---------------------------------------------------- decoder tolerance */

static void test_decoder_tolerance(void **state)
{
    opend_msg_arena a;
    const QotCommon__Security *s;
    const QotSub__Request *q;
    const QotCommon__Ticker *t;
    const QotUpdateTicker__Response *u;

    (void)state;
    arena_init(&a, 0);
    /* Reversed field order. */
    s = (const QotCommon__Security *)unpack_hex(
        &a, &qot__common__security__descriptor, "120530303730300801");
    assert_non_null(s);
    assert_security(s, 1, "00700");
    /* A non-repeated field twice: the last value wins (market, code). */
    s = (const QotCommon__Security *)unpack_hex(
        &a, &qot__common__security__descriptor,
        "0801"
        "1203414141"
        "080b"
        "12044141504c");
    assert_non_null(s);
    assert_security(s, 11, "AAPL");

    /* Packed repeated scalars: subTypeList = [4, 1] as 12 02 04 01. */
    q = (const QotSub__Request *)unpack_hex(&a, &qot__sub__request__descriptor,
                                            "0a13"
                                            "0a09080112053030373030"
                                            "12020401"
                                            "1801"
                                            "2001");
    assert_non_null(q);
    assert_true(q->c2s->has_isregorunregpush);
    assert_int_equal(q->c2s->n_subtypelist, 2);
    assert_int_equal(q->c2s->subtypelist[0], 4);
    assert_int_equal(q->c2s->subtypelist[1], 1);
    assert_true(q->c2s->issuborunsub);
    /* Packed and unpacked elements of one field accumulate in order. */
    q = (const QotSub__Request *)unpack_hex(&a, &qot__sub__request__descriptor,
                                            "0a0a"
                                            "1005"
                                            "12020401"
                                            "1006"
                                            "1801");
    assert_non_null(q);
    assert_int_equal(q->c2s->n_subtypelist, 4);
    assert_int_equal(q->c2s->subtypelist[0], 5);
    assert_int_equal(q->c2s->subtypelist[1], 4);
    assert_int_equal(q->c2s->subtypelist[2], 1);
    assert_int_equal(q->c2s->subtypelist[3], 6);

    /*
     * Newer proto sets' field 100 `header` {securityFirm 1} in a quote
     * request (key a2 06), and unknown fields of every wire type inside a
     * Ticker: 13 varint, 14 fixed64, 15 length-delimited, 16 fixed32.
     */
    q = (const QotSub__Request *)unpack_hex(&a, &qot__sub__request__descriptor,
                                            "0a0b"
                                            "1004"
                                            "1801"
                                            "a2060408011001");
    assert_non_null(q);
    assert_int_equal(q->c2s->n_subtypelist, 1);
    assert_int_equal(q->c2s->base.n_unknown_fields, 1);
    assert_int_equal(q->c2s->base.unknown_fields[0].tag, 100);
    t = (const QotCommon__Ticker *)unpack_hex(&a,
                                              &qot__common__ticker__descriptor,
                                              "0a0131"
                                              "6896ff02"
                                              "100b"
                                              "710102030405060708"
                                              "1801"
                                              "7a03616263"
                                              "2100000000000010c0"
                                              "2802"
                                              "850101020304"
                                              "310000000000003440");
    assert_non_null(t);
    assert_string_equal(t->time, "1");
    assert_int_equal(t->sequence, 11);
    assert_int_equal(t->dir, 1);
    assert_double(t->price, -4.0);
    assert_int_equal(t->volume, 2);
    assert_double(t->turnover, 20.0);
    assert_int_equal(t->base.n_unknown_fields, 4);

    /* Unknown enum values are kept as plain integers. */
    t = (const QotCommon__Ticker *)unpack_hex(&a,
                                              &qot__common__ticker__descriptor,
                                              "0a00"
                                              "1000"
                                              "1863"
                                              "210000000000000000"
                                              "2800"
                                              "310000000000000000"
                                              "40e707"
                                              "50ffffffffffffffffff01");
    assert_non_null(t);
    assert_int_equal(t->dir, 99);
    assert_int_equal(t->type, 999);
    assert_int_equal(t->pushdatatype, -1);
    assert_string_equal(opend_msg_direction_str(t->dir), "N/A");
    assert_string_equal(opend_msg_ticker_type_str(t->type, t->has_type), "N/A");
    assert_string_equal(opend_msg_push_data_type_str(t->pushdatatype), "N/A");

    /* Name before tickerList (field order reversed in the S2C). */
    u = (const QotUpdateTicker__Response *)unpack_hex(
        &a, &qot__update_ticker__response__descriptor,
        "0800"
        "2214"
        "1a0754454e43454e54"
        "0a09080112053030373030");
    assert_non_null(u);
    assert_string_equal(u->s2c->name, "TENCENT");
    assert_int_equal(u->s2c->n_tickerlist, 0);
    opend_msg_arena_free(&a);
}

/* ------------------------------------------------------- invalid input */

/*
 * protobuf-c treats a missing required field that declares a default as
 * present with that default: every Response envelope's retType is
 * [default = -400], so a Response without retType (even an empty body)
 * decodes with RetType_Unknown -- never success, so callers still treat
 * it as a failure. Required fields without a default do fail (see below).
 */
static void test_missing_ret_type_defaults(void **state)
{
    static const char *const bodies[] = {"", "2200", "1203616263"};
    opend_msg_arena a;

    (void)state;
    arena_init(&a, 0);
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        const QotSub__Response *r = (const QotSub__Response *)unpack_hex(
            &a, &qot__sub__response__descriptor, bodies[i]);

        assert_non_null(r);
        assert_int_equal(r->rettype, -400);
    }
    opend_msg_arena_free(&a);
}

static void test_truncated_bodies(void **state)
{
    const json_t *arr = jsection(state, "packets");
    size_t nulls = 0;
    opend_msg_arena a;
    size_t i;
    json_t *e;

    arena_init(&a, 0);
    json_array_foreach(arr, i, e)
    {
        const ProtobufCMessageDescriptor *d = desc_for(e);
        size_t len = 0;
        uint8_t *body = unhex(jstr(e, "body_hex"), &len);

        /*
         * Every prefix must decode or fail cleanly (ASan watches the
         * reads: each prefix sits in its own exact-size allocation).
         * Dropping only the last byte always cuts a field, so it fails.
         */
        for (size_t k = 0; k < len; k++) {
            uint8_t *cut = malloc(k ? k : 1);
            ProtobufCMessage *m;

            assert_non_null(cut);
            memcpy(cut, body, k);
            opend_msg_arena_reset(&a);
            m = opend_msg_unpack(&a, d, cut, k);
            if (k + 1 == len && m != NULL)
                fail_msg("%s: body minus its last byte decoded",
                         jstr(e, "name"));
            nulls += m == NULL;
            free(cut);
        }
        free(body);
    }
    assert_true(nulls > 27);
    opend_msg_arena_free(&a);
}

/* Bodies that must not decode with the given descriptor. */
static void test_invalid_bodies(void **state)
{
    static const struct {
        const ProtobufCMessageDescriptor *d;
        const char *hex;
        const char *why;
    } bad[] = {
        /* Missing required fields. */
        {&qot__get_ticker__response__descriptor,
         "0800"
         "2209"
         "1a0754454e43454e54",
         "GetTicker s2c lacks security"},
        {&qot__update_ticker__response__descriptor,
         "0800"
         "2209"
         "1a0754454e43454e54",
         "UpdateTicker s2c no security"},
        {&qot__update_ticker__response__descriptor,
         "0800"
         "2225"
         "0a09080112053030373030"
         "1218"
         "1000"
         "1800"
         "210000000000000000"
         "2800"
         "310000000000000000",
         "ticker in a push lacks time"},
        {&qot__common__ticker__descriptor,
         "0a00"
         "1000"
         "1800"
         "210000000000000000"
         "2800",
         "ticker lacks turnover"},
        {&qot__common__security__descriptor, "0801", "security lacks code"},
        {&qot__common__security__descriptor, "12053030373030",
         "security lacks market"},
        {&keep_alive__request__descriptor, "", "request lacks c2s"},
        {&keep_alive__request__descriptor, "0a00", "c2s lacks time"},
        {&init_connect__response__descriptor,
         "0800"
         "220808ea0710cec2f105",
         "InitConnect s2c partial"},
        {&init_connect__request__descriptor, "0a0208ac",
         "varint cut inside c2s"},
        {&get_global_state__response__descriptor,
         "0800"
         "22020801",
         "GetGlobalState s2c partial"},
        {&notify__response__descriptor,
         "0800"
         "2206"
         "0801"
         "2202"
         "0800",
         "ConnectStatus partial"},
        {&qot__get_sub_info__response__descriptor,
         "0800"
         "2204"
         "0a02"
         "1001",
         "ConnSubInfo lacks isOwnConnData"},
        {&qot__get_market_state__response__descriptor,
         "0800"
         "2204"
         "0a02"
         "1803",
         "MarketInfo lacks security/name"},
        /* Malformed wire data. */
        {&keep_alive__response__descriptor,
         "0800"
         "2205"
         "08a1ed84af",
         "varint cut at the end of s2c"},
        {&keep_alive__response__descriptor,
         "0800"
         "2207"
         "08a1ed84af06",
         "length prefix beyond the body"},
        {&keep_alive__response__descriptor, "08ffffffffffffffffffff01",
         "varint longer than 10 bytes"},
        {&keep_alive__response__descriptor,
         "0800"
         "0f",
         "wire type 7"},
        {&keep_alive__response__descriptor,
         "0800"
         "0e",
         "wire type 6"},
        {&keep_alive__response__descriptor,
         "0800"
         "0b",
         "group start 3"},
        {&keep_alive__response__descriptor, "0000", "field number 0"},
        {&keep_alive__response__descriptor,
         "0800"
         "12ffffffff0f41",
         "string length 2^32-1"},
        {&keep_alive__response__descriptor,
         "0800"
         "1a",
         "bare key"},
        {&keep_alive__response__descriptor,
         "0800"
         "79010203",
         "unknown fixed64 cut"},
        {&keep_alive__response__descriptor,
         "0800"
         "7d0102",
         "unknown fixed32 cut"},
        {&qot__common__ticker__descriptor,
         "0a00"
         "1000"
         "1800"
         "2100000000"
         "2800"
         "310000000000000000",
         "double cut to 4 bytes"},
        {&qot__update_ticker__response__descriptor,
         "0800"
         "22ffffffffffffffffff01",
         "huge nested length"},
    };
    opend_msg_arena a;

    (void)state;
    arena_init(&a, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t len = 0;
        uint8_t *body = unhex(bad[i].hex, &len);
        /* Exact-size copy so ASan catches any read past the end. */
        uint8_t *exact = malloc(len ? len : 1);

        assert_non_null(exact);
        memcpy(exact, body, len);
        opend_msg_arena_reset(&a);
        if (opend_msg_unpack(&a, bad[i].d, exact, len) != NULL)
            fail_msg("decoded: %s", bad[i].why);
        free(exact);
        free(body);
    }
    opend_msg_arena_free(&a);
}

/* Every single-bit flip of every vector body: decode or NULL, no crash. */
static void test_bit_flips(void **state)
{
    const json_t *arr = jsection(state, "packets");
    opend_msg_arena a;
    size_t i;
    json_t *e;

    arena_init(&a, 0);
    json_array_foreach(arr, i, e)
    {
        size_t len = 0;
        uint8_t *body = unhex(jstr(e, "body_hex"), &len);

        for (size_t k = 0; k < len * 8; k++) {
            body[k / 8] ^= (uint8_t)(1u << (k % 8));
            opend_msg_arena_reset(&a);
            (void)opend_msg_unpack(&a,
                                   opend_msg_request_desc(jproto(e))
                                       ? opend_msg_request_desc(jproto(e))
                                       : opend_msg_response_desc(jproto(e)),
                                   body, len);
            opend_msg_arena_reset(&a);
            (void)opend_msg_unpack(&a, opend_msg_response_desc(jproto(e)), body,
                                   len);
            body[k / 8] ^= (uint8_t)(1u << (k % 8));
        }
        free(body);
    }
    opend_msg_arena_free(&a);
}

/* ---------------------------------------------------------------- arena */

static void test_arena_rewinds(void **state)
{
    opend_msg_arena a;
    const ProtobufCMessage *m1;
    const ProtobufCMessage *m2;
    size_t cap1 = 0;
    size_t cap2 = 0;

    arena_init(&a, 0);
    assert_int_equal(a.chunk_size, 64 * 1024);
    assert_int_equal(arena_chunks(&a, &cap1), 1);
    assert_int_equal(cap1, 64 * 1024);
    m1 = decode(state, &a, "qot_update_ticker_push_two");
    opend_msg_arena_reset(&a);
    m2 = decode(state, &a, "qot_update_ticker_push_two");
    /* Reset rewinds: the same bytes land at the same address. */
    assert_ptr_equal(m1, m2);
    opend_msg_arena_reset(&a);
    m2 = decode(state, &a, "keepalive_request");
    assert_ptr_equal(m1, m2);
    assert_int_equal(arena_chunks(&a, &cap2), 1);
    opend_msg_arena_free(&a);
    assert_null(a.head);

    /* Without reset a small-chunk arena does grow: the view works. */
    arena_init(&a, 256);
    assert_int_equal(a.chunk_size, 256);
    for (int i = 0; i < 20; i++)
        (void)decode(state, &a, "qot_get_ticker_response_two");
    assert_true(arena_chunks(&a, &cap1) > 5);
    opend_msg_arena_free(&a);
}

/* A GetTicker response with n ticks, packed into a malloc'd body. */
static uint8_t *big_ticker_body(size_t n, size_t *len)
{
    QotGetTicker__Response r = QOT__GET_TICKER__RESPONSE__INIT;
    QotGetTicker__S2C s = QOT__GET_TICKER__S2_C__INIT;
    QotCommon__Security sec = QOT__COMMON__SECURITY__INIT;
    QotCommon__Ticker *tk = calloc(n, sizeof(*tk));
    QotCommon__Ticker **tl = calloc(n, sizeof(*tl));
    uint8_t *body;

    assert_non_null(tk);
    assert_non_null(tl);
    sec.market = 1;
    sec.code = "00700";
    for (size_t i = 0; i < n; i++) {
        qot__common__ticker__init(&tk[i]);
        tk[i].time = "2024-03-01 10:00:00.123";
        tk[i].sequence = 7257436441708356760LL + (int64_t)i;
        tk[i].dir = 1 + (int)(i % 3);
        tk[i].price = 380.2;
        tk[i].volume = 100 + (int64_t)i;
        tk[i].turnover = 38020.0;
        tk[i].has_type = true;
        tk[i].type = 1;
        tk[i].has_timestamp = true;
        tk[i].timestamp = 1709258400.123;
        tl[i] = &tk[i];
    }
    s.security = &sec;
    s.n_tickerlist = n;
    s.tickerlist = tl;
    s.name = "TENCENT";
    r.rettype = 0;
    r.s2c = &s;
    *len = protobuf_c_message_get_packed_size(&r.base);
    body = malloc(*len);
    assert_non_null(body);
    assert_int_equal(protobuf_c_message_pack(&r.base, body), *len);
    free(tl);
    free(tk);
    return body;
}

/*
 * Decode `frames` bodies round-robin (all vectors plus a 1000-tick
 * response), resetting between frames; after the first round the chunk
 * chain must never change.
 */
static void arena_steady(void **state, size_t chunk_size, size_t frames)
{
    const json_t *arr = jsection(state, "packets");
    size_t nv = json_array_size(arr);
    uint8_t *bodies[64];
    size_t lens[64];
    const ProtobufCMessageDescriptor *descs[64];
    size_t warm_n = 0;
    size_t warm_cap = 0;
    opend_msg_arena a;

    assert_true(nv + 1 <= 64);
    for (size_t i = 0; i < nv; i++) {
        const json_t *e = json_array_get(arr, i);

        bodies[i] = unhex(jstr(e, "body_hex"), &lens[i]);
        descs[i] = desc_for(e);
    }
    bodies[nv] = big_ticker_body(MSG_MAX_TICKER_NUM, &lens[nv]);
    descs[nv] = &qot__get_ticker__response__descriptor;
    nv++;

    arena_init(&a, chunk_size);
    for (size_t f = 0; f < frames; f++) {
        size_t k = f % nv;
        ProtobufCMessage *m;

        opend_msg_arena_reset(&a);
        m = opend_msg_unpack(&a, descs[k], bodies[k], lens[k]);
        assert_non_null(m);
        if (descs[k] == &qot__get_ticker__response__descriptor && k == nv - 1) {
            const QotGetTicker__Response *r = (void *)m;

            assert_int_equal(r->s2c->n_tickerlist, MSG_MAX_TICKER_NUM);
            assert_int_equal(r->s2c->tickerlist[999]->volume, 1099);
        }
        if (f + 1 == nv) {
            warm_n = arena_chunks(&a, &warm_cap);
        } else if (f + 1 > nv) {
            size_t cap = 0;
            size_t n = arena_chunks(&a, &cap);

            if (n != warm_n || cap != warm_cap)
                fail_msg("chunk %zu: frame %zu: %zu chunks / %zu bytes, "
                         "after warm-up %zu / %zu",
                         chunk_size, f, n, cap, warm_n, warm_cap);
        }
    }
    /* The last frame decoded from rewound memory is still right. */
    opend_msg_arena_reset(&a);
    {
        const json_t *e = find_vector(state, "qot_update_ticker_push_one");
        size_t len = 0;
        uint8_t *body = unhex(jstr(e, "body_hex"), &len);
        const QotUpdateTicker__Response *u = (void *)opend_msg_unpack(
            &a, &qot__update_ticker__response__descriptor, body, len);

        assert_non_null(u);
        assert_tick_a(u->s2c->tickerlist[0], true);
        free(body);
    }
    print_message("arena chunk_size %zu: %zu frames, %zu chunks, %zu bytes\n",
                  chunk_size, frames, warm_n, warm_cap);
    opend_msg_arena_free(&a);
    for (size_t i = 0; i < nv; i++)
        free(bodies[i]);
}

static void test_arena_no_growth(void **state)
{
    arena_steady(state, 0, 10000);
    arena_steady(state, 4096, 10000);
    arena_steady(state, 256, 10000);
    arena_steady(state, 16, 10000);
}

/* -------------------------------------------------- packing with cipher */

static opend_crypto_ctx *open_cipher(void **state, enum opend_crypto_mode mode)
{
    const json_t *rsa = jsection(state, "rsa");
    const json_t *aes = jsection(state, "aes");
    const char *pem = jstr(rsa, "private_key_pem_pkcs1");
    const char *key = jstr(aes, "key_ascii");
    const char *iv = jstr(aes, "iv_ascii");
    opend_crypto_ctx *c = NULL;
    char err[256] = "";
    int rc = opend_crypto_open_pem(pem, strlen(pem), &c, err, sizeof(err));

    if (rc != 0)
        fail_msg("opend_crypto_open_pem: %d %s", rc, err);
    if (mode != CRYPTO_NONE)
        assert_int_equal(opend_crypto_set_aes(c, mode, (const uint8_t *)key,
                                              (const uint8_t *)iv),
                         0);
    return c;
}

static void test_pack_encrypted(void **state)
{
    const json_t *arr = jsection(state, "encrypted_packets");
    opend_msg_arena a;
    size_t i;
    json_t *e;

    arena_init(&a, 0);
    json_array_foreach(arr, i, e)
    {
        bool cbc = strcmp(jstr(e, "mode"), "AES_CBC") == 0;
        opend_crypto_ctx *c =
            open_cipher(state, cbc ? CRYPTO_AES_CBC : CRYPTO_FTAES_ECB);
        size_t blen = 0;
        size_t plen = 0;
        uint8_t *body = unhex(jstr(e, "plaintext_body_hex"), &blen);
        uint8_t *pkt = unhex(jstr(e, "packet_hex"), &plen);
        const ProtobufCMessage *m;
        size_t need;
        uint8_t *out;
        size_t outlen = 0;

        m = opend_msg_unpack(&a, opend_msg_request_desc(jproto(e)), body, blen);
        assert_non_null(m);
        need = opend_msg_packet_size(m, true);
        assert_true(need >= plen);
        out = malloc(need);
        assert_non_null(out);
        assert_int_equal(opend_msg_pack_packet(jproto(e), jserial(e), m, c,
                                               false, out, need, &outlen),
                         0);
        assert_bytes(jstr(e, "name"), out, outlen, pkt, plen);
        assert_int_equal(opend_msg_pack_packet(jproto(e), jserial(e), m, c,
                                               false, out, need - 1, &outlen),
                         FRAME_E_SPACE);
        free(out);
        free(body);
        free(pkt);
        opend_crypto_free(c);
    }
    opend_msg_arena_free(&a);
}

/* InitConnect packed with RSA comes back through the frame parser. */
static void test_pack_rsa_round_trip(void **state)
{
    opend_crypto_ctx *c = open_cipher(state, CRYPTO_NONE);
    opend_msg_arena a;
    const ProtobufCMessage *m;
    const InitConnect__Request *back;
    opend_frame_parser p;
    const opend_frame_header *h;
    const uint8_t *body;
    size_t len = 0;
    size_t need;
    uint8_t *out;
    size_t outlen = 0;
    size_t used = 0;

    arena_init(&a, 0);
    m = decode(state, &a, "init_connect_request");
    need = opend_msg_packet_size(m, true);
    out = malloc(need);
    assert_non_null(out);
    assert_int_equal(opend_msg_pack_packet(PROTO_INIT_CONNECT, 1, m, c, true,
                                           out, need, &outlen),
                     0);
    assert_int_equal(outlen, FRAME_HEADER_LEN + 128);
    assert_int_equal(opend_frame_parser_init(&p, 0, 0), 0);
    opend_frame_parser_set_cipher(&p, c, true);
    assert_int_equal(opend_frame_parser_feed(&p, out, outlen, &used), 1);
    assert_int_equal(used, outlen);
    opend_frame_parser_frame(&p, &h, &body, &len);
    assert_int_equal(h->proto_id, PROTO_INIT_CONNECT);
    back = (const InitConnect__Request *)opend_msg_unpack(
        &a, &init_connect__request__descriptor, body, len);
    assert_non_null(back);
    assert_int_equal(back->c2s->clientver, 300);
    assert_string_equal(back->c2s->clientid, "PyNormal");
    opend_frame_parser_free(&p);
    free(out);
    opend_msg_arena_free(&a);
    opend_crypto_free(c);
}

/* A 1000-tick answer survives pack -> frame parser -> unpack intact. */
static void test_big_answer_round_trip(void **state)
{
    size_t blen = 0;
    uint8_t *body = big_ticker_body(MSG_MAX_TICKER_NUM, &blen);
    opend_msg_arena a;
    const ProtobufCMessage *m;
    const QotGetTicker__Response *r;
    opend_frame_parser p;
    const opend_frame_header *h;
    const uint8_t *pb;
    size_t plen = 0;
    uint8_t *out;
    size_t outlen = 0;
    size_t off = 0;
    int rc = 0;

    (void)state;
    arena_init(&a, 0);
    m = opend_msg_unpack(&a, &qot__get_ticker__response__descriptor, body,
                         blen);
    assert_non_null(m);
    out = malloc(opend_msg_packet_size(m, false));
    assert_non_null(out);
    assert_int_equal(
        opend_msg_pack_packet(PROTO_QOT_GET_TICKER, 77, m, NULL, false, out,
                              opend_msg_packet_size(m, false), &outlen),
        0);
    assert_int_equal(outlen, FRAME_HEADER_LEN + blen);
    assert_memory_equal(out + FRAME_HEADER_LEN, body, blen);
    /* Roughly the 75 KB of opend-protocol.md §2.2. */
    assert_in_range(blen, 60000, 90000);
    assert_int_equal(opend_frame_parser_init(&p, 0, 0), 0);
    while (off < outlen && rc == 0) {
        size_t used = 0;
        size_t n = outlen - off < 1460 ? outlen - off : 1460;

        rc = opend_frame_parser_feed(&p, out + off, n, &used);
        off += used;
    }
    assert_int_equal(rc, 1);
    assert_int_equal(off, outlen);
    opend_frame_parser_frame(&p, &h, &pb, &plen);
    assert_int_equal(h->serial, 77);
    opend_msg_arena_reset(&a);
    r = (const QotGetTicker__Response *)opend_msg_unpack(
        &a, &qot__get_ticker__response__descriptor, pb, plen);
    assert_non_null(r);
    assert_int_equal(r->s2c->n_tickerlist, MSG_MAX_TICKER_NUM);
    for (size_t i = 0; i < MSG_MAX_TICKER_NUM; i++) {
        assert_int_equal(r->s2c->tickerlist[i]->sequence,
                         7257436441708356760LL + (int64_t)i);
        assert_int_equal(r->s2c->tickerlist[i]->dir, 1 + (int)(i % 3));
    }
    opend_frame_parser_free(&p);
    free(out);
    free(body);
    opend_msg_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptors),
        cmocka_unit_test(test_unpack_repack_all),
        cmocka_unit_test(test_init_connect),
        cmocka_unit_test(test_keepalive_and_global_state),
        cmocka_unit_test(test_notify),
        cmocka_unit_test(test_qot_sub),
        cmocka_unit_test(test_sub_info_and_market_state),
        cmocka_unit_test(test_tickers),
        cmocka_unit_test(test_ticker_hpvolume_skipped),
        cmocka_unit_test(test_sdk_view),
        cmocka_unit_test(test_enum_strings),
        cmocka_unit_test(test_wire_values),
        cmocka_unit_test(test_wire_values_encode),
        cmocka_unit_test(test_decoder_tolerance),
        cmocka_unit_test(test_missing_ret_type_defaults),
        cmocka_unit_test(test_truncated_bodies),
        cmocka_unit_test(test_invalid_bodies),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_arena_rewinds),
        cmocka_unit_test(test_arena_no_growth),
        cmocka_unit_test(test_pack_encrypted),
        cmocka_unit_test(test_pack_rsa_round_trip),
        cmocka_unit_test(test_big_answer_round_trip),
    };

    return cmocka_run_group_tests_name("msg", tests, vectors_setup,
                                       vectors_teardown);
}
