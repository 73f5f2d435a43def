#!/usr/bin/env bash
# cold-store killed with SIGKILL again and again while it copies, then run
# to the end: cold FINAL equals hot exactly, in both copy modes:
#   - stream: hot and cold on two ClickHouse servers, RowBinary streamed
#     through cold-store in 1 MiB pieces into the staging table (at least
#     one kill must land mid-copy, seen as rows left in staging; the next
#     run clears them, and staging is empty at the end);
#   - partition: one server, REPLACE PARTITION and INSERT ... SELECT.
# ctest-cost: 72
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_clickhouse.sh"
source "$(dirname "$0")/lib_hot.sh"
source "$(dirname "$0")/lib_cold.sh"
cold_init

start_clickhouse
HOT_URL=$CLICKHOUSE_URL
HOT_CH_PID=$CH_PID
# A second server for the cold side (its own dir and ports).
T0=$T
T=$T0/b
mkdir -p "$T"
unset CH_HTTP_PORT CH_TCP_PORT CH_INTER_PORT
start_clickhouse
COLD_URL=$CLICKHOUSE_URL
T=$T0
CLICKHOUSE_URL=$HOT_URL
CH_PID=$HOT_CH_PID
ok "two ClickHouse servers: hot $HOT_URL, cold $COLD_URL"

# Schema on both (first cycles), then idle runs are stopped.
start_cold COLD_INTERVAL_SEC=3600 COLD_CLICKHOUSE_URL="$COLD_URL"
wait_cold_metric cold_cycles_total 1 30
stop_cold
COLD_DB=cold_part start_cold COLD_INTERVAL_SEC=3600 COLD_STATE_DIR="$T/cold2"
wait_cold_metric cold_cycles_total 1 30
stop_cold

now=$(($(date +%s) * 1000))
for k in 3 2 1; do
    d=$(hk_day -$k)
    gen_day "$d" 100000 $((k * 1000000)) $(($(day_ms "$d") + 34200000)) >"$T/d$k.tsv"
    ch_insert_tsv "$HOT_DB.ticks" "$T/d$k.tsv"
done
gen_day "$(hk_day 0)" 20000 0 $((now - 300000)) >"$T/today.tsv"
ch_insert_tsv "$HOT_DB.ticks" "$T/today.tsv"
head -n 5000 "$T/d2.tsv" >"$T/dup.tsv"
ch_insert_tsv "$HOT_DB.ticks" "$T/dup.tsv"
WHERE="trading_day < today() OR ts_ms < $now"
dump_final "$HOT_DB" "$WHERE" >"$T/want.tsv"
[ "$(wc -l <"$T/want.tsv")" = 320000 ] || fail "hot holds $(wc -l <"$T/want.tsv") rows"

# compare_on URL DB : like compare_cold, against the server at URL.
compare_on() {
    local saved=$CLICKHOUSE_URL
    CLICKHOUSE_URL=$1 COLD_DB=$2 compare_cold "$T/want.tsv" "$WHERE"
    CLICKHOUSE_URL=$saved
}

# --- stream mode, two servers ---------------------------------------------
mid=0
for s in 0.3 0.5 0.8 1.2 1.7 2.5; do
    start_cold COLD_CLICKHOUSE_URL="$COLD_URL" COLD_CHUNK_MIB=1 HOT_RETENTION_DAYS=3
    sleep "$s"
    kill9_cold
    n=$(CLICKHOUSE_URL=$COLD_URL ch_query "SELECT count() FROM $COLD_DB.ticks_staging")
    [ "${n:-0}" -gt 0 ] && mid=$((mid + 1))
done
[ $mid -ge 1 ] || fail "no SIGKILL landed mid-copy (staging always empty)"
ok "stream mode: 6 SIGKILLs, $mid of them mid-copy (rows left in staging)"
start_cold COLD_CLICKHOUSE_URL="$COLD_URL" COLD_CHUNK_MIB=1 HOT_RETENTION_DAYS=3
for _ in $(seq 1 300); do
    n=$(CLICKHOUSE_URL=$COLD_URL ch_query "SELECT count() FROM $COLD_DB.ticks FINAL WHERE $WHERE")
    [ "$n" = 320000 ] && break
    sleep 0.2
done
wait_cold_metric cold_windows_verified_total 4 60
compare_on "$COLD_URL" "$COLD_DB"
n=$(CLICKHOUSE_URL=$COLD_URL ch_query "SELECT count() FROM $COLD_DB.ticks_staging")
[ "$n" = 0 ] || fail "staging still holds $n rows"
stop_cold
[ "$COLD_RC" = 0 ] || fail "exit $COLD_RC"
ok "stream mode after the kills: cold (other server) equals hot, 320000 rows, staging empty"

# --- partition mode, one server --------------------------------------------
export COLD_DB=cold_part
for s in 0.2 0.4 0.7 1.1; do
    start_cold COLD_STATE_DIR="$T/cold2" HOT_RETENTION_DAYS=3
    sleep "$s"
    kill9_cold
done
start_cold COLD_STATE_DIR="$T/cold2" HOT_RETENTION_DAYS=3
wait_cold_count 320000 "$WHERE" 60
wait_cold_metric cold_windows_verified_total 4 60
compare_cold "$T/want.tsv" "$WHERE"
[ "$(cold_metric cold_verify_mismatches_total)" = 0 ] || fail "mismatches after restart"
stop_cold
[ "$COLD_RC" = 0 ] || fail "exit $COLD_RC"
ok "partition mode after 4 SIGKILLs: cold equals hot, 320000 rows"
