#!/usr/bin/env bash
# ConnStatus relogin recovery (docs/architecture.md, recovery table): the
# simulator flaps qotLogined false -> true while ticks flow, holding back
# the pushes of the flap (only 50 per symbol are pushed afterwards). With
# the poll fallback off and the GetGlobalState probe out of the way, only
# the relogin backfill (recovery_fetch reason=qot_relogin) can repair the
# rest: every row of the truth must land, on the same session.
source "$(dirname "$0")/lib.sh"
e2e_init

SYMS=HK.00700,HK.00005
start_sim --symbols $SYMS --rate 100 --seed 21 --burst-factor 1
start_collector FUTU_SYMBOLS=$SYMS FUTU_POLL_ENABLED=0 CHECK_INTERVAL_SEC=60 \
    FUTU_POLL_STALE_SEC=30
wait_log "futu_connected"
sleep 2
simctl connstatus-flap 5 >/dev/null
wait_log "opend_conn_status qot_logined=False" 5
wait_log "opend_conn_status qot_logined=True" 15
wait_log "recovery_fetch symbol=all reason=qot_relogin symbols=2" 5
sleep 2
simctl pause >/dev/null
want=$(truth_rows)
wait_rows "$want" 30
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
compare_truth
grep -q "futu_disconnected" "$T/collector.log" && fail "the flap cost a reconnect"
[ "$(grep -c "futu_connected" "$T/collector.log")" = 1 ] || fail "more than one session"
bf=$(grep -c "backfill_stats symbol=" "$T/collector.log")
[ "$bf" -ge 4 ] || fail "expected start-up + relogin backfills of 2 symbols, got $bf"
ok "qotLogined flap repaired by recovery_fetch reason=qot_relogin on one session"
