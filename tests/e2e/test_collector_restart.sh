#!/usr/bin/env bash
# SIGTERM mid-stream exits 0 with nothing pending; kill -9 mid-stream then a
# restart loses nothing OpenD still holds (startup backfill).
source "$(dirname "$0")/lib.sh"
e2e_init

SYMS=HK.00700,HK.00005,HK.00388,HK.00941
start_sim --symbols $SYMS --rate 300 --seed 9
start_collector FUTU_SYMBOLS=$SYMS
wait_log "futu_connected"
sleep 2
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "SIGTERM exit $COL_RC"
grep -q "collector_exit code=0 reason=signal rows_pending=0" "$T/collector.log" || fail "no clean exit line"
ok "SIGTERM mid-stream: exit 0"

start_collector FUTU_SYMBOLS=$SYMS
wait_log "seed_last_seq seed_days=[0-9]{8}" 10
sleep 2
kill -9 "$COL_PID"
wait "$COL_PID" 2>/dev/null || true
ok "kill -9 mid-stream"
sleep 1   # ticks generated while no collector runs
start_collector FUTU_SYMBOLS=$SYMS
wait_log "backfill_stats symbol=HK.00941" 15
sleep 1
simctl pause >/dev/null
want=$(truth_rows)
# Less than 1000 ticks per symbol were generated, so OpenD holds them all.
wait_rows "$want" 20
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
compare_truth
grep -q "backfill" <(sqlite3 "file:$(ls "$DATA"/[0-9]*.db | head -n1)?mode=ro" \
    "SELECT DISTINCT push_type FROM ticks;") || fail "no backfill rows"
ok "restart backfill filled the gap"
