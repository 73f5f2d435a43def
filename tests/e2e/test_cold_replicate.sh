#!/usr/bin/env bash
# cold-store on one ClickHouse server (partition mode), rows written
# straight into marketprism_hot.ticks:
#   - a closed day older than HOT_RETENTION_DAYS (copied, verified, then
#     dropped from hot), a closed day inside it (kept in hot), today's rows
#     (rolling window; rows in the future wait) - cold FINAL equals hot's
#     rows exactly, duplicates in hot included once;
#   - late rows for today (below the window) are found and copied;
#   - late rows for the dropped day are appended, never replacing it;
#   - ClickHouse stopped: /health 503, cycles fail and resume; after two
#     restarts cold still holds exactly the same rows;
#   - a corrupt watermark is moved aside and everything re-verified;
#   - config errors exit 78 naming the variable; SIGTERM exits 0.
# ctest-cost: 75
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_clickhouse.sh"
source "$(dirname "$0")/lib_hot.sh"
source "$(dirname "$0")/lib_cold.sh"
cold_init

# --- config errors, before any server -------------------------------------
rc=0
out=$(env COLD_COPY_MODE=partition COLD_CLICKHOUSE_URL=http://127.0.0.1:1 \
    COLD_STATE_DIR="$T/x" "$COLD" --check-config 2>&1) || rc=$?
[ $rc = 78 ] || fail "partition mode with two servers: exit $rc, want 78"
grep -q 'COLD_COPY_MODE' <<<"$out" || fail "error does not name COLD_COPY_MODE: $out"
rc=0
out=$(env COLD_DATABASE=marketprism_hot "$COLD" --check-config 2>&1) || rc=$?
[ $rc = 78 ] || fail "cold database = hot database: exit $rc, want 78"
grep -q 'COLD_DATABASE' <<<"$out" || fail "error does not name COLD_DATABASE: $out"
[ ! -e "$T/x" ] || fail "a config error touched the state dir"
ok "config errors exit 78 naming the variable"

start_clickhouse
# A first run creates the schema (hot, cold, staging) and then idles.
start_cold COLD_INTERVAL_SEC=3600
wait_cold_metric cold_cycles_total 1 30
stop_cold
ok "schema created by a first cycle"

OLD=$(hk_day -10)
YDAY=$(hk_day -1)
TODAY=$(hk_day 0)
now=$(($(date +%s) * 1000))
gen_day "$OLD" 3000 0 $(($(day_ms "$OLD") + 36000000)) >"$T/old.tsv"
gen_day "$YDAY" 2000 10000 $(($(day_ms "$YDAY") + 36000000)) >"$T/yday.tsv"
gen_day "$TODAY" 1000 20000 $((now - 120000)) >"$T/today.tsv"
gen_day "$TODAY" 50 30000 $((now + 3600000)) >"$T/future.tsv"
for f in old yday today future; do
    ch_insert_tsv "$HOT_DB.ticks" "$T/$f.tsv"
done
# Duplicates (a redelivered batch): the first 500 rows of each day again.
for f in old yday today; do
    head -n 500 "$T/$f.tsv" >"$T/dup.tsv"
    ch_insert_tsv "$HOT_DB.ticks" "$T/dup.tsv"
done
dump_final "$HOT_DB" "trading_day < today()" >"$T/want.tsv"
dump_final "$HOT_DB" "trading_day >= today() AND ts_ms < $now" >>"$T/want.tsv"
[ "$(wc -l <"$T/want.tsv")" = 6000 ] || fail "hot holds $(wc -l <"$T/want.tsv") rows, want 6000"
start_cold HOT_RETENTION_DAYS=3

wait_cold_count 6000 "" 60
wait_cold_metric cold_partitions_dropped_total 1 30
compare_cold "$T/want.tsv"
ok "cold FINAL equals hot: 6000 rows over 3 days, duplicates once, future rows not yet"
d=$(ch_query "SELECT groupArray(partition_id) FROM (SELECT DISTINCT partition_id FROM system.parts WHERE database = '$HOT_DB' AND table = 'ticks' AND active ORDER BY partition_id)")
[ "$d" = "['$YDAY','$TODAY']" ] || fail "hot partitions $d, want $YDAY and $TODAY (the old day dropped)"
ok "hot partition $OLD dropped after verification, $YDAY kept (retention 3 days)"
wait_cold_metric cold_windows_verified_total 3 10
[ "$(cold_metric cold_replication_lag_rows)" = 50 ] ||
    fail "lag rows $(cold_metric cold_replication_lag_rows), want 50 (the future rows)"
python3 - "$T/cold/watermark.json" "$OLD" "$YDAY" "$TODAY" <<'PY' || fail "watermark.json"
import json, sys
w = json.load(open(sys.argv[1]))
days = {str(d["day"]): d for d in w["days"]}
old, yday, today = sys.argv[2:5]
assert w["version"] == 1
assert days[old]["closed"] and days[old]["dropped"] and days[old]["rows"] == 3000, days[old]
assert days[yday]["closed"] and not days[yday]["dropped"] and days[yday]["rows"] == 2000, days[yday]
assert not days[today]["closed"] and days[today]["rows"] == 1000 and days[today]["upto_ts_ms"] > 0, days[today]
PY
ok "watermark: old day closed+dropped 3000, yesterday closed 2000, today open 1000"

# --- late rows -------------------------------------------------------------
gen_day "$TODAY" 20 40000 $((now - 100000)) >"$T/late.tsv"
ch_insert_tsv "$HOT_DB.ticks" "$T/late.tsv"
wait_cold_log cold_late_rows_copied 30
wait_cold_count 1020 "trading_day = today() AND ts_ms < $now" 30
gen_day "$OLD" 10 50000 $(($(day_ms "$OLD") + 50000000)) >"$T/late-old.tsv"
ch_insert_tsv "$HOT_DB.ticks" "$T/late-old.tsv"
wait_cold_metric cold_partitions_dropped_total 2 30
wait_cold_count 3010 "trading_day = toDate('${OLD:0:4}-${OLD:4:2}-${OLD:6:2}')" 10
# The late rows have seq 40000-40019 and 50000-50009 (none NULL).
ch_query "SELECT $HOT_COLS FROM $COLD_DB.ticks FINAL WHERE
    seq - 7257436441708000000 BETWEEN 40000 AND 40019 OR
    seq - 7257436441708000000 BETWEEN 50000 AND 50009 FORMAT TabSeparated" |
    LC_ALL=C sort >"$T/late-got.tsv"
[ "$(wc -l <"$T/late-got.tsv")" = 30 ] || fail "cold holds $(wc -l <"$T/late-got.tsv") of the 30 late rows"
cat "$T/late-got.tsv" >>"$T/want.tsv"
compare_cold "$T/want.tsv" "trading_day < today() OR ts_ms < $now"
ok "late rows: 20 for today copied by minute, 10 for the dropped day appended (3010, none lost)"

# --- ClickHouse down, restarted twice --------------------------------------
stop_clickhouse
for _ in $(seq 1 50); do
    [ "$(cold_health_code)" = 503 ] && break
    sleep 0.2
done
[ "$(cold_health_code)" = 503 ] || fail "health $(cold_health_code) with ClickHouse down"
grep -q '"clickhouse"' "$T/cold-health.json" || fail "health does not name clickhouse: $(cat "$T/cold-health.json")"
e0=$(cold_metric cold_errors_total)
[ "${e0:-0}" -ge 1 ] || fail "no failed cycle counted"
ok "ClickHouse down: /health 503 naming clickhouse, $e0 failed cycles"
start_clickhouse
c0=$(cold_metric cold_cycles_total)
wait_cold_metric cold_cycles_total $((c0 + 2)) 60
[ "$(cold_health_code)" = 200 ] || fail "health after restart: $(cat "$T/cold-health.json")"
restart_clickhouse
c0=$(cold_metric cold_cycles_total)
wait_cold_metric cold_cycles_total $((c0 + 2)) 60
compare_cold "$T/want.tsv" "trading_day < today() OR ts_ms < $now"
ok "after two ClickHouse restarts cold still equals hot exactly"

# --- corrupt watermark --------------------------------------------------------
stop_cold
[ "$COLD_RC" = 0 ] || fail "SIGTERM: exit $COLD_RC"
grep -q 'cold_exit code=0 reason=signal' "$T/cold.log" || fail "no cold_exit code=0"
printf '{"version":1,"days":[{"day":' >"$T/cold/watermark.json"
start_cold HOT_RETENTION_DAYS=3
wait_cold_log cold_state_corrupt 10
ls "$T/cold/"watermark.json.corrupt-* >/dev/null || fail "corrupt watermark not kept aside"
c0=$(cold_metric cold_cycles_total)
wait_cold_metric cold_cycles_total $((c0 + 2)) 60
compare_cold "$T/want.tsv" "trading_day < today() OR ts_ms < $now"
python3 -c "import json,sys; json.load(open('$T/cold/watermark.json'))" || fail "no new watermark"
stop_cold
[ "$COLD_RC" = 0 ] || fail "exit $COLD_RC"
ok "corrupt watermark moved aside, days re-verified, nothing lost; SIGTERM exit 0"
