/*
 * msg.c - protobuf-c glue for OpenD messages.
 *
 * The arena hands protobuf-c memory from a chain of chunks. Allocation is a
 * pointer bump; free is a no-op; opend_msg_arena_reset rewinds to the first
 * chunk and keeps every chunk for reuse, so after warm-up decoding allocates
 * nothing. A request larger than a chunk gets a dedicated chunk of its own
 * size, inserted into the chain and reused afterwards.
 *
 * Packing writes the protobuf body into the tail of the output buffer and
 * lets opend_frame_encode place header + (possibly encrypted) body at the
 * front. Thread-compatible: one arena per thread/connection.
 */
#include "opend/msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "opend/frame.h"

struct opend_msg_arena_chunk {
    opend_msg_arena_chunk *next;
    size_t cap;
    size_t used;
    max_align_t data[];
};

static opend_msg_arena_chunk *chunk_new(size_t cap)
{
    opend_msg_arena_chunk *c = malloc(sizeof(*c) + cap);
    if (!c)
        return NULL;
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    return c;
}

static void *arena_alloc(void *data, size_t size)
{
    opend_msg_arena *a = data;
    opend_msg_arena_chunk *c = a->cur;
    size_t need =
        (size + (sizeof(max_align_t) - 1)) & ~(sizeof(max_align_t) - 1);

    while (c && c->cap - c->used < need) {
        /* Only move on to chunks that are still empty at this point. */
        c = c->next;
        if (c)
            c->used = 0;
    }
    if (!c) {
        size_t cap = need > a->chunk_size ? need : a->chunk_size;
        c = chunk_new(cap);
        if (!c)
            return NULL;
        c->next = a->cur->next;
        a->cur->next = c;
    }
    a->cur = c;
    void *p = (char *)c->data + c->used;
    c->used += need;
    return p;
}

static void arena_free(void *data, void *ptr)
{
    (void)data;
    (void)ptr;
}

int opend_msg_arena_init(opend_msg_arena *a, size_t chunk_size)
{
    memset(a, 0, sizeof(*a));
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
    a->head = chunk_new(a->chunk_size);
    if (!a->head)
        return -ENOMEM;
    a->cur = a->head;
    a->alloc.alloc = arena_alloc;
    a->alloc.free = arena_free;
    a->alloc.allocator_data = a;
    return 0;
}

void opend_msg_arena_reset(opend_msg_arena *a)
{
    a->cur = a->head;
    a->head->used = 0;
}

void opend_msg_arena_free(opend_msg_arena *a)
{
    opend_msg_arena_chunk *c = a->head;
    while (c) {
        opend_msg_arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    memset(a, 0, sizeof(*a));
}

struct proto_entry {
    uint32_t id;
    const char *name;
    const ProtobufCMessageDescriptor *req;
    const ProtobufCMessageDescriptor *rsp;
};

static const struct proto_entry protos[] = {
    {PROTO_INIT_CONNECT, "InitConnect", &init_connect__request__descriptor,
     &init_connect__response__descriptor},
    {PROTO_GET_GLOBAL_STATE, "GetGlobalState",
     &get_global_state__request__descriptor,
     &get_global_state__response__descriptor},
    {PROTO_NOTIFY, "Notify", NULL, &notify__response__descriptor},
    {PROTO_KEEP_ALIVE, "KeepAlive", &keep_alive__request__descriptor,
     &keep_alive__response__descriptor},
    {PROTO_QOT_SUB, "Qot_Sub", &qot__sub__request__descriptor,
     &qot__sub__response__descriptor},
    {PROTO_QOT_REG_QOT_PUSH, "Qot_RegQotPush",
     &qot__reg_qot_push__request__descriptor,
     &qot__reg_qot_push__response__descriptor},
    {PROTO_QOT_GET_SUB_INFO, "Qot_GetSubInfo",
     &qot__get_sub_info__request__descriptor,
     &qot__get_sub_info__response__descriptor},
    {PROTO_QOT_GET_TICKER, "Qot_GetTicker",
     &qot__get_ticker__request__descriptor,
     &qot__get_ticker__response__descriptor},
    {PROTO_QOT_UPDATE_TICKER, "Qot_UpdateTicker", NULL,
     &qot__update_ticker__response__descriptor},
    {PROTO_QOT_GET_MARKET_STATE, "Qot_GetMarketState",
     &qot__get_market_state__request__descriptor,
     &qot__get_market_state__response__descriptor},
};

static const struct proto_entry *find_proto(uint32_t id)
{
    for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
        if (protos[i].id == id)
            return &protos[i];
    return NULL;
}

const char *opend_msg_proto_name(uint32_t proto_id)
{
    const struct proto_entry *e = find_proto(proto_id);
    return e ? e->name : "unknown";
}

const ProtobufCMessageDescriptor *opend_msg_response_desc(uint32_t proto_id)
{
    const struct proto_entry *e = find_proto(proto_id);
    return e ? e->rsp : NULL;
}

const ProtobufCMessageDescriptor *opend_msg_request_desc(uint32_t proto_id)
{
    const struct proto_entry *e = find_proto(proto_id);
    return e ? e->req : NULL;
}

ProtobufCMessage *opend_msg_unpack(opend_msg_arena *a,
                                   const ProtobufCMessageDescriptor *desc,
                                   const uint8_t *body, size_t len)
{
    return protobuf_c_message_unpack(desc, &a->alloc, len, body);
}

size_t opend_msg_packet_size(const ProtobufCMessage *m, bool encrypted)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    return encrypted ? opend_frame_encoded_max(n) + n : FRAME_HEADER_LEN + n;
}

int opend_msg_pack_packet(uint32_t proto_id, uint32_t serial,
                          const ProtobufCMessage *m, opend_crypto_ctx *cipher,
                          bool rsa, uint8_t *out, size_t cap, size_t *outlen)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    bool enc = cipher && (rsa || opend_crypto_mode_get(cipher) != CRYPTO_NONE);

    if (!enc) {
        /* Plaintext: pack in place after the header, hash, write header. */
        if (cap < FRAME_HEADER_LEN + n)
            return FRAME_E_SPACE;
        protobuf_c_message_pack(m, out + FRAME_HEADER_LEN);
        return opend_frame_encode(proto_id, serial, out + FRAME_HEADER_LEN, n,
                                  NULL, false, out, cap, outlen) == 0
                   ? 0
                   : FRAME_E_SPACE;
    }
    /* Encrypted: pack into the tail, encrypt into the front. */
    if (cap < opend_frame_encoded_max(n) + n)
        return FRAME_E_SPACE;
    uint8_t *scratch = out + cap - n;
    protobuf_c_message_pack(m, scratch);
    return opend_frame_encode(proto_id, serial, scratch, n, cipher, rsa, out,
                              cap - n, outlen);
}

const char *opend_msg_direction_str(int dir)
{
    switch (dir) {
    case 1:
        return "BUY";
    case 2:
        return "SELL";
    case 3:
        return "NEUTRAL";
    default:
        return "N/A";
    }
}

static const char *const ticker_types[] = {
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

const char *opend_msg_ticker_type_str(int type, bool has)
{
    if (!has || type < 0 ||
        type >= (int)(sizeof(ticker_types) / sizeof(ticker_types[0])))
        return "N/A";
    return ticker_types[type];
}

const char *opend_msg_push_data_type_str(int t)
{
    switch (t) {
    case 1:
        return "REALTIME";
    case 2:
        return "BYDISCONN";
    case 3:
        return "CACHE";
    default:
        return "N/A";
    }
}

static const struct {
    int id;
    const char *prefix;
} markets[] = {
    {1, "HK"},  {2, "HK_FUTURE"}, {11, "US"}, {21, "SH"},
    {22, "SZ"}, {31, "SG"},       {41, "JP"}, {51, "AU"},
    {61, "MY"}, {71, "CA"},       {81, "FX"},
};

const char *opend_msg_market_prefix(int market)
{
    for (size_t i = 0; i < sizeof(markets) / sizeof(markets[0]); i++)
        if (markets[i].id == market)
            return markets[i].prefix;
    return "N/A";
}

int opend_msg_market_from_prefix(const char *prefix, size_t len)
{
    for (size_t i = 0; i < sizeof(markets) / sizeof(markets[0]); i++)
        if (strlen(markets[i].prefix) == len &&
            memcmp(markets[i].prefix, prefix, len) == 0)
            return markets[i].id;
    return -1;
}
