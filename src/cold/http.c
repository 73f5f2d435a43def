/*
 * http.c - /health and /metrics of cold-store (contract in http.h).
 *
 * Handlers run on the svc HTTP thread and only load cold_stats atomics,
 * so a scrape never waits for ClickHouse. The replication lag in seconds
 * is computed at scrape time from caught_up_ms (every hot row older than
 * it is verified in cold), so it keeps growing while cycles fail.
 */
#include "cold/http.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/hktime.h"
#include "svc/prom.h"

static const char *tf(bool b)
{
    return b ? "true" : "false";
}

char *cold_http_render_health(const cold_http *h, int *code)
{
    const cold_stats *st = h->st;
    int64_t now = hktime_mono_ms();
    bool chok = atomic_load(&st->clickhouse_ok);
    bool state = atomic_load(&st->state_ok);
    int64_t last = atomic_load(&st->last_success_mono_ms);
    int64_t since = last ? last : atomic_load(&st->start_mono_ms);
    double age = (double)(now - since) / 1000.0;
    bool cycles = age <= h->cfg->stale_sec;
    int run = atomic_load(&st->mismatch_run);
    bool verify = run < h->cfg->mismatch_limit;
    const char *fail[4];
    int nf = 0;
    if (!chok)
        fail[nf++] = "clickhouse";
    if (!state)
        fail[nf++] = "state";
    if (!cycles)
        fail[nf++] = "cycles";
    if (!verify)
        fail[nf++] = "verify";
    *code = nf ? 503 : 200;
    svc_buf b = {0};
    svc_buf_printf(
        &b,
        "{\"status\":\"%s\",\"checks\":{\"clickhouse\":{\"ok\":%s},"
        "\"state\":{\"ok\":%s},\"cycles\":{\"ok\":%s,\"completed\":%lld,"
        "\"last_success_age_sec\":%.1f,\"max_age_sec\":%d},"
        "\"verify\":{\"ok\":%s,\"mismatch_run\":%d,\"limit\":%d}},"
        "\"failing\":[",
        nf ? "unhealthy" : "healthy", tf(chok), tf(state), tf(cycles),
        (long long)atomic_load(&st->cycles), age, h->cfg->stale_sec, tf(verify),
        run, h->cfg->mismatch_limit);
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

/* Seconds cold is behind: now minus caught_up_ms (0 before a cycle). */
static double lag_seconds(const cold_stats *st)
{
    int64_t up = atomic_load(&st->caught_up_ms);
    if (up <= 0)
        return 0;
    double s = (double)(hktime_now_ms() - up) / 1000.0;
    return s > 0 ? s : 0;
}

static void counters(svc_buf *b, const cold_stats *st)
{
    counter(b, "cold_cycles_total", "Replication cycles completed.",
            &st->cycles);
    counter(b, "cold_errors_total", "Replication cycles that failed.",
            &st->errors);
    counter(b, "cold_windows_verified_total",
            "Closed days and today's windows verified in cold.",
            &st->windows_verified);
    counter(b, "cold_verify_mismatches_total",
            "Verifications whose counts differed (retried).", &st->mismatches);
    counter(b, "cold_partitions_copied_total",
            "Closed days copied to cold (replace or attach).",
            &st->partitions_copied);
    counter(b, "cold_partitions_dropped_total",
            "Hot partitions dropped after verification (retention).",
            &st->partitions_dropped);
    counter(b, "cold_rows_copied_total", "Rows copied to cold (hot FINAL).",
            &st->rows_copied);
}

char *cold_http_render_metrics(const cold_http *h)
{
    const cold_stats *st = h->st;
    svc_buf b = {0};
    long long lag_rows = atomic_load(&st->lag_rows);

    svc_prom_metric(&b, "cold_up", "gauge", "1 while cold-store runs.", 1);
    counters(&b, st);
    svc_prom_metric(&b, "cold_replication_lag_seconds", "gauge",
                    "Now minus the time below which every hot row is "
                    "verified in cold.",
                    lag_seconds(st));
    svc_prom_metric(&b, "cold_replication_lag_rows", "gauge",
                    "Hot rows not yet verified in cold (-1 before the "
                    "first cycle).",
                    (double)lag_rows);
    svc_prom_metric(&b, "cold_last_success_timestamp_seconds", "gauge",
                    "Unix time of the last completed cycle (0 = never).",
                    (double)atomic_load(&st->last_success_ms) / 1000.0);
    svc_prom_metric(&b, "cold_mismatch_run", "gauge",
                    "Most consecutive failed checks of one day.",
                    atomic_load(&st->mismatch_run));
    svc_prom_hist(&b, "cold_cycle_seconds", "Replication cycle duration.",
                  &st->cycle_ms);
    svc_prom_metric(&b, "cold_clickhouse_up", "gauge",
                    "1 when the last ClickHouse request was answered.",
                    atomic_load(&st->clickhouse_ok));
    svc_prom_process(&b);
    return svc_buf_take(&b);
}

static char *health(void *ud, int *code)
{
    return cold_http_render_health(ud, code);
}

static char *metrics(void *ud)
{
    return cold_http_render_metrics(ud);
}

int cold_http_start(cold_http *h)
{
    h->probe = (svc_probe){.health = health, .metrics = metrics, .ud = h};
    return svc_probe_start(&h->probe, h->cfg->http_host, h->cfg->http_port,
                           LC_COLD);
}

void cold_http_stop(cold_http *h)
{
    svc_probe_stop(&h->probe);
}
