#!/usr/bin/env bash
# SIGTERM while hot-store holds a batch: the batch is inserted and acked,
# exit 0. SIGTERM with ClickHouse down: the batch is retried for
# HOT_DRAIN_SEC, then nak'ed (exit 0) and the next run inserts it at once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_clickhouse.sh"
source "$(dirname "$0")/lib_hot.sh"
hot_init

start_clickhouse
start_nats
# A batch that would wait 60 s to fill: SIGTERM must not wait for it.
start_hot HOT_BATCH_ROWS=5000 HOT_BATCH_MS=60000
gen_rows 300 0 >"$T/a.tsv"
publish_file "$T/a.tsv"
for _ in $(seq 1 100); do
    [ "$(hot_metric hot_batch_rows)" = 300 ] && break
    sleep 0.1
done
[ "$(hot_metric hot_batch_rows)" = 300 ] || fail "batch not held"
[ "$(hot_count '')" = 0 ] || fail "inserted before the batch was due"
stop_hot
[ "$HOT_RC" = 0 ] || fail "exit $HOT_RC"
[ "$(hot_count '')" = 300 ] || fail "SIGTERM did not insert the held batch"
compare_hot "$T/a.tsv"
grep -q 'hot_exit code=0 reason=signal rows_inserted=300' "$T/hot.log" ||
    fail "hot_exit line"
ok "SIGTERM inserted and acked the held batch of 300, exit 0"

start_hot HOT_BATCH_ROWS=5000 HOT_BATCH_MS=60000 HOT_DRAIN_SEC=2
sleep 1
[ "$(hot_metric hot_rows_inserted_total)" = 0 ] || fail "acked rows came back"
gen_rows 200 300 >"$T/b.tsv"
publish_file "$T/b.tsv"
for _ in $(seq 1 100); do
    [ "$(hot_metric hot_batch_rows)" = 200 ] && break
    sleep 0.1
done
stop_clickhouse
stop_hot
[ "$HOT_RC" = 0 ] || fail "exit $HOT_RC with ClickHouse down"
grep -q 'hot_drain_timeout unacked=200' "$T/hot.log" || fail "no hot_drain_timeout"
grep -q 'config_clamped var=HOT_BATCH_MS value=60000 used=30000' "$T/hot.log" ||
    fail "HOT_BATCH_MS not clamped to half of AckWait"
ok "SIGTERM with ClickHouse down: drain timeout, 200 nak'ed, exit 0"

start_clickhouse
# Nak'ed: redelivered at once, not after the 60 s AckWait.
start_hot HOT_BATCH_ROWS=5000 HOT_BATCH_MS=100
cat "$T/a.tsv" "$T/b.tsv" >"$T/rows.tsv"
wait_hot_count 500 20
compare_hot "$T/rows.tsv"
stop_hot
ok "the next run inserted the 200 nak'ed rows at once"
