/*
 * crypto.c - optional OpenD packet encryption (opend-protocol.md §6).
 *
 * Design: a opend_crypto_ctx owns one 1024-bit RSA private key and the AES
 * session that InitConnect negotiates. Every OpenSSL object it needs is created
 * up front so that per-packet work does not allocate:
 *
 *   pkey      the RSA key, loaded by opend_crypto_open / opend_crypto_open_pem
 *   rsa_enc   EVP_PKEY_CTX initialised for encrypt, PKCS#1 v1.5 padding
 *   rsa_dec   EVP_PKEY_CTX initialised for decrypt, PKCS#1 v1.5 padding
 *   aes_enc   EVP_CIPHER_CTX keyed for encryption by opend_crypto_set_aes
 *   aes_dec   EVP_CIPHER_CTX keyed for decryption by opend_crypto_set_aes
 *
 * AES encryption and decryption need different key schedules, hence two
 * cipher contexts. Both run with OpenSSL padding disabled; this file does
 * the padding (PKCS#7 for CBC, zero pad plus clear tail for FTAES_ECB).
 * Each packet re-initialises its context with a NULL cipher and key, which
 * keeps the key schedule, resets buffered state and restarts CBC from the
 * session IV: packets are independent, as the protocol requires.
 *
 * Mode states and transitions (all made by opend_crypto_set_aes):
 *
 *   CRYPTO_NONE -> CRYPTO_AES_CBC | CRYPTO_FTAES_ECB   session negotiated
 *   any         -> CRYPTO_NONE                         session dropped
 *
 * A failed opend_crypto_set_aes leaves the mode unchanged.
 *
 * Sizes (n = input length):
 *
 *   RSA encrypt   ceil(n / 100) * 128
 *   RSA decrypt   at most n / 128 * 117, n must be a multiple of 128
 *   CBC encrypt   (n / 16 + 1) * 16
 *   FTAES encrypt ceil(n / 16) * 16 + 16
 *   decrypts      never more than n
 *
 * Input bytes are untrusted: every length, padding and library result is
 * checked and reported as a negative CRYPTO_E_* code. `in` and `out` must
 * not overlap. On failure the contents of `out` are unspecified and
 * *outlen is untouched. The OpenSSL error queue is cleared on each failure
 * so it does not grow on a long-lived thread.
 *
 * Threads: a opend_crypto_ctx is used by one thread at a time.
 */
#include "opend/crypto.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#define RSA_BITS 1024
#define RSA_BLOCK 128 /* ciphertext bytes per block */
#define RSA_CHUNK 100 /* plaintext bytes per block, as the SDK does */
#define AES_BLOCK 16
#define AES_KEY_LEN 16
#define AES_IV_LEN 16
/* Largest EVP update per call: fits in int and is a multiple of 16. */
#define EVP_STEP ((size_t)1 << 30)

struct opend_crypto_ctx {
    EVP_PKEY *pkey;
    EVP_PKEY_CTX *rsa_enc;
    EVP_PKEY_CTX *rsa_dec;
    EVP_CIPHER_CTX *aes_enc;
    EVP_CIPHER_CTX *aes_dec;
    enum opend_crypto_mode mode;
    uint8_t iv[AES_IV_LEN];
};

__attribute__((format(printf, 3, 4))) static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    n = vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    /* A truncated reason is still useful; a failed format is not. */
    if (n < 0)
        err[0] = '\0';
}

/* Text of the oldest queued OpenSSL error, then clear the queue. */
static const char *ssl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_peek_error();

    if (e == 0)
        snprintf(buf, len, "no OpenSSL detail");
    else
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

size_t opend_crypto_max_out(size_t n)
{
    size_t chunks = n / RSA_CHUNK + (n % RSA_CHUNK != 0);
    size_t rsa;

    if (chunks > SIZE_MAX / RSA_BLOCK || n > SIZE_MAX - 2 * AES_BLOCK)
        return SIZE_MAX;
    rsa = chunks * RSA_BLOCK;
    return rsa > n + 2 * AES_BLOCK ? rsa : n + 2 * AES_BLOCK;
}

/* Never prompt on a terminal for an encrypted key: fail instead. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static EVP_PKEY_CTX *rsa_ctx(EVP_PKEY *pkey, int encrypt)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int rc;

    if (pc == NULL)
        return NULL;
    rc = encrypt ? EVP_PKEY_encrypt_init(pc) : EVP_PKEY_decrypt_init(pc);
    if (rc <= 0 || EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) <= 0) {
        EVP_PKEY_CTX_free(pc);
        return NULL;
    }
    return pc;
}

/* Takes ownership of pkey whatever the outcome. */
static int ctx_from_pkey(EVP_PKEY *pkey, opend_crypto_ctx **out, char *err,
                         size_t errlen)
{
    char why[256];
    opend_crypto_ctx *c;

    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
        set_err(err, errlen, "key is not RSA");
        EVP_PKEY_free(pkey);
        return CRYPTO_E_KEY;
    }
    if (EVP_PKEY_get_bits(pkey) != RSA_BITS) {
        set_err(err, errlen, "RSA key is %d bits, OpenD needs %d",
                EVP_PKEY_get_bits(pkey), RSA_BITS);
        EVP_PKEY_free(pkey);
        return CRYPTO_E_KEY;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        set_err(err, errlen, "out of memory");
        EVP_PKEY_free(pkey);
        return CRYPTO_E_KEY;
    }
    c->pkey = pkey;
    c->mode = CRYPTO_NONE;
    c->rsa_enc = rsa_ctx(pkey, 1);
    c->rsa_dec = rsa_ctx(pkey, 0);
    c->aes_enc = EVP_CIPHER_CTX_new();
    c->aes_dec = EVP_CIPHER_CTX_new();
    if (c->rsa_enc == NULL || c->rsa_dec == NULL || c->aes_enc == NULL ||
        c->aes_dec == NULL)
        goto fail;
    *out = c;
    return 0;

fail:
    set_err(err, errlen, "cannot set up cipher contexts: %s",
            ssl_reason(why, sizeof(why)));
    opend_crypto_free(c);
    return CRYPTO_E_KEY;
}

static int open_bio(BIO *bio, const char *what, opend_crypto_ctx **out,
                    char *err, size_t errlen)
{
    char why[256];
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);

    if (pkey == NULL) {
        set_err(err, errlen, "%s: no usable private key: %s", what,
                ssl_reason(why, sizeof(why)));
        return CRYPTO_E_KEY;
    }
    return ctx_from_pkey(pkey, out, err, errlen);
}

int opend_crypto_open(const char *pem_path, opend_crypto_ctx **out, char *err,
                      size_t errlen)
{
    char why[256];
    BIO *bio;
    int rc;

    assert(pem_path != NULL && out != NULL);
    errno = 0;
    bio = BIO_new_file(pem_path, "r");
    if (bio == NULL) {
        int e = errno;

        set_err(err, errlen, "%s: cannot open: %s", pem_path,
                e != 0 ? strerror(e) : ssl_reason(why, sizeof(why)));
        ERR_clear_error();
        return CRYPTO_E_KEY;
    }
    rc = open_bio(bio, pem_path, out, err, errlen);
    BIO_free(bio);
    return rc;
}

int opend_crypto_open_pem(const char *pem, size_t len, opend_crypto_ctx **out,
                          char *err, size_t errlen)
{
    BIO *bio;
    int rc;

    assert(out != NULL);
    if (pem == NULL || len == 0 || len > INT_MAX) {
        set_err(err, errlen, "PEM text is empty or too large");
        return CRYPTO_E_KEY;
    }
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        set_err(err, errlen, "out of memory");
        ERR_clear_error();
        return CRYPTO_E_KEY;
    }
    rc = open_bio(bio, "PEM", out, err, errlen);
    BIO_free(bio);
    return rc;
}

void opend_crypto_free(opend_crypto_ctx *c)
{
    if (c == NULL)
        return;
    EVP_CIPHER_CTX_free(c->aes_enc);
    EVP_CIPHER_CTX_free(c->aes_dec);
    EVP_PKEY_CTX_free(c->rsa_enc);
    EVP_PKEY_CTX_free(c->rsa_dec);
    EVP_PKEY_free(c->pkey);
    OPENSSL_cleanse(c->iv, sizeof(c->iv));
    free(c);
}

/* ------------------------------------------------------------------ RSA */

int opend_crypto_rsa_encrypt(opend_crypto_ctx *c, const uint8_t *in, size_t n,
                             uint8_t *out, size_t cap, size_t *outlen)
{
    size_t chunks = n / RSA_CHUNK + (n % RSA_CHUNK != 0);
    size_t done = 0;

    assert(c != NULL && outlen != NULL && (in != NULL || n == 0));
    if (chunks > cap / RSA_BLOCK)
        return CRYPTO_E_SPACE;
    for (size_t i = 0; i < chunks; i++) {
        size_t take = n - i * RSA_CHUNK;
        size_t blen = RSA_BLOCK;
        int ok;

        if (take > RSA_CHUNK)
            take = RSA_CHUNK;
        ok = EVP_PKEY_encrypt(c->rsa_enc, out + done, &blen, in + i * RSA_CHUNK,
                              take);
        if (ok <= 0 || blen != RSA_BLOCK) {
            ERR_clear_error();
            return CRYPTO_E_CIPHER;
        }
        done += RSA_BLOCK;
    }
    *outlen = done;
    return 0;
}

int opend_crypto_rsa_decrypt(opend_crypto_ctx *c, const uint8_t *in, size_t n,
                             uint8_t *out, size_t cap, size_t *outlen)
{
    uint8_t block[RSA_BLOCK];
    size_t done = 0;
    int rc = 0;

    assert(c != NULL && outlen != NULL && (in != NULL || n == 0));
    if (n % RSA_BLOCK != 0)
        return CRYPTO_E_CIPHER;
    for (size_t off = 0; off < n; off += RSA_BLOCK) {
        size_t blen = sizeof(block);
        int ok =
            EVP_PKEY_decrypt(c->rsa_dec, block, &blen, in + off, RSA_BLOCK);

        if (ok <= 0 || blen > sizeof(block)) {
            ERR_clear_error();
            rc = CRYPTO_E_CIPHER;
            break;
        }
        if (blen > cap - done) {
            rc = CRYPTO_E_SPACE;
            break;
        }
        memcpy(out + done, block, blen);
        done += blen;
    }
    OPENSSL_cleanse(block, sizeof(block));
    if (rc == 0)
        *outlen = done;
    return rc;
}

/* ------------------------------------------------------------------ AES */

int opend_crypto_set_aes(opend_crypto_ctx *c, enum opend_crypto_mode mode,
                         const uint8_t *key, const uint8_t *iv)
{
    const EVP_CIPHER *cipher;

    assert(c != NULL);
    if (mode == CRYPTO_NONE) {
        c->mode = CRYPTO_NONE;
        return 0;
    }
    if (mode == CRYPTO_AES_CBC && iv != NULL)
        cipher = EVP_aes_128_cbc();
    else if (mode == CRYPTO_FTAES_ECB)
        cipher = EVP_aes_128_ecb();
    else
        return CRYPTO_E_KEY;
    if (key == NULL)
        return CRYPTO_E_KEY;
    /*
     * Key both contexts before touching c->mode so a failure leaves the
     * old mode; a half-keyed context is harmless because the mode decides
     * whether it is ever used, and it is re-keyed on the next success.
     */
    if (EVP_EncryptInit_ex(c->aes_enc, cipher, NULL, key, iv) != 1 ||
        EVP_CIPHER_CTX_set_padding(c->aes_enc, 0) != 1 ||
        EVP_DecryptInit_ex(c->aes_dec, cipher, NULL, key, iv) != 1 ||
        EVP_CIPHER_CTX_set_padding(c->aes_dec, 0) != 1 ||
        EVP_CIPHER_CTX_get_key_length(c->aes_enc) != AES_KEY_LEN) {
        ERR_clear_error();
        return CRYPTO_E_KEY;
    }
    if (iv != NULL)
        memcpy(c->iv, iv, AES_IV_LEN);
    else
        memset(c->iv, 0, sizeof(c->iv));
    c->mode = mode;
    return 0;
}

enum opend_crypto_mode opend_crypto_mode_get(const opend_crypto_ctx *c)
{
    assert(c != NULL);
    return c->mode;
}

/* Restart x for a new packet: same key, CBC chain back at the session IV. */
static int restart(opend_crypto_ctx *c, EVP_CIPHER_CTX *x)
{
    const uint8_t *iv = c->mode == CRYPTO_AES_CBC ? c->iv : NULL;
    int enc = x == c->aes_enc;

    if (EVP_CipherInit_ex(x, NULL, NULL, NULL, iv, enc) != 1) {
        ERR_clear_error();
        return CRYPTO_E_CIPHER;
    }
    return 0;
}

/* Run n bytes (a multiple of 16) through x; writes exactly n bytes. */
static int run(EVP_CIPHER_CTX *x, const uint8_t *in, size_t n, uint8_t *out)
{
    while (n > 0) {
        size_t step = n < EVP_STEP ? n : EVP_STEP;
        int got = 0;

        if (EVP_CipherUpdate(x, out, &got, in, (int)step) != 1 || got < 0 ||
            (size_t)got != step) {
            ERR_clear_error();
            return CRYPTO_E_CIPHER;
        }
        in += step;
        out += step;
        n -= step;
    }
    return 0;
}

static int copy_plain(const uint8_t *in, size_t n, uint8_t *out, size_t cap,
                      size_t *outlen)
{
    if (n > cap)
        return CRYPTO_E_SPACE;
    if (n > 0)
        memcpy(out, in, n);
    *outlen = n;
    return 0;
}

int opend_crypto_aes_encrypt(opend_crypto_ctx *c, const uint8_t *in, size_t n,
                             uint8_t *out, size_t cap, size_t *outlen)
{
    uint8_t last[AES_BLOCK];
    size_t full = n / AES_BLOCK * AES_BLOCK;
    size_t r = n - full;
    size_t need;
    int rc;

    assert(c != NULL && outlen != NULL && (in != NULL || n == 0));
    if (c->mode == CRYPTO_NONE)
        return copy_plain(in, n, out, cap, outlen);
    if (n > SIZE_MAX - 2 * AES_BLOCK)
        return CRYPTO_E_SPACE;
    /* CBC always adds a pad block; FTAES pads r and adds a clear tail. */
    if (c->mode == CRYPTO_AES_CBC)
        need = full + AES_BLOCK;
    else
        need = full + (r != 0 ? AES_BLOCK : 0) + AES_BLOCK;
    if (need > cap)
        return CRYPTO_E_SPACE;

    memset(last, 0, sizeof(last));
    if (r > 0)
        memcpy(last, in + full, r);
    if (c->mode == CRYPTO_AES_CBC)
        memset(last + r, (int)(AES_BLOCK - r), AES_BLOCK - r);

    rc = restart(c, c->aes_enc);
    if (rc == 0)
        rc = run(c->aes_enc, in, full, out);
    if (rc == 0 && (c->mode == CRYPTO_AES_CBC || r != 0))
        rc = run(c->aes_enc, last, AES_BLOCK, out + full);
    OPENSSL_cleanse(last, sizeof(last));
    if (rc != 0)
        return rc;
    if (c->mode == CRYPTO_FTAES_ECB) {
        memset(out + need - AES_BLOCK, 0, AES_BLOCK - 1);
        out[need - 1] = (uint8_t)r;
    }
    *outlen = need;
    return 0;
}

/*
 * Decrypt the whole blocks of in[0..n) into out, except that the last
 * block goes to last[] so the caller can strip padding knowing the length.
 * n is a non-zero multiple of 16 and n - 16 <= cap has been checked.
 */
static int decrypt_blocks(opend_crypto_ctx *c, const uint8_t *in, size_t n,
                          uint8_t *out, uint8_t last[AES_BLOCK])
{
    int rc = restart(c, c->aes_dec);

    if (rc == 0)
        rc = run(c->aes_dec, in, n - AES_BLOCK, out);
    if (rc == 0)
        rc = run(c->aes_dec, in + n - AES_BLOCK, AES_BLOCK, last);
    return rc;
}

static int cbc_decrypt(opend_crypto_ctx *c, const uint8_t *in, size_t n,
                       uint8_t *out, size_t cap, size_t *outlen)
{
    uint8_t last[AES_BLOCK];
    size_t pad;
    size_t keep;
    int rc;

    if (n == 0 || n % AES_BLOCK != 0)
        return CRYPTO_E_CIPHER;
    /* The plaintext is at least n - 16 bytes long. */
    if (n - AES_BLOCK > cap)
        return CRYPTO_E_SPACE;
    rc = decrypt_blocks(c, in, n, out, last);
    if (rc != 0)
        goto out;
    pad = last[AES_BLOCK - 1];
    if (pad < 1 || pad > AES_BLOCK) {
        rc = CRYPTO_E_CIPHER;
        goto out;
    }
    for (size_t i = AES_BLOCK - pad; i < AES_BLOCK; i++) {
        if (last[i] != pad) {
            rc = CRYPTO_E_CIPHER;
            goto out;
        }
    }
    keep = AES_BLOCK - pad;
    if (keep > cap - (n - AES_BLOCK)) {
        rc = CRYPTO_E_SPACE;
        goto out;
    }
    memcpy(out + n - AES_BLOCK, last, keep);
    *outlen = n - pad;
out:
    OPENSSL_cleanse(last, sizeof(last));
    return rc;
}

static int ftaes_decrypt(opend_crypto_ctx *c, const uint8_t *in, size_t n,
                         uint8_t *out, size_t cap, size_t *outlen)
{
    uint8_t last[AES_BLOCK];
    size_t body;
    size_t r;
    size_t plain;
    int rc;

    if (n < AES_BLOCK || n % AES_BLOCK != 0)
        return CRYPTO_E_CIPHER;
    r = in[n - 1];
    body = n - AES_BLOCK;
    /* r counts the bytes used in the final block, which must exist. */
    if (r >= AES_BLOCK || (r != 0 && body == 0))
        return CRYPTO_E_CIPHER;
    plain = r != 0 ? body - AES_BLOCK + r : body;
    if (plain > cap)
        return CRYPTO_E_SPACE;
    if (body == 0) {
        *outlen = 0;
        return 0;
    }
    rc = decrypt_blocks(c, in, body, out, last);
    if (rc == 0) {
        memcpy(out + body - AES_BLOCK, last, r != 0 ? r : AES_BLOCK);
        *outlen = plain;
    }
    OPENSSL_cleanse(last, sizeof(last));
    return rc;
}

int opend_crypto_aes_decrypt(opend_crypto_ctx *c, const uint8_t *in, size_t n,
                             uint8_t *out, size_t cap, size_t *outlen)
{
    assert(c != NULL && outlen != NULL && (in != NULL || n == 0));
    switch (c->mode) {
    case CRYPTO_AES_CBC:
        return cbc_decrypt(c, in, n, out, cap, outlen);
    case CRYPTO_FTAES_ECB:
        return ftaes_decrypt(c, in, n, out, cap, outlen);
    case CRYPTO_NONE:
        break;
    }
    return copy_plain(in, n, out, cap, outlen);
}
