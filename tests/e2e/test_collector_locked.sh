#!/usr/bin/env bash
# The day file locked by another process for longer than
# SQLITE_BUSY_TIMEOUT_MS, with a tiny queue so rows overflow into the spool:
# the writer backs off (sqlite_busy_backoff) and nothing is lost.
source "$(dirname "$0")/lib.sh"
e2e_init

SYMS=HK.00700,HK.00005
start_sim --symbols $SYMS --rate 300 --seed 13
start_collector FUTU_SYMBOLS=$SYMS SQLITE_BUSY_TIMEOUT_MS=200 \
    PERSIST_RETRY_BACKOFF_SEC=0.2 PERSIST_RETRY_BACKOFF_MAX_SEC=0.5 \
    MAX_QUEUE_SIZE=50
wait_log "persist_ticks" 15
DB=$(ls "$DATA"/[0-9]*.db | head -n1)
# Hold a write lock for 4 seconds from another process.
lock_db "$DB"
sleep 4
unlock_db
wait_log "sqlite_busy_backoff trading_day=[0-9]{8} db_path=$DB batch=[0-9]+ attempt=1 " 5
ok "busy backoff logged"
simctl pause >/dev/null
want=$(truth_rows)
wait_rows "$want" 30
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
grep -q "database is locked" "$T/collector.log" || fail "err text 'database is locked' missing"
compare_truth
[ ! -s "$DATA/_spool/live-$COL_PID.spool" ] || fail "live spool not drained"
grep -Eq "spool_rows=[1-9]" "$T/collector.log" || fail "queue never overflowed into the spool"
ok "queue overflow spooled and drained"
