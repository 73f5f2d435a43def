/*
 * http.c - /health and /metrics of hot-store (contract in http.h).
 *
 * Handlers run on the svc HTTP thread and only load hot_stats atomics,
 * so a scrape never waits for NATS or ClickHouse. Metric names start with
 * hot_ (docs/pipeline.md lists them).
 */
#include "hot/http.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/hktime.h"
#include "svc/prom.h"

static const char *tf(bool b)
{
    return b ? "true" : "false";
}

char *hot_http_render_health(const hot_http *h, int *code)
{
    const hot_stats *st = h->st;
    int64_t now = hktime_mono_ms();
    bool nats = atomic_load(&st->nats_connected);
    bool chok = atomic_load(&st->clickhouse_ok);
    bool ready = atomic_load(&st->ready);
    long long pending = atomic_load(&st->pending);
    long long held = atomic_load(&st->held_rows);
    int64_t last = atomic_load(&st->last_insert_mono_ms);
    int64_t since = last ? last : atomic_load(&st->start_mono_ms);
    double age = (double)(now - since) / 1000.0;
    bool backlog = pending > 0 || held > 0;
    bool inserts_ok = !backlog || age <= h->cfg->stale_sec;
    const char *fail[4];
    int nf = 0;
    if (!nats)
        fail[nf++] = "nats";
    if (!chok)
        fail[nf++] = "clickhouse";
    if (!ready)
        fail[nf++] = "setup";
    if (!inserts_ok)
        fail[nf++] = "inserts";
    *code = nf ? 503 : 200;
    svc_buf b = {0};
    svc_buf_printf(
        &b,
        "{\"status\":\"%s\",\"checks\":{\"nats\":{\"ok\":%s},"
        "\"clickhouse\":{\"ok\":%s},\"setup\":{\"ok\":%s},"
        "\"inserts\":{\"ok\":%s,\"backlog_rows\":%lld,\"held_rows\":%lld,"
        "\"last_insert_age_sec\":%.1f,\"max_age_sec\":%d}},\"failing\":[",
        nf ? "unhealthy" : "healthy", tf(nats), tf(chok), tf(ready),
        tf(inserts_ok), pending, held, age, h->cfg->stale_sec);
    for (int i = 0; i < nf; i++)
        svc_buf_printf(&b, "%s\"%s\"", i ? "," : "", fail[i]);
    svc_buf_printf(&b, "]}\n");
    return svc_buf_take(&b);
}

static void counter(svc_buf *b, const char *name, const char *help,
                    const atomic_llong *v)
{
    svc_prom_metric(b, name, "counter", help, (double)atomic_load(v));
}

char *hot_http_render_metrics(const hot_http *h)
{
    const hot_stats *st = h->st;
    svc_buf b = {0};
    int64_t now = hktime_mono_ms();
    int64_t newest = atomic_load(&st->newest_ts_ms);
    int64_t last = atomic_load(&st->last_insert_mono_ms);

    svc_prom_metric(&b, "hot_up", "gauge", "1 while hot-store runs.", 1);
    counter(&b, "hot_rows_inserted_total",
            "Rows ClickHouse confirmed (then acked).", &st->rows_inserted);
    counter(&b, "hot_batches_total", "Inserts ClickHouse confirmed.",
            &st->batches);
    counter(&b, "hot_insert_errors_total", "Failed insert attempts.",
            &st->insert_errors);
    counter(&b, "hot_acked_total", "Messages acknowledged.", &st->acked);
    counter(&b, "hot_redeliveries_total", "Messages delivered more than once.",
            &st->redeliveries);
    counter(&b, "hot_poison_total",
            "Messages terminated because they could not be decoded.",
            &st->poison);
    svc_prom_hist(&b, "hot_insert_seconds", "ClickHouse insert latency.",
                  &st->insert_ms);
    svc_prom_metric(&b, "hot_consumer_pending", "gauge",
                    "Stream messages not yet delivered to the consumer "
                    "(-1 = unknown).",
                    (double)atomic_load(&st->pending));
    svc_prom_metric(&b, "hot_consumer_ack_pending", "gauge",
                    "Messages delivered but not yet acked (-1 = unknown).",
                    (double)atomic_load(&st->ack_pending));
    svc_prom_metric(&b, "hot_batch_rows", "gauge",
                    "Rows fetched and not yet acked (up to 3 batches).",
                    (double)atomic_load(&st->held_rows));
    svc_prom_metric(&b, "hot_newest_ts_ms", "gauge",
                    "Newest ts_ms confirmed in hot (0 = none).",
                    (double)newest);
    svc_prom_metric(&b, "hot_freshness_seconds", "gauge",
                    "Now minus the newest ts_ms in hot (0 before any).",
                    newest ? (double)(hktime_now_ms() - newest) / 1000.0 : 0);
    svc_prom_metric(&b, "hot_last_insert_age_seconds", "gauge",
                    "Seconds since the last confirmed insert (-1 = none).",
                    last ? (double)(now - last) / 1000.0 : -1);
    svc_prom_metric(&b, "hot_nats_connected", "gauge",
                    "1 while connected to NATS.",
                    atomic_load(&st->nats_connected));
    svc_prom_metric(&b, "hot_clickhouse_up", "gauge",
                    "1 when the last ClickHouse request succeeded.",
                    atomic_load(&st->clickhouse_ok));
    svc_prom_process(&b);
    return svc_buf_take(&b);
}

static char *health(void *ud, int *code)
{
    return hot_http_render_health(ud, code);
}

static char *metrics(void *ud)
{
    return hot_http_render_metrics(ud);
}

int hot_http_start(hot_http *h)
{
    h->probe = (svc_probe){.health = health, .metrics = metrics, .ud = h};
    return svc_probe_start(&h->probe, h->cfg->http_host, h->cfg->http_port,
                           LC_HOT);
}

void hot_http_stop(hot_http *h)
{
    svc_probe_stop(&h->probe);
}
