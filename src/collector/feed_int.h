/*
 * feed_int.h - internals shared by the feed's files (feed.c, feed_push.c,
 * feed_sub.c, feed_backfill.c, feed_poll.c); not part of feed.h's
 * contract. Everything here runs on the event thread.
 *
 * Request user data packs the pipeline kind and the config index of the
 * symbol: UD(kind, idx). Qot_Sub requests pack more (feed_sub.c).
 */
#ifndef HK_COLLECTOR_FEED_INT_H
#define HK_COLLECTOR_FEED_INT_H

#include "collector/feed.h"

typedef enum feed_req_kind {
    FEED_REQ_BACKFILL = 1,
    FEED_REQ_POLL,
    FEED_REQ_SUB,
    FEED_REQ_UNSUB,
    FEED_REQ_CHECK,
} feed_req_kind;

#define UD(kind, idx)                                                          \
    ((void *)(uintptr_t)(((uint32_t)(kind) << 24) | (uint32_t)(idx)))
#define UD_KIND(ud) ((uint32_t)(uintptr_t)(ud) >> 24)
#define UD_IDX(ud) ((int)((uint32_t)(uintptr_t)(ud)&0xffffff))

/* feed.c: the session reached UP (all Qot_Sub answered, >= 1 accepted):
 * futu_connected, timers, first-up hook, backfill pass. */
void feed__session_up(feed *f);

/* feed_push.c: the client's push callback (Qot_UpdateTicker, Notify). */
void feed__on_push(client *c, uint32_t proto_id, const ProtobufCMessage *m,
                   int64_t recv_ms, void *ud);
/*
 * Map up to FEED_MAP_CHUNK tickers of sec into f->in.rows (valid until the
 * next call); the symbol's id goes to *sym_out if not NULL. Returns the
 * number of rows (0 for a missing security or a refused symbol).
 */
size_t feed__map_tickers(feed *f, const QotCommon__Security *sec,
                         QotCommon__Ticker **list, size_t n, int source,
                         int64_t recv_ms, uint32_t *sym_out);

/* feed_sub.c: subscribe the whole list (SUBSCRIBING); ends in
 * feed__session_up or a closed session. */
void feed__subscribe_all(feed *f);

/* feed_backfill.c */
/* Start a backfill pass of num ticks per subscribed symbol. */
void feed__backfill_start(feed *f, int num);
/* Queue a re-fetch of num ticks of symbol idx (recovery_fetch log line). */
void feed__request_recovery(feed *f, int idx, const char *reason,
                            double gap_sec, int num);
/* Send Qot_GetTicker for symbol idx; reply to cb with UD(kind, idx).
 * Returns 0, or the client's error (logged <kind>_request_failed). */
int feed__get_ticker(feed *f, int idx, int num, feed_req_kind kind,
                     opend_client_reply_cb cb);
/* NULL for a usable GetTicker reply, else why not (static text). */
const char *feed__ticker_error(int status, const QotGetTicker__Response *r);

/* feed_poll.c */
void feed__poll_start(feed *f); /* UP: arm the poll timer if enabled */
void feed__poll_stop(feed *f);  /* closed: timer off, IDLE */

#endif
