/*
 * store.c - the consumer loop (contract in store.h).
 *
 * States, all on the calling thread:
 *   SETUP   connect to NATS, ensure the stream, bind the durable pull
 *           consumer, ensure the ClickHouse schema (setup()); each step
 *           retried with back-off until it works or a stop is asked.
 *   FILL    fetch up to (HOT_BATCH_ROWS - held) messages, waiting at most
 *           until the batch's first row is HOT_BATCH_MS old; decode each
 *           into the RowBinary buffer and keep the message (unacked), or
 *           terminate it as poison (take()).
 *   FLUSH   batch full, old enough or stop asked: one insert; on 200 ack
 *           every held message and go back to FILL; on failure mark the
 *           held messages in progress (so AckWait does not expire while
 *           we retry), back off (HOT_RETRY_MIN_MS doubling to
 *           HOT_RETRY_MAX_MS) and insert the same bytes again (flush()).
 * A stop is seen in FILL (then the held batch is flushed once more) and
 * in FLUSH's back-off (retries continue until HOT_DRAIN_SEC after the
 * stop, then the batch is nak'ed: JetStream redelivers it at once to the
 * next run). HOT_BATCH_MS is at most half of AckWait (config.c), so a
 * row never waits in FILL until JetStream redelivers it.
 *
 * Housekeeping between fetches and between failed inserts of a batch
 * (housekeep()): the NATS connection state, consumer info (pending, ack
 * pending) every HOT_LAG_INTERVAL_SEC, and a SELECT 1 when no insert
 * proved ClickHouse reachable recently. So the backlog JetStream holds
 * while ClickHouse is down shows in hot_consumer_pending.
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
#include "hot/stream.h"
#include "pipeline/tick.h"

typedef struct run {
    const hot_config *cfg;
    hot_stats *st;
    bool (*stop)(void);
    natsConnection *nc;
    jsCtx *js;
    natsSubscription *sub;
    ch_client ch;
    char table[96];
    ch_buf buf;
    natsMsg **held; /* cfg->batch_rows slots */
    int n_held;
    int64_t first_mono; /* when the first held row arrived */
    int64_t batch_max_ts;
    int64_t next_info_mono;
    int64_t stop_mono; /* 0 until a stop was seen */
} run;

void hot_stats_init(hot_stats *st, int64_t now_mono_ms)
{
    atomic_store(&st->start_mono_ms, now_mono_ms);
    atomic_store(&st->pending, -1);
    atomic_store(&st->ack_pending, -1);
}

static void nap_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool stopping(run *r)
{
    if (!r->stop_mono && r->stop())
        r->stop_mono = hktime_mono_ms();
    return r->stop_mono != 0;
}

/* Sleep ms in 50 ms slices; returns true when a stop was asked. */
static bool backoff(run *r, int64_t ms)
{
    int64_t end = hktime_mono_ms() + ms;
    while (hktime_mono_ms() < end) {
        if (stopping(r))
            return true;
        nap_ms(50);
    }
    return stopping(r);
}

static int64_t next_delay(const run *r, int64_t d)
{
    d = d ? d * 2 : r->cfg->retry_min_ms;
    return d > r->cfg->retry_max_ms ? r->cfg->retry_max_ms : d;
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
        return hot_stream_subscribe(r->js, r->cfg, &r->sub, err, errlen) == 0
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
        delay = next_delay(r, delay);
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

static void in_progress_all(run *r)
{
    for (int i = 0; i < r->n_held; i++)
        natsMsg_InProgress(r->held[i], NULL);
}

/* Ack (inserted) or Nak (given up: redeliver now, to the next run) every
 * held message and empty the batch. */
static void release_held(run *r, bool ack)
{
    for (int i = 0; i < r->n_held; i++) {
        if (ack && natsMsg_Ack(r->held[i], NULL) == NATS_OK)
            atomic_fetch_add(&r->st->acked, 1);
        if (!ack)
            natsMsg_Nak(r->held[i], NULL);
        natsMsg_Destroy(r->held[i]);
    }
    r->n_held = 0;
    ch_buf_reset(&r->buf);
    r->batch_max_ts = 0;
    atomic_store(&r->st->held_rows, 0);
}

static void confirmed(run *r, int64_t t0, int64_t failed_since)
{
    int64_t now = hktime_mono_ms();
    hot_stats *st = r->st;
    svc_hist_add(&st->insert_ms, (double)(now - t0));
    atomic_fetch_add(&st->rows_inserted, r->n_held);
    atomic_fetch_add(&st->batches, 1);
    atomic_store(&st->last_insert_mono_ms, now);
    atomic_store(&st->clickhouse_ok, true);
    if (r->batch_max_ts > atomic_load(&st->newest_ts_ms))
        atomic_store(&st->newest_ts_ms, r->batch_max_ts);
    if (failed_since)
        LOG(LOG_INFO, LC_HOT, "hot_insert_recovered rows=%d after_ms=%" PRId64,
            r->n_held, now - failed_since);
    LOG(LOG_DEBUG, LC_HOT, "hot_batch_inserted rows=%d bytes=%zu ms=%" PRId64,
        r->n_held, r->buf.n, now - t0);
    release_held(r, true);
}

static void housekeep(run *r);

/* Insert the held batch until ClickHouse confirms it (then ack) or the
 * drain time after a stop runs out (then leave it unacked). */
static void flush(run *r)
{
    int64_t delay = 0;
    int64_t failed_since = 0;
    while (r->n_held > 0) {
        ch_result res;
        int64_t t0 = hktime_mono_ms();
        int rc =
            ch_insert_rowbinary(&r->ch, r->table, r->buf.p, r->buf.n, &res);
        if (rc == 0) {
            ch_result_free(&res);
            confirmed(r, t0, failed_since);
            return;
        }
        atomic_fetch_add(&r->st->insert_errors, 1);
        atomic_store(&r->st->clickhouse_ok, false);
        if (!failed_since)
            failed_since = t0;
        delay = next_delay(r, delay);
        char q[600];
        LOG(LOG_WARNING, LC_HOT,
            "hot_insert_failed rows=%d status=%ld code=%d retry_ms=%" PRId64
            " error=%s",
            r->n_held, res.status, res.exception, delay,
            log_quote(res.err, q, sizeof(q)));
        ch_result_free(&res);
        in_progress_all(r);
        housekeep(r);
        if (!backoff(r, delay))
            continue;
        /* Draining: sleep out the delay, bounded by the drain time. */
        int64_t left = (int64_t)r->cfg->drain_sec * 1000 -
                       (hktime_mono_ms() - r->stop_mono);
        nap_ms(left < delay ? (left > 0 ? left : 0) : delay);
        if (hktime_mono_ms() - r->stop_mono >=
            (int64_t)r->cfg->drain_sec * 1000) {
            LOG(LOG_WARNING, LC_HOT, "hot_drain_timeout unacked=%d", r->n_held);
            release_held(r, false);
            return;
        }
    }
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
    natsMsg_Term(m, NULL);
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
    int64_t ts = 0;
    if (natsMsg_GetMetaData(&md, m) == NATS_OK && md->NumDelivered > 1)
        atomic_fetch_add(&r->st->redeliveries, 1);
    int rc = append_tick(&r->buf, (const uint8_t *)natsMsg_GetData(m),
                         (size_t)natsMsg_GetDataLength(m), &ts);
    if (rc != 0) {
        poison(r, m, md, rc);
    } else {
        if (r->n_held == 0)
            r->first_mono = hktime_mono_ms();
        r->held[r->n_held++] = m;
        if (ts > r->batch_max_ts)
            r->batch_max_ts = ts;
        atomic_store(&r->st->held_rows, r->n_held);
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
    int64_t last = atomic_load(&st->last_insert_mono_ms);
    if (now - last > (int64_t)r->cfg->lag_interval_sec * 1000) {
        ch_result res;
        atomic_store(&st->clickhouse_ok,
                     ch_query(&r->ch, "SELECT 1", &res) == 0);
        ch_result_free(&res);
    }
}

static void fill(run *r)
{
    int64_t wait = 500;
    if (r->n_held > 0) {
        wait = r->cfg->batch_ms - (hktime_mono_ms() - r->first_mono);
        if (wait < 1)
            wait = 1;
        if (wait > 500)
            wait = 500;
    }
    natsMsgList list = {0};
    jsErrCode jerr = 0;
    int want = r->cfg->batch_rows - r->n_held;
    /* libnats 3.4.1's Fetch writes past its array of want pointers when it
     * first takes k queued messages (late ones of an earlier, timed-out
     * pull) with k > want / 2: it then asks the server for want - k more
     * but keeps counting from k. Seen as heap corruption after a NATS
     * restart. While anything is queued, take it one at a time (k <= 1). */
    int queued = 0;
    if (natsSubscription_GetPending(r->sub, &queued, NULL) == NATS_OK &&
        queued > 0)
        want = 1;
    int64_t t0 = hktime_mono_ms();
    natsStatus s = natsSubscription_Fetch(&list, r->sub, want, wait, &jerr);
    LOG(LOG_DEBUG, LC_HOT,
        "hot_fetch want=%d wait_ms=%" PRId64 " got=%d ms=%" PRId64, want, wait,
        list.Count, hktime_mono_ms() - t0);
    if (s != NATS_OK && s != NATS_TIMEOUT) {
        LOG(LOG_DEBUG, LC_HOT, "hot_fetch_failed status=%s",
            natsStatus_GetText(s));
        nap_ms(100);
    }
    for (int i = 0; i < list.Count; i++) {
        /* Fetch may hand over more than asked (messages a timed-out pull
         * request delivered late): a full batch is flushed first. */
        if (r->n_held >= r->cfg->batch_rows)
            flush(r);
        take(r, list.Msgs[i]);
        list.Msgs[i] = NULL;
    }
    natsMsgList_Destroy(&list);
}

static void loop(run *r)
{
    while (!stopping(r)) {
        fill(r);
        bool due = r->n_held > 0 &&
                   (r->n_held >= r->cfg->batch_rows ||
                    hktime_mono_ms() - r->first_mono >= r->cfg->batch_ms);
        if (due || (r->n_held > 0 && stopping(r)))
            flush(r);
        housekeep(r);
    }
    if (r->n_held > 0)
        flush(r);
}

static void teardown(run *r)
{
    if (r->nc)
        natsConnection_FlushTimeout(r->nc, 2000);
    if (r->sub)
        natsSubscription_Destroy(r->sub);
    jsCtx_Destroy(r->js);
    natsConnection_Destroy(r->nc);
    ch_client_free(&r->ch);
    ch_buf_free(&r->buf);
    free(r->held);
}

int hot_store_run(const hot_config *cfg, hot_stats *st, bool (*stop)(void))
{
    run r = {.cfg = cfg, .st = st, .stop = stop};
    snprintf(r.table, sizeof(r.table), "%s.ticks", cfg->database);
    r.held = calloc((size_t)cfg->batch_rows, sizeof(*r.held));
    if (!r.held || ch_buf_init(&r.buf, (size_t)cfg->batch_rows * 128) != 0 ||
        ch_client_init(&r.ch, cfg->clickhouse_url, cfg->insert_timeout_ms) !=
            0) {
        LOG(LOG_ERROR, LC_HOT, "hot_init_failed reason=%s",
            r.held && r.buf.p ? "clickhouse_url" : "no_memory");
        teardown(&r);
        return 1;
    }
    if (setup(&r) == 0)
        loop(&r);
    teardown(&r);
    return 0;
}
