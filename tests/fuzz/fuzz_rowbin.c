/*
 * fuzz_rowbin.c - libFuzzer target: the RowBinary row scanner
 * (clickhouse/rowbin.c, ch_rowbin_tick_len), which cold-store runs on
 * bytes a ClickHouse server sends.
 *
 * The input is scanned row after row, as cold-store's copier does. Oracles
 * (abort on violation):
 *   - a length is never more than the bytes available;
 *   - a row found in n bytes is found with the same length when exactly
 *     its bytes are given, and not found (0) in one byte less;
 *   - scanning never reads past the input (ASan; the input is copied into
 *     an exact-size heap buffer).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clickhouse/rowbin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    memcpy(p, data, size);
    size_t off = 0;
    while (off < size) {
        long len = ch_rowbin_tick_len(p + off, size - off);
        if (len <= 0)
            break;
        if ((size_t)len > size - off)
            abort();
        if (ch_rowbin_tick_len(p + off, (size_t)len) != len)
            abort();
        if (ch_rowbin_tick_len(p + off, (size_t)len - 1) != 0)
            abort();
        off += (size_t)len;
    }
    free(p);
    return 0;
}
