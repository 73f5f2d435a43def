#!/usr/bin/env bash
# Upstream faults during one run: duplicate pushes, a connection closed by
# OpenD, bad SHA1 and oversized frames, and OpenD going silent with the
# socket open. After each the collector reconnects, backfills, and in the
# end every generated tick is stored exactly once.
source "$(dirname "$0")/lib.sh"
e2e_init

SYMS=HK.00700,HK.00005,HK.00388
start_sim --symbols $SYMS --rate 200 --keepalive-sec 1 --seed 11
start_collector FUTU_SYMBOLS=$SYMS FUTU_LIVENESS_TIMEOUT_SEC=3 \
    RECONNECT_MIN_DELAY=1 RECONNECT_MAX_DELAY=2
wait_log "futu_connected"

simctl dup on >/dev/null
sleep 1.5
simctl dup off >/dev/null
grep -q "ignored=[1-9]" "$T/collector.log" || fail "duplicates were not seen as ignored"
ok "duplicate pushes ignored by the database"

n0=$(grep -c "futu_connected" "$T/collector.log")
simctl close all >/dev/null
wait_log "futu_disconnected reason=context_closed" 10
for _ in $(seq 1 100); do
    [ "$(grep -c futu_connected "$T/collector.log")" -gt "$n0" ] && break
    sleep 0.1
done
[ "$(grep -c futu_connected "$T/collector.log")" -gt "$n0" ] || fail "no reconnect after close"
ok "reconnected after OpenD closed the connection"

n0=$(grep -c "futu_connected" "$T/collector.log")
simctl badsha1 >/dev/null
wait_log "futu_disconnected reason=bad_frame msg=\"body SHA1 mismatch\"" 10
wait_log "reconnecting in" 5
for _ in $(seq 1 100); do
    [ "$(grep -c futu_connected "$T/collector.log")" -gt "$n0" ] && break
    sleep 0.1
done
ok "bad SHA1 closes and reconnects"

n0=$(grep -c "futu_connected" "$T/collector.log")
simctl oversize >/dev/null
wait_log "msg=\"body length over limit\"" 10
for _ in $(seq 1 100); do
    [ "$(grep -c futu_connected "$T/collector.log")" -gt "$n0" ] && break
    sleep 0.1
done
[ "$(grep -c futu_connected "$T/collector.log")" -gt "$n0" ] || fail "no reconnect after oversize"
ok "oversized body closes and reconnects"

n0=$(grep -c "futu_connected" "$T/collector.log")
simctl silent on >/dev/null
wait_log "futu_disconnected reason=liveness_timeout" 15
simctl silent off >/dev/null
for _ in $(seq 1 150); do
    [ "$(grep -c futu_connected "$T/collector.log")" -gt "$n0" ] && break
    sleep 0.1
done
[ "$(grep -c futu_connected "$T/collector.log")" -gt "$n0" ] || fail "no reconnect after silence"
ok "silent OpenD detected by the liveness timeout and replaced"

# Stop generating, let backfill/poll settle, compare.
simctl pause >/dev/null
want=$(truth_rows)
wait_rows "$want" 30
sleep 1
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
compare_truth
