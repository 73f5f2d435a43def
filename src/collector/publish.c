/*
 * publish.c - tail the committed rows of the day files and publish them to
 * JetStream asynchronously, advancing a durable cursor over acknowledged
 * rows only.
 *
 * Threads and data:
 *   writer thread   publish_wake: one eventfd write per commit, nothing
 *                   else (never blocks: the counter saturates at worst).
 *   publisher       everything in publish_state except the ring's entry
 *   thread          states: SQLite read connection, read position, cursor,
 *                   connection setup, cursor file.
 *   libnats threads ack_handler (marks ring entries acked / failed under
 *                   ring_mu), connection callbacks (atomics + log lines).
 *   HTTP thread     publish_metrics: atomics only.
 * Lock order: ring_mu is a leaf.
 *
 * The ring holds, in rowid order, every message published and not yet
 * released: {natsMsg pointer (identity only), rowid, inserted_at_ms,
 * state PENDING | ACKED | FAILED}. The publisher releases the ACKED prefix
 * and moves the cursor to its last row; it publishes only while the ring
 * has room (NATS_MAX_PENDING), so pending is bounded on our side as well
 * as by jsOptions.PublishAsync.MaxPending.
 *
 * Rewind (a FAILED entry, a head pending longer than ACK_TIMEOUT_MS, a
 * reconnect): take libnats' pending list away (js_PublishAsyncGetPendingList:
 * late acks for those are then discarded), empty the ring, set the read
 * position back to the cursor and publish again from there; what the
 * server had stored already comes back as a Duplicate PubAck.
 *
 * Day files: the cursor names one day. With no cursor file the publisher
 * starts at the first row of the newest day file present. It moves on to
 * the next day file once the current one is read to the end, nothing is
 * in flight, a later day file exists, and the current file has shown no
 * new row for DAY_SETTLE_MS.
 *
 * The day file is opened read-only with plain sqlite3_open_v2, not
 * dayfile_open_ro: that one opens an idle file (no -wal) immutable, and a
 * file the writer reopens later would then never show its new rows. Rows
 * come through dayfile/reader.h's rowid tail (rowid > read position, in
 * rowid order, at most the ring's room), one pass per publish_some, reset
 * after each pass so no read snapshot outlives it.
 */
#include "collector/publish.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hktime.h"
#include "common/log.h"
#include "common/util.h"
#include "dayfile/dayfile.h"
#include "dayfile/reader.h"
#include "pipeline/stream.h"
#include "pipeline/tick.h"

#define ACK_TIMEOUT_MS 5000
#define DAY_SETTLE_MS 2000
#define RETRY_MS 500
#define IDLE_WAIT_MS 200
#define READ_BATCH 512
#define STOP_FLUSH_MAX_MS 2000
#define LC_NATS LC_COLLECTOR

enum { E_PENDING = 0, E_ACKED, E_FAILED };

typedef struct ring_entry {
    const natsMsg *m; /* identity only: libnats owns the message */
    int64_t rowid;
    int64_t inserted_at_ms;
    int state;
} ring_entry;

struct publish_state {
    natsOptions *opts;
    natsConnection *nc;
    jsCtx *js;
    bool stream_ok;
    atomic_bool need_rewind;
    /* ring (entries' state under ring_mu) */
    pthread_mutex_t ring_mu;
    ring_entry *ring;
    size_t cap, head, len;
    uint64_t head_abs;     /* entries ever released (head's absolute number) */
    uint64_t hint_abs;     /* where the next ack is likely: after the last */
    atomic_bool want_room; /* publisher waits for acks: wake it */
    int64_t head_since_ms; /* when the current head was first seen */
    /* day file being read */
    int day;
    sqlite3 *db;
    dayfile_reader rows; /* rowid tail of the day file */
    sqlite3_stmt *lag;
    int64_t rd_rowid;      /* last rowid published */
    int64_t last_new_mono; /* when a new row was last read */
    /* cursor */
    int64_t cur_rowid, cur_inserted_ms;
    bool cur_dirty;
    int64_t cur_saved_mono;
    int64_t last_scan_mono;
    int64_t last_lag_mono;
    int64_t last_fail_mono;
    char dir[1100], path[1200];
};

static const char LAG_SQL[] =
    "SELECT (SELECT max(rowid) FROM ticks), (SELECT inserted_at_ms FROM "
    "ticks WHERE rowid > ?1 ORDER BY rowid LIMIT 1)";

/* ---- cursor file --------------------------------------------------------- */

static int cursor_load(publish *p)
{
    struct publish_state *s = p->s;
    json_error_t je;
    json_t *j = json_load_file(s->path, 0, &je);

    if (!j)
        return -1;
    s->day = (int)json_integer_value(json_object_get(j, "day"));
    s->cur_rowid = json_integer_value(json_object_get(j, "rowid"));
    s->cur_inserted_ms =
        json_integer_value(json_object_get(j, "inserted_at_ms"));
    json_decref(j);
    return s->day > 0 ? 0 : -1;
}

static int cursor_save(publish *p)
{
    struct publish_state *s = p->s;
    char text[256];
    int n;

    n = snprintf(text, sizeof(text),
                 "{\"day\":%d,\"rowid\":%" PRId64 ",\"inserted_at_ms\":%" PRId64
                 ",\"saved_at_ms\":%" PRId64 "}\n",
                 s->day, s->cur_rowid, s->cur_inserted_ms, hktime_now_ms());
    int rc = util_write_file_atomic(s->path, text, (size_t)n);
    if (rc != 0)
        return rc;
    s->cur_dirty = false;
    s->cur_saved_mono = hktime_mono_ms();
    LOG(LOG_DEBUG, LC_NATS, "nats_cursor_saved day=%d rowid=%" PRId64, s->day,
        s->cur_rowid);
    return 0;
}

static void cursor_maybe_save(publish *p, bool force)
{
    struct publish_state *s = p->s;
    int rc;

    if (!s->cur_dirty || s->day == 0)
        return;
    if (!force &&
        hktime_mono_ms() - s->cur_saved_mono < p->cfg->nats_cursor_save_ms)
        return;
    rc = cursor_save(p);
    if (rc != 0)
        LOG(LOG_WARNING, LC_NATS,
            "nats_publish_failed reason=cursor_save path=%s err=\"%s\"",
            s->path, strerror(-rc));
}

/* ---- ring ---------------------------------------------------------------- */

static ring_entry *ring_at(struct publish_state *s, size_t i)
{
    return &s->ring[(s->head + i) % s->cap];
}

/* libnats thread: one PubAck or failure for msg. Destroys msg. */
static void ack_handler(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae,
                        void *closure)
{
    publish *p = closure;
    struct publish_state *s = p->s;

    pthread_mutex_lock(&s->ring_mu);
    /* Acks come in publish order almost always: start after the last. */
    size_t start =
        s->hint_abs >= s->head_abs && s->hint_abs - s->head_abs < s->len
            ? (size_t)(s->hint_abs - s->head_abs)
            : 0;
    for (size_t k = 0; k < s->len; k++) {
        size_t i = (start + k) % s->len;
        ring_entry *e = ring_at(s, i);
        if (e->m != msg || e->state != E_PENDING)
            continue;
        e->state = pa && !pae ? E_ACKED : E_FAILED;
        s->hint_abs = s->head_abs + i + 1;
        atomic_fetch_sub(&p->st.pending, 1);
        break;
    }
    pthread_mutex_unlock(&s->ring_mu);
    if (atomic_exchange(&s->want_room, false))
        publish_wake(p);
    if (pa && !pae) {
        atomic_fetch_add(&p->st.acked, 1);
        if (pa->Duplicate)
            atomic_fetch_add(&p->st.duplicates, 1);
    } else {
        atomic_fetch_add(&p->st.failed, 1);
        /* One line per failure burst: the rewind resets the flag. */
        if (!atomic_exchange(&s->need_rewind, true))
            LOG(LOG_WARNING, LC_NATS,
                "nats_publish_failed reason=ack err=\"%s\" code=%d",
                pae && pae->ErrText
                    ? pae->ErrText
                    : natsStatus_GetText(pae ? pae->Err : NATS_ERR),
                pae ? (int)pae->ErrCode : 0);
    }
    natsMsg_Destroy(msg);
}

/* Release the acknowledged prefix into the cursor. Returns whether a
 * head entry failed or timed out (a rewind is due). */
static bool ring_release(publish *p)
{
    struct publish_state *s = p->s;
    bool stuck = false;
    int64_t now = hktime_mono_ms();

    pthread_mutex_lock(&s->ring_mu);
    while (s->len > 0 && s->ring[s->head].state == E_ACKED) {
        s->cur_rowid = s->ring[s->head].rowid;
        s->cur_inserted_ms = s->ring[s->head].inserted_at_ms;
        s->cur_dirty = true;
        s->head = (s->head + 1) % s->cap;
        s->head_abs++;
        s->len--;
        s->head_since_ms = now;
    }
    if (s->len > 0 && (s->ring[s->head].state == E_FAILED ||
                       now - s->head_since_ms > ACK_TIMEOUT_MS))
        stuck = true;
    pthread_mutex_unlock(&s->ring_mu);
    return stuck;
}

/* Forget everything in flight and read again from the cursor. */
static void rewind_to_cursor(publish *p, const char *why)
{
    struct publish_state *s = p->s;
    natsMsgList pl = {0};

    /* libnats 3.4 crashes on this call before the first async publish
     * (no pending map yet): only ask when something is in flight. */
    if (s->js && atomic_load(&p->st.pending) > 0 &&
        js_PublishAsyncGetPendingList(&pl, s->js) == NATS_OK)
        natsMsgList_Destroy(&pl);
    pthread_mutex_lock(&s->ring_mu);
    s->head = 0;
    s->len = 0;
    s->head_abs = s->hint_abs = 0;
    atomic_store(&p->st.pending, 0);
    pthread_mutex_unlock(&s->ring_mu);
    atomic_store(&s->need_rewind, false);
    if (s->rd_rowid != s->cur_rowid)
        LOG(LOG_INFO, LC_NATS,
            "nats_rewind reason=%s day=%d from_rowid=%" PRId64
            " to_rowid=%" PRId64,
            why, s->day, s->rd_rowid, s->cur_rowid);
    s->rd_rowid = s->cur_rowid;
}

/* ---- day files ----------------------------------------------------------- */

static void day_close(struct publish_state *s)
{
    dayfile_reader_close(&s->rows);
    sqlite3_finalize(s->lag);
    sqlite3_close(s->db);
    s->lag = NULL;
    s->db = NULL;
}

/* Open s->day's file for reading. Returns 0, or -1 (retry later: the file
 * or its ticks table does not exist yet). */
static int day_open(publish *p)
{
    struct publish_state *s = p->s;
    char path[1100];

    if (s->db)
        return 0;
    if (dayfile_path(p->cfg->data_root, s->day, path, sizeof(path)) != 0 ||
        access(path, R_OK) != 0)
        return -1;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL) !=
            SQLITE_OK ||
        sqlite3_busy_timeout(s->db, p->cfg->sqlite_busy_timeout_ms) !=
            SQLITE_OK ||
        dayfile_reader_open(&s->rows, s->db, DAYFILE_ORDER_ROWID) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(s->db, LAG_SQL, -1, &s->lag, NULL) != SQLITE_OK) {
        day_close(s);
        return -1;
    }
    s->last_new_mono = hktime_mono_ms();
    return 0;
}

/* The first day file after `after` (0: the newest), or 0 when none. */
static int day_find(const char *root, int after)
{
    DIR *d = opendir(root);
    struct dirent *de;
    int best = 0;

    if (!d)
        return 0;
    while ((de = readdir(d)) != NULL) {
        int day;
        size_t n = strlen(de->d_name);
        if (n != 11 || dayfile_parse_name(de->d_name, &day) != 0)
            continue;
        if (after == 0 ? day > best : day > after && (!best || day < best))
            best = day;
    }
    closedir(d);
    return best;
}

/* Move to the next day file when the current one is finished. */
static void day_maybe_advance(publish *p)
{
    struct publish_state *s = p->s;
    int64_t now = hktime_mono_ms();
    char path[1100];
    int next;

    if (now - s->last_scan_mono < 1000)
        return;
    s->last_scan_mono = now;
    if (s->day == 0) {
        s->day = day_find(p->cfg->data_root, 0);
        s->cur_rowid = s->rd_rowid = 0;
        s->cur_dirty = s->day != 0;
        return;
    }
    if (s->len > 0 || now - s->last_new_mono < DAY_SETTLE_MS)
        return;
    /* An existing file we could not open (no ticks table yet) is not
     * finished; a missing one (archived, removed) is skipped. */
    if (!s->db &&
        (dayfile_path(p->cfg->data_root, s->day, path, sizeof(path)) != 0 ||
         access(path, F_OK) == 0))
        return;
    next = day_find(p->cfg->data_root, s->day);
    if (next == 0)
        return;
    LOG(LOG_INFO, LC_NATS, "nats_day_done day=%d rowid=%" PRId64 " next_day=%d",
        s->day, s->cur_rowid, next);
    day_close(s);
    s->day = next;
    s->cur_rowid = s->rd_rowid = 0;
    s->cur_dirty = true;
    s->last_lag_mono = 0; /* the gauges describe the new day at once */
    cursor_maybe_save(p, true);
}

/* Refresh the lag gauges (at most once a second). */
static void day_lag(publish *p)
{
    struct publish_state *s = p->s;
    int64_t maxid = 0, oldest = 0;
    int64_t now = hktime_mono_ms();

    if (s->day != 0 && !s->db)
        (void)day_open(p);
    if (!s->lag || now - s->last_lag_mono < 250)
        return;
    s->last_lag_mono = now;
    sqlite3_bind_int64(s->lag, 1, s->cur_rowid);
    if (sqlite3_step(s->lag) == SQLITE_ROW) {
        maxid = sqlite3_column_int64(s->lag, 0);
        oldest = sqlite3_column_int64(s->lag, 1);
    }
    sqlite3_reset(s->lag);
    atomic_store(&p->st.lag_rows,
                 maxid > s->cur_rowid ? maxid - s->cur_rowid : 0);
    atomic_store(&p->st.lag_ms, maxid > s->cur_rowid && oldest > 0
                                    ? hktime_now_ms() - oldest
                                    : 0);
}

/* ---- publishing ---------------------------------------------------------- */

/* Build the message of r. Returns it (caller owns), or NULL. */
static natsMsg *message_of(const pipeline_row *r)
{
    uint8_t body[PIPELINE_TICK_MAX];
    char subj[PIPELINE_SUBJECT_MAX], id[PIPELINE_MSG_ID_MAX];
    size_t len = 0;
    natsMsg *m = NULL;

    if (pipeline_subject(r->symbol, subj, sizeof(subj)) != 0 ||
        pipeline_msg_id(r, id, sizeof(id)) != 0 ||
        pipeline_tick_encode(r, body, sizeof(body), &len) != 0)
        return NULL;
    if (natsMsg_Create(&m, subj, NULL, (const char *)body, (int)len) != NATS_OK)
        return NULL;
    if (natsMsgHeader_Set(m, "Nats-Msg-Id", id) != NATS_OK) {
        natsMsg_Destroy(m);
        return NULL;
    }
    return m;
}

/* Publish one row (the reader's current one) at the ring's tail.
 * Returns 0, 1 for a row that cannot be encoded (skipped, counted), or -1
 * when the publish failed (nothing added; a rewind follows). */
static int publish_row(publish *p, const dayfile_row *d)
{
    struct publish_state *s = p->s;
    natsMsg *m;
    ring_entry *e;
    natsStatus ns;

    m = message_of(d);
    if (!m) {
        atomic_fetch_add(&p->st.failed, 1);
        LOG(LOG_ERROR, LC_NATS,
            "nats_publish_failed reason=encode day=%d rowid=%lld action=skip",
            s->day, (long long)d->rowid);
        return 1;
    }
    pthread_mutex_lock(&s->ring_mu);
    e = ring_at(s, s->len);
    *e = (ring_entry){m, d->rowid, d->inserted_at_ms, E_PENDING};
    if (s->len++ == 0)
        s->head_since_ms = hktime_mono_ms();
    atomic_fetch_add(&p->st.pending, 1);
    pthread_mutex_unlock(&s->ring_mu);
    ns = js_PublishMsgAsync(s->js, &m, NULL);
    if (ns != NATS_OK) {
        pthread_mutex_lock(&s->ring_mu);
        s->len--;
        atomic_fetch_sub(&p->st.pending, 1);
        pthread_mutex_unlock(&s->ring_mu);
        natsMsg_Destroy(m);
        atomic_fetch_add(&p->st.failed, 1);
        if (!atomic_exchange(&s->need_rewind, true))
            LOG(LOG_WARNING, LC_NATS,
                "nats_publish_failed reason=publish err=\"%s\"",
                natsStatus_GetText(ns));
        return -1;
    }
    atomic_fetch_add(&p->st.published, 1);
    return 0;
}

/* Publish committed rows after the read position while the ring has
 * room. Returns the rows read (0: nothing new or no room). */
static int publish_some(publish *p)
{
    struct publish_state *s = p->s;
    size_t room;
    int n = 0, rc, got;
    dayfile_row row;

    if (day_open(p) != 0)
        return 0;
    pthread_mutex_lock(&s->ring_mu);
    room = s->cap - s->len;
    if (room == 0) {
        /* Full: an acked head is released by the caller's next pass;
         * else the ack handler wakes us when acks arrive. */
        bool ready = s->ring[s->head].state != E_PENDING;
        if (!ready)
            atomic_store(&s->want_room, true);
        pthread_mutex_unlock(&s->ring_mu);
        return ready ? 1 : 0;
    }
    pthread_mutex_unlock(&s->ring_mu);
    rc = dayfile_reader_tail(&s->rows, s->rd_rowid,
                             (int64_t)(room < READ_BATCH ? room : READ_BATCH));
    got = rc == SQLITE_OK ? 1 : -rc;
    while (got == 1) {
        got = dayfile_reader_next(&s->rows, &row);
        if (got != 1 || publish_row(p, &row) < 0)
            break;
        s->rd_rowid = row.rowid;
        n++;
    }
    /* No read snapshot kept between passes (the writer checkpoints). */
    dayfile_reader_reset(&s->rows);
    if (got < 0) {
        LOG(LOG_WARNING, LC_NATS,
            "nats_publish_failed reason=read day=%d err=\"%s\"", s->day,
            sqlite3_errstr(-got));
        day_close(s);
    }
    if (n > 0)
        s->last_new_mono = hktime_mono_ms();
    return n;
}

/* ---- connection ---------------------------------------------------------- */

static void on_connected(natsConnection *nc, void *closure)
{
    publish *p = closure;
    char url[256] = "";

    natsConnection_GetConnectedUrl(nc, url, sizeof(url));
    atomic_store(&p->st.connected, 1);
    /* Whatever was in flight when the link broke may never be acked. */
    atomic_store(&p->s->need_rewind, true);
    LOG(LOG_INFO, LC_NATS, "nats_connected url=%s stream=%s", url,
        p->cfg->nats_stream);
    publish_wake(p);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    publish *p = closure;

    if (!atomic_exchange(&p->st.connected, 0) || atomic_load(&p->stopping))
        return;
    LOG(LOG_WARNING, LC_NATS,
        "nats_disconnected url=%s pending=%lld action=reconnect",
        p->cfg->nats_url, (long long)atomic_load(&p->st.pending));
}

/* Create the connection (it keeps reconnecting by itself). Returns 0 or
 * -1 after logging. */
static int nats_setup(publish *p)
{
    struct publish_state *s = p->s;
    jsOptions jo;
    natsStatus ns;

    if (natsOptions_Create(&s->opts) != NATS_OK ||
        natsOptions_SetURL(s->opts, p->cfg->nats_url) != NATS_OK ||
        natsOptions_SetMaxReconnect(s->opts, -1) != NATS_OK ||
        natsOptions_SetReconnectWait(s->opts, RETRY_MS) != NATS_OK ||
        natsOptions_SetRetryOnFailedConnect(s->opts, true, on_connected, p) !=
            NATS_OK ||
        natsOptions_SetDisconnectedCB(s->opts, on_disconnected, p) != NATS_OK ||
        natsOptions_SetReconnectedCB(s->opts, on_connected, p) != NATS_OK) {
        LOG(LOG_ERROR, LC_NATS, "nats_publish_failed reason=options err=\"%s\"",
            nats_GetLastError(NULL));
        return -1;
    }
    ns = natsConnection_Connect(&s->nc, s->opts);
    if (ns == NATS_OK)
        on_connected(s->nc, p);
    else if (ns != NATS_NOT_YET_CONNECTED) {
        LOG(LOG_ERROR, LC_NATS, "nats_publish_failed reason=connect err=\"%s\"",
            nats_GetLastError(NULL));
        return -1;
    }
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = p->cfg->nats_max_pending;
    jo.PublishAsync.AckHandler = ack_handler;
    jo.PublishAsync.AckHandlerClosure = p;
    if (natsConnection_JetStream(&s->js, s->nc, &jo) != NATS_OK) {
        LOG(LOG_ERROR, LC_NATS,
            "nats_publish_failed reason=jetstream "
            "err=\"%s\"",
            nats_GetLastError(NULL));
        return -1;
    }
    return 0;
}

static int stream_setup(publish *p)
{
    const config *c = p->cfg;
    pipeline_stream_cfg sc;
    char err[512];

    pipeline_stream_cfg_default(&sc);
    sc.name = c->nats_stream;
    sc.max_age_sec = c->nats_stream_max_age_sec;
    sc.max_bytes = (int64_t)c->nats_stream_max_bytes;
    sc.dup_window_sec = c->nats_duplicate_window_sec;
    if (pipeline_stream_ensure(p->s->js, &sc, err, sizeof(err)) != 0) {
        LOG(LOG_WARNING, LC_NATS,
            "nats_publish_failed reason=stream err=\"%s\" action=retry", err);
        return -1;
    }
    return 0;
}

/* ---- the thread ---------------------------------------------------------- */

/* Sleep until woken or ms pass. */
static void wait_wake(publish *p, int ms)
{
    struct pollfd pfd = {.fd = p->wake_fd, .events = POLLIN};
    uint64_t v;

    if (poll(&pfd, 1, ms) > 0)
        (void)!read(p->wake_fd, &v, sizeof(v));
}

/* One pass: rewind if due, release acks, publish, advance days. Returns
 * whether there was work (else the caller sleeps). */
static bool step(publish *p)
{
    struct publish_state *s = p->s;
    int64_t now = hktime_mono_ms();
    bool busy = false;

    if (!s->stream_ok) {
        if (now - s->last_fail_mono < RETRY_MS * 2)
            return false;
        s->stream_ok = stream_setup(p) == 0;
        s->last_fail_mono = now;
        if (!s->stream_ok)
            return false;
    }
    if (ring_release(p) && !atomic_exchange(&s->need_rewind, true))
        LOG(LOG_WARNING, LC_NATS,
            "nats_publish_failed reason=ack_timeout pending=%lld",
            (long long)atomic_load(&p->st.pending));
    if (atomic_load(&s->need_rewind)) {
        if (now - s->last_fail_mono < RETRY_MS)
            return false;
        s->last_fail_mono = now;
        rewind_to_cursor(p, "ack_failed_or_reconnect");
    }
    if (s->day == 0)
        day_maybe_advance(p);
    else if (publish_some(p) > 0)
        busy = true;
    else
        day_maybe_advance(p);
    cursor_maybe_save(p, false);
    day_lag(p);
    return busy;
}

/* At stop: wait (bounded) for the acks still due, save the cursor. */
static void final_flush(publish *p)
{
    struct publish_state *s = p->s;
    int64_t left = atomic_load(&p->stop_deadline_mono_ms) - hktime_mono_ms();
    jsPubOptions po;

    if (left > STOP_FLUSH_MAX_MS)
        left = STOP_FLUSH_MAX_MS;
    if (s->js && atomic_load(&p->st.connected) && s->len > 0 && left > 0) {
        jsPubOptions_Init(&po);
        po.MaxWait = left;
        (void)js_PublishAsyncComplete(s->js, &po);
    }
    ring_release(p);
    cursor_maybe_save(p, true);
    /* Close before the writer closes its connections: the last one to
     * close a WAL file removes -wal and -shm, and ours is read-only. */
    day_close(s);
}

static void *publish_main(void *arg)
{
    publish *p = arg;
    struct publish_state *s = p->s;
    bool up = false;

    if (cursor_load(p) == 0)
        s->rd_rowid = s->cur_rowid;
    while (!atomic_load(&p->stopping)) {
        if (!up) {
            up = nats_setup(p) == 0;
            if (!up) {
                wait_wake(p, RETRY_MS * 4);
                continue;
            }
        }
        if (!atomic_load(&p->st.connected)) {
            day_lag(p); /* the lag keeps growing while NATS is away */
            wait_wake(p, IDLE_WAIT_MS);
        } else if (!step(p)) {
            wait_wake(p, IDLE_WAIT_MS);
        }
    }
    final_flush(p);
    return NULL;
}

/* ---- public -------------------------------------------------------------- */

int publish_init(publish *p, const config *cfg)
{
    struct publish_state *s;

    memset(p, 0, sizeof(*p));
    p->cfg = cfg;
    p->wake_fd = -1;
    p->enabled = cfg->nats_url[0] != '\0';
    if (!p->enabled)
        return 0;
    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    p->s = s;
    s->cap = (size_t)cfg->nats_max_pending;
    s->ring = calloc(s->cap, sizeof(*s->ring));
    p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!s->ring || p->wake_fd < 0)
        return -ENOMEM;
    pthread_mutex_init(&s->ring_mu, NULL);
    snprintf(s->dir, sizeof(s->dir), "%s/_pipeline", cfg->data_root);
    snprintf(s->path, sizeof(s->path), "%s/cursor.json", s->dir);
    if (mkdir(s->dir, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int publish_start(publish *p)
{
    int rc;

    if (!p->enabled)
        return 0;
    rc = pthread_create(&p->thread, NULL, publish_main, p);
    if (rc != 0)
        return -rc;
    p->started = true;
    return 0;
}

void publish_wake(void *ud)
{
    publish *p = ud;
    uint64_t one = 1;

    if (p && p->wake_fd >= 0)
        (void)!write(p->wake_fd, &one, sizeof(one));
}

void publish_stop(publish *p, int64_t deadline_mono_ms)
{
    if (!p->started)
        return;
    atomic_store(&p->stop_deadline_mono_ms, deadline_mono_ms);
    atomic_store(&p->stopping, true);
    publish_wake(p);
}

void publish_join(publish *p)
{
    if (!p->started)
        return;
    pthread_join(p->thread, NULL);
    p->started = false;
}

void publish_free(publish *p)
{
    struct publish_state *s = p->s;

    if (s) {
        day_close(s);
        atomic_store(&p->stopping, true);
        jsCtx_Destroy(s->js);
        natsConnection_Destroy(s->nc);
        natsOptions_Destroy(s->opts);
        free(s->ring);
        pthread_mutex_destroy(&s->ring_mu);
        free(s);
    }
    if (p->wake_fd >= 0)
        close(p->wake_fd);
    p->s = NULL;
    p->wake_fd = -1;
}

void publish_metrics(svc_buf *b, const publish *p)
{
    const publish_stats *st;

    if (!p || !p->enabled)
        return;
    st = &p->st;
    svc_prom_metric(b, "hk_nats_published_total", "counter",
                    "Messages handed to JetStream (re-sends included).",
                    (double)atomic_load(&st->published));
    svc_prom_metric(b, "hk_nats_acked_total", "counter",
                    "PubAcks received from JetStream (duplicates included).",
                    (double)atomic_load(&st->acked));
    svc_prom_metric(b, "hk_nats_duplicates_total", "counter",
                    "PubAcks flagged Duplicate (a re-send the stream "
                    "already held).",
                    (double)atomic_load(&st->duplicates));
    svc_prom_metric(b, "hk_nats_failed_total", "counter",
                    "Publishes or acks that failed (re-sent from the cursor).",
                    (double)atomic_load(&st->failed));
    svc_prom_metric(b, "hk_nats_pending", "gauge",
                    "Messages published and not yet acknowledged.",
                    (double)atomic_load(&st->pending));
    svc_prom_metric(b, "hk_nats_cursor_lag_rows", "gauge",
                    "Committed rows of the cursor's day after the cursor.",
                    (double)atomic_load(&st->lag_rows));
    svc_prom_metric(b, "hk_nats_cursor_lag_seconds", "gauge",
                    "Age of the oldest committed row not yet acknowledged.",
                    (double)atomic_load(&st->lag_ms) / 1000.0);
    svc_prom_metric(b, "hk_nats_connected", "gauge",
                    "1 while the NATS connection is up.",
                    atomic_load(&st->connected));
}
