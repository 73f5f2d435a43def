/*
 * vectors.h - shared helpers of the unit tests that read
 * tests/data/opend-vectors.json (HK_VECTORS overrides the path): hex
 * decoding, JSON field access, and the cmocka group setup/teardown that
 * load the file into the group state. Include after <cmocka.h>.
 */
#ifndef HK_TESTS_VECTORS_H
#define HK_TESTS_VECTORS_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VECTORS_DEFAULT_PATH "tests/data/opend-vectors.json"

static inline int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Decode hex into a malloc'd buffer (at least 1 byte so it is non-NULL). */
static inline uint8_t *unhex(const char *hex, size_t *len)
{
    size_t n;
    uint8_t *buf;

    assert_non_null(hex);
    n = strlen(hex);
    assert_int_equal(n % 2, 0);
    buf = malloc(n / 2 + 1);
    assert_non_null(buf);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(hex[2 * i]);
        int lo = hexval(hex[2 * i + 1]);

        assert_true(hi >= 0 && lo >= 0);
        buf[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return buf;
}

static inline const char *jstr(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    if (s == NULL)
        fail_msg("missing string field \"%s\"", key);
    return s;
}

static inline const json_t *jsection(void **state, const char *key)
{
    const json_t *v = json_object_get((const json_t *)*state, key);

    assert_non_null(v);
    return v;
}

/* cmocka group setup: the parsed vectors file becomes *state. */
static inline int vectors_setup(void **state)
{
    const char *path = getenv("HK_VECTORS");
    json_error_t jerr;
    json_t *root;

    if (path == NULL || path[0] == '\0')
        path = VECTORS_DEFAULT_PATH;
    root = json_load_file(path, 0, &jerr);
    if (root == NULL) {
        fprintf(stderr, "%s:%d: %s\n", path, jerr.line, jerr.text);
        return -1;
    }
    *state = root;
    return 0;
}

static inline int vectors_teardown(void **state)
{
    json_decref((json_t *)*state);
    return 0;
}

#endif
