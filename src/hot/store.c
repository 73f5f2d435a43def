/*
 * store.c - the consumer loop (contract in store.h). Two threads: this
 * one fetches and decodes, the insert thread (insert.c) inserts and acks,
 * so the next batch is fetched while the previous one is being inserted.
 *
 * States of the consumer thread:
 *   SETUP   connect to NATS, ensure the stream and the durable pull
 *           consumer, subscribe our pull inbox (hot_pull_init), ensure
 *           the ClickHouse schema (setup()); each step retried with
 *           back-off until it works or a stop is asked. Then the insert
 *           thread starts and owns the ClickHouse client.
 *   FILL    receive messages (hot_pull_next: our own pull requests, at
 *           most one in flight, each for at most the batch's free room
 *           and HOT_PULL_MAX, expiring when this fill's wait ends) until
 *           the batch is full or its first row is HOT_BATCH_MS old, at
 *           most 500 ms per fill (fill()); decode each into the batch's
 *           RowBinary buffer and keep the message (unacked), or terminate
 *           it as poison (take()). Messages of a request still coming
 *           when the batch goes are taken into the next one; a request
 *           never asks for more than the room left, and should more come
 *           anyway, a full batch is handed off before the next is taken
 *           (take_room()).
 *   HANDOFF batch full or old enough: hand it to the insert thread
 *           (hot_insert_push, at most HOT_INSERT_QUEUE batches handed off
 *           and unacked) and FILL an empty one. When the queue is full
 *           (ClickHouse slow or down) a full batch waits here, fetching
 *           nothing; its messages are marked in progress every third of
 *           AckWait so JetStream does not redeliver them meanwhile; a batch
 *           that is only old enough keeps filling up to HOT_BATCH_ROWS.
 * The insert thread inserts each handed-off batch, in order, and acks its
 * messages only after ClickHouse answered 200; on failure it backs off
 * (HOT_RETRY_MIN_MS doubling to HOT_RETRY_MAX_MS) and inserts the same
 * bytes again, keeping the queued batches in progress (insert.c).
 * A stop is seen here between fills (at most 500 ms): what the request in
 * flight still delivers is taken (drain_pull()), the batch in hand is
 * handed off as well, then the insert thread finishes the queue;
 * retries continue until HOT_DRAIN_SEC after the stop, then every batch
 * left is nak'ed (JetStream redelivers it at once to the next run) and
 * hot_drain_timeout logs how many rows. HOT_BATCH_MS is at most half of
 * AckWait (config.c), so a row never waits in FILL until JetStream
 * redelivers it.
 *
 * Acks, in-progress, naks and terms are published to each message's
 * reply subject (hot_pull_reply): libnats' natsMsg_Ack needs a message of
 * a JetStream subscription, ours come on a plain one.
 *
 * Housekeeping between fills (housekeep()): the NATS connection state
 * and consumer info (pending, ack pending) every HOT_LAG_INTERVAL_SEC.
 * The insert thread checks ClickHouse (SELECT 1) when idle.
 */
#include "hot/store.h"

#include <errno.h>
#include <inttypes.h>
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clickhouse/ch.h"
#include "common/hktime.h"
#include "common/log.h"
#include "hot/insert.h"
#include "hot/pull.h"
#include "hot/stream.h"
#include "pipeline/tick.h"

/*
 * Shortest wait of a fill that starts with its batch already due (the
 * insert queue was full): the loop then retries the hand-off every this
 * many ms while taking what arrives, instead of spinning.
 */
#define HOT_FILL_MIN_WAIT_MS 20
/* Longest wait of one fill: a stop is seen between fills. */
#define HOT_FILL_MAX_WAIT_MS 500

typedef struct run {
    const hot_config *cfg;
    hot_stats *st;
    hot_stopper stop;
    natsConnection *nc;
    jsCtx *js;
    hot_pull pull; /* our pull requests and their deliveries */
    ch_client ch;  /* the insert thread's once it started */
    char table[96];
    hot_insert *ins;
    hot_batch *cur;     /* the batch being filled */
    int64_t touch_mono; /* when cur was last marked in progress */
    int64_t next_info_mono;
} run;

void hot_stats_init(hot_stats *st, int64_t now_mono_ms)
{
    atomic_store(&st->start_mono_ms, now_mono_ms);
    atomic_store(&st->pending, -1);
    atomic_store(&st->ack_pending, -1);
}

static bool stopping(run *r)
{
    return hot_stopper_poll(&r->stop);
}

/* Sleep ms in 50 ms slices; returns true when a stop was asked. */
static bool backoff(run *r, int64_t ms)
{
    int64_t end = hktime_mono_ms() + ms;
    while (hktime_mono_ms() < end) {
        if (stopping(r))
            return true;
        hot_nap_ms(50);
    }
    return stopping(r);
}

static int connect_nats(run *r, char *err, size_t errlen)
{
    natsOptions *o = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetURL(o, r->cfg->nats_url);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(o, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(o, 500);
    if (s == NATS_OK)
        s = natsOptions_SetName(o, "hot-store");
    if (s == NATS_OK)
        s = natsConnection_Connect(&r->nc, o);
    if (s == NATS_OK)
        s = natsConnection_JetStream(&r->js, r->nc, NULL);
    natsOptions_Destroy(o);
    if (s != NATS_OK) {
        snprintf(err, errlen, "%s: %s", natsStatus_GetText(s),
                 nats_GetLastError(NULL));
        jsCtx_Destroy(r->js);
        r->js = NULL;
        natsConnection_Destroy(r->nc);
        r->nc = NULL;
        return -EIO;
    }
    return 0;
}

static int ensure_schema(run *r, char *err, size_t errlen)
{
    ch_result res;
    int rc = ch_ensure_schema(&r->ch, r->cfg->database, &res);
    if (rc != 0) {
        snprintf(err, errlen, "status=%ld code=%d %s", res.status,
                 res.exception, res.err);
        ch_result_free(&res);
        return rc;
    }
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT max(ts_ms) FROM %s", r->table);
    if (ch_query(&r->ch, sql, &res) == 0 && res.body)
        atomic_store(&r->st->newest_ts_ms, strtoll(res.body, NULL, 10));
    ch_result_free(&res);
    return 0;
}

/* One setup step: 0 done, 1 retry later. */
static int setup_step(run *r, int step, char *err, size_t errlen)
{
    switch (step) {
    case 0:
        return connect_nats(r, err, errlen) == 0 ? 0 : 1;
    case 1:
        return hot_stream_ensure(r->js, r->cfg, err, errlen) == 0 ? 0 : 1;
    case 2:
        if (hot_stream_consumer(r->js, r->cfg, err, errlen) != 0)
            return 1;
        return hot_pull_init(&r->pull, r->nc, r->cfg->nats_stream,
                             r->cfg->consumer, err, errlen) == 0
                   ? 0
                   : 1;
    default:
        return ensure_schema(r, err, errlen) == 0 ? 0 : 1;
    }
}

static const char *const step_names[] = {"nats_connect", "stream", "consumer",
                                         "clickhouse_schema"};

/* Returns 0 when set up, 1 when a stop came first. */
static int setup(run *r)
{
    char err[512];
    int64_t delay = 0;
    for (int step = 0; step < 4;) {
        if (stopping(r))
            return 1;
        err[0] = '\0';
        if (setup_step(r, step, err, sizeof(err)) == 0) {
            LOG(LOG_INFO, LC_HOT, "hot_setup step=%s ok", step_names[step]);
            if (step == 0)
                atomic_store(&r->st->nats_connected, true);
            if (step == 3)
                atomic_store(&r->st->clickhouse_ok, true);
            step++;
            delay = 0;
            continue;
        }
        delay = hot_next_delay(r->cfg, delay);
        char q[600];
        LOG(LOG_WARNING, LC_HOT,
            "hot_setup_failed step=%s retry_ms=%" PRId64 " error=%s",
            step_names[step], delay, log_quote(err, q, sizeof(q)));
        if (backoff(r, delay))
            return 1;
    }
    atomic_store(&r->st->ready, true);
    return 0;
}

static void poison(run *r, natsMsg *m, const jsMsgMetaData *md, int why)
{
    char subj[256];
    atomic_fetch_add(&r->st->poison, 1);
    LOG(LOG_ERROR, LC_HOT,
        "hot_poison stream_seq=%" PRIu64 " delivered=%" PRIu64
        " subject=%s bytes=%d reason=%s",
        md ? md->Sequence.Stream : 0, md ? md->NumDelivered : 0,
        log_quote(natsMsg_GetSubject(m), subj, sizeof(subj)),
        natsMsg_GetDataLength(m), why == -ENOMEM ? "no_memory" : "decode");
    hot_pull_reply(r->nc, m, HOT_PULL_TERM);
    natsMsg_Destroy(m);
}

/*
 * Decode len bytes of HkTick (pipeline_tick_decode) and append the row to
 * b in RowBinary. Returns 0 with the row's ts_ms in *ts_ms; -EBADMSG when
 * the bytes are not an HkTick, a version this build does not know (0), or
 * a row no table can hold (bad trading_day, market or symbol empty) — a
 * poison message; -ENOMEM when b cannot grow. b is unchanged on failure.
 * The decoded strings are borrowed only while ch_rowbin_tick copies them.
 */
static int append_tick(ch_buf *b, const uint8_t *data, size_t len,
                       int64_t *ts_ms)
{
    pipeline_tick t;
    if (pipeline_tick_decode(data, len, &t) != 0)
        return -EBADMSG;
    const pipeline_row *p = &t.row;
    ch_tick_row r = {
        .market = p->market,
        .symbol = p->symbol,
        .ts_ms = p->ts_ms,
        .has_price = p->has_price,
        .price = p->price,
        .has_volume = p->has_volume,
        .volume = p->volume,
        .has_turnover = p->has_turnover,
        .turnover = p->turnover,
        .direction = p->direction,
        .has_seq = p->has_seq,
        .seq = p->seq,
        .tick_type = p->tick_type,
        .push_type = p->push_type,
        .provider = p->provider,
        .recv_ts_ms = p->recv_ts_ms,
        .inserted_at_ms = p->inserted_at_ms,
    };
    int rc = 0;
    if (t.version == 0 || !p->market || !p->market[0] || !p->symbol ||
        !p->symbol[0] ||
        ch_date_from_yyyymmdd(p->trading_day, &r.trading_day) != 0)
        rc = -EBADMSG;
    if (rc == 0)
        rc = ch_rowbin_tick(b, &r);
    if (rc == 0)
        *ts_ms = p->ts_ms;
    pipeline_tick_free(&t);
    return rc;
}

/* Decode m into the batch and keep it, or terminate it as poison. */
static void take(run *r, natsMsg *m)
{
    jsMsgMetaData *md = NULL;
    hot_batch *b = r->cur;
    int64_t ts = 0;
    if (natsMsg_GetMetaData(&md, m) == NATS_OK && md->NumDelivered > 1)
        atomic_fetch_add(&r->st->redeliveries, 1);
    int rc = append_tick(&b->buf, (const uint8_t *)natsMsg_GetData(m),
                         (size_t)natsMsg_GetDataLength(m), &ts);
    if (rc != 0) {
        poison(r, m, md, rc);
    } else {
        if (b->n == 0) {
            b->first_mono = hktime_mono_ms();
            r->touch_mono = b->first_mono;
        }
        b->msgs[b->n++] = m;
        if (ts > b->max_ts)
            b->max_ts = ts;
        atomic_fetch_add(&r->st->held_rows, 1);
    }
    if (md)
        jsMsgMetaData_Destroy(md);
}

static void housekeep(run *r)
{
    int64_t now = hktime_mono_ms();
    hot_stats *st = r->st;
    atomic_store(&st->nats_connected,
                 natsConnection_Status(r->nc) == NATS_CONN_STATUS_CONNECTED);
    if (now < r->next_info_mono)
        return;
    r->next_info_mono = now + (int64_t)r->cfg->lag_interval_sec * 1000;
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    if (js_GetConsumerInfo(&ci, r->js, r->cfg->nats_stream, r->cfg->consumer,
                           NULL, &jerr) == NATS_OK &&
        ci) {
        atomic_store(&st->pending, (long long)ci->NumPending);
        atomic_store(&st->ack_pending, (long long)ci->NumAckPending);
        jsConsumerInfo_Destroy(ci);
    }
}

/* Hand the current batch to the insert thread, waiting at most wait_ms
 * for room. Returns true when handed off (r->cur is an empty batch then);
 * false when the queue stayed full: the batch's messages are marked in
 * progress every third of AckWait while they wait. */
static bool hand_off(run *r, int64_t wait_ms)
{
    if (hot_insert_push(r->ins, r->cur, wait_ms, &r->cur) == 0)
        return true;
    int64_t now = hktime_mono_ms();
    if (now - r->touch_mono >= (int64_t)r->cfg->ack_wait_sec * 1000 / 3) {
        hot_batch_in_progress(r->nc, r->cur);
        r->touch_mono = now;
    }
    return false;
}

static bool due(const run *r)
{
    const hot_batch *b = r->cur;
    return b->n > 0 && (b->n >= b->cap ||
                        hktime_mono_ms() - b->first_mono >= r->cfg->batch_ms);
}

/* When the fill started at t0 must end: the batch's HOT_BATCH_MS deadline
 * once it holds a row, at most HOT_FILL_MAX_WAIT_MS after t0, and at
 * least HOT_FILL_MIN_WAIT_MS after t0 when the batch was due already. */
static int64_t fill_end(const run *r, int64_t t0, bool due_at_start)
{
    const hot_batch *b = r->cur;
    int64_t end = t0 + HOT_FILL_MAX_WAIT_MS;
    if (b->n > 0 && b->first_mono + r->cfg->batch_ms < end)
        end = b->first_mono + r->cfg->batch_ms;
    if (due_at_start && end < t0 + HOT_FILL_MIN_WAIT_MS)
        end = t0 + HOT_FILL_MIN_WAIT_MS;
    return end;
}

/* Take m into the batch. Should the server deliver more than was asked
 * for (a request given up, see pull.h) into a full batch, that batch is
 * handed off first, waiting for room as long as it takes (the insert
 * thread makes progress or, after a stop, gives up within
 * HOT_DRAIN_SEC). */
static void take_room(run *r, natsMsg *m)
{
    while (r->cur->n >= r->cur->cap && !hand_off(r, 200))
        stopping(r);
    take(r, m);
}

/* Receive into the batch until it is full or due, or the wait is over;
 * hot_pull_next asks for at most the batch's free room at a time. */
static void fill(run *r)
{
    int64_t t0 = hktime_mono_ms();
    bool was_due = due(r);
    int want = r->cur->cap - r->cur->n;
    int got = 0;
    int64_t end = fill_end(r, t0, was_due);
    for (;;) {
        natsMsg *m = NULL;
        int64_t left = end - hktime_mono_ms();
        int rc =
            hot_pull_next(&r->pull, true, r->cur->cap - r->cur->n, left, &m);
        if (rc <= 0)
            break;
        take_room(r, m);
        got++;
        if (r->cur->n >= r->cur->cap || (!was_due && due(r)))
            break;
        end = fill_end(r, t0, was_due);
    }
    LOG(LOG_DEBUG, LC_HOT,
        "hot_fetch want=%d wait_ms=%" PRId64 " got=%d ms=%" PRId64, want,
        end - t0, got, hktime_mono_ms() - t0);
    if (hot_pull_waiting(&r->pull))
        LOG(LOG_DEBUG, LC_HOT, "hot_pull_carry owed=%d", r->pull.owed);
}

/* After a stop: take what the request in flight still delivers (it ends
 * at most HOT_PULL_MAX_EXPIRES_MS after it was sent, a little more when
 * its status does not come), so no message waits unread for AckWait
 * before the next run gets it. */
static void drain_pull(run *r)
{
    while (hot_pull_waiting(&r->pull)) {
        natsMsg *m = NULL;
        int rc = hot_pull_next(&r->pull, false, 0, 100, &m);
        if (rc < 0)
            break;
        if (rc == 1)
            take_room(r, m);
    }
}

static void loop(run *r)
{
    while (!stopping(r)) {
        /* A full batch waits for room (fetching more is pointless); one
         * only old enough goes if there is room now, else keeps filling. */
        if (due(r))
            hand_off(r, r->cur->n >= r->cur->cap ? 200 : 0);
        if (r->cur->n < r->cur->cap)
            fill(r);
        housekeep(r);
    }
    drain_pull(r);
}

static void teardown(run *r)
{
    hot_insert_finish(r->ins, r->cur);
    r->ins = NULL;
    if (r->nc)
        natsConnection_FlushTimeout(r->nc, 2000);
    hot_pull_free(&r->pull);
    jsCtx_Destroy(r->js);
    natsConnection_Destroy(r->nc);
    ch_client_free(&r->ch);
}

int hot_store_run(const hot_config *cfg, hot_stats *st, bool (*stop)(void))
{
    run r = {.cfg = cfg, .st = st, .stop = {.asked = stop}};
    snprintf(r.table, sizeof(r.table), "%s.ticks", cfg->database);
    if (ch_client_init(&r.ch, cfg->clickhouse_url, cfg->insert_timeout_ms) !=
        0) {
        LOG(LOG_ERROR, LC_HOT, "hot_init_failed reason=clickhouse_url");
        return 1;
    }
    if (setup(&r) != 0) {
        teardown(&r);
        return 0;
    }
    int rc = hot_insert_start(&r.ins, &r.cur, cfg, st, r.nc, &r.ch, r.table,
                              &r.stop);
    if (rc != 0) {
        LOG(LOG_ERROR, LC_HOT, "hot_init_failed reason=%s",
            rc == -ENOMEM ? "no_memory" : "thread");
        teardown(&r);
        return 1;
    }
    loop(&r);
    teardown(&r);
    return 0;
}
