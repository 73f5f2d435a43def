/*
 * symtab.c - open-addressing hash of symbol names to dense ids.
 *
 * FNV-1a hash, linear probing, table at most half full; no deletion.
 * A full table is a return code (-ENOSPC from symtab_add, SYMTAB_NONE from
 * symtab_intern), never an entry: callers must check before using an id.
 */
#include "collector/symtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int symtab_init(symtab *t, uint32_t cap)
{
    memset(t, 0, sizeof(*t));
    t->cap = cap;
    t->nslots = 16;
    while (t->nslots < cap * 2)
        t->nslots *= 2;
    t->names = calloc(cap, SYMTAB_NAME_LEN);
    t->market_len = calloc(cap, 1);
    t->configured = calloc(cap, sizeof(atomic_uchar));
    t->slots = calloc(t->nslots, sizeof(uint32_t));
    if (!t->names || !t->market_len || !t->configured || !t->slots) {
        symtab_free(t);
        return -ENOMEM;
    }
    return 0;
}

void symtab_free(symtab *t)
{
    free(t->names);
    free(t->market_len);
    free((void *)t->configured);
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

static uint32_t hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static uint32_t *lookup(const symtab *t, const char *name, size_t len)
{
    uint32_t mask = t->nslots - 1;
    uint32_t i = hash(name, len) & mask;
    for (;;) {
        uint32_t s = t->slots[i];
        if (s == 0)
            return &t->slots[i];
        const char *n = t->names[s - 1];
        if (strncmp(n, name, len) == 0 && n[len] == '\0')
            return &t->slots[i];
        i = (i + 1) & mask;
    }
}

uint32_t symtab_find(const symtab *t, const char *name, size_t len)
{
    if (len >= SYMTAB_NAME_LEN)
        return SYMTAB_NONE;
    uint32_t s = *lookup(t, name, len);
    return s ? s - 1 : SYMTAB_NONE;
}

int symtab_add(symtab *t, const char *name, size_t len, uint32_t limit,
               uint32_t *id)
{
    uint32_t *slot;
    const char *dot;

    *id = SYMTAB_NONE;
    if (len == 0 || len >= SYMTAB_NAME_LEN)
        return -EINVAL;
    slot = lookup(t, name, len);
    if (*slot) {
        *id = *slot - 1;
        return 0;
    }
    if (limit > t->cap)
        limit = t->cap;
    if (t->count >= limit)
        return -ENOSPC;
    memcpy(t->names[t->count], name, len);
    t->names[t->count][len] = '\0';
    dot = memchr(name, '.', len);
    t->market_len[t->count] = (uint8_t)(dot ? (size_t)(dot - name) : 0);
    *slot = ++t->count;
    *id = t->count - 1;
    return 0;
}

uint32_t symtab_intern(symtab *t, const char *name, size_t len)
{
    uint32_t id;

    (void)symtab_add(t, name, len, t->cap, &id);
    return id;
}
