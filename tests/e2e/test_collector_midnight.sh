#!/usr/bin/env bash
# A run across HK midnight lands in two day files named by the HK date of
# each tick, whatever the host zone (UTC and Asia/Shanghai); a tick 8 h in
# the future (naive-UTC upstream) is corrected and logged.
# The simulated market runs on a fixed 2026 date: ACCEPT_DAYS_BACK widens
# the collector's trading-day window (rows outside it are quarantined).
source "$(dirname "$0")/lib.sh"
e2e_init

for zone in UTC Asia/Shanghai; do
    rm -rf "$DATA"
    : >"$T/collector.log"
    start_sim --symbols HK.00700,HK.00005 --rate 200 --seed 21 \
        --clock-start "2026-03-02 23:59:58" --clock-speed 1 --max-ticks 800
    TZ=$zone start_collector ACCEPT_DAYS_BACK=36500 FUTU_SYMBOLS=HK.00700,HK.00005 TZ=$zone \
        DAY_IDLE_CLOSE_SEC=1
    wait_rows 800 30
    # Past days are checkpointed and closed once idle: self-contained files.
    wait_log "day_file_closed db_path=$DATA/20260302.db reason=idle checkpoint=truncate" 10
    wait_log "day_file_closed db_path=$DATA/20260303.db reason=idle checkpoint=truncate" 10
    [ ! -s "$DATA/20260302.db-wal" ] || fail "$zone: WAL not truncated after close"
    stop_collector TERM
    [ "$COL_RC" = 0 ] || fail "$zone: exit $COL_RC"
    [ -f "$DATA/20260302.db" ] || fail "$zone: no 20260302.db"
    [ -f "$DATA/20260303.db" ] || fail "$zone: no 20260303.db"
    a=$(sqlite3 "file:$DATA/20260302.db?mode=ro" "SELECT COUNT(*) FROM ticks WHERE trading_day='20260302';")
    b=$(sqlite3 "file:$DATA/20260303.db?mode=ro" "SELECT COUNT(*) FROM ticks WHERE trading_day='20260303';")
    [ $((a + b)) = 800 ] || fail "$zone: $a + $b != 800"
    bad=$(sqlite3 "file:$DATA/20260303.db?mode=ro" "SELECT COUNT(*) FROM ticks WHERE ts_ms < 1772467200000;")
    [ "$bad" = 0 ] || fail "$zone: ticks before HK midnight in the next day's file"
    compare_truth
    ok "$zone host: $a rows on 20260302, $b on 20260303"
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
done

# Future guard: the upstream writes times 8 h ahead.
rm -rf "$DATA"
start_sim --symbols HK.00700 --rate 50 --seed 4 --time-offset-sec 28800 --max-ticks 100
start_collector ACCEPT_DAYS_BACK=36500 FUTU_SYMBOLS=HK.00700
wait_rows 100 20
stop_collector TERM
wait_log "ts_ms_future_offset_corrected raw_ts_ms=[0-9]+ corrected_ts_ms=[0-9]+ drift_ms=[0-9]+ count=" 2
now_ms=$(($(date +%s) * 1000))
DB=$(ls "$DATA"/[0-9]*.db | head -n1)
maxts=$(sqlite3 "file:$DB?mode=ro" "SELECT MAX(ts_ms) FROM ticks;")
[ $((maxts - now_ms)) -lt 600000 ] || fail "ts_ms still in the future: $maxts vs $now_ms"
ok "8 h future timestamps corrected"
