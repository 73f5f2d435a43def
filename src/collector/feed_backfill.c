/*
 * feed_backfill.c - backfill passes and recovery fetches, through one
 * pipeline of at most FEED_MAX_INFLIGHT Qot_GetTicker requests.
 *
 * A pass (after each (re)subscribe, and recovery_fetch symbol=all) walks
 * the subscribed list from bf.next, bf.num ticks per symbol. Single-symbol
 * recoveries (push_gap, poll_window_short) wait in bf.recover_num (ticks
 * to fetch, 0 = none) and take the slots the pass leaves, so a burst of
 * gaps after the lunch break cannot flood OpenD or the request table.
 * Replies are queued unfiltered as backfill rows; the database dedups.
 * Also home of the GetTicker request shared with the poll (feed_int.h).
 * Event thread.
 */
#include <stdio.h>
#include <string.h>

#include "collector/feed_int.h"
#include "common/hktime.h"
#include "common/log.h"

static void pump_backfill(feed *f);

const char *feed__ticker_error(int status, const QotGetTicker__Response *r)
{
    if (status != 0)
        return opend_client_strerror(status);
    if (r->rettype != 0 || !r->s2c)
        return r->retmsg ? r->retmsg : "no s2c";
    return NULL;
}

static void on_backfill_reply(client *c, int status, const ProtobufCMessage *m,
                              void *ud)
{
    feed *f = c->ud;
    int idx = UD_IDX(ud);
    const char *sym =
        idx < f->cfg->n_symbols ? symtab_name(f->syms, f->sub.ids[idx]) : "?";
    const QotGetTicker__Response *r = (const QotGetTicker__Response *)m;
    const char *msg = feed__ticker_error(status, r);
    int64_t recv = hktime_now_ms();

    f->bf.inflight--;
    if (msg) {
        LOG(LOG_WARNING, LC_FUTU, "backfill failed for %s: %s", sym, msg);
    } else {
        size_t k =
            feed__map_tickers(f, r->s2c->security, r->s2c->tickerlist,
                              r->s2c->n_tickerlist, ROW_BACKFILL, recv, NULL);
        size_t lost = feed_enqueue(f, f->in.rows, k, ROW_BACKFILL);
        f->c.backfill_rows += (int64_t)k;
        LOG(LOG_INFO, LC_FUTU,
            "backfill_stats symbol=%s fetched=%zu enqueued=%zu "
            "queue_size=%zu queue_maxsize=%zu",
            sym, r->s2c->n_tickerlist, k - lost, queue_len(f->q), f->q->cap);
    }
    if (f->sess.state != FEED_UP)
        return; /* (re)subscribing: the next pass starts afresh */
    pump_backfill(f);
}

int feed__get_ticker(feed *f, int idx, int num, feed_req_kind kind,
                     opend_client_reply_cb cb)
{
    QotGetTicker__Request req = QOT__GET_TICKER__REQUEST__INIT;
    QotGetTicker__C2S c2s = QOT__GET_TICKER__C2_S__INIT;
    QotCommon__Security sec = QOT__COMMON__SECURITY__INIT;
    const char *name = symtab_name(f->syms, f->sub.ids[idx]);
    const char *dot = strchr(name, '.');
    int rc;

    sec.market = opend_msg_market_from_prefix(name, (size_t)(dot - name));
    sec.code = (char *)(dot + 1);
    c2s.security = &sec;
    c2s.maxretnum = num;
    req.c2s = &c2s;
    rc = opend_client_request(&f->cl, PROTO_QOT_GET_TICKER, &req.base, cb,
                              UD(kind, idx));
    if (rc != 0)
        LOG(LOG_WARNING, LC_FUTU, "%s_request_failed symbol=%s err=\"%s\"",
            kind == FEED_REQ_BACKFILL ? "backfill" : "poll", name,
            opend_client_strerror(rc));
    return rc;
}

static void send_backfill(feed *f, int idx, int num)
{
    if (feed__get_ticker(f, idx, num, FEED_REQ_BACKFILL, on_backfill_reply) ==
        0)
        f->bf.inflight++;
}

static void pump_backfill(feed *f)
{
    while (f->bf.inflight < FEED_MAX_INFLIGHT &&
           f->bf.next < f->cfg->n_symbols && f->sess.state == FEED_UP) {
        int i = f->bf.next++;
        if (!f->sub.ok[i])
            continue;
        send_backfill(f, i, f->bf.num);
    }
    /* Then single-symbol recoveries waiting for a slot. */
    for (int i = 0; i < f->cfg->n_symbols && f->sess.state == FEED_UP &&
                    f->bf.inflight < FEED_MAX_INFLIGHT;
         i++) {
        int num = f->bf.recover_num[i];
        if (num == 0)
            continue;
        f->bf.recover_num[i] = 0;
        if (f->sub.ok[i])
            send_backfill(f, i, num);
    }
}

void feed__backfill_start(feed *f, int num)
{
    f->bf.next = 0;
    f->bf.inflight = 0;
    f->bf.num = num;
    pump_backfill(f);
}

/*
 * Ask for a re-fetch of num ticks (<= 1000) of one symbol. It goes through
 * the backfill pipeline (at most FEED_MAX_INFLIGHT requests in flight, so a
 * burst of gaps after the lunch break cannot flood OpenD or the request
 * table); a symbol already waiting is not queued twice (it keeps the larger
 * count).
 */
void feed__request_recovery(feed *f, int idx, const char *reason,
                            double gap_sec, int num)
{
    if (f->bf.recover_num[idx]) {
        if (num > f->bf.recover_num[idx])
            f->bf.recover_num[idx] = (int16_t)num;
        return; /* already waiting for a slot */
    }
    f->bf.recover_num[idx] = (int16_t)num;
    LOG(LOG_INFO, LC_FUTU,
        "recovery_fetch symbol=%s reason=%s gap_sec=%.1f num=%d",
        symtab_name(f->syms, f->sub.ids[idx]), reason, gap_sec, num);
    pump_backfill(f);
}

void feed_recovery_fetch(feed *f, const char *reason)
{
    if (f->sess.state != FEED_UP)
        return;
    /* Recovery runs even with BACKFILL_N=0 (compat §5.2): a known gap is
     * repaired with the deepest window OpenD keeps. */
    f->bf.num = f->cfg->backfill_n > 0 ? f->cfg->backfill_n : 1000;
    LOG(LOG_INFO, LC_FUTU, "recovery_fetch symbol=all reason=%s symbols=%d",
        reason, f->sub.accepted);
    f->bf.next = 0;
    pump_backfill(f);
}
