#!/usr/bin/env bash
# Withheld pushes for one symbol (a backend gap): the poll fallback fetches
# the ticks OpenD still holds, and the push gap is re-fetched when pushes
# resume, so nothing is missing.
source "$(dirname "$0")/lib.sh"
e2e_init

SYMS=HK.00700,HK.00005
start_sim --symbols $SYMS --rate 100 --seed 5
start_collector FUTU_SYMBOLS=$SYMS FUTU_POLL_TRADING_ONLY=0 \
    FUTU_POLL_INTERVAL_SEC=1 FUTU_POLL_STALE_SEC=2
wait_log "futu_connected"
simctl withhold HK.00700 6 >/dev/null
sleep 7
wait_log "health connected=True .* poll_enqueued=[1-9]" 10
polled=$(sqlite3 "file:$(ls "$DATA"/[0-9]*.db | head -n1)?mode=ro" \
    "SELECT COUNT(*) FROM ticks WHERE symbol='HK.00700' AND push_type='poll';")
[ "$polled" -gt 0 ] || fail "no rows stored as poll"
ok "$polled withheld ticks repaired by the poll fallback"
# Pushes resumed after more than FUTU_POLL_STALE_SEC of silence: the
# symbol's recent ticks are re-fetched (recovery table: push gap).
wait_log "recovery_fetch symbol=HK.00700 reason=push_gap gap_sec=[0-9.]+" 10
ok "push gap: recovery_fetch reason=push_gap for the withheld symbol"
# ~300 ticks withheld, polls of 100: a full poll window that starts above
# the durable max seq asks for the deep re-fetch too.
wait_log "recovery_fetch symbol=HK.00700 reason=poll_window_short" 5
ok "short poll window: recovery_fetch reason=poll_window_short"
simctl pause >/dev/null
want=$(truth_rows)
wait_rows "$want" 20
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
compare_truth
