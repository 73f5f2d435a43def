/*
 * symtab.h - interned symbol names ("HK.00700") with stable small ids.
 *
 * Ids are handed out by the event thread only (symtab_intern); entries are
 * never changed or removed, so any thread may read a name for an id it
 * received through the queue (the queue's mutex orders the write before the
 * read). Capacity is fixed at init.
 *
 * Each entry carries a "configured" mark, set by the event thread when a
 * configured symbol is interned (start-up, SIGHUP) and never cleared, so it
 * means "configured at some point in this process". The writer reads it
 * (atomically) to tell configured symbols from names the upstream sent
 * unasked, whose rows it quarantines (validate.c).
 */
#ifndef HK_COLLECTOR_SYMTAB_H
#define HK_COLLECTOR_SYMTAB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SYMTAB_NAME_LEN 32
#define SYMTAB_NONE UINT32_MAX

typedef struct symtab {
    char (*names)[SYMTAB_NAME_LEN];
    uint8_t *market_len;      /* length of the market prefix before '.' */
    atomic_uchar *configured; /* 1 once the entry was a configured symbol */
    uint32_t *slots;          /* open addressing: id + 1, 0 = empty */
    uint32_t cap;             /* max entries */
    uint32_t nslots;          /* power of two >= 2 * cap */
    uint32_t count;
} symtab;

/* Returns 0 or -ENOMEM (t is then empty and may be freed). */
int symtab_init(symtab *t, uint32_t cap);
void symtab_free(symtab *t);
/*
 * Id of name (len bytes) in *id, adding it if new while fewer than limit
 * entries exist (limit above cap means cap). Returns 0, -EINVAL for an empty
 * or too long name, or -ENOSPC when name is new and the table already holds
 * limit entries; on failure *id is SYMTAB_NONE and the table is unchanged.
 * Callers reserve room for names that must always fit by passing a lower
 * limit for the others.
 */
int symtab_add(symtab *t, const char *name, size_t len, uint32_t limit,
               uint32_t *id);
/* symtab_add with limit = cap: the id, or SYMTAB_NONE if full/too long. */
uint32_t symtab_intern(symtab *t, const char *name, size_t len);
/* Id of name or SYMTAB_NONE, without adding. */
uint32_t symtab_find(const symtab *t, const char *name, size_t len);
/* Whether id names an entry (ids are dense: below count). */
static inline int symtab_valid(const symtab *t, uint32_t id)
{
    return id < t->count;
}
/* Mark a valid id as configured (event thread; never cleared). */
static inline void symtab_mark_configured(symtab *t, uint32_t id)
{
    atomic_store_explicit(&t->configured[id], 1, memory_order_release);
}
/* Whether a valid id was ever marked configured (any thread). */
static inline int symtab_configured(const symtab *t, uint32_t id)
{
    return atomic_load_explicit(&t->configured[id], memory_order_acquire);
}
/* Name of a valid id; valid as long as t (entries never change). */
static inline const char *symtab_name(const symtab *t, uint32_t id)
{
    return t->names[id];
}

#endif
