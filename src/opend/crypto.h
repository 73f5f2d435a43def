/*
 * crypto.h - optional OpenD packet encryption (opend-protocol.md §6).
 *
 * Encryption is off unless a 1024-bit RSA private key (PKCS#1 PEM) is
 * configured on both ends. InitConnect bodies are RSA-encrypted in 100-byte
 * plaintext chunks (128-byte blocks, PKCS#1 v1.5); every later body uses the
 * AES-128 key/IV negotiated in the InitConnect response, either:
 *
 *   CRYPTO_AES_CBC   PKCS#7, each packet restarts from the same IV.
 *   CRYPTO_FTAES_ECB zero-pad to 16, AES-128-ECB, then an *unencrypted*
 *                    16-byte tail: 15 zero bytes and r = plaintext_len % 16.
 *
 * Example (FTAES_ECB, key "0123456789abcdef", 8-byte KeepAlive body
 * 0a0608a0ed84af06): ciphertext is 16 encrypted bytes
 * 970ef813b26bab362895b74a861da795 followed by 15 x 00 and 08 (32 bytes).
 *
 * All functions are thread-compatible: a opend_crypto_ctx is used by one
 * thread.
 */
#ifndef HK_OPEND_CRYPTO_H
#define HK_OPEND_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

enum opend_crypto_mode {
    CRYPTO_NONE = -1,
    CRYPTO_FTAES_ECB = 0,
    CRYPTO_AES_CBC = 2,
};

#define CRYPTO_E_KEY (-2001)    /* key file unreadable / not 1024-bit RSA */
#define CRYPTO_E_CIPHER (-2002) /* ciphertext malformed or padding bad */
#define CRYPTO_E_SPACE (-2003)  /* output buffer too small */

typedef struct opend_crypto_ctx opend_crypto_ctx;

/* Upper bound of the output of any encrypt/decrypt for an input of n bytes. */
size_t opend_crypto_max_out(size_t n);

/*
 * Load the RSA private key (PKCS#1 or PKCS#8 PEM) from path. Returns 0 and
 * *out (owned by the caller, release with opend_crypto_free) or CRYPTO_E_KEY
 * with a reason in err. The AES mode starts as CRYPTO_NONE.
 */
int opend_crypto_open(const char *pem_path, opend_crypto_ctx **out, char *err,
                      size_t errlen);
/* Same, from a PEM string in memory. */
int opend_crypto_open_pem(const char *pem, size_t len, opend_crypto_ctx **out,
                          char *err, size_t errlen);
void opend_crypto_free(opend_crypto_ctx *c);

/* RSA, for InitConnect bodies. 0 on success, negative CRYPTO_E_* else. */
int opend_crypto_rsa_encrypt(opend_crypto_ctx *c, const uint8_t *in, size_t n,
                             uint8_t *out, size_t cap, size_t *outlen);
int opend_crypto_rsa_decrypt(opend_crypto_ctx *c, const uint8_t *in, size_t n,
                             uint8_t *out, size_t cap, size_t *outlen);

/*
 * Set the AES session: key is 16 bytes, iv is 16 bytes or NULL. mode is
 * CRYPTO_AES_CBC (needs iv) or CRYPTO_FTAES_ECB; CRYPTO_NONE (key and iv
 * ignored) drops the session. Returns 0 or CRYPTO_E_KEY, in which case the
 * previous mode stays in force. key and iv are copied.
 */
int opend_crypto_set_aes(opend_crypto_ctx *c, enum opend_crypto_mode mode,
                         const uint8_t *key, const uint8_t *iv);
enum opend_crypto_mode opend_crypto_mode_get(const opend_crypto_ctx *c);

/* AES body encryption in the configured mode (identity when CRYPTO_NONE). */
int opend_crypto_aes_encrypt(opend_crypto_ctx *c, const uint8_t *in, size_t n,
                             uint8_t *out, size_t cap, size_t *outlen);
int opend_crypto_aes_decrypt(opend_crypto_ctx *c, const uint8_t *in, size_t n,
                             uint8_t *out, size_t cap, size_t *outlen);

#endif
