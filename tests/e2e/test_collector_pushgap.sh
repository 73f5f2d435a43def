#!/usr/bin/env bash
# Push-gap recovery is bounded by what the symbol can have missed
# (docs/architecture.md, recovery table): when a symbol's pushes resume
# after FUTU_POLL_STALE_SEC, the feed re-fetches rate x silence x 4 ticks
# (floor 50, cap 1000), logged as recovery_fetch reason=push_gap num=N.
# With the poll fallback off, only that re-fetch can repair the withheld
# ticks: an illiquid phase fetches the floor, a liquid phase fetches fewer
# than 1000 yet enough that every tick of the truth lands.
# ctest-cost: 32
source "$(dirname "$0")/lib.sh"
e2e_init

SYMS=HK.00700,HK.00005
start_sim --symbols $SYMS --rate 2 --seed 12 --burst-factor 1
start_collector FUTU_SYMBOLS=$SYMS FUTU_POLL_ENABLED=0 FUTU_POLL_STALE_SEC=3 \
    CHECK_INTERVAL_SEC=60
wait_log "futu_connected"

# Illiquid: about one tick a second per symbol.
sleep 8
simctl withhold HK.00700 5 >/dev/null
wait_log "recovery_fetch symbol=HK.00700 reason=push_gap gap_sec=[0-9.]+ num=" 20
n1=$(grep -Eo "recovery_fetch symbol=HK.00700 reason=push_gap gap_sec=[0-9.]+ num=[0-9]+" \
    "$T/collector.log" | head -n1 | sed 's/.*num=//')
[ "$n1" -lt 1000 ] || fail "illiquid symbol re-fetched $n1 ticks"
ok "illiquid symbol resuming re-fetches $n1 ticks (not 1000)"

# Liquid: 30 ticks a second per symbol, withheld for 6 s.
simctl rate 60 >/dev/null
sleep 10
before=$(grep -c "reason=push_gap" "$T/collector.log")
simctl withhold HK.00700 6 >/dev/null
end=$((SECONDS + 20))
while [ "$(grep -c "recovery_fetch symbol=HK.00700 reason=push_gap" "$T/collector.log")" -le 1 ] &&
    [ $SECONDS -lt $end ]; do
    sleep 0.2
done
line=$(grep -E "recovery_fetch symbol=HK.00700 reason=push_gap gap_sec=[0-9.]+ num=[0-9]+" \
    "$T/collector.log" | tail -n1)
[ "$(grep -c "recovery_fetch symbol=HK.00700 reason=push_gap" "$T/collector.log")" -ge 2 ] ||
    fail "no push_gap recovery after the liquid withhold ($before before)"
n2=$(echo "$line" | sed 's/.*num=//')
gap=$(echo "$line" | sed 's/.*gap_sec=\([0-9.]*\).*/\1/')
[ "$n2" -lt 1000 ] || fail "liquid symbol re-fetched $n2 ticks (want < 1000)"
[ "$n2" -gt "$n1" ] || fail "liquid re-fetch $n2 not above illiquid $n1"
simctl pause >/dev/null
want=$(truth_rows)
wait_rows "$want" 20
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
compare_truth
missed=$(sqlite3 "file:$(ls "$DATA"/[0-9]*.db | head -n1)?mode=ro" \
    "SELECT COUNT(*) FROM ticks WHERE symbol='HK.00700' AND push_type='backfill' AND recv_ts_ms > (SELECT MAX(recv_ts_ms) FROM ticks) - 60000;")
ok "liquid symbol silent ${gap}s re-fetched $n2 ticks; $missed rows stored as backfill in the last minute; nothing missing"
