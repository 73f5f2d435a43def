#!/usr/bin/env bash
# The whole chain, simulator to cold, with ClickHouse stopped for 20 s and
# restarted while ticks keep coming: hot-store backs off (JetStream holds
# the backlog), cold-store's cycles fail and resume. Then the day files
# equal the simulator's truth, the stream and marketprism_hot.ticks FINAL
# equal the day files, marketprism_cold.ticks FINAL equals hot FINAL.
# After OPTIMIZE ... FINAL and another ClickHouse restart the counts are
# checked again, without FINAL too (18.16 must not bring merged-away
# parts back), and after more flow the comparisons hold again.
# ctest-cost: 65
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_pipeline.sh"
pipe_init

pipe_start 42
wait_generated 1500 60

# --- ClickHouse stopped for 20 s ---------------------------------------------
pipe_stop_clickhouse
before=$(db_rows)
sleep 20 # the outage itself
after=$(db_rows)
[ "$after" -gt "$before" ] || fail "ingest stalled while ClickHouse was down ($before -> $after)"
kill -0 "$HOT_PID" || fail "hot-store died while ClickHouse was down"
kill -0 "$COLD_PID" || fail "cold-store died while ClickHouse was down"
[ "$(hot_metric hot_insert_errors_total)" -ge 1 ] || fail "no failed insert counted"
[ "$(hot_health_code)" = 503 ] || fail "hot-store health $(cat "$T/health.json")"
[ "$(cold_metric cold_errors_total)" -ge 1 ] || fail "no failed cold cycle counted"
[ "$(cold_health_code)" = 503 ] || fail "cold-store health $(cat "$T/cold-health.json")"
# The backlog JetStream holds shows as consumer lag (refreshed every
# HOT_LAG_INTERVAL_SEC while hot-store retries its batch).
for _ in $(seq 1 50); do
    pend=$(hot_metric hot_consumer_pending)
    [ "${pend:-0}" -ge $(((after - before) / 2)) ] && break
    sleep 0.2
done
[ "${pend:-0}" -ge $(((after - before) / 2)) ] ||
    fail "hot_consumer_pending ${pend:-?} while $((after - before)) rows were committed during the outage"
ok "(t=${SECONDS}s) ClickHouse down 20 s: day files $before -> $after, hot-store and cold-store 503 and retrying, backlog $pend"
start_clickhouse
pipe_check "ClickHouse stopped 20 s and restarted"
for _ in $(seq 1 50); do
    [ "$(hot_health_code)" = 200 ] && [ "$(cold_health_code)" = 200 ] && break
    sleep 0.2
done
[ "$(hot_health_code)" = 200 ] || fail "hot-store health after recovery $(cat "$T/health.json")"
[ "$(cold_health_code)" = 200 ] || fail "cold-store health after recovery $(cat "$T/cold-health.json")"

# --- counts after another restart ------------------------------------------
n=$(db_rows)
ch_query "OPTIMIZE TABLE $HOT_DB.ticks FINAL"
ch_query "OPTIMIZE TABLE $COLD_DB.ticks FINAL"
# Wait until the merged-away parts are deleted (old_parts_lifetime = 5 s).
for _ in $(seq 1 150); do
    [ "$(ch_query "SELECT count() FROM system.parts WHERE database IN ('$HOT_DB', '$COLD_DB') AND table = 'ticks' AND NOT active")" = 0 ] &&
        break
    sleep 0.2
done
[ "$(ch_count "$HOT_DB" '')" = "$n" ] || fail "hot count() after OPTIMIZE $(ch_count "$HOT_DB" ''), want $n"
pipe_stop_clickhouse
start_clickhouse
for db in "$HOT_DB" "$COLD_DB"; do
    [ "$(ch_count "$db" '')" = "$n" ] || fail "$db count() after the restart $(ch_count "$db" ''), want $n"
    [ "$(ch_count "$db")" = "$n" ] || fail "$db count() FINAL after the restart $(ch_count "$db"), want $n"
done
ok "(t=${SECONDS}s) after OPTIMIZE and another ClickHouse restart: hot and cold hold exactly $n rows, with and without FINAL"
compare_hot_dayfiles
compare_cold_hot
simctl resume >/dev/null
wait_generated $((n + 900)) 30
pipe_check "ticks flowing on after the second ClickHouse restart"
pipe_stop
