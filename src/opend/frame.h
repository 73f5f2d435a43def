/*
 * frame.h - the OpenD packet frame: 44-byte header + body.
 *
 * Header layout (all integers little-endian, packed; opend-protocol.md §2):
 *
 *   offset size field      meaning
 *   ------ ---- ---------- ---------------------------------------------
 *        0    2 flag       ASCII "FT" (0x46 0x54)
 *        2    4 proto_id   u32, e.g. 3011 -> c3 0b 00 00
 *        6    1 fmt        0 = protobuf (the only format we accept)
 *        7    1 ver        0
 *        8    4 serial     request serial, echoed by the response; 0 on push
 *       12    4 body_len   bytes that follow on the wire (ciphertext length
 *                          when encrypted)
 *       16   20 sha1       SHA1 of the *plaintext* body
 *       36    8 reserved   zero
 *       44    n body       protobuf (possibly encrypted)
 *
 * Worked example, KeepAlive request, serial 2, body 0a0608a0ed84af06:
 *
 *   46 54 | ec 03 00 00 | 00 | 00 | 02 00 00 00 | 08 00 00 00
 *   10 71 9f df 44 da 1e 06 a7 1b 9e 94 cc 03 54 50 96 88 36 91
 *   00 00 00 00 00 00 00 00
 *   0a 06 08 a0 ed 84 af 06
 *
 * The incremental parser accepts the byte stream split anywhere (1-byte
 * reads included). It rejects, with a distinct code and without crashing,
 * a wrong flag, a non-zero format byte, a body longer than its limit (16 MiB
 * by default) and a SHA1 mismatch. After an error the stream cannot be
 * resynchronised: the caller closes the connection (opend-protocol.md §12).
 */
#ifndef HK_OPEND_FRAME_H
#define HK_OPEND_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opend/crypto.h"

#define FRAME_HEADER_LEN 44
#define FRAME_SHA1_LEN 20
#define FRAME_MAX_BODY_DEFAULT (16u * 1024u * 1024u)

/* Project error codes (negative; distinct from -errno values). */
#define FRAME_E_FLAG (-1001)    /* first two bytes are not "FT" */
#define FRAME_E_FORMAT (-1002)  /* format byte is not 0 (protobuf) */
#define FRAME_E_TOO_BIG (-1003) /* body length over the parser's limit */
#define FRAME_E_SHA1 (-1004)    /* SHA1(plaintext) differs from header */
#define FRAME_E_NOMEM (-1005)   /* could not grow the body buffer */
#define FRAME_E_CRYPT (-1006)   /* body could not be decrypted */
#define FRAME_E_SPACE (-1007)   /* encoder output buffer too small */

typedef struct opend_frame_header {
    uint32_t proto_id;
    uint8_t fmt;
    uint8_t ver;
    uint32_t serial;
    uint32_t body_len;
    uint8_t sha1[FRAME_SHA1_LEN];
} opend_frame_header;

/* Human-readable name of a FRAME_E_* code (static string). */
const char *opend_frame_strerror(int code);

/* Write h into out[0..43]. Flag, version 0 and reserved zero are implied. */
void opend_frame_header_write(const opend_frame_header *h,
                              uint8_t out[FRAME_HEADER_LEN]);

/*
 * Read a header from in[0..43] into *h. Returns 0, FRAME_E_FLAG or
 * FRAME_E_FORMAT (*h is filled in either case for diagnostics).
 */
int opend_frame_header_read(const uint8_t in[FRAME_HEADER_LEN],
                            opend_frame_header *h);

/*
 * Encode one packet: header + body into out (cap bytes). When cipher is
 * non-NULL and proto_id is 1001 with RSA, or cipher has an AES mode, the
 * body is encrypted (SHA1 stays over the plaintext). Returns 0 and *outlen,
 * or FRAME_E_SPACE / FRAME_E_CRYPT; out is unspecified on failure.
 * Use opend_frame_encoded_max() to size out.
 */
int opend_frame_encode(uint32_t proto_id, uint32_t serial, const uint8_t *body,
                       size_t len, opend_crypto_ctx *cipher, bool rsa,
                       uint8_t *out, size_t cap, size_t *outlen);
size_t opend_frame_encoded_max(size_t body_len);

/*
 * Incremental parser. The caller owns the struct; opend_frame_parser_init
 * allocates the body buffer, opend_frame_parser_free releases it.
 */
typedef struct opend_frame_parser {
    uint8_t hdr_buf[FRAME_HEADER_LEN];
    size_t hdr_have;
    opend_frame_header hdr;
    uint8_t *body; /* wire bytes of the current body */
    size_t body_have;
    size_t body_cap;
    uint8_t *plain; /* decrypted body when a cipher is set */
    size_t plain_cap;
    size_t plain_len;
    const uint8_t *out_body; /* plaintext of the complete frame */
    uint32_t max_body;
    bool complete; /* a whole frame is ready (cleared by the next feed) */
    int error;     /* sticky error code once a frame was rejected */
    opend_crypto_ctx *cipher; /* borrowed; NULL = plaintext */
    bool rsa_init;            /* decrypt InitConnect (1001) bodies with RSA */
} opend_frame_parser;

/*
 * Prepare p with a body limit (0 = FRAME_MAX_BODY_DEFAULT) and an initial
 * buffer of initial_cap bytes (grown on demand up to the limit).
 * Returns 0 or FRAME_E_NOMEM.
 */
int opend_frame_parser_init(opend_frame_parser *p, uint32_t max_body,
                            size_t initial_cap);
void opend_frame_parser_free(opend_frame_parser *p);
/* Forget any partial frame and sticky error (new connection). */
void opend_frame_parser_reset(opend_frame_parser *p);
/* Use cipher (borrowed, may be NULL) for the following frames. */
void opend_frame_parser_set_cipher(opend_frame_parser *p,
                                   opend_crypto_ctx *cipher, bool rsa_init);

/*
 * Feed up to len bytes. Consumes bytes until one frame completes or the
 * input is exhausted; *used says how many were consumed. Returns:
 *   1  a frame is complete: read it with opend_frame_parser_frame(), then call
 *      feed again with the remaining bytes (data + *used);
 *   0  all input consumed, frame incomplete;
 *  <0  FRAME_E_* (sticky: every later call returns the same code).
 */
int opend_frame_parser_feed(opend_frame_parser *p, const uint8_t *data,
                            size_t len, size_t *used);

/*
 * The complete frame: header and plaintext body. The body pointer stays
 * valid until the next opend_frame_parser_feed/reset/free.
 */
void opend_frame_parser_frame(const opend_frame_parser *p,
                              const opend_frame_header **hdr,
                              const uint8_t **body, size_t *len);

#endif
