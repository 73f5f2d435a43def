/*
 * frame.c - OpenD frame encoder and incremental parser.
 *
 * Design: the parser is a two-state machine driven by
 * opend_frame_parser_feed():
 *
 *   HEADER  collecting 44 header bytes into hdr_buf (hdr_have < 44)
 *   BODY    collecting body_len bytes into body (body_have < body_len)
 *
 * HEADER -> BODY when 44 bytes are in and the header is valid;
 * BODY -> (complete) when body_len bytes are in and, after optional
 * decryption, SHA1(plaintext) matches. A complete frame stays readable until
 * the next feed, which starts a new HEADER. Any rejection is sticky
 * (p->error): OpenD streams have no resynchronisation point, so the caller
 * must close the connection.
 *
 * The body buffer is allocated once and grown geometrically only when a
 * larger body arrives, so steady-state parsing does not allocate.
 * Not thread-safe: one parser per connection, used by one thread.
 */
#include "opend/frame.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#define PROTO_INIT_CONNECT 1001u

const char *opend_frame_strerror(int code)
{
    switch (code) {
    case FRAME_E_FLAG:
        return "bad frame flag (expected FT)";
    case FRAME_E_FORMAT:
        return "unsupported body format (expected protobuf)";
    case FRAME_E_TOO_BIG:
        return "body length over limit";
    case FRAME_E_SHA1:
        return "body SHA1 mismatch";
    case FRAME_E_NOMEM:
        return "out of memory for frame body";
    case FRAME_E_CRYPT:
        return "body decryption failed";
    case FRAME_E_SPACE:
        return "output buffer too small";
    default:
        return "unknown frame error";
    }
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

void opend_frame_header_write(const opend_frame_header *h,
                              uint8_t out[FRAME_HEADER_LEN])
{
    out[0] = 'F';
    out[1] = 'T';
    put_u32(out + 2, h->proto_id);
    out[6] = h->fmt;
    out[7] = h->ver;
    put_u32(out + 8, h->serial);
    put_u32(out + 12, h->body_len);
    memcpy(out + 16, h->sha1, FRAME_SHA1_LEN);
    memset(out + 36, 0, 8);
}

int opend_frame_header_read(const uint8_t in[FRAME_HEADER_LEN],
                            opend_frame_header *h)
{
    h->proto_id = get_u32(in + 2);
    h->fmt = in[6];
    h->ver = in[7];
    h->serial = get_u32(in + 8);
    h->body_len = get_u32(in + 12);
    memcpy(h->sha1, in + 16, FRAME_SHA1_LEN);
    if (in[0] != 'F' || in[1] != 'T')
        return FRAME_E_FLAG;
    if (h->fmt != 0)
        return FRAME_E_FORMAT;
    return 0;
}

size_t opend_frame_encoded_max(size_t body_len)
{
    return FRAME_HEADER_LEN + opend_crypto_max_out(body_len);
}

int opend_frame_encode(uint32_t proto_id, uint32_t serial, const uint8_t *body,
                       size_t len, opend_crypto_ctx *cipher, bool rsa,
                       uint8_t *out, size_t cap, size_t *outlen)
{
    opend_frame_header h = {.proto_id = proto_id, .serial = serial};
    size_t body_out = len;
    int rc;

    if (cap < FRAME_HEADER_LEN)
        return FRAME_E_SPACE;
    SHA1(body, len, h.sha1);
    if (cipher && rsa && proto_id == PROTO_INIT_CONNECT) {
        rc = opend_crypto_rsa_encrypt(cipher, body, len, out + FRAME_HEADER_LEN,
                                      cap - FRAME_HEADER_LEN, &body_out);
        if (rc != 0)
            return rc == CRYPTO_E_SPACE ? FRAME_E_SPACE : FRAME_E_CRYPT;
    } else if (cipher && opend_crypto_mode_get(cipher) != CRYPTO_NONE) {
        rc = opend_crypto_aes_encrypt(cipher, body, len, out + FRAME_HEADER_LEN,
                                      cap - FRAME_HEADER_LEN, &body_out);
        if (rc != 0)
            return rc == CRYPTO_E_SPACE ? FRAME_E_SPACE : FRAME_E_CRYPT;
    } else {
        if (cap - FRAME_HEADER_LEN < len)
            return FRAME_E_SPACE;
        /*
         * memmove: opend_msg_pack_packet packs the body in place, so body may
         * already be out + FRAME_HEADER_LEN (memcpy forbids overlap).
         */
        if (len > 0)
            memmove(out + FRAME_HEADER_LEN, body, len);
    }
    h.body_len = (uint32_t)body_out;
    opend_frame_header_write(&h, out);
    *outlen = FRAME_HEADER_LEN + body_out;
    return 0;
}

int opend_frame_parser_init(opend_frame_parser *p, uint32_t max_body,
                            size_t initial_cap)
{
    memset(p, 0, sizeof(*p));
    p->max_body = max_body ? max_body : FRAME_MAX_BODY_DEFAULT;
    if (initial_cap == 0)
        initial_cap = 4096;
    p->body = malloc(initial_cap);
    if (!p->body)
        return FRAME_E_NOMEM;
    p->body_cap = initial_cap;
    return 0;
}

void opend_frame_parser_free(opend_frame_parser *p)
{
    free(p->body);
    free(p->plain);
    memset(p, 0, sizeof(*p));
}

void opend_frame_parser_reset(opend_frame_parser *p)
{
    p->hdr_have = 0;
    p->body_have = 0;
    p->plain_len = 0;
    p->complete = false;
    p->error = 0;
}

void opend_frame_parser_set_cipher(opend_frame_parser *p,
                                   opend_crypto_ctx *cipher, bool rsa_init)
{
    p->cipher = cipher;
    p->rsa_init = rsa_init;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
    size_t n = *cap ? *cap : 4096;
    uint8_t *nb;

    if (need <= *cap)
        return 0;
    while (n < need)
        n *= 2;
    nb = realloc(*buf, n);
    if (!nb)
        return FRAME_E_NOMEM;
    *buf = nb;
    *cap = n;
    return 0;
}

/* Decrypt (if needed) and check SHA1 of the completed body. */
static int finish_body(opend_frame_parser *p)
{
    uint8_t digest[FRAME_SHA1_LEN];
    const uint8_t *plain = p->body;
    size_t plen = p->body_have;
    bool rsa = p->rsa_init && p->hdr.proto_id == PROTO_INIT_CONNECT;
    int rc;

    if (p->cipher && (rsa || opend_crypto_mode_get(p->cipher) != CRYPTO_NONE)) {
        if (grow(&p->plain, &p->plain_cap, opend_crypto_max_out(plen) + 1) != 0)
            return FRAME_E_NOMEM;
        if (rsa)
            rc = opend_crypto_rsa_decrypt(p->cipher, p->body, plen, p->plain,
                                          p->plain_cap, &plen);
        else
            rc = opend_crypto_aes_decrypt(p->cipher, p->body, plen, p->plain,
                                          p->plain_cap, &plen);
        if (rc != 0)
            return FRAME_E_CRYPT;
        plain = p->plain;
    }
    SHA1(plain, plen, digest);
    if (memcmp(digest, p->hdr.sha1, FRAME_SHA1_LEN) != 0)
        return FRAME_E_SHA1;
    p->plain_len = plen;
    p->out_body = plain;
    return 0;
}

int opend_frame_parser_feed(opend_frame_parser *p, const uint8_t *data,
                            size_t len, size_t *used)
{
    size_t off = 0;
    int rc;

    *used = 0;
    if (p->error)
        return p->error;
    if (p->complete) {
        p->complete = false;
        p->hdr_have = 0;
        p->body_have = 0;
    }
    /*
     * Nothing to consume. Returning here also keeps a (NULL, 0) read away
     * from memcpy, whose pointer arguments must be valid even for 0 bytes.
     * No frame can complete without input: a 0-length body completes in
     * the call that delivers the last header byte.
     */
    if (len == 0)
        return 0;
    if (p->hdr_have < FRAME_HEADER_LEN) {
        size_t take = FRAME_HEADER_LEN - p->hdr_have;
        if (take > len)
            take = len;
        memcpy(p->hdr_buf + p->hdr_have, data, take);
        p->hdr_have += take;
        off += take;
        if (p->hdr_have < FRAME_HEADER_LEN) {
            *used = off;
            return 0;
        }
        rc = opend_frame_header_read(p->hdr_buf, &p->hdr);
        if (rc == 0 && p->hdr.body_len > p->max_body)
            rc = FRAME_E_TOO_BIG;
        /* The body buffer grows as bytes arrive, not when a header merely
         * announces a length: 44 bytes cannot make us allocate 16 MiB. */
        if (rc != 0) {
            p->error = rc;
            *used = off;
            return rc;
        }
    }
    if (p->body_have < p->hdr.body_len) {
        size_t take = p->hdr.body_len - p->body_have;
        if (take > len - off)
            take = len - off;
        if (grow(&p->body, &p->body_cap, p->body_have + take) != 0) {
            p->error = FRAME_E_NOMEM;
            *used = off;
            return FRAME_E_NOMEM;
        }
        memcpy(p->body + p->body_have, data + off, take);
        p->body_have += take;
        off += take;
    }
    *used = off;
    if (p->body_have < p->hdr.body_len)
        return 0;
    rc = finish_body(p);
    if (rc != 0) {
        p->error = rc;
        return rc;
    }
    p->complete = true;
    return 1;
}

void opend_frame_parser_frame(const opend_frame_parser *p,
                              const opend_frame_header **hdr,
                              const uint8_t **body, size_t *len)
{
    *hdr = &p->hdr;
    *body = p->out_body;
    *len = p->plain_len;
}
