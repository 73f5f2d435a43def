#!/usr/bin/env bash
# Persistent stall: the day file stays locked, upstream keeps sending. The
# watchdog tries recovery, then logs WATCHDOG persistent_stall and exits 1
# after spooling every uncommitted row; the next start replays the spool
# and nothing is lost.
source "$(dirname "$0")/lib.sh"
e2e_init

SYMS=HK.00700,HK.00005
start_sim --symbols $SYMS --rate 60 --seed 23
start_collector FUTU_SYMBOLS=$SYMS HEALTH_TICK_SEC=1 WATCHDOG_STALL_SEC=2 \
    WATCHDOG_RECOVERY_MAX_FAILURES=2 WATCHDOG_QUEUE_THRESHOLD_ROWS=10 \
    SQLITE_BUSY_TIMEOUT_MS=100 PERSIST_RETRY_BACKOFF_SEC=0.1 \
    PERSIST_RETRY_BACKOFF_MAX_SEC=0.2
wait_log "persist_ticks" 15
DB=$(ls "$DATA"/[0-9]*.db | head -n1)
lock_db "$DB"
set +e
wait "$COL_PID"
COL_RC=$?
set -e
[ "$COL_RC" = 1 ] || fail "watchdog exit code $COL_RC, want 1"
grep -q "WATCHDOG diagnostic_dump reason=commit_stalled_with_backlog_pre_recovery" "$T/collector.log" || fail "no pre-recovery dump"
grep -q "WATCHDOG recovery_triggered reason=commit_stalled_with_backlog" "$T/collector.log" || fail "no recovery_triggered"
grep -Eq "WATCHDOG recovery_triggered reason=commit_stalled_with_backlog .* ack_ms=[0-9]+$" "$T/collector.log" || fail "recovery not acknowledged"
grep -Eq "persist_recovery_acknowledged generation=1 batch=[0-9]+ queue=" "$T/collector.log" || fail "writer did not acknowledge"
grep -q "WATCHDOG persistent_stall reason=commit_stalled_with_backlog" "$T/collector.log" || fail "no persistent_stall"
grep -q "alert_event code=PERSIST_STALL" "$T/collector.log" || fail "no PERSIST_STALL alert"
grep -Eq "rows_spooled rows=[1-9][0-9]* path=$DATA/_spool/" "$T/collector.log" || fail "rows were not spooled"
grep -q "collector_exit code=1 reason=persistent_stall" "$T/collector.log" || fail "no collector_exit code=1"
ok "persistent stall: diagnostic dump, recovery, exit 1, rows spooled"
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
ls "$DATA"/_spool/*.spool >/dev/null 2>&1 && fail "spool files left behind"
compare_truth
