/*
 * gapdet.c - see gapdet.h.
 *
 * Memory: one struct per symbol that ever ticked, ring of ring_len int64.
 * The undo log stores a full copy of a symbol's state the first time the
 * open transaction touches it.
 */
#include "collector/gapdet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hktime.h"

struct gapdet_sym {
    int64_t last_ts; /* 0 = none */
    int n;           /* entries in ring */
    int head;        /* next write position */
    bool in_undo;    /* already saved in this transaction */
    int64_t ring[];
};

static size_t sym_size(const gapdet *g)
{
    return sizeof(gapdet_sym) + (size_t)g->ring_len * sizeof(int64_t);
}

int gapdet_init(gapdet *g, const config *cfg, uint32_t cap)
{
    memset(g, 0, sizeof(*g));
    g->cfg = cfg;
    g->cap = cap;
    g->ring_len = gapdet_ring_len(cfg->gap_active_min_ticks);
    g->syms = calloc(cap, sizeof(*g->syms));
    g->undo_ids = calloc(cap, sizeof(*g->undo_ids));
    g->undo = calloc(cap, sizeof(*g->undo));
    if (!g->syms || !g->undo_ids || !g->undo) {
        gapdet_free(g);
        return -ENOMEM;
    }
    return 0;
}

void gapdet_free(gapdet *g)
{
    if (g->syms)
        for (uint32_t i = 0; i < g->cap; i++)
            free(g->syms[i]);
    if (g->undo)
        for (uint32_t i = 0; i < g->n_undo; i++)
            free(g->undo[i]);
    free(g->syms);
    free(g->undo_ids);
    free(g->undo);
    memset(g, 0, sizeof(*g));
}

int gapdet_ring_len(int min_ticks)
{
    return min_ticks > 1 ? min_ticks - 1 : 1;
}

int gapdet_window_count(const int64_t *ring, int len, int n, int head,
                        int64_t lo)
{
    int in_window = 0;
    for (int k = 0; k < n; k++) {
        int idx = (head - 1 - k + len) % len;
        if (ring[idx] < lo)
            break;
        in_window++;
    }
    return in_window;
}

void gapdet_window_push(int64_t *ring, int len, int *n, int *head, int64_t ts)
{
    ring[*head] = ts;
    *head = (*head + 1) % len;
    if (*n < len)
        (*n)++;
}

bool gapdet_is_active(int in_window, int min_ticks)
{
    return in_window + 1 >= min_ticks;
}

int gapdet_session_of(const config *c, int64_t a, int64_t b)
{
    int day = hktime_trading_day(a);
    int wd = hktime_hk_weekday(a);

    if (day != hktime_trading_day(b) || wd == 0 || wd == 6)
        return -1;
    for (int i = 0; i < c->n_holidays; i++)
        if (c->holidays[i] == day)
            return -1;
    int ma = hktime_hk_ms_of_day(a), mb = hktime_hk_ms_of_day(b);
    for (int i = 0; i < c->n_sessions; i++) {
        int s = c->sessions[i].start_min * 60000;
        int e = c->sessions[i].end_min * 60000;
        if (ma >= s && ma < e && mb >= s && mb < e)
            return i;
    }
    return -1;
}

static void save_undo(gapdet *g, uint32_t id, gapdet_sym *s)
{
    gapdet_sym *copy;
    if (s && s->in_undo)
        return;
    copy = NULL;
    if (s) {
        copy = malloc(sym_size(g));
        if (copy)
            memcpy(copy, s, sym_size(g));
        s->in_undo = true;
    }
    g->undo_ids[g->n_undo] = id;
    g->undo[g->n_undo] = copy; /* NULL: the symbol was new */
    g->n_undo++;
}

int gapdet_tick(gapdet *g, uint32_t sym, int64_t ts, gapdet_gap *gap)
{
    const config *c = g->cfg;
    gapdet_sym *s = g->syms[sym];
    int found = 0;

    if (!s) {
        s = calloc(1, sym_size(g));
        if (!s)
            return 0;
        g->syms[sym] = s;
        save_undo(g, sym, NULL);
        s->in_undo = true;
    } else {
        if (ts <= s->last_ts)
            return 0; /* state advances on strictly increasing ts only */
        save_undo(g, sym, s);
    }
    if (s->last_ts > 0) {
        /* Previous ticks inside the window ending at ts. */
        int64_t lo = ts - (int64_t)c->gap_active_window_sec * 1000;
        int in_window =
            gapdet_window_count(s->ring, g->ring_len, s->n, s->head, lo);
        double delta = (double)(ts - s->last_ts) / 1000.0;
        if (gapdet_is_active(in_window, c->gap_active_min_ticks) &&
            delta > c->gap_threshold_sec) {
            int sess = gapdet_session_of(c, s->last_ts, ts);
            if (sess >= 0) {
                gap->prev_ts = s->last_ts;
                gap->curr_ts = ts;
                gap->active_count = in_window + 1;
                gap->session = sess;
                found = 1;
            }
        }
    }
    gapdet_window_push(s->ring, g->ring_len, &s->n, &s->head, ts);
    s->last_ts = ts;
    return found;
}

void gapdet_begin(gapdet *g)
{
    g->n_undo = 0;
}

void gapdet_commit(gapdet *g)
{
    for (uint32_t i = 0; i < g->n_undo; i++) {
        gapdet_sym *s = g->syms[g->undo_ids[i]];
        if (s)
            s->in_undo = false;
        free(g->undo[i]);
        g->undo[i] = NULL;
    }
    g->n_undo = 0;
}

void gapdet_rollback(gapdet *g)
{
    for (uint32_t i = g->n_undo; i-- > 0;) {
        uint32_t id = g->undo_ids[i];
        free(g->syms[id]);
        g->syms[id] = g->undo[i]; /* NULL when the symbol was new */
        if (g->syms[id])
            g->syms[id]->in_undo = false;
        g->undo[i] = NULL;
    }
    g->n_undo = 0;
}

void gapdet_meta_json(const gapdet *g, const gapdet_gap *gap, char *buf,
                      size_t cap)
{
    const config *c = g->cfg;
    const config_session *s = &c->sessions[gap->session];
    char thr[40];
    /* Python's float repr for the threshold: shortest round-trip digits,
     * with ".0" on integral values ("10.0", "0.1"). */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(thr, sizeof(thr), "%.*g", prec, c->gap_threshold_sec);
        if (strtod(thr, NULL) == c->gap_threshold_sec)
            break;
    }
    if (!strpbrk(thr, ".e"))
        snprintf(thr + strlen(thr), sizeof(thr) - strlen(thr), ".0");
    snprintf(buf, cap,
             "{\"prev_ts_ms\":%lld,\"curr_ts_ms\":%lld,"
             "\"gap_threshold_sec\":%s,\"active_window_sec\":%d,"
             "\"active_min_ticks\":%d,\"active_count\":%d,"
             "\"session\":\"%02d:%02d-%02d:%02d\"}",
             (long long)gap->prev_ts, (long long)gap->curr_ts, thr,
             c->gap_active_window_sec, c->gap_active_min_ticks,
             gap->active_count, s->start_min / 60, s->start_min % 60,
             s->end_min / 60, s->end_min % 60);
}
