#!/usr/bin/env bash
# The whole pipeline for end-to-end tests: opend-sim -> hk-tick-collector
# (day files, publishing to JetStream) -> nats-server -> hot-store ->
# ClickHouse marketprism_hot.ticks -> cold-store -> marketprism_cold.ticks,
# every server on free loopback ports, short intervals. Source after
# lib.sh; call pipe_init first.
#
#   pipe_init              e2e_init + every daemon's log tail on failure;
#                          skips (77) without nats-server/clickhouse-server
#   pipe_start SEED [HOT_ENV...]
#                          ClickHouse, NATS, simulator (PIPE_RATE ticks/s
#                          over PIPE_SYMS), collector, hot-store, cold-store
#   start_collector_pub    (re)start the collector, publishing; waits for
#                          its HTTP listener
#   pipe_settle            pause the simulator, wait (bounded) until every
#                          generated tick is in the day files, published,
#                          in hot FINAL and verified in cold
#   pipe_compare WHAT      the three exact comparisons (+ the stream while
#                          PIPE_STREAM=1): day files = truth, hot FINAL =
#                          day files, cold FINAL = hot FINAL
#   pipe_check WHAT        pipe_settle + pipe_compare; the simulator stays
#                          paused (simctl resume to go on)
source "$(dirname "${BASH_SOURCE[0]}")/lib_clickhouse.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib_hot.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib_cold.sh"

PIPE_SYMS=${PIPE_SYMS:-HK.00700,HK.00005,HK.00388,HK.00941}
PIPE_RATE=${PIPE_RATE:-300}
PIPE_STREAM=1 # compare_stream in pipe_compare (0 once a poison message is in)

pipe_init() {
    need_nats
    [ -n "$CH_SERVER" ] || skip "clickhouse-server is not installed (scripts/install-deps.sh --test)"
    [ -x "$HOT" ] && [ -x "$COLD" ] || fail "hot-store/cold-store not built"
    cold_init
}

start_collector_pub() {
    local n0
    n0=$(grep -c http_listening "$T/collector.log" 2>/dev/null || true)
    start_collector FUTU_SYMBOLS="$PIPE_SYMS" NATS_URL="$NATS_URL" \
        HTTP_PORT=-1 NATS_CURSOR_SAVE_MS=200
    local end=$((SECONDS + 30))
    while [ $SECONDS -lt $end ]; do
        [ "$(grep -c http_listening "$T/collector.log" || true)" -gt "${n0:-0}" ] &&
            return 0
        kill -0 "$COL_PID" 2>/dev/null || break
        sleep 0.1
    done
    fail "collector did not start listening"
}

# pipe_start SEED [HOT_ENV=VAL ...] : the whole chain, flowing.
pipe_start() {
    local seed=$1
    shift
    start_clickhouse
    start_nats
    start_sim --symbols "$PIPE_SYMS" --rate "$PIPE_RATE" --seed "$seed"
    start_collector_pub
    wait_log "nats_connected url=$NATS_URL stream=HK_TICKS" 30
    start_hot HOT_BATCH_ROWS=500 HOT_BATCH_MS=200 HOT_ACK_WAIT_SEC=6 \
        HOT_RETRY_MAX_MS=1000 "$@"
    start_cold
    wait_cold_metric cold_windows_verified_total 2 90
    ok "(t=${SECONDS}s) pipeline flowing: sim -> collector -> NATS -> hot-store -> hot -> cold-store -> cold"
}

ch_count() {
    ch_query "SELECT count() FROM $1.ticks ${2-FINAL}" 2>/dev/null || echo -1
}

# wait_cold_caught_up N [SEC] : two cold cycles that started after now
# completed, the last reporting no replication lag, and cold FINAL holds
# N rows.
wait_cold_caught_up() {
    local want=$1 end=$((SECONDS + ${2:-90})) c0 c lag got=-1
    c0=$(cold_metric cold_cycles_total)
    while [ $SECONDS -lt $end ]; do
        c=$(cold_metric cold_cycles_total)
        lag=$(cold_metric cold_replication_lag_rows)
        if [ "${c:-0}" -ge $((${c0:-0} + 2)) ] && [ "$lag" = 0 ]; then
            got=$(ch_count "$COLD_DB")
            [ "$got" = "$want" ] && return 0
        fi
        sleep 0.3
    done
    fail "cold not caught up: cycles ${c0:-?} -> ${c:-?}, lag_rows=${lag:-?}, FINAL rows $got, want $want"
}

pipe_settle() {
    local want n
    simctl pause >/dev/null
    want=$(truth_rows)
    wait_rows "$want" 60
    wait_published 60
    n=$(db_rows)
    [ "$n" = "$want" ] || fail "day files hold $n rows, simulator generated $want"
    wait_hot_count "$n" 90
    wait_cold_caught_up "$n" 90
}

# compare_hot_dayfiles : marketprism_hot.ticks FINAL = the day files.
compare_hot_dayfiles() {
    ch_query "SELECT $HOT_COLS FROM $HOT_DB.ticks FINAL FORMAT CSV" \
        >"$T/hot.csv" || fail "export of hot FINAL failed"
    compare_rows_csv "$T/hot.csv" "hot FINAL"
}

# compare_cold_hot : marketprism_cold.ticks FINAL = hot FINAL, every row.
compare_cold_hot() {
    dump_final "$HOT_DB" >"$T/hot-final.tsv"
    compare_cold "$T/hot-final.tsv"
    ok "cold FINAL equals hot FINAL: $(wc -l <"$T/hot-final.tsv") rows, every column"
}

pipe_compare() {
    echo "# comparisons after: $1 (t=${SECONDS}s)"
    compare_truth
    [ "$PIPE_STREAM" != 1 ] || compare_stream
    compare_hot_dayfiles
    compare_cold_hot
    local m
    m=$(cold_metric cold_verify_mismatches_total)
    if [ "$m" != 0 ]; then
        echo "# note: cold_verify_mismatches_total $m, re-verified since:"
        grep -E 'cold_verify_mismatch|cold_late_rows' "$T/cold.log" | sed 's/^/#   /'
    fi
}

pipe_check() {
    pipe_settle
    pipe_compare "$1"
}

# pipe_stop_clickhouse : SIGTERM, SIGKILL after 5 s (18.16's own
# shutdown_wait_unfinished). While a client keeps an HTTP keep-alive
# connection busy, as hot-store and cold-store do, 18.16 goes on serving
# it after SIGTERM and exits only ~35 s later (stop_clickhouse would wait
# its full 30 s every time); an acknowledged insert is already a part on
# disk, so the kill loses nothing a client was told is stored.
pipe_stop_clickhouse() {
    kill -TERM "$CH_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$CH_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$CH_PID" 2>/dev/null || true
    wait "$CH_PID" 2>/dev/null || true
    CH_PID=
}

# pipe_stop : SIGTERM every daemon; each must exit 0.
pipe_stop() {
    stop_cold
    [ "$COLD_RC" = 0 ] || fail "cold-store exit $COLD_RC"
    stop_hot
    [ "$HOT_RC" = 0 ] || fail "hot-store exit $HOT_RC"
    stop_collector TERM
    [ "$COL_RC" = 0 ] || fail "collector exit $COL_RC"
    ok "cold-store, hot-store and collector stopped with exit 0"
}
