#!/usr/bin/env bash
# hot-store with ClickHouse stopped ~15 s while rows keep arriving: inserts
# fail and back off, nothing is acked, /health says 503 (clickhouse), at
# most 3 batches are held (2 handed to the insert thread, 1 filled);
# after ClickHouse returns every row lands exactly once. Then the 18.16
# fact: after OPTIMIZE ... FINAL and another restart, merged-away parts do
# not come back (old_parts_lifetime = 5), so even the count without FINAL
# stays exact.
# ctest-cost: 62
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_clickhouse.sh"
source "$(dirname "$0")/lib_hot.sh"
hot_init

start_clickhouse
start_nats
start_hot HOT_BATCH_ROWS=200 HOT_BATCH_MS=100 HOT_RETRY_MAX_MS=1000
gen_rows 1000 0 >"$T/a.tsv"
gen_rows 1000 1000 >"$T/b.tsv"
cat "$T/a.tsv" "$T/b.tsv" >"$T/rows.tsv"
publish_file "$T/a.tsv"
wait_hot_count 1000 60
ok "first 1000 rows in"

stop_clickhouse
publish_file --async "$T/b.tsv"
sleep 15
kill -0 "$HOT_PID" || fail "hot-store died while ClickHouse was down"
errs=$(hot_metric hot_insert_errors_total)
[ "$errs" -ge 3 ] || fail "hot_insert_errors_total $errs"
[ "$(hot_metric hot_rows_inserted_total)" = 1000 ] || fail "inserted while down?"
[ "$(hot_metric hot_acked_total)" = 1000 ] || fail "acked while down"
[ "$(hot_health_code)" = 503 ] || fail "health $(cat "$T/health.json")"
grep -q '"clickhouse":{"ok":false}' "$T/health.json" || fail "health body $(cat "$T/health.json")"
grep -q 'hot_insert_failed rows=200 status=0' "$T/hot.log" || fail "no hot_insert_failed"
ok "ClickHouse down 15 s: $errs failed attempts, nothing acked, health 503"
# The bounded hand-off: two batches handed to the insert thread and one
# full batch waiting for room, 3 x 200 rows held; nothing more is fetched.
held=$(hot_metric hot_batch_rows)
[ "$held" = 600 ] || fail "hot_batch_rows $held while ClickHouse is down, want 600"
for _ in $(seq 1 20); do
    [ "$(hot_metric hot_consumer_ack_pending)" = 600 ] &&
        [ "$(hot_metric hot_consumer_pending)" = 400 ] && break
    sleep 0.2
done
[ "$(hot_metric hot_consumer_ack_pending)" = 600 ] ||
    fail "consumer ack pending $(hot_metric hot_consumer_ack_pending), want 600"
[ "$(hot_metric hot_consumer_pending)" = 400 ] ||
    fail "consumer pending $(hot_metric hot_consumer_pending), want 400"
ok "ClickHouse down: 3 batches (600 rows) held, 400 left in the stream"

start_clickhouse
wait_hot_count 2000 90
compare_hot "$T/rows.tsv"
grep -q 'hot_insert_recovered' "$T/hot.log" || fail "no hot_insert_recovered"
for _ in $(seq 1 50); do
    [ "$(hot_health_code)" = 200 ] && break
    sleep 0.2
done
[ "$(hot_health_code)" = 200 ] || fail "health after recovery $(cat "$T/health.json")"
ok "after restart: 2000 rows exactly, health 200"

ch_query "OPTIMIZE TABLE $HOT_DB.ticks FINAL"
[ "$(hot_count '')" = 2000 ] || fail "count after OPTIMIZE $(hot_count '')"
sleep 8 # > old_parts_lifetime: the merged-away parts are deleted
restart_clickhouse
[ "$(hot_count '')" = 2000 ] || fail "count without FINAL after restart: $(hot_count '')"
compare_hot "$T/rows.tsv"
ok "after OPTIMIZE and another restart: still exactly 2000 rows"
stop_hot
[ "$HOT_RC" = 0 ] || fail "exit $HOT_RC"
