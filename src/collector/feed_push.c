/*
 * feed_push.c - what arrives from OpenD: symbol ids for the securities it
 * names, ticker lists mapped to rows, Qot_UpdateTicker pushes (with the
 * push-gap check and the per-symbol push rate behind it) and Notify
 * (ConnStatus: the backend login sub-state, feed.h; gateway events).
 *
 * Symbols nobody configured (unsolicited) get at most FEED_UNSOLICITED_MAX
 * symbol table entries in the life of the process, so the rest of the table
 * stays for configured symbols; their rows go to the writer, which
 * quarantines them (validate.h). Rows of a name beyond that bound, or too
 * long to be a symbol, are counted in the quarantine's counters
 * (dropped_symtab_full too) and logged at most once a minute. Event thread.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "collector/feed_int.h"
#include "common/hktime.h"
#include "common/log.h"

/* ---- mapping of ticker lists -------------------------------------------- */

/*
 * Rows of a name that cannot get a symbol id (no room left for unsolicited
 * names, or too long to be a symbol): counted under reason in the
 * quarantine's counters, not stored, logged at most once a minute per
 * reason (row_quarantined ... path=none).
 */
static void refuse_rows(feed *f, int reason, const char *name, size_t nrows)
{
    int slot = reason == VALIDATE_SYMBOL_OVERFLOW ? 0 : 1;
    int64_t now = hktime_mono_ms();

    quarantine_count(&f->w->qr, reason, (int64_t)nrows);
    f->c.dropped_symtab_full += (int64_t)nrows;
    f->in.refused_since_log[slot] += (int64_t)nrows;
    if (f->in.last_refused_log_ms[slot] != 0 &&
        now - f->in.last_refused_log_ms[slot] < 60000)
        return;
    char q[96];
    LOG(LOG_WARNING, LC_FUTU,
        "row_quarantined reason=%s symbol=%s count=%lld path=none",
        validate_reason_str(reason), log_quote(name, q, sizeof(q)),
        (long long)f->in.refused_since_log[slot]);
    f->in.last_refused_log_ms[slot] = now;
    f->in.refused_since_log[slot] = 0;
}

/*
 * Id of a symbol named by the upstream. Configured symbols are interned at
 * init and reload (and marked configured); any other (unsolicited) name
 * gets an entry while fewer than FEED_UNSOLICITED_MAX exist, so its rows
 * reach the writer, which quarantines them with the name as received
 * (symbol_not_subscribed or symbol_malformed). Beyond that bound the rows
 * are counted as symbol_not_subscribed_overflow. Returns 0 with *sym set,
 * or -ENOSPC with *sym = SYMTAB_NONE.
 */
static int symbol_id(feed *f, const char *name, size_t nrows, uint32_t *sym)
{
    size_t len = strlen(name);

    *sym = symtab_find(f->syms, name, len);
    if (*sym != SYMTAB_NONE)
        return 0;
    if (f->c.unsolicited_symbols < FEED_UNSOLICITED_MAX &&
        symtab_add(f->syms, name, len, f->syms->cap, sym) == 0) {
        f->c.unsolicited_symbols++;
        return 0;
    }
    *sym = SYMTAB_NONE;
    refuse_rows(f, VALIDATE_SYMBOL_OVERFLOW, name, nrows);
    return -ENOSPC;
}

size_t feed__map_tickers(feed *f, const QotCommon__Security *sec,
                         QotCommon__Ticker **list, size_t n, int source,
                         int64_t recv_ms, uint32_t *sym_out)
{
    char name[SYMTAB_NAME_LEN];
    const char *prefix;
    uint32_t sym;
    size_t k = 0;
    int64_t now = hktime_now_ms();
    int64_t mono = hktime_mono_ms();

    if (!sec || !sec->code)
        return 0;
    prefix = opend_msg_market_prefix(sec->market);
    if (snprintf(name, sizeof(name), "%s.%s", prefix, sec->code) >=
        (int)sizeof(name)) {
        refuse_rows(f, VALIDATE_SYMBOL_TOO_LONG, name, n);
        return 0;
    }
    if (symbol_id(f, name, n, &sym) != 0)
        return 0;
    if (sym_out)
        *sym_out = sym;
    /* Callers pass at most FEED_MAP_CHUNK tickers (the scratch size). */
    if (n > FEED_MAP_CHUNK)
        n = FEED_MAP_CHUNK;
    for (size_t i = 0; i < n; i++)
        if (mapping_ticker(list[i], sym, name, sec->market, source, recv_ms,
                           now, &f->ms, &f->in.rows[k]) == 0) {
            if (f->in.rows[k].ts_ms > f->max_ts_seen)
                f->max_ts_seen = f->in.rows[k].ts_ms;
            k++;
        }
    if (n > 0) {
        f->in.last_seen_mono[sym] = mono;
        f->last_row_mono_ms = mono;
    }
    return k;
}

/* ---- pushes -------------------------------------------------------------- */

int feed_gap_fetch_num(double rate_per_sec, double gap_sec)
{
    double want;

    if (!(rate_per_sec >= 0) || !(gap_sec >= 0))
        return FEED_GAP_FETCH_MAX; /* no estimate: the deepest window */
    want = rate_per_sec * gap_sec * FEED_GAP_SAFETY;
    if (want >= FEED_GAP_FETCH_MAX)
        return FEED_GAP_FETCH_MAX;
    if (want <= FEED_GAP_FETCH_FLOOR)
        return FEED_GAP_FETCH_FLOOR;
    return (int)ceil(want);
}

/*
 * A symbol's observed push rate: ticks and elapsed time, both decayed with
 * a time constant of FEED_RATE_TAU_SEC, so the estimate follows the last
 * few minutes and includes the symbol's own quiet spells. Returns the rate
 * before this push (NAN with no history), then folds the push in.
 */
static double rate_update(feed *f, uint32_t sym, int64_t dt_ms, size_t ticks)
{
    double *tk = &f->in.rate_ticks[sym], *ms = &f->in.rate_ms[sym];
    double before = *ms > 0 ? *tk * 1000.0 / *ms : NAN;
    double decay = exp(-(double)dt_ms / (FEED_RATE_TAU_SEC * 1000.0));

    *tk = *tk * decay + (double)ticks;
    *ms = *ms * decay + (double)dt_ms;
    return before;
}

/*
 * Pushes of a symbol resumed after a silence of at least the poll stale
 * time: ticks may be missing between the last poll and this push (their
 * seq is below what is now persisted, so no seq filter can see them).
 * Fetch what the symbol can have missed at its observed rate (see
 * feed_gap_fetch_num); the database dedups the overlap.
 */
static void check_push_gap(feed *f, uint32_t sym, size_t ticks)
{
    int64_t now = hktime_mono_ms();
    int64_t last = f->in.last_push_mono[sym];
    int idx = f->sub.cfg_idx[sym];
    double rate, gap_sec;

    f->in.last_push_mono[sym] = now;
    if (last == 0)
        return;
    rate = rate_update(f, sym, now - last, ticks);
    if (idx < 0 || f->sess.state != FEED_UP ||
        now - last < (int64_t)f->cfg->poll_stale_sec * 1000)
        return;
    gap_sec = (double)(now - last) / 1000.0;
    feed__request_recovery(f, idx, "push_gap", gap_sec,
                           feed_gap_fetch_num(rate, gap_sec));
}

void feed__on_push(client *c, uint32_t proto_id, const ProtobufCMessage *m,
                   int64_t recv_ms, void *ud)
{
    feed *f = ud;
    (void)c;

    if (!m) {
        LOG(LOG_ERROR, LC_FUTU, "ticker push error: undecodable %s push",
            opend_msg_proto_name(proto_id));
        return;
    }
    if (proto_id == PROTO_QOT_UPDATE_TICKER) {
        const QotUpdateTicker__Response *r =
            (const QotUpdateTicker__Response *)m;
        if (r->rettype != 0 || !r->s2c) {
            LOG(LOG_ERROR, LC_FUTU, "ticker push error: ret=%d msg=%s",
                r->rettype, r->retmsg ? r->retmsg : "none");
            return;
        }
        uint32_t sym = SYMTAB_NONE;
        size_t pushed = 0;
        /* A push may carry any number of ticks: map them in chunks. */
        for (size_t off = 0; off < r->s2c->n_tickerlist;
             off += FEED_MAP_CHUNK) {
            size_t n = r->s2c->n_tickerlist - off;
            size_t k =
                feed__map_tickers(f, r->s2c->security, r->s2c->tickerlist + off,
                                  n < FEED_MAP_CHUNK ? n : FEED_MAP_CHUNK,
                                  ROW_PUSH, recv_ms, &sym);
            f->c.push_rows += (int64_t)k;
            pushed += k;
            feed_enqueue(f, f->in.rows, k, ROW_PUSH);
        }
        if (sym != SYMTAB_NONE)
            check_push_gap(f, sym, pushed);
        return;
    }
    if (proto_id == PROTO_NOTIFY) {
        const Notify__Response *r = (const Notify__Response *)m;
        if (!r->s2c)
            return;
        if (r->s2c->type == NOTIFY__NOTIFY_TYPE__NotifyType_ConnStatus &&
            r->s2c->connectstatus) {
            bool up = r->s2c->connectstatus->qotlogined;
            LOG(up ? LOG_INFO : LOG_WARNING, LC_FUTU,
                "opend_conn_status qot_logined=%s", up ? "True" : "False");
            if (!up)
                f->sess.qot = FEED_QOT_DOWN;
            else if (f->sess.qot == FEED_QOT_DOWN) {
                f->sess.qot = FEED_QOT_UP;
                feed_recovery_fetch(f, "qot_relogin");
            }
        } else if (r->s2c->type == NOTIFY__NOTIFY_TYPE__NotifyType_GtwEvent &&
                   r->s2c->event) {
            char q[256];
            LOG(LOG_WARNING, LC_FUTU,
                "opend_gateway_event event_type=%d "
                "desc=%s",
                r->s2c->event->eventtype,
                log_quote(r->s2c->event->desc, q, sizeof(q)));
        }
    }
}
