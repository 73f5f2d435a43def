#!/usr/bin/env bash
# The whole chain, simulator to cold, with kill -9 of hot-store while it
# holds a partial batch (fetched, not inserted, not acked) and kill -9 of
# cold-store in the middle of a window (rows copied into cold, the window
# not yet verified nor its watermark advanced), each restarted while
# ticks keep coming. After each: the day files equal the simulator's
# truth, the stream and marketprism_hot.ticks FINAL equal the day files,
# marketprism_cold.ticks FINAL equals hot FINAL.
# ctest-cost: 50
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_pipeline.sh"
pipe_init

# Batches of up to 1000 rows that take ~2.5 s to fill: a kill lands while
# hot-store holds rows.
HOT_ENV=(HOT_BATCH_ROWS=1000 HOT_BATCH_MS=2500 HOT_ACK_WAIT_SEC=6)
pipe_start 43 "${HOT_ENV[@]}"

# --- kill -9 of hot-store mid-batch -------------------------------------------
h=0
for _ in $(seq 1 600); do
    n=$(hot_metric hot_rows_inserted_total)
    h=$(hot_metric hot_batch_rows)
    [ "${n:-0}" -ge 1 ] && [ "${h:-0}" -gt 0 ] && [ "${h:-0}" -lt 1000 ] && break
    sleep 0.05
done
[ "${h:-0}" -gt 0 ] && [ "${h:-0}" -lt 1000 ] ||
    fail "never caught hot-store holding a partial batch"
kill -9 "$HOT_PID"
wait "$HOT_PID" 2>/dev/null || true
ok "hot-store killed with $n rows inserted and $h held in its batch"
wait_generated $(($(simctl stats | sed -n 's/.*generated=\([0-9]*\).*/\1/p') + 600)) 30
start_hot HOT_RETRY_MAX_MS=1000 "${HOT_ENV[@]}"
pipe_check "kill -9 of hot-store mid-batch, restarted"
r=$(hot_metric hot_redeliveries_total)
[ "${r:-0}" -ge "$h" ] || fail "redeliveries ${r:-0} < the $h rows held at the kill"
ok "the $h held rows were redelivered ($r redeliveries) and stored once"
simctl resume >/dev/null

# --- kill -9 of cold-store mid-window -------------------------------------
# cold_unverified : rows in cold (FINAL or not) of today at or after the
# watermark's verified point: copied by a window that was not verified.
cold_unverified() {
    local day upto
    day=$(hk_day 0)
    upto=$(python3 - "$T/cold/watermark.json" "$day" <<'PY'
import json, sys
try:
    w = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print(0); sys.exit()
print(next((d.get("upto_ts_ms", 0) for d in w["days"] if str(d["day"]) == sys.argv[2]), 0))
PY
)
    ch_query "SELECT count() FROM $COLD_DB.ticks WHERE trading_day = toDate('${day:0:4}-${day:4:2}-${day:6:2}') AND ts_ms >= $upto"
}

stop_cold
[ "$COLD_RC" = 0 ] || fail "cold-store exit $COLD_RC"
hits=0
tries=0
# A run's first cycle copies the backlog since the last verified window;
# kill at spread delays until at least two kills landed mid-window.
for d in 0.05 0.08 0.11 0.14 0.17 0.2 0.25 0.3 0.06 0.09 0.12 0.15 0.18 \
    0.22 0.27 0.35 0.07 0.1 0.13 0.16 0.19 0.23 0.28 0.4 0.5; do
    wait_generated $(($(simctl stats | sed -n 's/.*generated=\([0-9]*\).*/\1/p') + 300)) 30
    env CLICKHOUSE_URL="$CLICKHOUSE_URL" COLD_HTTP_PORT="$COLD_PORT" \
        COLD_STATE_DIR="$T/cold" COLD_INTERVAL_SEC=1 COLD_SETTLE_SEC=2 \
        COLD_RETRY_MIN_MS=200 COLD_RETRY_MAX_MS=1000 COLD_DATABASE="$COLD_DB" \
        "$COLD" >>"$T/cold.log" 2>&1 &
    COLD_PID=$!
    E2E_PIDS+=("$COLD_PID")
    sleep "$d"
    kill9_cold
    tries=$((tries + 1))
    u=$(cold_unverified)
    [ "${u:-0}" -gt 0 ] && hits=$((hits + 1))
    [ $hits -ge 2 ] && break
done
[ $hits -ge 1 ] || fail "none of $tries SIGKILLs landed mid-window"
ok "cold-store: $tries SIGKILLs, $hits of them mid-window (rows in cold past the verified point)"
start_cold
pipe_check "kill -9 of cold-store mid-window, restarted"
pipe_stop
