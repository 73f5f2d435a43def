#!/usr/bin/env bash
# hot-store, steady flow: rows published into HK_TICKS land in
# marketprism_hot.ticks FINAL exactly once with every column equal; the
# metrics count them; /health is 200; SIGTERM exits 0.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_clickhouse.sh"
source "$(dirname "$0")/lib_hot.sh"
hot_init

start_clickhouse
start_nats
start_hot HOT_BATCH_ROWS=300 HOT_BATCH_MS=100
gen_rows 1500 >"$T/rows.tsv"
publish_file --async "$T/rows.tsv"
wait_hot_count 1500 60
compare_hot "$T/rows.tsv"
ok "1500 rows in ticks FINAL equal the published rows"

[ "$(hot_count '')" = 1500 ] || fail "duplicates without FINAL: $(hot_count '')"
sleep 1.5
[ "$(hot_metric hot_rows_inserted_total)" = 1500 ] ||
    fail "hot_rows_inserted_total $(hot_metric hot_rows_inserted_total)"
[ "$(hot_metric hot_acked_total)" = 1500 ] || fail "acked $(hot_metric hot_acked_total)"
[ "$(hot_metric hot_poison_total)" = 0 ] || fail "poison"
b=$(hot_metric hot_batches_total)
[ "$b" -ge 5 ] || fail "hot_batches_total $b < 5 (HOT_BATCH_ROWS=300)"
[ "$(hot_metric hot_insert_seconds_count)" = "$b" ] || fail "histogram count"
newest=$(awk -F'\t' '{ if ($3 > m) m = $3 } END { print m }' "$T/rows.tsv")
[ "$(hot_metric hot_newest_ts_ms)" = "$newest" ] ||
    fail "hot_newest_ts_ms $(hot_metric hot_newest_ts_ms) want $newest"
for _ in $(seq 1 30); do
    [ "$(hot_metric hot_consumer_pending)" = 0 ] && break
    sleep 0.2
done
[ "$(hot_metric hot_consumer_pending)" = 0 ] || fail "consumer pending"
[ "$(hot_health_code)" = 200 ] || fail "health $(cat "$T/health.json")"
grep -q '"status":"healthy"' "$T/health.json" || fail "health body"
ok "metrics: rows, acks, batches, latency histogram, newest ts, lag 0; health 200"

stop_hot
[ "$HOT_RC" = 0 ] || fail "exit code $HOT_RC after SIGTERM"
grep -q 'hot_exit code=0 reason=signal rows_inserted=1500 poison=0' "$T/hot.log" ||
    fail "no hot_exit line"
# A restart consumes nothing twice: the durable consumer acked everything.
start_hot
sleep 2
[ "$(hot_count '')" = 1500 ] || fail "restart re-inserted rows"
ok "SIGTERM exit 0; restart inserts nothing again"
