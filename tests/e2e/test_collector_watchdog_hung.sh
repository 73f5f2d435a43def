#!/usr/bin/env bash
# WATCHDOG_RECOVERY_JOIN_TIMEOUT_SEC: a writer stuck inside SQLite where the
# interrupt cannot reach it (its busy handler sleeping out a 120 s
# busy_timeout on a locked day file) does not acknowledge the recovery
# within the timeout: each attempt is logged recovery_failed
# acknowledged=False, and at WATCHDOG_RECOVERY_MAX_FAILURES the exit path
# spools every uncommitted row and exits 1; the next start loses nothing.
# (The acknowledged path: test_collector_watchdog.sh and the writer unit
# test with a query stuck inside SQLite.)
source "$(dirname "$0")/lib.sh"
e2e_init

SYMS=HK.00700,HK.00005
start_sim --symbols $SYMS --rate 60 --seed 29
start_collector FUTU_SYMBOLS=$SYMS HEALTH_TICK_SEC=1 WATCHDOG_STALL_SEC=2 \
    WATCHDOG_RECOVERY_MAX_FAILURES=2 WATCHDOG_QUEUE_THRESHOLD_ROWS=10 \
    WATCHDOG_RECOVERY_JOIN_TIMEOUT_SEC=0.5 SQLITE_BUSY_TIMEOUT_MS=120000 \
    STOP_FLUSH_TIMEOUT_SEC=2
wait_log "persist_ticks" 15
DB=$(ls "$DATA"/[0-9]*.db | head -n1)
# lib.sh's lock_db, with a busy timeout for the locker itself: under load
# its BEGIN IMMEDIATE can meet the collector's own write transaction.
rm -f "$T/lockfifo"
mkfifo "$T/lockfifo"
sqlite3 "$DB" <"$T/lockfifo" >"$T/locker.out" 2>&1 &
LOCKER=$!
E2E_PIDS+=("$LOCKER")
exec 7>"$T/lockfifo"
printf '.timeout 20000\nBEGIN IMMEDIATE;\nSELECT 1;\n' >&7
t0=$SECONDS
while kill -0 "$COL_PID" 2>/dev/null && [ $((SECONDS - t0)) -lt 90 ]; do
    sleep 0.2
done
kill -0 "$COL_PID" 2>/dev/null && fail "collector still running after 90 s"
set +e
wait "$COL_PID"
COL_RC=$?
set -e
[ "$COL_RC" = 1 ] || fail "watchdog exit code $COL_RC, want 1"
n=$(grep -c "WATCHDOG recovery_failed reason=commit_stalled_with_backlog .* acknowledged=False join_timeout_sec=0.5" "$T/collector.log")
[ "$n" = 2 ] || fail "$n unacknowledged recovery_failed lines, want 2"
grep -q "WATCHDOG recovery_triggered" "$T/collector.log" && fail "a stuck writer acknowledged"
grep -q "persist_recovery_acknowledged" "$T/collector.log" && fail "a stuck writer acknowledged"
grep -q "WATCHDOG persistent_stall reason=commit_stalled_with_backlog .* recovery_failures=2" "$T/collector.log" || fail "no persistent_stall"
grep -Eq "rows_spooled rows=[1-9][0-9]* path=$DATA/_spool/" "$T/collector.log" || fail "rows were not spooled"
grep -Eq "collector_exit code=1 reason=writer_hung rows_pending=[1-9]" "$T/collector.log" || fail "no collector_exit code=1 reason=writer_hung"
ok "unacknowledged recovery: 2 x recovery_failed acknowledged=False, exit 1, rows spooled"
unlock_db

start_collector FUTU_SYMBOLS=$SYMS
wait_log "spool_replayed rows=[1-9][0-9]* path=$DATA/_spool/" 15
wait_log "futu_connected" 10
sleep 1
simctl pause >/dev/null
want=$(truth_rows)
wait_rows "$want" 20
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
compare_truth
