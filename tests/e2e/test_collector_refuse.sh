#!/usr/bin/env bash
# One symbol refused by OpenD: logged per symbol, the others keep working.
source "$(dirname "$0")/lib.sh"
e2e_init

start_sim --symbols HK.00700,HK.00005,HK.00388 --deny HK.00005 --rate 150 \
    --max-ticks 900 --seed 3
start_collector FUTU_SYMBOLS=HK.00700,HK.00005,HK.00388
wait_log "subscribe_refused symbol=HK.00005 ret=-1" 15
wait_log "subscribe ret=0 msg=none symbols=HK.00700,HK.00388" 5
wait_generated 900
# The denied symbol's ticks never reach any client; compare the others.
want=$(grep -vc "^HK.00005," <(simctl truth >/dev/null; tail -n +2 "$T/truth.csv"))
wait_rows "$want" 30
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
got=$(db_rows)
[ "$got" = "$want" ] || fail "stored $got, want $want"
n5=$(sqlite3 "file:$(ls "$DATA"/[0-9]*.db | head -n1)?mode=ro" "SELECT COUNT(*) FROM ticks WHERE symbol='HK.00005';")
[ "$n5" = 0 ] || fail "refused symbol has rows"
ok "refused symbol logged; $got rows of the others stored"
