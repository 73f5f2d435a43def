#!/usr/bin/env bash
# SIGUSR1 dumps state and keeps running; SIGHUP re-reads the env file and
# applies a changed FUTU_SYMBOLS without a restart.
source "$(dirname "$0")/lib.sh"
e2e_init

start_sim --symbols HK.00700,HK.00005,HK.00388 --rate 150 --seed 17 \
    --unsub-min-sec 0
cat >"$T/env" <<EOT
FUTU_SYMBOLS=HK.00700,HK.00005
EOT
start_collector ENV_FILE="$T/env"
wait_log "subscribe ret=0 msg=none symbols=HK.00700,HK.00005"

kill -USR1 "$COL_PID"
wait_log "WARNING hk_tick_collector.futu_client diagnostic_dump reason=sigusr1 " 5
sleep 0.5
kill -0 "$COL_PID" || fail "SIGUSR1 killed the collector"
ok "SIGUSR1: diagnostic_dump, still running"

cat >"$T/env" <<EOT
FUTU_SYMBOLS=HK.00700,HK.00388
EOT
kill -HUP "$COL_PID"
wait_log "symbols_reloaded symbols=2 added=1 removed=1" 5
wait_log "subscribe ret=0 msg=none symbols=HK.00700,HK.00388" 10
wait_log "unsubscribe ret=0 msg=none symbol=HK.00005" 10
wait_log "backfill_stats symbol=HK.00388" 10
sleep 1
kill -0 "$COL_PID" || fail "SIGHUP killed the collector"
n388=$(sqlite3 "file:$(ls "$DATA"/[0-9]*.db | head -n1)?mode=ro" "SELECT COUNT(*) FROM ticks WHERE symbol='HK.00388';")
[ "$n388" -gt 0 ] || fail "new symbol HK.00388 has no rows"
t0=$(sqlite3 "file:$(ls "$DATA"/[0-9]*.db | head -n1)?mode=ro" "SELECT COUNT(*) FROM ticks WHERE symbol='HK.00005' AND push_type='push';")
sleep 2
t1=$(sqlite3 "file:$(ls "$DATA"/[0-9]*.db | head -n1)?mode=ro" "SELECT COUNT(*) FROM ticks WHERE symbol='HK.00005' AND push_type='push';")
[ "$t0" = "$t1" ] || fail "removed symbol HK.00005 still receives pushes ($t0 -> $t1)"
ok "SIGHUP: HK.00388 subscribed and backfilled ($n388 rows), HK.00005 unsubscribed"

# A bad reload keeps the running configuration.
echo "FUTU_SYMBOLS=" >"$T/env"
kill -HUP "$COL_PID"
wait_log "config_reload_failed errors=1" 5
kill -0 "$COL_PID" || fail "bad reload killed the collector"
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
ok "bad reload rejected, collector kept running, exit 0"
