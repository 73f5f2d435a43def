/*
 * fuzz_frame.c - libFuzzer target: frame parser + protobuf decoding.
 *
 * Input layout:
 *
 *   offset size meaning
 *   ------ ---- -------------------------------------------------------
 *        0    1 control byte c
 *        1    n the byte stream a socket would deliver
 *
 *   c & 0x1f   0 = feed the stream in one call; k = chunks of 1..k bytes,
 *              sizes from an xorshift generator seeded with c (1 = one
 *              byte at a time)
 *   c & 0x20   0 = before feeding, walk the stream frame by frame (by each
 *              header's body_len) and rewrite every header's SHA1 to match
 *              its body (decrypted first when a cipher is selected), so
 *              mutated bodies reach the protobuf decoder instead of
 *              stopping at FRAME_E_SHA1; 1 = feed the bytes untouched
 *   c >> 6     0 plaintext, 1 AES-CBC, 2 FTAES-ECB, 3 AES-CBC and RSA for
 *              InitConnect (1001) bodies; key, IV and RSA key are the
 *              test-only values of tests/data/opend-vectors.json
 *
 * tests/fuzz/make_corpus.sh writes each vector packet with c = 0 and a few
 * other control bytes, so the seeds start on the plaintext path.
 *
 * Every complete frame is decoded with the response and the request
 * descriptor of its proto id (arena reset per frame). Ticker-carrying
 * messages (3010, 3011) go through the same display and time-parsing calls
 * as the collector. A decoded message must survive opend_msg_pack_packet -> a
 * second parser -> opend_msg_unpack, and packing that result must give the same
 * bytes again; a violation aborts (a finding).
 *
 * State (parsers, arena, cipher contexts) is created on the first call and
 * reset, not rebuilt, for every input, as on a long-lived connection.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "common/hktime.h"
#include "opend/crypto.h"
#include "opend/frame.h"
#include "opend/msg.h"

/* Test-only key from tests/data/opend-vectors.json (rsa section). */
static const char test_pem[] =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIICXQIBAAKBgQCxmqFctB4cwsEj/k3xduwCEv2c8D9sNdzLYfv/56exBiNlii2l\n"
    "ufTn6xTZVAWiM42q7Pc/r8p+t3Tho2R9Lj35xjAn0NsJ8D94iPD7deYSErKwkcAP\n"
    "IBrco2oCBFuiEOg0snir/+72GCwyyYrkwdAL1diI/wgjQP4o6G04M8HrnQIDAQAB\n"
    "AoGAAPP+YePgXErzqpcVFJkmeuJemw0ZztTBKq3YonU8GKUBFp/o6JoSK7ALkuXM\n"
    "O/EaSJ/WudarKwZRnPTGasePP8Z+viHRGSZ2HFnzBreLvoPb2CbrMgjSWGLtBBAR\n"
    "jYe7CNp5AIaCimGwMw/txgLXtvfCZReChtRFN5KBdhaf+EECQQC+7eSVcHegUzEu\n"
    "cAFCEnOtppaLRiylMCw2muLO2SxLJVbwwNY5c/3/E7sMXunqlKrxJsIDpS9tib2D\n"
    "jLk9pWThAkEA7iIki2PA2p1wSknBOo0v5fyW9Wiq7fBJvYfelVycSkNsfcPrYpC9\n"
    "Q2ZjaQBZmcdq4mRwEW2fwakWgVAot1MiPQJBALSPka7pz5flVQuPjQEJJjDA7HoG\n"
    "AU6vAgEZ9QidRVBDnbbNB0sKMNi7thb648ielBK/DpgX7YRv0LPJr51m/sECQQDh\n"
    "0Mi80bx40uE/4Q72ehpYyp1QXI/ykHEs5KIDG04t8h/4ZwhYcI65Umekk6tj80H9\n"
    "K2dGb6EWIUTxHVVu+su1AkBXJD7Z6/Q5jS+SIA8co3DrPBcPC8kSQayRPFgqmnmS\n"
    "lOJjf7iMIzJhX5LlKa/Q0TEZfbnQpX91eobjabEwIG8d\n"
    "-----END RSA PRIVATE KEY-----\n";
static const uint8_t test_key[16] = "0123456789abcdef";
static const uint8_t test_iv[16] = "fedcba9876543210";

/* Fixed "now" for time-only strings: 2024-03-01 10:00:00.123 HK. */
#define FUZZ_NOW_MS 1709258400123LL

static struct {
    bool ready;
    opend_frame_parser p;     /* parses the fuzz stream */
    opend_frame_parser check; /* parses the re-encoded packet */
    opend_msg_arena arena;
    opend_crypto_ctx *cbc;
    opend_crypto_ctx *ecb;
    uint8_t *out; /* re-encoded packet */
    size_t out_cap;
    uint8_t *tmp; /* second encoding */
    size_t tmp_cap;
    uint8_t *stream; /* the input with SHA1 fields rewritten */
    size_t stream_cap;
    uint8_t *plain; /* decrypted body for the SHA1 rewrite */
    size_t plain_cap;
} g;

static volatile size_t sink;

static void setup(void)
{
    char err[128];

    if (opend_frame_parser_init(&g.p, 0, 0) != 0 ||
        opend_frame_parser_init(&g.check, 0, 0) != 0 ||
        opend_msg_arena_init(&g.arena, 0) != 0)
        abort();
    if (opend_crypto_open_pem(test_pem, sizeof(test_pem) - 1, &g.cbc, err,
                              sizeof(err)) != 0 ||
        opend_crypto_open_pem(test_pem, sizeof(test_pem) - 1, &g.ecb, err,
                              sizeof(err)) != 0)
        abort();
    if (opend_crypto_set_aes(g.cbc, CRYPTO_AES_CBC, test_key, test_iv) != 0 ||
        opend_crypto_set_aes(g.ecb, CRYPTO_FTAES_ECB, test_key, NULL) != 0)
        abort();
    g.ready = true;
}

static void ticker(const QotCommon__Ticker *t, int market)
{
    enum hktime_zone zone = market == 11 ? HKTIME_ZONE_US : HKTIME_ZONE_HK;
    int64_t ms = 0;

    sink += strlen(opend_msg_direction_str(t->dir));
    sink += strlen(opend_msg_ticker_type_str(t->type, t->has_type));
    sink += strlen(opend_msg_push_data_type_str(t->pushdatatype));
    if (t->time == NULL)
        abort(); /* required: a decoded Ticker always has it */
    if (hktime_parse(t->time, strlen(t->time), zone, FUZZ_NOW_MS, &ms) == 0)
        sink += (size_t)hktime_trading_day(ms);
    sink += (size_t)t->sequence + (size_t)t->volume;
    sink += t->price > t->turnover;
}

static void tickers(const QotCommon__Security *sec,
                    QotCommon__Ticker *const *list, size_t n, const char *name)
{
    const char *prefix;

    if (sec == NULL || sec->code == NULL)
        abort(); /* both required */
    prefix = opend_msg_market_prefix(sec->market);
    sink += (size_t)opend_msg_market_from_prefix(prefix, strlen(prefix));
    sink += strlen(sec->code) + (name ? strlen(name) : 0);
    for (size_t i = 0; i < n; i++)
        ticker(list[i], sec->market);
}

/* The collector's ticker path for the two messages that carry ticks. */
static void walk(uint32_t id, const ProtobufCMessage *m)
{
    if (m->descriptor == &qot__update_ticker__response__descriptor) {
        const QotUpdateTicker__Response *r = (const void *)m;

        if (r->s2c)
            tickers(r->s2c->security, r->s2c->tickerlist, r->s2c->n_tickerlist,
                    r->s2c->name);
    } else if (m->descriptor == &qot__get_ticker__response__descriptor) {
        const QotGetTicker__Response *r = (const void *)m;

        if (r->s2c)
            tickers(r->s2c->security, r->s2c->tickerlist, r->s2c->n_tickerlist,
                    r->s2c->name);
    } else if (m->descriptor == &qot__get_ticker__request__descriptor) {
        const QotGetTicker__Request *r = (const void *)m;

        if (r->c2s == NULL || r->c2s->security == NULL)
            abort();
        sink += (size_t)r->c2s->maxretnum;
    }
    (void)id;
}

/* Grow *buf to at least need bytes (kept across inputs). */
static uint8_t *reserve(uint8_t **buf, size_t *cap, size_t need)
{
    if (need > *cap) {
        free(*buf);
        *buf = malloc(need * 2);
        if (*buf == NULL)
            abort();
        *cap = need * 2;
    }
    return *buf;
}

/*
 * True if m or a sub-message holds an unknown field numbered 0. protobuf-c
 * 1.4 rejects key byte 0x00 but accepts an over-long key such as 80 00
 * (field 0, varint) as an unknown field, and then packs it as 00, which it
 * refuses on the way back in: a library quirk, harmless to us, that the
 * round-trip oracle must not report.
 */
static bool has_field0(const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;

    for (unsigned i = 0; i < m->n_unknown_fields; i++)
        if (m->unknown_fields[i].tag == 0)
            return true;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *base = (const char *)m;

        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            ProtobufCMessage *const *arr =
                *(ProtobufCMessage *const *const *)(base + f->offset);

            for (size_t k = 0; k < n; k++)
                if (has_field0(arr[k]))
                    return true;
        } else {
            const ProtobufCMessage *sub =
                *(const ProtobufCMessage *const *)(base + f->offset);

            if (sub && has_field0(sub))
                return true;
        }
    }
    return false;
}

/*
 * Re-encode m as a packet, parse it back and decode it again; packing the
 * second message must reproduce the first encoding exactly.
 */
static void round_trip(uint32_t id, uint32_t serial, const ProtobufCMessage *m)
{
    size_t need = opend_msg_packet_size(m, false);
    uint8_t *out;
    size_t len = 0;
    size_t used = 0;
    const opend_frame_header *h;
    const uint8_t *body;
    size_t blen;
    ProtobufCMessage *m2;
    uint8_t *again;

    if (has_field0(m))
        return;
    out = reserve(&g.out, &g.out_cap, need);
    if (opend_msg_pack_packet(id, serial, m, NULL, false, out, need, &len) !=
            0 ||
        len != need)
        abort();
    opend_frame_parser_reset(&g.check);
    if (opend_frame_parser_feed(&g.check, out, len, &used) != 1 || used != len)
        abort();
    opend_frame_parser_frame(&g.check, &h, &body, &blen);
    if (h->proto_id != id || h->serial != serial ||
        blen != len - FRAME_HEADER_LEN ||
        (blen > 0 && memcmp(body, out + FRAME_HEADER_LEN, blen) != 0))
        abort();
    m2 = opend_msg_unpack(&g.arena, m->descriptor, body, blen);
    if (m2 == NULL || protobuf_c_message_get_packed_size(m2) != blen)
        abort();
    again = reserve(&g.tmp, &g.tmp_cap, blen + 1);
    if (protobuf_c_message_pack(m2, again) != blen ||
        memcmp(again, out + FRAME_HEADER_LEN, blen) != 0)
        abort();
}

static void decode(const opend_frame_header *h, const uint8_t *body, size_t len)
{
    const ProtobufCMessageDescriptor *d[2] = {
        opend_msg_response_desc(h->proto_id),
        opend_msg_request_desc(h->proto_id)};

    sink += strlen(opend_msg_proto_name(h->proto_id));
    for (int i = 0; i < 2; i++) {
        ProtobufCMessage *m;

        if (d[i] == NULL)
            continue;
        opend_msg_arena_reset(&g.arena);
        m = opend_msg_unpack(&g.arena, d[i], body, len);
        if (m == NULL)
            continue;
        walk(h->proto_id, m);
        round_trip(h->proto_id, h->serial, m);
    }
    opend_msg_arena_reset(&g.arena);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/*
 * Rewrite the SHA1 of every whole frame in s[0..n) to the digest of its
 * plaintext body, decrypting with c (RSA for 1001 when rsa) as the parser
 * will. Bodies that do not decrypt keep their SHA1.
 */
static void fix_sha1(uint8_t *s, size_t n, opend_crypto_ctx *c, bool rsa)
{
    size_t off = 0;

    while (n - off >= FRAME_HEADER_LEN) {
        uint8_t *h = s + off;
        uint32_t id = get_u32(h + 2);
        size_t blen = get_u32(h + 12);
        const uint8_t *body = h + FRAME_HEADER_LEN;
        size_t plen = blen;
        int rc = 0;

        if (blen > n - off - FRAME_HEADER_LEN)
            return;
        if (c && ((rsa && id == PROTO_INIT_CONNECT) ||
                  opend_crypto_mode_get(c) != CRYPTO_NONE)) {
            uint8_t *pl =
                reserve(&g.plain, &g.plain_cap, opend_crypto_max_out(blen) + 1);

            if (rsa && id == PROTO_INIT_CONNECT)
                rc = opend_crypto_rsa_decrypt(c, body, blen, pl, g.plain_cap,
                                              &plen);
            else
                rc = opend_crypto_aes_decrypt(c, body, blen, pl, g.plain_cap,
                                              &plen);
            body = pl;
        }
        if (rc == 0)
            SHA1(body, plen, h + 16);
        off += FRAME_HEADER_LEN + blen;
    }
}

static uint32_t next_rand(uint32_t *s)
{
    uint32_t x = *s;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t ctl;
    size_t max_chunk;
    uint32_t seed;
    size_t off = 0;
    opend_crypto_ctx *cipher = NULL;
    bool rsa = false;

    if (!g.ready)
        setup();
    if (size == 0)
        return 0;
    ctl = data[0];
    data++;
    size--;
    max_chunk = ctl & 0x1f;
    seed = 0x9e3779b9u ^ ctl;

    opend_frame_parser_reset(&g.p);
    switch (ctl >> 6) {
    case 1:
        cipher = g.cbc;
        break;
    case 2:
        cipher = g.ecb;
        break;
    case 3:
        cipher = g.cbc;
        rsa = true;
        break;
    default:
        break;
    }
    opend_frame_parser_set_cipher(&g.p, cipher, rsa);
    if ((ctl & 0x20) == 0) {
        uint8_t *copy = reserve(&g.stream, &g.stream_cap, size + 1);

        memcpy(copy, data, size);
        fix_sha1(copy, size, cipher, rsa);
        data = copy;
    }

    while (off < size) {
        size_t n = size - off;
        size_t coff = 0;

        if (max_chunk > 0) {
            size_t k = 1 + next_rand(&seed) % max_chunk;

            if (k < n)
                n = k;
        }
        for (;;) {
            size_t used = 0;
            int rc = opend_frame_parser_feed(&g.p, data + off + coff, n - coff,
                                             &used);

            if (used > n - coff)
                abort();
            coff += used;
            if (rc < 0) {
                /* Sticky: nothing more is consumed. */
                if (opend_frame_parser_feed(&g.p, data, size, &used) != rc ||
                    used != 0)
                    abort();
                return 0;
            }
            if (rc == 0) {
                if (coff != n)
                    abort();
                break;
            }
            {
                const opend_frame_header *h;
                const uint8_t *body;
                size_t blen;

                opend_frame_parser_frame(&g.p, &h, &body, &blen);
                if (blen > 0 && body == NULL)
                    abort();
                decode(h, body, blen);
            }
        }
        off += n;
    }
    return 0;
}
