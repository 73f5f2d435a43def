/*
 * auth.c - Bearer header parsing and constant-time key comparison (see
 * auth.h).
 *
 * svc_auth_equal walks every byte of the key and ORs the differences, and
 * folds a length mismatch into the same accumulator, so its running time
 * depends on the key's length only (which an attacker may learn; the key's
 * bytes they may not). No early return inside the loop.
 */
#include "svc/auth.h"

#include <string.h>
#include <strings.h>

bool svc_auth_equal(const char *got, size_t got_len, const char *key)
{
    size_t kl = strlen(key);
    volatile unsigned char diff = (unsigned char)(got_len != kl);

    if (kl == 0)
        return false;
    for (size_t i = 0; i < kl; i++) {
        /* Past the end of got, compare against the key's complement: a
         * guaranteed difference without reading out of bounds. */
        unsigned char g =
            i < got_len ? (unsigned char)got[i] : (unsigned char)~key[i];
        diff |= (unsigned char)(g ^ (unsigned char)key[i]);
    }
    return diff == 0;
}

bool svc_auth_bearer_ok(const char *header, const char *key)
{
    if (!header || !key || !*key)
        return false;
    if (strncasecmp(header, "Bearer", 6) != 0 || header[6] != ' ')
        return false;
    header += 6;
    while (*header == ' ')
        header++;
    return svc_auth_equal(header, strlen(header), key);
}
