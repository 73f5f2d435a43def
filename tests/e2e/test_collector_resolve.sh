#!/usr/bin/env bash
# FUTU_HOST as a name: resolved off the event loop. An unresolvable name is
# a connection failure like any other (logged, retried with backoff), and
# the daemon still stops at once; "localhost" works.
source "$(dirname "$0")/lib.sh"
e2e_init

PORT=1
start_collector FUTU_SYMBOLS=HK.00700 FUTU_HOST=no-such-host.invalid \
    RECONNECT_MAX_DELAY=1
wait_log 'futu connection error: "cannot resolve host' 15
wait_log "reconnecting in 1s" 5
n=$(grep -c "futu_connecting host=no-such-host.invalid" "$T/collector.log")
for _ in $(seq 1 40); do
    [ "$(grep -c "futu_connecting host=no-such-host.invalid" "$T/collector.log")" -gt "$n" ] && break
    sleep 0.1
done
[ "$(grep -c "futu_connecting host=no-such-host.invalid" "$T/collector.log")" -gt "$n" ] ||
    fail "no retry after a failed lookup"
t0=$(date +%s%N)
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
[ $((($(date +%s%N) - t0) / 1000000)) -lt 3000 ] || fail "stop was slow"
ok "unresolvable FUTU_HOST: logged, retried, clean stop"

: >"$T/collector.log"
start_sim --symbols HK.00700 --rate 50 --max-ticks 100 --seed 6
start_collector FUTU_SYMBOLS=HK.00700 FUTU_HOST=localhost
wait_log "futu_connected host=localhost" 15
wait_rows 100 20
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
compare_truth
ok "FUTU_HOST=localhost"
