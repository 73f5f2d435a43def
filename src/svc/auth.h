/*
 * auth.h - Bearer-key checks for admin endpoints (RFC 6750 / RFC 7235).
 *
 * The scheme name is case-insensitive ("Bearer", "bearer", "BEARER"),
 * followed by one or more spaces and the key. The key comparison takes the
 * same time whatever the offered value holds, so response timing does not
 * reveal how many leading bytes were right. Keys are never logged here.
 * Pure functions, any thread.
 */
#ifndef HK_SVC_AUTH_H
#define HK_SVC_AUTH_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Compare the offered bytes (got, got_len) with key in time that depends
 * only on strlen(key). Returns true only when both are equal and key is
 * not empty.
 */
bool svc_auth_equal(const char *got, size_t got_len, const char *key);

/*
 * Check an Authorization header value against key. Returns true when the
 * header is "<Bearer in any case> <key>" exactly; false for NULL or empty
 * header, empty key, another scheme, a missing key, or any other key
 * (also one differing only in length or case).
 */
bool svc_auth_bearer_ok(const char *header, const char *key);

#endif
