/*
 * gapdet.h - hard-gap detector run inside the writer's transaction
 * (compat.md §8.1).
 *
 * Per symbol it keeps the last ts_ms and the previous GAP_ACTIVE_MIN_TICKS-1
 * tick times (a ring), which is all the "active" rule needs: a symbol is
 * active at a tick when (ticks in the last GAP_ACTIVE_WINDOW_SEC + 1) >=
 * GAP_ACTIVE_MIN_TICKS, i.e. when the (MIN-1)-th previous tick is inside
 * the window. A gap is reported when ts > last, the symbol is active, both
 * times lie in one TRADING_SESSIONS item of the same HK weekday (not a
 * holiday) and ts - last > GAP_THRESHOLD_SEC.
 *
 * State advances only on strictly increasing ts and is committed with the
 * transaction: gapdet_begin/rollback/commit keep an undo log of the symbols
 * touched, so a retried batch finds the same gaps again.
 * Writer thread only (or main before the writer starts).
 */
#ifndef HK_COLLECTOR_GAPDET_H
#define HK_COLLECTOR_GAPDET_H

#include <stdbool.h>
#include <stdint.h>

#include "collector/config.h"

typedef struct gapdet_sym gapdet_sym;

typedef struct gapdet {
    const config *cfg;
    gapdet_sym **syms; /* per symtab id, allocated on first tick */
    uint32_t cap;
    int ring_len; /* GAP_ACTIVE_MIN_TICKS - 1 */
    /* undo log of the open transaction */
    uint32_t *undo_ids;
    gapdet_sym **undo;
    uint32_t n_undo;
} gapdet;

typedef struct gapdet_gap {
    int64_t prev_ts;
    int64_t curr_ts;
    int active_count;
    int session; /* index into cfg->sessions */
} gapdet_gap;

int gapdet_init(gapdet *g, const config *cfg, uint32_t cap);
void gapdet_free(gapdet *g);

/* Feed one tick; returns 1 and fills *gap when it closes a hard gap. */
int gapdet_tick(gapdet *g, uint32_t sym, int64_t ts, gapdet_gap *gap);

void gapdet_begin(gapdet *g);
void gapdet_commit(gapdet *g);
void gapdet_rollback(gapdet *g);

/*
 * The activity and session rules, shared with hk-tickctl's soft-stall scan
 * (compat.md §8.2: "same active/same-session rule") so there is one copy.
 * A window is a ring of the newest tick times of one symbol, strictly
 * increasing, len slots, n held, next write at head; the caller owns it.
 */

/* Slots a window needs for GAP_ACTIVE_MIN_TICKS = min_ticks (>= 1). */
int gapdet_ring_len(int min_ticks);

/* How many of the newest entries are at or after lo (counted from the
 * newest down, stopping at the first older one). */
int gapdet_window_count(const int64_t *ring, int len, int n, int head,
                        int64_t lo);

/* Append ts (the oldest entry drops out when the ring is full). */
void gapdet_window_push(int64_t *ring, int len, int *n, int *head, int64_t ts);

/* Active: in_window earlier ticks plus the current one reach min_ticks. */
bool gapdet_is_active(int in_window, int min_ticks);

/* Index of the TRADING_SESSIONS item holding both instants on one HK
 * weekday that is not in FUTU_HOLIDAYS, or -1. */
int gapdet_session_of(const config *c, int64_t a, int64_t b);

/* meta_json of a gap (compact ASCII JSON, compat key order). */
void gapdet_meta_json(const gapdet *g, const gapdet_gap *gap, char *buf,
                      size_t cap);

#endif
