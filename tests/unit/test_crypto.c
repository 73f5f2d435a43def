/*
 * test_crypto.c - unit tests for opend/crypto.c.
 *
 * Known answers come from tests/data/opend-vectors.json (sections aes,
 * encrypted_packets, rsa), found through $HK_VECTORS or the repository
 * relative default. The group setup loads the file once and hands the
 * jansson root to every test as its state; tests never modify it.
 *
 * RSA PKCS#1 v1.5 encryption is randomised, so RSA is checked by decrypting
 * the vectors and by encrypt -> decrypt round trips. Error paths are driven
 * with crafted inputs: bad CBC padding, malformed FTAES tails, truncated RSA
 * blocks, short output buffers and unacceptable keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vectors.h"
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "opend/crypto.h"

/* ---------------------------------------------------------------- helpers */

static enum opend_crypto_mode mode_of(const char *name)
{
    if (strcmp(name, "FTAES_ECB") == 0)
        return CRYPTO_FTAES_ECB;
    if (strcmp(name, "AES_CBC") == 0)
        return CRYPTO_AES_CBC;
    fail_msg("unknown mode \"%s\"", name);
    return CRYPTO_NONE;
}

static opend_crypto_ctx *open_test_key(void **state)
{
    const char *pem = jstr(jsection(state, "rsa"), "private_key_pem_pkcs1");
    opend_crypto_ctx *c = NULL;
    char err[256] = "";
    int rc = opend_crypto_open_pem(pem, strlen(pem), &c, err, sizeof(err));

    if (rc != 0)
        fail_msg("opend_crypto_open_pem: %d %s", rc, err);
    assert_non_null(c);
    return c;
}

/* A context with an AES session from the aes section's key and IV. */
static opend_crypto_ctx *open_aes(void **state, enum opend_crypto_mode mode)
{
    const json_t *aes = jsection(state, "aes");
    opend_crypto_ctx *c = open_test_key(state);
    const char *key = jstr(aes, "key_ascii");
    const char *iv = jstr(aes, "iv_ascii");

    assert_int_equal(strlen(key), 16);
    assert_int_equal(strlen(iv), 16);
    assert_int_equal(opend_crypto_set_aes(c, mode, (const uint8_t *)key,
                                          (const uint8_t *)iv),
                     0);
    assert_int_equal(opend_crypto_mode_get(c), mode);
    return c;
}

/* Encrypt plain and expect cipher exactly, then decrypt back. */
static void check_aes(opend_crypto_ctx *c, const uint8_t *plain, size_t plen,
                      const uint8_t *cipher, size_t clen)
{
    size_t cap = opend_crypto_max_out(plen);
    uint8_t *buf = malloc(cap + 1);
    uint8_t *back = malloc(clen + 1);
    size_t got = 0;

    assert_non_null(buf);
    assert_non_null(back);
    assert_int_equal(opend_crypto_aes_encrypt(c, plain, plen, buf, cap, &got),
                     0);
    assert_int_equal(got, clen);
    assert_memory_equal(buf, cipher, clen);
    got = 0;
    assert_int_equal(
        opend_crypto_aes_decrypt(c, cipher, clen, back, clen, &got), 0);
    assert_int_equal(got, plen);
    if (plen > 0)
        assert_memory_equal(back, plain, plen);
    free(buf);
    free(back);
}

static void fill(uint8_t *buf, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(seed + i * 7u);
}

/* ------------------------------------------------------------------ setup */

/* ------------------------------------------------------------------ tests */

static void test_max_out(void **state)
{
    (void)state;
    assert_int_equal(opend_crypto_max_out(0), 32);
    assert_int_equal(opend_crypto_max_out(1), 128);
    assert_int_equal(opend_crypto_max_out(100), 132);
    assert_int_equal(opend_crypto_max_out(101), 256);
    assert_int_equal(opend_crypto_max_out(250), 384);
    assert_int_equal(opend_crypto_max_out(100000), 128000);
    assert_true(opend_crypto_max_out(SIZE_MAX) == SIZE_MAX);
    assert_true(opend_crypto_max_out(SIZE_MAX - 10) == SIZE_MAX);
    /* Every AES output size fits. */
    for (size_t n = 0; n < 300; n++) {
        assert_true(opend_crypto_max_out(n) >= (n / 16 + 1) * 16);
        assert_true(opend_crypto_max_out(n) >= (n + 15) / 16 * 16 + 16);
        assert_true(opend_crypto_max_out(n) >= (n + 99) / 100 * 128);
    }
}

static void test_aes_vectors(void **state)
{
    const json_t *vecs = json_object_get(jsection(state, "aes"), "vectors");
    const json_t *v;
    size_t i;

    assert_true(json_array_size(vecs) > 0);
    json_array_foreach(vecs, i, v)
    {
        enum opend_crypto_mode mode = mode_of(jstr(v, "mode"));
        const char *key = jstr(v, "key_ascii");
        const char *iv = json_string_value(json_object_get(v, "iv_ascii"));
        opend_crypto_ctx *c = open_test_key(state);
        size_t plen;
        size_t clen;
        uint8_t *plain = unhex(jstr(v, "plaintext_hex"), &plen);
        uint8_t *cipher = unhex(jstr(v, "ciphertext_hex"), &clen);
        json_int_t want =
            json_integer_value(json_object_get(v, "ciphertext_len"));

        assert_int_equal(strlen(key), 16);
        assert_int_equal(clen, want);
        assert_int_equal(opend_crypto_set_aes(c, mode, (const uint8_t *)key,
                                              (const uint8_t *)iv),
                         0);
        check_aes(c, plain, plen, cipher, clen);
        /* Packets are independent: a second run gives the same bytes. */
        check_aes(c, plain, plen, cipher, clen);
        free(plain);
        free(cipher);
        opend_crypto_free(c);
    }
}

static void test_encrypted_packets(void **state)
{
    const json_t *pkts = jsection(state, "encrypted_packets");
    const json_t *v;
    size_t i;

    assert_true(json_array_size(pkts) > 0);
    json_array_foreach(pkts, i, v)
    {
        opend_crypto_ctx *c = open_aes(state, mode_of(jstr(v, "mode")));
        size_t plen;
        size_t blen;
        uint8_t *plain = unhex(jstr(v, "plaintext_body_hex"), &plen);
        uint8_t *body = unhex(jstr(v, "body_hex"), &blen);

        assert_int_equal(blen,
                         json_integer_value(json_object_get(v, "body_len")));
        check_aes(c, plain, plen, body, blen);
        free(plain);
        free(body);
        opend_crypto_free(c);
    }
}

/* All lengths 0..70 round-trip in both modes, with interleaved use. */
static void test_aes_round_trip(void **state)
{
    static const enum opend_crypto_mode modes[] = {CRYPTO_AES_CBC,
                                                   CRYPTO_FTAES_ECB};

    for (size_t m = 0; m < 2; m++) {
        opend_crypto_ctx *c = open_aes(state, modes[m]);

        for (size_t n = 0; n <= 70; n++) {
            uint8_t plain[80];
            uint8_t enc1[128];
            uint8_t enc2[128];
            uint8_t back[128];
            size_t l1 = 0;
            size_t l2 = 0;
            size_t lb = 0;
            size_t want = modes[m] == CRYPTO_AES_CBC ? (n / 16 + 1) * 16
                                                     : (n + 15) / 16 * 16 + 16;

            fill(plain, n, (unsigned)n);
            assert_int_equal(
                opend_crypto_aes_encrypt(c, plain, n, enc1, sizeof(enc1), &l1),
                0);
            assert_int_equal(l1, want);
            assert_true(l1 <= opend_crypto_max_out(n));
            assert_int_equal(
                opend_crypto_aes_decrypt(c, enc1, l1, back, sizeof(back), &lb),
                0);
            assert_int_equal(
                opend_crypto_aes_encrypt(c, plain, n, enc2, sizeof(enc2), &l2),
                0);
            assert_int_equal(l2, l1);
            assert_memory_equal(enc1, enc2, l1);
            assert_int_equal(lb, n);
            if (n > 0)
                assert_memory_equal(back, plain, n);
            if (modes[m] == CRYPTO_FTAES_ECB)
                assert_int_equal(enc1[l1 - 1], n % 16);
        }
        opend_crypto_free(c);
    }
}

static void test_aes_none_and_modes(void **state)
{
    static const uint8_t key[16] = "0123456789abcdef";
    opend_crypto_ctx *c = open_test_key(state);
    uint8_t in[5] = {1, 2, 3, 4, 5};
    uint8_t out[8];
    size_t got = 0;

    assert_int_equal(opend_crypto_mode_get(c), CRYPTO_NONE);
    assert_int_equal(opend_crypto_aes_encrypt(c, in, 5, out, 5, &got), 0);
    assert_int_equal(got, 5);
    assert_memory_equal(out, in, 5);
    assert_int_equal(opend_crypto_aes_decrypt(c, in, 5, out, 5, &got), 0);
    assert_int_equal(got, 5);
    assert_memory_equal(out, in, 5);
    assert_int_equal(opend_crypto_aes_encrypt(c, in, 5, out, 4, &got),
                     CRYPTO_E_SPACE);

    /* Bad settings fail with CRYPTO_E_KEY and leave the mode alone. */
    assert_int_equal(opend_crypto_set_aes(c, CRYPTO_AES_CBC, key, NULL),
                     CRYPTO_E_KEY);
    assert_int_equal(
        opend_crypto_set_aes(c, (enum opend_crypto_mode)1, key, key),
        CRYPTO_E_KEY);
    assert_int_equal(opend_crypto_set_aes(c, CRYPTO_FTAES_ECB, NULL, NULL),
                     CRYPTO_E_KEY);
    assert_int_equal(opend_crypto_mode_get(c), CRYPTO_NONE);
    assert_int_equal(opend_crypto_set_aes(c, CRYPTO_FTAES_ECB, key, NULL), 0);
    assert_int_equal(opend_crypto_set_aes(c, CRYPTO_AES_CBC, key, NULL),
                     CRYPTO_E_KEY);
    assert_int_equal(opend_crypto_mode_get(c), CRYPTO_FTAES_ECB);
    assert_int_equal(opend_crypto_set_aes(c, CRYPTO_NONE, NULL, NULL), 0);
    assert_int_equal(opend_crypto_mode_get(c), CRYPTO_NONE);
    opend_crypto_free(c);
    opend_crypto_free(NULL);
}

/* A CBC vector with at least two blocks and 2..15 bytes of padding. */
static const json_t *cbc_padded_vector(void **state, size_t *pad)
{
    const json_t *vecs = json_object_get(jsection(state, "aes"), "vectors");
    const json_t *v;
    size_t i;

    json_array_foreach(vecs, i, v)
    {
        size_t plen = strlen(jstr(v, "plaintext_hex")) / 2;
        size_t clen = strlen(jstr(v, "ciphertext_hex")) / 2;

        if (strcmp(jstr(v, "mode"), "AES_CBC") == 0 && clen >= 32 &&
            clen - plen >= 2 && clen - plen < 16) {
            *pad = clen - plen;
            return v;
        }
    }
    fail_msg("no suitable AES_CBC vector");
    return NULL;
}

static void test_cbc_bad_padding(void **state)
{
    size_t pad = 0;
    const json_t *v = cbc_padded_vector(state, &pad);
    opend_crypto_ctx *c = open_aes(state, CRYPTO_AES_CBC);
    uint8_t out[256];
    size_t got = 99;
    size_t plen;
    size_t clen;
    uint8_t *plain = unhex(jstr(v, "plaintext_hex"), &plen);
    uint8_t *cipher = unhex(jstr(v, "ciphertext_hex"), &clen);
    /*
     * XOR on byte i of the second-to-last ciphertext block XORs byte i of
     * the last plaintext block, so each mask makes a known bad padding.
     */
    size_t prev = clen - 17;
    const struct {
        size_t pos;
        uint8_t mask;
    } bad[] = {
        {prev, (uint8_t)pad},               /* last byte 0 */
        {prev, (uint8_t)(pad ^ 17)},        /* last byte 17 */
        {prev, (uint8_t)(pad ^ 0xff)},      /* last byte 255 */
        {prev - 1, 0x01},                   /* inner pad byte wrong */
        {prev + 1 - pad, 0x80},             /* first pad byte wrong */
        {prev, (uint8_t)(pad ^ (pad + 1))}, /* pad one too long */
    };
    size_t nbad = sizeof(bad) / sizeof(bad[0]);

    assert_true(clen <= sizeof(out));
    /* "One too long" only fails if the data byte before differs. */
    if (plain[plen - 1] == pad + 1)
        nbad--;
    for (size_t i = 0; i < nbad; i++) {
        cipher[bad[i].pos] ^= bad[i].mask;
        assert_int_equal(
            opend_crypto_aes_decrypt(c, cipher, clen, out, sizeof(out), &got),
            CRYPTO_E_CIPHER);
        assert_int_equal(got, 99);
        cipher[bad[i].pos] ^= bad[i].mask;
    }
    /* Untouched, it still decrypts. */
    assert_int_equal(
        opend_crypto_aes_decrypt(c, cipher, clen, out, sizeof(out), &got), 0);
    assert_int_equal(got, plen);
    assert_memory_equal(out, plain, plen);
    /* Lengths that are not whole blocks, or empty. */
    assert_int_equal(
        opend_crypto_aes_decrypt(c, cipher, clen - 1, out, sizeof(out), &got),
        CRYPTO_E_CIPHER);
    assert_int_equal(
        opend_crypto_aes_decrypt(c, cipher, 15, out, sizeof(out), &got),
        CRYPTO_E_CIPHER);
    assert_int_equal(
        opend_crypto_aes_decrypt(c, cipher, 0, out, sizeof(out), &got),
        CRYPTO_E_CIPHER);
    free(plain);
    free(cipher);
    opend_crypto_free(c);
}

static void test_ftaes_malformed(void **state)
{
    opend_crypto_ctx *c = open_aes(state, CRYPTO_FTAES_ECB);
    uint8_t in[64];
    uint8_t out[64];
    size_t got = 99;

    memset(in, 0, sizeof(in));
    /* Not a multiple of 16, or shorter than the tail. */
    for (size_t n = 0; n < 64; n++) {
        if (n % 16 == 0 && n > 0)
            continue;
        assert_int_equal(
            opend_crypto_aes_decrypt(c, in, n, out, sizeof(out), &got),
            CRYPTO_E_CIPHER);
    }
    /* r must be below 16. */
    in[31] = 16;
    assert_int_equal(
        opend_crypto_aes_decrypt(c, in, 32, out, sizeof(out), &got),
        CRYPTO_E_CIPHER);
    in[31] = 0xff;
    assert_int_equal(
        opend_crypto_aes_decrypt(c, in, 32, out, sizeof(out), &got),
        CRYPTO_E_CIPHER);
    /* A bare tail with r != 0 claims bytes that are not there. */
    in[15] = 5;
    assert_int_equal(
        opend_crypto_aes_decrypt(c, in, 16, out, sizeof(out), &got),
        CRYPTO_E_CIPHER);
    assert_int_equal(got, 99);
    /* A bare tail with r == 0 is the empty body. */
    in[15] = 0;
    assert_int_equal(opend_crypto_aes_decrypt(c, in, 16, out, 0, &got), 0);
    assert_int_equal(got, 0);
    opend_crypto_free(c);
}

static void test_aes_space(void **state)
{
    static const enum opend_crypto_mode modes[] = {CRYPTO_AES_CBC,
                                                   CRYPTO_FTAES_ECB};

    for (size_t m = 0; m < 2; m++) {
        opend_crypto_ctx *c = open_aes(state, modes[m]);

        for (size_t n = 0; n <= 40; n++) {
            uint8_t plain[48];
            uint8_t enc[80];
            uint8_t back[80];
            size_t elen = 0;
            size_t got = 77;

            fill(plain, n, 3);
            assert_int_equal(
                opend_crypto_aes_encrypt(c, plain, n, enc, sizeof(enc), &elen),
                0);
            assert_int_equal(
                opend_crypto_aes_encrypt(c, plain, n, enc, elen - 1, &got),
                CRYPTO_E_SPACE);
            assert_int_equal(got, 77);
            if (n > 0) {
                assert_int_equal(
                    opend_crypto_aes_decrypt(c, enc, elen, back, n - 1, &got),
                    CRYPTO_E_SPACE);
                assert_int_equal(got, 77);
            }
            assert_int_equal(
                opend_crypto_aes_decrypt(c, enc, elen, back, n, &got), 0);
            assert_int_equal(got, n);
            if (n > 0)
                assert_memory_equal(back, plain, n);
        }
        opend_crypto_free(c);
    }
}

static void test_rsa_vectors(void **state)
{
    const json_t *vecs = json_object_get(jsection(state, "rsa"), "vectors");
    opend_crypto_ctx *c = open_test_key(state);
    const json_t *v;
    size_t i;

    assert_true(json_array_size(vecs) > 0);
    json_array_foreach(vecs, i, v)
    {
        size_t plen;
        size_t clen;
        size_t got = 0;
        uint8_t *plain = unhex(jstr(v, "plaintext_hex"), &plen);
        uint8_t *cipher = unhex(jstr(v, "ciphertext_hex"), &clen);
        size_t blocks = (plen + 99) / 100;
        uint8_t *out = malloc(clen + 1);

        assert_non_null(out);
        assert_int_equal(clen, blocks * 128);
        assert_int_equal(
            opend_crypto_rsa_decrypt(c, cipher, clen, out, clen, &got), 0);
        assert_int_equal(got, plen);
        assert_memory_equal(out, plain, plen);
        /* An exact-size buffer is enough; one byte less is not. */
        assert_int_equal(
            opend_crypto_rsa_decrypt(c, cipher, clen, out, plen, &got), 0);
        assert_int_equal(
            opend_crypto_rsa_decrypt(c, cipher, clen, out, plen - 1, &got),
            CRYPTO_E_SPACE);
        free(out);
        free(plain);
        free(cipher);
    }
    opend_crypto_free(c);
}

static void test_rsa_round_trip(void **state)
{
    static const size_t lens[] = {0, 1, 100, 101, 250};
    opend_crypto_ctx *c = open_test_key(state);

    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        size_t n = lens[i];
        size_t want = (n + 99) / 100 * 128;
        uint8_t plain[250];
        uint8_t enc[384];
        uint8_t enc2[384];
        uint8_t back[384];
        size_t elen = 99;
        size_t elen2 = 0;
        size_t blen = 99;

        fill(plain, n, (unsigned)i);
        assert_true(want <= opend_crypto_max_out(n));
        assert_int_equal(
            opend_crypto_rsa_encrypt(c, plain, n, enc, sizeof(enc), &elen), 0);
        assert_int_equal(elen, want);
        assert_int_equal(
            opend_crypto_rsa_decrypt(c, enc, elen, back, sizeof(back), &blen),
            0);
        assert_int_equal(blen, n);
        if (n > 0)
            assert_memory_equal(back, plain, n);
        /* Random padding: a second encryption differs but decrypts too. */
        assert_int_equal(
            opend_crypto_rsa_encrypt(c, plain, n, enc2, want, &elen2), 0);
        assert_int_equal(elen2, want);
        if (n > 0)
            assert_memory_not_equal(enc, enc2, want);
        if (want > 0) {
            size_t got = 77;

            assert_int_equal(
                opend_crypto_rsa_encrypt(c, plain, n, enc2, want - 1, &got),
                CRYPTO_E_SPACE);
            assert_int_equal(got, 77);
        }
    }
    opend_crypto_free(c);
}

static void test_rsa_malformed(void **state)
{
    opend_crypto_ctx *c = open_test_key(state);
    uint8_t plain[150];
    uint8_t enc[256];
    uint8_t out[256];
    size_t elen = 0;
    size_t got = 77;

    fill(plain, sizeof(plain), 1);
    assert_int_equal(opend_crypto_rsa_encrypt(c, plain, sizeof(plain), enc,
                                              sizeof(enc), &elen),
                     0);
    assert_int_equal(elen, 256);
    /* Truncated or overlong blocks. */
    assert_int_equal(
        opend_crypto_rsa_decrypt(c, enc, 127, out, sizeof(out), &got),
        CRYPTO_E_CIPHER);
    assert_int_equal(
        opend_crypto_rsa_decrypt(c, enc, 129, out, sizeof(out), &got),
        CRYPTO_E_CIPHER);
    assert_int_equal(
        opend_crypto_rsa_decrypt(c, enc, 255, out, sizeof(out), &got),
        CRYPTO_E_CIPHER);
    assert_int_equal(got, 77);
    /* A valid first block alone gives the first 100 bytes. */
    assert_int_equal(
        opend_crypto_rsa_decrypt(c, enc, 128, out, sizeof(out), &got), 0);
    assert_int_equal(got, 100);
    assert_memory_equal(out, plain, 100);
    /* Second chunk does not fit after the first. */
    assert_int_equal(opend_crypto_rsa_decrypt(c, enc, 256, out, 149, &got),
                     CRYPTO_E_SPACE);
    /* Empty ciphertext is the empty plaintext. */
    assert_int_equal(opend_crypto_rsa_decrypt(c, enc, 0, out, 0, &got), 0);
    assert_int_equal(got, 0);
    opend_crypto_free(c);
}

static char *pem_of(EVP_PKEY *k, const EVP_CIPHER *enc, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    char *copy;
    long n;

    assert_non_null(bio);
    assert_int_equal(PEM_write_bio_PrivateKey(
                         bio, k, enc, (unsigned char *)"secret", 6, NULL, NULL),
                     1);
    n = BIO_get_mem_data(bio, &data);
    assert_true(n > 0);
    copy = malloc((size_t)n + 1);
    assert_non_null(copy);
    memcpy(copy, data, (size_t)n);
    copy[n] = '\0';
    *len = (size_t)n;
    BIO_free(bio);
    return copy;
}

static void test_key_2048_rejected(void **state)
{
    EVP_PKEY *k = EVP_RSA_gen(2048);
    opend_crypto_ctx *c = (opend_crypto_ctx *)1;
    char err[256] = "";
    size_t len;
    char *pem;

    (void)state;
    assert_non_null(k);
    pem = pem_of(k, NULL, &len);
    assert_int_equal(opend_crypto_open_pem(pem, len, &c, err, sizeof(err)),
                     CRYPTO_E_KEY);
    assert_true(c == (opend_crypto_ctx *)1);
    assert_non_null(strstr(err, "2048"));
    free(pem);
    EVP_PKEY_free(k);
}

static void test_key_sources(void **state)
{
    const char *pkcs1 = jstr(jsection(state, "rsa"), "private_key_pem_pkcs1");
    char path[] = "/tmp/test_crypto_XXXXXX";
    opend_crypto_ctx *c = NULL;
    char err[256] = "";
    EVP_PKEY *k = NULL;
    BIO *bio;
    size_t len;
    char *pem;
    int fd;

    /* The same key as PKCS#8 loads; encrypted PEM fails without a prompt. */
    bio = BIO_new_mem_buf(pkcs1, -1);
    assert_non_null(bio);
    k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    assert_non_null(k);
    BIO_free(bio);
    pem = pem_of(k, NULL, &len);
    assert_non_null(strstr(pem, "BEGIN PRIVATE KEY"));
    assert_int_equal(opend_crypto_open_pem(pem, len, &c, err, sizeof(err)), 0);
    opend_crypto_free(c);
    free(pem);
    pem = pem_of(k, EVP_aes_128_cbc(), &len);
    assert_int_equal(opend_crypto_open_pem(pem, len, &c, err, sizeof(err)),
                     CRYPTO_E_KEY);
    free(pem);
    EVP_PKEY_free(k);

    /* Garbage and empty text. */
    assert_int_equal(
        opend_crypto_open_pem("not a key", 9, &c, err, sizeof(err)),
        CRYPTO_E_KEY);
    assert_true(strlen(err) > 0);
    assert_int_equal(opend_crypto_open_pem("", 0, &c, NULL, 0), CRYPTO_E_KEY);

    /* From a file, and from a file that is not there. */
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, pkcs1, strlen(pkcs1)), (ssize_t)strlen(pkcs1));
    assert_int_equal(close(fd), 0);
    c = NULL;
    assert_int_equal(opend_crypto_open(path, &c, err, sizeof(err)), 0);
    assert_non_null(c);
    assert_int_equal(opend_crypto_mode_get(c), CRYPTO_NONE);
    opend_crypto_free(c);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(opend_crypto_open(path, &c, err, sizeof(err)),
                     CRYPTO_E_KEY);
    assert_non_null(strstr(err, path));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_out),
        cmocka_unit_test(test_aes_vectors),
        cmocka_unit_test(test_encrypted_packets),
        cmocka_unit_test(test_aes_round_trip),
        cmocka_unit_test(test_aes_none_and_modes),
        cmocka_unit_test(test_cbc_bad_padding),
        cmocka_unit_test(test_ftaes_malformed),
        cmocka_unit_test(test_aes_space),
        cmocka_unit_test(test_rsa_vectors),
        cmocka_unit_test(test_rsa_round_trip),
        cmocka_unit_test(test_rsa_malformed),
        cmocka_unit_test(test_key_2048_rejected),
        cmocka_unit_test(test_key_sources),
    };

    return cmocka_run_group_tests_name("crypto", tests, vectors_setup,
                                       vectors_teardown);
}
