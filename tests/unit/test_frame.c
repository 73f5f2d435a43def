/*
 * test_frame.c - unit tests for opend/frame.c.
 *
 * Known answers come from tests/data/opend-vectors.json (sections packets,
 * encrypted_packets, rsa, aes), found through $HK_VECTORS or the repository
 * relative default. The group setup loads the file once, decodes every
 * packet's hex into a struct vec_packet and hands the set to every test as
 * its state; tests never modify it (they copy a packet before tampering).
 *
 * Coverage: header read/write against every vector header; opend_frame_encode
 * reproducing every packet byte for byte; the incremental parser fed each
 * packet whole, one byte at a time and split in two at every offset; all
 * packets concatenated into one stream and fed in pseudo-random chunks
 * (fixed seeds, so failures reproduce); every rejection code with its
 * stickiness and opend_frame_parser_reset; empty bodies; AES (FTAES_ECB, CBC)
 * and RSA bodies through both the encoder and the parser.
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
#include <jansson.h>
#include <openssl/sha.h>

#include "opend/crypto.h"
#include "opend/frame.h"

#define DEFAULT_VECTORS "tests/data/opend-vectors.json"
#define MAX_PACKETS 64
#define SHA1_EMPTY "da39a3ee5e6b4b0d3255bfef95601890afd80709"

/* One decoded entry of `packets` or `encrypted_packets`. */
struct vec_packet {
    const char *name;
    uint32_t proto_id;
    uint32_t serial;
    uint8_t *header; /* 44 bytes */
    uint8_t *wire;   /* body as sent (ciphertext when encrypted) */
    size_t wire_len;
    uint8_t *plain; /* plaintext body (== wire when not encrypted) */
    size_t plain_len;
    uint8_t *packet; /* header + wire */
    size_t packet_len;
    uint8_t sha1[FRAME_SHA1_LEN];
    const char *mode; /* encrypted_packets only: "FTAES_ECB" / "AES_CBC" */
};

struct vec_set {
    json_t *root;
    struct vec_packet plain[MAX_PACKETS];
    size_t n_plain;
    struct vec_packet enc[MAX_PACKETS];
    size_t n_enc;
};

/* ---------------------------------------------------------------- helpers */

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/*
 * Decode hex into a malloc'd buffer of at least one byte (so it is never
 * NULL for an empty string). Returns NULL on bad hex or no memory.
 */
static uint8_t *unhex(const char *hex, size_t *len)
{
    size_t n = hex ? strlen(hex) : 1;
    uint8_t *buf;

    if (n % 2 != 0)
        return NULL;
    buf = malloc(n / 2 + 1);
    if (buf == NULL)
        return NULL;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(hex[2 * i]);
        int lo = hexval(hex[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            free(buf);
            return NULL;
        }
        buf[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return buf;
}

static const char *jstr(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static void free_packet(struct vec_packet *v)
{
    if (v->plain != v->wire)
        free(v->plain);
    free(v->header);
    free(v->wire);
    free(v->packet);
    memset(v, 0, sizeof(*v));
}

/* Fill v from one JSON entry; enc selects the encrypted_packets layout. */
static int load_packet(const json_t *e, bool enc, struct vec_packet *v)
{
    size_t hlen = 0;
    size_t slen = 0;
    uint8_t *sha = NULL;

    memset(v, 0, sizeof(*v));
    v->name = jstr(e, "name");
    v->proto_id = (uint32_t)json_integer_value(json_object_get(e, "proto_id"));
    v->serial = (uint32_t)json_integer_value(json_object_get(e, "serial_no"));
    v->header = unhex(jstr(e, "header_hex"), &hlen);
    v->wire = unhex(jstr(e, "body_hex"), &v->wire_len);
    v->packet = unhex(jstr(e, "packet_hex"), &v->packet_len);
    if (enc) {
        v->mode = jstr(e, "mode");
        v->plain = unhex(jstr(e, "plaintext_body_hex"), &v->plain_len);
    } else {
        v->plain = v->wire;
        v->plain_len = v->wire_len;
        sha = unhex(jstr(e, "body_sha1_hex"), &slen);
    }
    if (v->name == NULL || v->header == NULL || v->wire == NULL ||
        v->packet == NULL || v->plain == NULL || hlen != FRAME_HEADER_LEN ||
        (!enc && (sha == NULL || slen != FRAME_SHA1_LEN)) ||
        (enc && v->mode == NULL)) {
        free(sha);
        return -1;
    }
    if (sha) {
        memcpy(v->sha1, sha, FRAME_SHA1_LEN);
        free(sha);
    } else {
        SHA1(v->plain, v->plain_len, v->sha1);
    }
    return 0;
}

static int load_section(json_t *root, const char *key, bool enc,
                        struct vec_packet *out, size_t *n)
{
    const json_t *arr = json_object_get(root, key);
    size_t i;
    json_t *e;

    if (!json_is_array(arr) || json_array_size(arr) > MAX_PACKETS)
        return -1;
    json_array_foreach(arr, i, e)
    {
        if (load_packet(e, enc, &out[i]) != 0) {
            fprintf(stderr, "%s[%zu]: malformed vector\n", key, i);
            return -1;
        }
        *n = i + 1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    struct vec_set *vs = *state;

    if (vs == NULL)
        return 0;
    for (size_t i = 0; i < vs->n_plain; i++)
        free_packet(&vs->plain[i]);
    for (size_t i = 0; i < vs->n_enc; i++)
        free_packet(&vs->enc[i]);
    json_decref(vs->root);
    free(vs);
    *state = NULL;
    return 0;
}

static int group_setup(void **state)
{
    const char *path = getenv("HK_VECTORS");
    struct vec_set *vs = calloc(1, sizeof(*vs));
    json_error_t jerr;

    if (vs == NULL)
        return -1;
    *state = vs;
    if (path == NULL || path[0] == '\0')
        path = DEFAULT_VECTORS;
    vs->root = json_load_file(path, 0, &jerr);
    if (vs->root == NULL) {
        fprintf(stderr, "%s:%d: %s\n", path, jerr.line, jerr.text);
        group_teardown(state);
        return -1;
    }
    if (load_section(vs->root, "packets", false, vs->plain, &vs->n_plain) ||
        load_section(vs->root, "encrypted_packets", true, vs->enc,
                     &vs->n_enc)) {
        group_teardown(state);
        return -1;
    }
    return 0;
}

static const struct vec_set *vset(void **state)
{
    return *state;
}

static const struct vec_packet *find_packet(void **state, const char *name)
{
    const struct vec_set *vs = vset(state);

    for (size_t i = 0; i < vs->n_plain; i++)
        if (strcmp(vs->plain[i].name, name) == 0)
            return &vs->plain[i];
    fail_msg("no packet vector \"%s\"", name);
    return NULL;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);

    assert_non_null(d);
    if (n)
        memcpy(d, p, n);
    return d;
}

/* Compare byte strings, reporting the first differing offset. */
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

/* Deterministic xorshift64 so random chunking is reproducible. */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static void parser_init(opend_frame_parser *p, uint32_t max_body, size_t cap)
{
    int rc = opend_frame_parser_init(p, max_body, cap);

    assert_int_equal(rc, 0);
}

static opend_crypto_ctx *open_cipher(void **state, const char *mode)
{
    const json_t *rsa = json_object_get(vset(state)->root, "rsa");
    const json_t *aes = json_object_get(vset(state)->root, "aes");
    const char *pem = jstr(rsa, "private_key_pem_pkcs1");
    const char *key = jstr(aes, "key_ascii");
    const char *iv = jstr(aes, "iv_ascii");
    opend_crypto_ctx *c = NULL;
    char err[256] = "";
    int rc;

    assert_non_null(pem);
    assert_non_null(key);
    assert_non_null(iv);
    assert_int_equal(strlen(key), 16);
    assert_int_equal(strlen(iv), 16);
    rc = opend_crypto_open_pem(pem, strlen(pem), &c, err, sizeof(err));
    if (rc != 0)
        fail_msg("opend_crypto_open_pem: %d %s", rc, err);
    if (mode == NULL)
        return c;
    if (strcmp(mode, "AES_CBC") == 0)
        rc = opend_crypto_set_aes(c, CRYPTO_AES_CBC, (const uint8_t *)key,
                                  (const uint8_t *)iv);
    else if (strcmp(mode, "FTAES_ECB") == 0)
        rc = opend_crypto_set_aes(c, CRYPTO_FTAES_ECB, (const uint8_t *)key,
                                  NULL);
    else
        fail_msg("unknown mode \"%s\"", mode);
    assert_int_equal(rc, 0);
    return c;
}

/* ------------------------------------------------------ stream checking */

/*
 * A feeder pushes chunks into a parser and checks that the frames coming
 * out are exactly want[0..nwant) in order, with exact headers and bodies.
 */
struct feeder {
    opend_frame_parser *p;
    const struct vec_packet *const *want;
    size_t nwant;
    size_t got;
};

static void check_frame(const opend_frame_parser *p, const struct vec_packet *v)
{
    const opend_frame_header *h = NULL;
    const uint8_t *body = NULL;
    size_t len = 0;

    opend_frame_parser_frame(p, &h, &body, &len);
    assert_non_null(h);
    assert_int_equal(h->proto_id, v->proto_id);
    assert_int_equal(h->serial, v->serial);
    assert_int_equal(h->fmt, 0);
    assert_int_equal(h->ver, 0);
    assert_int_equal(h->body_len, v->wire_len);
    assert_memory_equal(h->sha1, v->sha1, FRAME_SHA1_LEN);
    if (len > 0)
        assert_non_null(body);
    assert_bytes(v->name, body, len, v->plain, v->plain_len);
}

static void feed_chunk(struct feeder *f, const uint8_t *data, size_t len)
{
    size_t off = 0;

    for (;;) {
        size_t used = 12345;
        int rc = opend_frame_parser_feed(f->p, data + off, len - off, &used);

        assert_in_range(used, 0, len - off);
        off += used;
        if (rc == 0) {
            assert_int_equal(off, len);
            return;
        }
        assert_int_equal(rc, 1);
        if (f->got >= f->nwant)
            fail_msg("unexpected frame %zu", f->got);
        check_frame(f->p, f->want[f->got]);
        f->got++;
    }
}

/* ------------------------------------------------------------ header */

static void test_header_read_vectors(void **state)
{
    const struct vec_set *vs = vset(state);

    assert_int_equal(vs->n_plain, 27);
    for (size_t i = 0; i < vs->n_plain; i++) {
        const struct vec_packet *v = &vs->plain[i];
        uint8_t digest[FRAME_SHA1_LEN];
        uint8_t out[FRAME_HEADER_LEN];
        opend_frame_header h;

        memset(&h, 0xa5, sizeof(h));
        assert_int_equal(opend_frame_header_read(v->header, &h), 0);
        assert_int_equal(h.proto_id, v->proto_id);
        assert_int_equal(h.serial, v->serial);
        assert_int_equal(h.body_len, v->wire_len);
        assert_int_equal(h.fmt, 0);
        assert_int_equal(h.ver, 0);
        assert_memory_equal(h.sha1, v->sha1, FRAME_SHA1_LEN);
        /* The vector's SHA1 really is SHA1(body). */
        SHA1(v->wire, v->wire_len, digest);
        assert_memory_equal(digest, v->sha1, FRAME_SHA1_LEN);
        /* The packet is header + body. */
        assert_int_equal(v->packet_len, FRAME_HEADER_LEN + v->wire_len);
        assert_memory_equal(v->packet, v->header, FRAME_HEADER_LEN);
        /* Writing the header back gives the same 44 bytes. */
        memset(out, 0xa5, sizeof(out));
        opend_frame_header_write(&h, out);
        assert_bytes(v->name, out, sizeof(out), v->header, FRAME_HEADER_LEN);
    }
}

static void test_header_write_layout(void **state)
{
    opend_frame_header h = {.proto_id = 0x04030201u,
                            .fmt = 0,
                            .ver = 0,
                            .serial = 0xfffffffeu,
                            .body_len = 0x00a0b0c0u};
    static const uint8_t want[16] = {'F',  'T',  0x01, 0x02, 0x03, 0x04,
                                     0x00, 0x00, 0xfe, 0xff, 0xff, 0xff,
                                     0xc0, 0xb0, 0xa0, 0x00};
    uint8_t out[FRAME_HEADER_LEN];
    uint8_t zero[8] = {0};
    opend_frame_header back;

    (void)state;
    for (int i = 0; i < FRAME_SHA1_LEN; i++)
        h.sha1[i] = (uint8_t)(0xe0 + i);
    memset(out, 0xff, sizeof(out));
    opend_frame_header_write(&h, out);
    assert_memory_equal(out, want, sizeof(want));
    assert_memory_equal(out + 16, h.sha1, FRAME_SHA1_LEN);
    assert_memory_equal(out + 36, zero, sizeof(zero));
    assert_int_equal(opend_frame_header_read(out, &back), 0);
    assert_int_equal(back.proto_id, h.proto_id);
    assert_int_equal(back.serial, h.serial);
    assert_int_equal(back.body_len, h.body_len);
    assert_memory_equal(back.sha1, h.sha1, FRAME_SHA1_LEN);
}

static void test_header_read_errors(void **state)
{
    const struct vec_packet *v = find_packet(state, "keepalive_request");
    uint8_t hdr[FRAME_HEADER_LEN];
    opend_frame_header h;

    memcpy(hdr, v->header, sizeof(hdr));
    hdr[0] = 'f';
    assert_int_equal(opend_frame_header_read(hdr, &h), FRAME_E_FLAG);
    assert_int_equal(h.proto_id, 1004); /* still filled in */
    memcpy(hdr, v->header, sizeof(hdr));
    hdr[1] = 0;
    assert_int_equal(opend_frame_header_read(hdr, &h), FRAME_E_FLAG);
    memcpy(hdr, v->header, sizeof(hdr));
    hdr[6] = 1;
    assert_int_equal(opend_frame_header_read(hdr, &h), FRAME_E_FORMAT);
    assert_int_equal(h.fmt, 1);
    assert_int_equal(h.serial, 2);
    hdr[6] = 0xff;
    assert_int_equal(opend_frame_header_read(hdr, &h), FRAME_E_FORMAT);
    /* Version and reserved bytes are not checked (the SDK ignores them). */
    memcpy(hdr, v->header, sizeof(hdr));
    hdr[7] = 3;
    hdr[36] = 0x77;
    hdr[43] = 0x88;
    assert_int_equal(opend_frame_header_read(hdr, &h), 0);
    assert_int_equal(h.ver, 3);
}

static void test_strerror(void **state)
{
    static const int codes[] = {FRAME_E_FLAG, FRAME_E_FORMAT, FRAME_E_TOO_BIG,
                                FRAME_E_SHA1, FRAME_E_NOMEM,  FRAME_E_CRYPT,
                                FRAME_E_SPACE};
    size_t n = sizeof(codes) / sizeof(codes[0]);
    const char *unknown = opend_frame_strerror(12345);

    (void)state;
    assert_non_null(unknown);
    for (size_t i = 0; i < n; i++) {
        const char *s = opend_frame_strerror(codes[i]);

        assert_non_null(s);
        assert_string_not_equal(s, unknown);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, opend_frame_strerror(codes[j]));
    }
}

/* ------------------------------------------------------------ encoder */

static void test_encode_vectors(void **state)
{
    const struct vec_set *vs = vset(state);

    for (size_t i = 0; i < vs->n_plain; i++) {
        const struct vec_packet *v = &vs->plain[i];
        size_t cap = opend_frame_encoded_max(v->wire_len);
        uint8_t *out = malloc(cap);
        size_t outlen = 0;
        int rc;

        assert_non_null(out);
        assert_true(cap >= v->packet_len);
        rc = opend_frame_encode(v->proto_id, v->serial, v->wire, v->wire_len,
                                NULL, false, out, cap, &outlen);
        assert_int_equal(rc, 0);
        assert_bytes(v->name, out, outlen, v->packet, v->packet_len);
        /* Exactly the packet size is enough; one byte less is not. */
        rc = opend_frame_encode(v->proto_id, v->serial, v->wire, v->wire_len,
                                NULL, false, out, v->packet_len, &outlen);
        assert_int_equal(rc, 0);
        assert_bytes(v->name, out, outlen, v->packet, v->packet_len);
        rc = opend_frame_encode(v->proto_id, v->serial, v->wire, v->wire_len,
                                NULL, false, out, v->packet_len - 1, &outlen);
        assert_int_equal(rc, FRAME_E_SPACE);
        free(out);
    }
}

static void test_encode_space(void **state)
{
    const struct vec_packet *v = find_packet(state, "keepalive_request");
    uint8_t out[FRAME_HEADER_LEN + 64];
    size_t outlen = 99;

    assert_int_equal(opend_frame_encode(1004, 2, v->wire, v->wire_len, NULL,
                                        false, out, FRAME_HEADER_LEN - 1,
                                        &outlen),
                     FRAME_E_SPACE);
    assert_int_equal(opend_frame_encode(1004, 2, v->wire, v->wire_len, NULL,
                                        false, out, 0, &outlen),
                     FRAME_E_SPACE);
    assert_int_equal(outlen, 99);
}

/* ------------------------------------------------------------ parser */

static void test_parse_whole(void **state)
{
    const struct vec_set *vs = vset(state);
    opend_frame_parser p;

    parser_init(&p, 0, 0);
    for (size_t i = 0; i < vs->n_plain; i++) {
        const struct vec_packet *v = &vs->plain[i];
        const struct vec_packet *want[] = {v};
        struct feeder f = {&p, want, 1, 0};

        feed_chunk(&f, v->packet, v->packet_len);
        assert_int_equal(f.got, 1);
    }
    opend_frame_parser_free(&p);
}

static void test_parse_bytewise(void **state)
{
    const struct vec_set *vs = vset(state);
    opend_frame_parser p;

    /* A tiny initial buffer also exercises body growth. */
    parser_init(&p, 0, 1);
    for (size_t i = 0; i < vs->n_plain; i++) {
        const struct vec_packet *v = &vs->plain[i];
        const struct vec_packet *want[] = {v};
        struct feeder f = {&p, want, 1, 0};

        for (size_t k = 0; k < v->packet_len; k++) {
            feed_chunk(&f, v->packet + k, 1);
            assert_int_equal(f.got, k + 1 == v->packet_len ? 1 : 0);
        }
    }
    opend_frame_parser_free(&p);
}

static void test_parse_every_split(void **state)
{
    const struct vec_set *vs = vset(state);
    opend_frame_parser p;

    parser_init(&p, 0, 0);
    for (size_t i = 0; i < vs->n_plain; i++) {
        const struct vec_packet *v = &vs->plain[i];
        const struct vec_packet *want[] = {v};

        for (size_t k = 0; k <= v->packet_len; k++) {
            struct feeder f = {&p, want, 1, 0};

            opend_frame_parser_reset(&p);
            feed_chunk(&f, v->packet, k);
            assert_int_equal(f.got, k == v->packet_len ? 1 : 0);
            feed_chunk(&f, v->packet + k, v->packet_len - k);
            assert_int_equal(f.got, 1);
        }
    }
    opend_frame_parser_free(&p);
}

/* All packets back to back, fed in random chunks of 0..max_chunk bytes. */
static void stream_in_chunks(void **state, uint64_t seed, size_t max_chunk,
                             size_t rounds)
{
    const struct vec_set *vs = vset(state);
    const struct vec_packet *want[MAX_PACKETS * 4];
    size_t total = 0;
    size_t nwant = 0;
    uint8_t *stream;
    size_t off = 0;
    opend_frame_parser p;

    assert_true(rounds <= 4);
    for (size_t r = 0; r < rounds; r++)
        for (size_t i = 0; i < vs->n_plain; i++) {
            want[nwant++] = &vs->plain[i];
            total += vs->plain[i].packet_len;
        }
    stream = malloc(total);
    assert_non_null(stream);
    for (size_t i = 0; i < nwant; i++) {
        memcpy(stream + off, want[i]->packet, want[i]->packet_len);
        off += want[i]->packet_len;
    }

    parser_init(&p, 0, 16);
    struct feeder f = {&p, want, nwant, 0};
    off = 0;
    while (off < total) {
        size_t n = (size_t)(next_rand(&seed) % (max_chunk + 1));

        if (n > total - off)
            n = total - off;
        feed_chunk(&f, stream + off, n);
        off += n;
    }
    assert_int_equal(f.got, nwant);
    assert_int_equal(p.error, 0);
    opend_frame_parser_free(&p);
    free(stream);
}

static void test_parse_stream_random(void **state)
{
    stream_in_chunks(state, 0x9e3779b97f4a7c15ull, 7, 1);
    stream_in_chunks(state, 0x0123456789abcdefull, 64, 1);
    stream_in_chunks(state, 42, 200, 2);
    stream_in_chunks(state, 7, 5000, 4);
    for (uint64_t seed = 1; seed <= 50; seed++)
        stream_in_chunks(state, seed * 0x2545f4914f6cdd1dull,
                         1 + (size_t)(seed * 13 % 300), 1);
}

static void test_parse_zero_length_feed(void **state)
{
    const struct vec_packet *v = find_packet(state, "keepalive_response");
    const struct vec_packet *want[] = {v};
    opend_frame_parser p;
    size_t used = 77;

    parser_init(&p, 0, 0);
    /* An empty read (even with no buffer) consumes nothing. */
    assert_int_equal(opend_frame_parser_feed(&p, NULL, 0, &used), 0);
    assert_int_equal(used, 0);
    assert_int_equal(opend_frame_parser_feed(&p, v->packet, 0, &used), 0);
    assert_int_equal(used, 0);
    struct feeder f = {&p, want, 1, 0};
    feed_chunk(&f, v->packet, 10);
    used = 77;
    assert_int_equal(opend_frame_parser_feed(&p, NULL, 0, &used), 0);
    assert_int_equal(used, 0);
    feed_chunk(&f, v->packet + 10, FRAME_HEADER_LEN - 10);
    assert_int_equal(opend_frame_parser_feed(&p, NULL, 0, &used), 0);
    feed_chunk(&f, v->packet + FRAME_HEADER_LEN, v->wire_len);
    assert_int_equal(f.got, 1);
    /* After a complete frame an empty feed starts the next one cleanly. */
    assert_int_equal(opend_frame_parser_feed(&p, NULL, 0, &used), 0);
    assert_int_equal(used, 0);
    f.got = 0;
    feed_chunk(&f, v->packet, v->packet_len);
    assert_int_equal(f.got, 1);
    opend_frame_parser_free(&p);
}

static void test_parse_empty_body(void **state)
{
    const struct vec_packet *ka = find_packet(state, "keepalive_request");
    uint8_t buf[3 * FRAME_HEADER_LEN + 64];
    uint8_t sha_empty[FRAME_SHA1_LEN];
    uint8_t dummy = 0;
    size_t n1 = 0;
    size_t n2 = 0;
    size_t len = 0;
    opend_frame_parser p;
    size_t used;

    assert_int_equal(opend_frame_encode(3001, 17, &dummy, 0, NULL, false, buf,
                                        FRAME_HEADER_LEN, &n1),
                     0);
    assert_int_equal(n1, FRAME_HEADER_LEN);
    {
        size_t sl = 0;
        uint8_t *s = unhex(SHA1_EMPTY, &sl);

        assert_non_null(s);
        memcpy(sha_empty, s, sizeof(sha_empty));
        free(s);
    }
    assert_memory_equal(buf + 16, sha_empty, FRAME_SHA1_LEN);
    assert_int_equal(buf[12] | buf[13] | buf[14] | buf[15], 0);
    /* A NULL body is fine when it is empty. */
    assert_int_equal(opend_frame_encode(3001, 17, NULL, 0, NULL, false,
                                        buf + n1, sizeof(buf) - n1, &n2),
                     0);
    assert_memory_equal(buf, buf + n1, FRAME_HEADER_LEN);
    len = n1 + n2;
    memcpy(buf + len, ka->packet, ka->packet_len);
    len += ka->packet_len;

    struct vec_packet empty = {.name = "empty",
                               .proto_id = 3001,
                               .serial = 17,
                               .wire = &dummy,
                               .plain = &dummy};
    memcpy(empty.sha1, sha_empty, FRAME_SHA1_LEN);
    const struct vec_packet *want[] = {&empty, &empty, ka};

    /* Whole: two empty frames then the KeepAlive. */
    parser_init(&p, 0, 0);
    struct feeder f = {&p, want, 3, 0};
    feed_chunk(&f, buf, len);
    assert_int_equal(f.got, 3);

    /* Byte by byte: the empty frame completes on its 44th byte. */
    opend_frame_parser_reset(&p);
    f.got = 0;
    for (size_t k = 0; k < len; k++) {
        feed_chunk(&f, buf + k, 1);
        if (k + 1 == FRAME_HEADER_LEN)
            assert_int_equal(f.got, 1);
        if (k + 1 == 2 * FRAME_HEADER_LEN)
            assert_int_equal(f.got, 2);
    }
    assert_int_equal(f.got, 3);

    /* Exactly one header: complete at once, nothing left over. */
    opend_frame_parser_reset(&p);
    assert_int_equal(opend_frame_parser_feed(&p, buf, FRAME_HEADER_LEN, &used),
                     1);
    assert_int_equal(used, FRAME_HEADER_LEN);
    opend_frame_parser_free(&p);
}

/* ------------------------------------------------------------ rejections */

/* Feed data whole into a fresh parser and return the first non-1 code. */
static int feed_expect_error(opend_frame_parser *p, const uint8_t *data,
                             size_t len, size_t *consumed)
{
    size_t off = 0;
    int rc;

    do {
        size_t used = 0;

        rc = opend_frame_parser_feed(p, data + off, len - off, &used);
        off += used;
    } while (rc == 1);
    *consumed = off;
    return rc;
}

/* After an error every call returns it and consumes nothing. */
static void assert_sticky(opend_frame_parser *p, int code, const uint8_t *good,
                          size_t good_len)
{
    for (int i = 0; i < 3; i++) {
        size_t used = 99;

        assert_int_equal(opend_frame_parser_feed(p, good, good_len, &used),
                         code);
        assert_int_equal(used, 0);
        assert_int_equal(opend_frame_parser_feed(p, good, 1, &used), code);
        assert_int_equal(used, 0);
        assert_int_equal(opend_frame_parser_feed(p, NULL, 0, &used), code);
        assert_int_equal(used, 0);
    }
    assert_int_equal(p->error, code);
}

/* Reset clears the error: the good packet then parses. */
static void assert_reset_recovers(opend_frame_parser *p,
                                  const struct vec_packet *v)
{
    const struct vec_packet *want[] = {v};
    struct feeder f = {p, want, 1, 0};

    opend_frame_parser_reset(p);
    assert_int_equal(p->error, 0);
    feed_chunk(&f, v->packet, v->packet_len);
    assert_int_equal(f.got, 1);
}

static void check_rejected(void **state, const uint8_t *bad, size_t len,
                           uint32_t max_body, int code, size_t want_used)
{
    const struct vec_packet *good = find_packet(state, "keepalive_request");
    opend_frame_parser p;
    size_t used = 0;

    /* Whole buffer. */
    parser_init(&p, max_body, 0);
    assert_int_equal(feed_expect_error(&p, bad, len, &used), code);
    assert_int_equal(used, want_used);
    assert_sticky(&p, code, good->packet, good->packet_len);
    assert_reset_recovers(&p, good);

    /* One byte at a time: the error appears on the same byte. */
    opend_frame_parser_reset(&p);
    for (size_t k = 0; k < len; k++) {
        int rc = opend_frame_parser_feed(&p, bad + k, 1, &used);

        if (k + 1 < want_used) {
            assert_int_equal(rc, 0);
            assert_int_equal(used, 1);
        } else {
            assert_int_equal(rc, code);
            break;
        }
    }
    assert_sticky(&p, code, good->packet, good->packet_len);
    assert_reset_recovers(&p, good);
    opend_frame_parser_free(&p);
}

static void test_reject_flag(void **state)
{
    const struct vec_packet *v = find_packet(state, "qot_get_ticker_request");
    uint8_t *bad = dup_bytes(v->packet, v->packet_len);

    bad[0] = 'X';
    check_rejected(state, bad, v->packet_len, 0, FRAME_E_FLAG,
                   FRAME_HEADER_LEN);
    bad[0] = 'F';
    bad[1] = 't';
    check_rejected(state, bad, v->packet_len, 0, FRAME_E_FLAG,
                   FRAME_HEADER_LEN);
    free(bad);
}

static void test_reject_format(void **state)
{
    const struct vec_packet *v = find_packet(state, "qot_get_ticker_request");
    uint8_t *bad = dup_bytes(v->packet, v->packet_len);

    bad[6] = 1; /* JSON */
    check_rejected(state, bad, v->packet_len, 0, FRAME_E_FORMAT,
                   FRAME_HEADER_LEN);
    bad[6] = 0x80;
    check_rejected(state, bad, v->packet_len, 0, FRAME_E_FORMAT,
                   FRAME_HEADER_LEN);
    free(bad);
}

static void put_len(uint8_t *hdr, uint32_t n)
{
    hdr[12] = (uint8_t)n;
    hdr[13] = (uint8_t)(n >> 8);
    hdr[14] = (uint8_t)(n >> 16);
    hdr[15] = (uint8_t)(n >> 24);
}

static void test_reject_too_big(void **state)
{
    const struct vec_packet *v = find_packet(state, "keepalive_request");
    const struct vec_packet *big =
        find_packet(state, "qot_update_ticker_push_one");
    uint8_t hdr[FRAME_HEADER_LEN];
    opend_frame_parser p;
    size_t used = 0;

    /* Default limit: 16 MiB + 1 and UINT32_MAX are rejected on the header. */
    memcpy(hdr, v->header, sizeof(hdr));
    put_len(hdr, FRAME_MAX_BODY_DEFAULT + 1u);
    check_rejected(state, hdr, sizeof(hdr), 0, FRAME_E_TOO_BIG,
                   FRAME_HEADER_LEN);
    put_len(hdr, UINT32_MAX);
    check_rejected(state, hdr, sizeof(hdr), 0, FRAME_E_TOO_BIG,
                   FRAME_HEADER_LEN);

    /* Exactly 16 MiB is accepted: the parser waits for the body. */
    put_len(hdr, FRAME_MAX_BODY_DEFAULT);
    parser_init(&p, 0, 0);
    assert_int_equal(p.max_body, FRAME_MAX_BODY_DEFAULT);
    assert_int_equal(opend_frame_parser_feed(&p, hdr, sizeof(hdr), &used), 0);
    assert_int_equal(used, FRAME_HEADER_LEN);
    assert_int_equal(p.error, 0);
    opend_frame_parser_free(&p);

    /* A custom small limit: body_len == limit passes, limit + 1 fails. */
    parser_init(&p, (uint32_t)big->wire_len, 0);
    assert_int_equal(p.max_body, big->wire_len);
    {
        const struct vec_packet *want[] = {big};
        struct feeder f = {&p, want, 1, 0};

        feed_chunk(&f, big->packet, big->packet_len);
        assert_int_equal(f.got, 1);
    }
    opend_frame_parser_free(&p);
    check_rejected(state, big->packet, big->packet_len,
                   (uint32_t)big->wire_len - 1, FRAME_E_TOO_BIG,
                   FRAME_HEADER_LEN);
    memcpy(hdr, v->header, sizeof(hdr));
    put_len(hdr, 9);
    check_rejected(state, hdr, sizeof(hdr), 8, FRAME_E_TOO_BIG,
                   FRAME_HEADER_LEN);
}

static void test_reject_sha1(void **state)
{
    const struct vec_set *vs = vset(state);

    /* Flip the first, a middle and the last body byte of every packet. */
    for (size_t i = 0; i < vs->n_plain; i++) {
        const struct vec_packet *v = &vs->plain[i];
        size_t pos[] = {FRAME_HEADER_LEN, FRAME_HEADER_LEN + v->wire_len / 2,
                        v->packet_len - 1};
        uint8_t *bad = dup_bytes(v->packet, v->packet_len);

        for (size_t k = 0; k < sizeof(pos) / sizeof(pos[0]); k++) {
            bad[pos[k]] ^= 0x01;
            check_rejected(state, bad, v->packet_len, 0, FRAME_E_SHA1,
                           v->packet_len);
            bad[pos[k]] ^= 0x01;
        }
        /* A wrong digest in the header is the same error. */
        bad[16 + 19] ^= 0x80;
        check_rejected(state, bad, v->packet_len, 0, FRAME_E_SHA1,
                       v->packet_len);
        free(bad);
    }
}

static void test_reject_mid_stream(void **state)
{
    const struct vec_packet *a = find_packet(state, "keepalive_request");
    const struct vec_packet *b = find_packet(state, "qot_sub_response_ok");
    size_t len = a->packet_len + b->packet_len + a->packet_len;
    uint8_t *buf = malloc(len);
    opend_frame_parser p;
    size_t used = 0;

    assert_non_null(buf);
    memcpy(buf, a->packet, a->packet_len);
    memcpy(buf + a->packet_len, b->packet, b->packet_len);
    memcpy(buf + a->packet_len + b->packet_len, a->packet, a->packet_len);
    buf[a->packet_len + b->packet_len - 1] ^= 0xff; /* b's last byte */

    parser_init(&p, 0, 0);
    assert_int_equal(opend_frame_parser_feed(&p, buf, len, &used), 1);
    assert_int_equal(used, a->packet_len);
    check_frame(&p, a);
    assert_int_equal(opend_frame_parser_feed(&p, buf + a->packet_len,
                                             len - a->packet_len, &used),
                     FRAME_E_SHA1);
    assert_int_equal(used, b->packet_len);
    assert_sticky(&p, FRAME_E_SHA1, buf + a->packet_len + b->packet_len,
                  a->packet_len);
    assert_reset_recovers(&p, a);
    opend_frame_parser_free(&p);
    free(buf);
}

static void test_reset_mid_frame(void **state)
{
    const struct vec_packet *a =
        find_packet(state, "qot_get_ticker_response_two");
    const struct vec_packet *b = find_packet(state, "keepalive_response");
    const struct vec_packet *want[] = {b};
    opend_frame_parser p;

    parser_init(&p, 0, 0);
    struct feeder f = {&p, want, 1, 0};
    /* Half a header, then reset: the partial frame is forgotten. */
    feed_chunk(&f, a->packet, 20);
    opend_frame_parser_reset(&p);
    feed_chunk(&f, b->packet, b->packet_len);
    assert_int_equal(f.got, 1);
    /* Header and part of a body, then reset. */
    feed_chunk(&f, a->packet, FRAME_HEADER_LEN + 30);
    opend_frame_parser_reset(&p);
    f.got = 0;
    feed_chunk(&f, b->packet, b->packet_len);
    assert_int_equal(f.got, 1);
    opend_frame_parser_free(&p);
}

/* ------------------------------------------------------------ encryption */

static void test_encrypted_encode(void **state)
{
    const struct vec_set *vs = vset(state);

    assert_int_equal(vs->n_enc, 2);
    for (size_t i = 0; i < vs->n_enc; i++) {
        const struct vec_packet *v = &vs->enc[i];
        opend_crypto_ctx *c = open_cipher(state, v->mode);
        size_t cap = opend_frame_encoded_max(v->plain_len);
        uint8_t *out = malloc(cap);
        size_t outlen = 0;

        assert_non_null(out);
        assert_true(cap >= v->packet_len);
        for (int rsa = 0; rsa <= 1; rsa++) {
            /* KeepAlive is never RSA-encrypted, whatever the flag says. */
            memset(out, 0, cap);
            assert_int_equal(opend_frame_encode(v->proto_id, v->serial,
                                                v->plain, v->plain_len, c,
                                                rsa != 0, out, cap, &outlen),
                             0);
            assert_bytes(v->name, out, outlen, v->packet, v->packet_len);
        }
        assert_int_equal(opend_frame_encode(v->proto_id, v->serial, v->plain,
                                            v->plain_len, c, false, out,
                                            v->packet_len - 1, &outlen),
                         FRAME_E_SPACE);
        free(out);
        opend_crypto_free(c);
    }
}

static void test_encrypted_parse(void **state)
{
    const struct vec_set *vs = vset(state);

    for (size_t i = 0; i < vs->n_enc; i++) {
        const struct vec_packet *v = &vs->enc[i];
        const struct vec_packet *want[] = {v};
        opend_crypto_ctx *c = open_cipher(state, v->mode);
        opend_frame_parser p;

        parser_init(&p, 0, 0);
        opend_frame_parser_set_cipher(&p, c, false);
        {
            struct feeder f = {&p, want, 1, 0};

            feed_chunk(&f, v->packet, v->packet_len);
            assert_int_equal(f.got, 1);
        }
        for (size_t k = 0; k <= v->packet_len; k++) {
            struct feeder f = {&p, want, 1, 0};

            opend_frame_parser_reset(&p);
            feed_chunk(&f, v->packet, k);
            feed_chunk(&f, v->packet + k, v->packet_len - k);
            assert_int_equal(f.got, 1);
        }
        {
            struct feeder f = {&p, want, 1, 0};

            opend_frame_parser_reset(&p);
            for (size_t k = 0; k < v->packet_len; k++)
                feed_chunk(&f, v->packet + k, 1);
            assert_int_equal(f.got, 1);
        }
        opend_frame_parser_free(&p);
        opend_crypto_free(c);
    }
}

static void test_encrypted_rejects(void **state)
{
    const struct vec_set *vs = vset(state);

    for (size_t i = 0; i < vs->n_enc; i++) {
        const struct vec_packet *v = &vs->enc[i];
        const char *other =
            strcmp(v->mode, "AES_CBC") == 0 ? "FTAES_ECB" : "AES_CBC";
        opend_crypto_ctx *c = open_cipher(state, v->mode);
        opend_crypto_ctx *wrong = open_cipher(state, other);
        uint8_t *bad = dup_bytes(v->packet, v->packet_len);
        opend_frame_parser p;
        size_t used = 0;
        int rc;

        /* No cipher: the ciphertext does not hash to the header's SHA1. */
        parser_init(&p, 0, 0);
        assert_int_equal(feed_expect_error(&p, v->packet, v->packet_len, &used),
                         FRAME_E_SHA1);
        /* The other AES mode: bad padding/tail or, by chance, bad SHA1. */
        opend_frame_parser_reset(&p);
        opend_frame_parser_set_cipher(&p, wrong, false);
        rc = feed_expect_error(&p, v->packet, v->packet_len, &used);
        if (rc != FRAME_E_CRYPT && rc != FRAME_E_SHA1)
            fail_msg("%s with %s: rc %d", v->name, other, rc);
        /* A corrupted ciphertext byte. */
        opend_frame_parser_reset(&p);
        opend_frame_parser_set_cipher(&p, c, false);
        bad[FRAME_HEADER_LEN] ^= 0x01;
        rc = feed_expect_error(&p, bad, v->packet_len, &used);
        if (rc != FRAME_E_CRYPT && rc != FRAME_E_SHA1)
            fail_msg("%s corrupted: rc %d", v->name, rc);
        assert_sticky(&p, rc, v->packet, v->packet_len);
        /* A body that is not a whole number of AES blocks. */
        opend_frame_parser_reset(&p);
        memcpy(bad, v->packet, v->packet_len);
        put_len(bad, (uint32_t)v->wire_len - 1);
        assert_int_equal(feed_expect_error(&p, bad, v->packet_len - 1, &used),
                         FRAME_E_CRYPT);
        assert_int_equal(used, v->packet_len - 1);
        /* An empty body cannot be valid ciphertext. */
        opend_frame_parser_reset(&p);
        put_len(bad, 0);
        assert_int_equal(feed_expect_error(&p, bad, FRAME_HEADER_LEN, &used),
                         FRAME_E_CRYPT);
        assert_reset_recovers(&p, v);
        opend_frame_parser_free(&p);
        free(bad);
        opend_crypto_free(wrong);
        opend_crypto_free(c);
    }
}

static const struct vec_packet *find_enc(void **state, const char *mode)
{
    const struct vec_set *vs = vset(state);

    for (size_t k = 0; k < vs->n_enc; k++)
        if (strcmp(vs->enc[k].mode, mode) == 0)
            return &vs->enc[k];
    fail_msg("no encrypted packet in mode %s", mode);
    return NULL;
}

static void test_rsa_init_connect(void **state)
{
    const struct vec_packet *ic = find_packet(state, "init_connect_request");
    const struct vec_packet *cbc = find_enc(state, "AES_CBC");
    const json_t *rsa = json_object_get(vset(state)->root, "rsa");
    const json_t *vecs = json_object_get(rsa, "vectors");
    opend_crypto_ctx *c = open_cipher(state, "AES_CBC");
    size_t cap = opend_frame_encoded_max(ic->plain_len) + 256;
    uint8_t *buf = malloc(2 * cap);
    struct vec_packet rsa_ic = *ic;
    const struct vec_packet *want2[] = {&rsa_ic, cbc};
    size_t n1 = 0;
    size_t n2 = 0;
    opend_frame_parser p;
    size_t i;
    json_t *e;

    assert_non_null(buf);
    /* InitConnect with rsa: one 128-byte block; SHA1 stays plaintext's. */
    assert_int_equal(opend_frame_encode(ic->proto_id, ic->serial, ic->plain,
                                        ic->plain_len, c, true, buf, cap, &n1),
                     0);
    assert_int_equal(n1, FRAME_HEADER_LEN + 128);
    assert_memory_equal(buf + 16, ic->sha1, FRAME_SHA1_LEN);
    /* The KeepAlive after it uses AES-CBC: the vector packet exactly. */
    assert_int_equal(opend_frame_encode(cbc->proto_id, cbc->serial, cbc->plain,
                                        cbc->plain_len, c, true, buf + n1, cap,
                                        &n2),
                     0);
    assert_bytes(cbc->name, buf + n1, n2, cbc->packet, cbc->packet_len);

    /* Both through one parser with rsa_init, one byte at a time. */
    rsa_ic.wire_len = 128;
    parser_init(&p, 0, 0);
    opend_frame_parser_set_cipher(&p, c, true);
    {
        struct feeder f = {&p, want2, 2, 0};

        for (size_t k = 0; k < n1 + n2; k++)
            feed_chunk(&f, buf + k, 1);
        assert_int_equal(f.got, 2);
    }

    /* The rsa vectors' fixed ciphertexts, framed by hand, decrypt. */
    json_array_foreach(vecs, i, e)
    {
        size_t plen = 0;
        size_t clen = 0;
        uint8_t *pt = unhex(jstr(e, "plaintext_hex"), &plen);
        uint8_t *ct = unhex(jstr(e, "ciphertext_hex"), &clen);
        opend_frame_header h = {.proto_id = 1001, .serial = 1, .body_len = 0};
        struct vec_packet want = {.name = jstr(e, "name"),
                                  .proto_id = 1001,
                                  .serial = 1,
                                  .plain = pt,
                                  .plain_len = plen,
                                  .wire_len = clen};
        const struct vec_packet *wl[] = {&want};
        uint8_t *pkt;

        assert_non_null(pt);
        assert_non_null(ct);
        h.body_len = (uint32_t)clen;
        SHA1(pt, plen, h.sha1);
        memcpy(want.sha1, h.sha1, FRAME_SHA1_LEN);
        pkt = malloc(FRAME_HEADER_LEN + clen);
        assert_non_null(pkt);
        opend_frame_header_write(&h, pkt);
        memcpy(pkt + FRAME_HEADER_LEN, ct, clen);
        if (json_object_get(e, "header_hex")) {
            /* A whole SDK packet: our header must equal the SDK's. */
            size_t hl = 0;
            uint8_t *sdk = unhex(jstr(e, "header_hex"), &hl);

            assert_non_null(sdk);
            assert_bytes(want.name, pkt, FRAME_HEADER_LEN, sdk, hl);
            free(sdk);
        }
        opend_frame_parser_reset(&p);
        struct feeder f = {&p, wl, 1, 0};
        feed_chunk(&f, pkt, FRAME_HEADER_LEN + clen);
        assert_int_equal(f.got, 1);
        /* Without rsa_init the same bytes fail: AES-CBC cannot undo RSA. */
        opend_frame_parser_reset(&p);
        opend_frame_parser_set_cipher(&p, c, false);
        {
            size_t used = 0;
            int rc = feed_expect_error(&p, pkt, FRAME_HEADER_LEN + clen, &used);

            if (rc != FRAME_E_CRYPT && rc != FRAME_E_SHA1)
                fail_msg("%s without rsa: rc %d", want.name, rc);
        }
        opend_frame_parser_set_cipher(&p, c, true);
        free(pkt);
        free(pt);
        free(ct);
    }
    opend_frame_parser_free(&p);
    free(buf);
    opend_crypto_free(c);
}

/* With a key but no AES session, non-InitConnect bodies stay plaintext. */
static void test_cipher_without_session(void **state)
{
    const struct vec_set *vs = vset(state);
    opend_crypto_ctx *c = open_cipher(state, NULL);
    opend_frame_parser p;

    assert_int_equal(opend_crypto_mode_get(c), CRYPTO_NONE);
    parser_init(&p, 0, 0);
    opend_frame_parser_set_cipher(&p, c, false);
    for (size_t i = 0; i < vs->n_plain; i++) {
        const struct vec_packet *v = &vs->plain[i];
        const struct vec_packet *want[] = {v};
        struct feeder f = {&p, want, 1, 0};
        uint8_t *out = malloc(opend_frame_encoded_max(v->wire_len));
        size_t outlen = 0;

        assert_non_null(out);
        feed_chunk(&f, v->packet, v->packet_len);
        assert_int_equal(f.got, 1);
        if (v->proto_id != 1001) {
            assert_int_equal(opend_frame_encode(
                                 v->proto_id, v->serial, v->wire, v->wire_len,
                                 c, true, out,
                                 opend_frame_encoded_max(v->wire_len), &outlen),
                             0);
            assert_bytes(v->name, out, outlen, v->packet, v->packet_len);
        }
        free(out);
    }
    opend_frame_parser_free(&p);
    opend_crypto_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_read_vectors),
        cmocka_unit_test(test_header_write_layout),
        cmocka_unit_test(test_header_read_errors),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_encode_vectors),
        cmocka_unit_test(test_encode_space),
        cmocka_unit_test(test_parse_whole),
        cmocka_unit_test(test_parse_bytewise),
        cmocka_unit_test(test_parse_every_split),
        cmocka_unit_test(test_parse_stream_random),
        cmocka_unit_test(test_parse_zero_length_feed),
        cmocka_unit_test(test_parse_empty_body),
        cmocka_unit_test(test_reject_flag),
        cmocka_unit_test(test_reject_format),
        cmocka_unit_test(test_reject_too_big),
        cmocka_unit_test(test_reject_sha1),
        cmocka_unit_test(test_reject_mid_stream),
        cmocka_unit_test(test_reset_mid_frame),
        cmocka_unit_test(test_encrypted_encode),
        cmocka_unit_test(test_encrypted_parse),
        cmocka_unit_test(test_encrypted_rejects),
        cmocka_unit_test(test_rsa_init_connect),
        cmocka_unit_test(test_cipher_without_session),
    };

    return cmocka_run_group_tests_name("frame", tests, group_setup,
                                       group_teardown);
}
