#!/usr/bin/env bash
# SIGTERM while the day file is locked: the drain cannot finish within
# STOP_FLUSH_TIMEOUT_SEC, so the collector logs collector_stop_timeout,
# spools every uncommitted row and exits 1 well inside the limit + 5 s;
# the next start replays the spool and nothing is lost.
source "$(dirname "$0")/lib.sh"
e2e_init

SYMS=HK.00700,HK.00005
start_sim --symbols $SYMS --rate 100 --seed 29
start_collector FUTU_SYMBOLS=$SYMS STOP_FLUSH_TIMEOUT_SEC=2 \
    SQLITE_BUSY_TIMEOUT_MS=100 PERSIST_RETRY_BACKOFF_SEC=0.1 \
    PERSIST_RETRY_BACKOFF_MAX_SEC=0.2
wait_log "persist_ticks" 15
DB=$(ls "$DATA"/[0-9]*.db | head -n1)
lock_db "$DB"
sleep 1.5
t0=$(date +%s%N)
stop_collector TERM
t1=$(date +%s%N)
took_ms=$(((t1 - t0) / 1000000))
[ "$COL_RC" = 1 ] || fail "exit $COL_RC, want 1"
[ "$took_ms" -lt 7000 ] || fail "stop took ${took_ms} ms (limit 2 s + 5 s)"
grep -q "collector_stop_timeout timeout_sec=2 queue=[0-9]*/200000 cancel_on_timeout=True" "$T/collector.log" ||
    fail "no collector_stop_timeout line"
grep -Eq "rows_spooled rows=[1-9][0-9]* path=$DATA/_spool/" "$T/collector.log" || fail "nothing spooled"
grep -q "collector_exit code=1 reason=stop_timeout" "$T/collector.log" || fail "no collector_exit code=1"
ok "stop timeout: exit 1 after ${took_ms} ms, rows spooled"

# Start again with the file still locked: replaying the spool must not
# block start-up (rows go back into the live spool), the session comes up,
# and a stop still ends within the limit, spooling everything again.
: >"$T/collector.log"
start_collector FUTU_SYMBOLS=$SYMS STOP_FLUSH_TIMEOUT_SEC=2 \
    SQLITE_BUSY_TIMEOUT_MS=100 PERSIST_RETRY_BACKOFF_SEC=0.1 \
    PERSIST_RETRY_BACKOFF_MAX_SEC=0.2
wait_log "spool_replayed rows=[1-9][0-9]* path=$DATA/_spool/.* requeued=" 10
wait_log "futu_connected" 10
t0=$(date +%s%N)
stop_collector TERM
took_ms=$((($(date +%s%N) - t0) / 1000000))
[ "$COL_RC" = 1 ] || fail "second stop: exit $COL_RC, want 1"
[ "$took_ms" -lt 7000 ] || fail "second stop took ${took_ms} ms"
grep -Eq "rows_spooled rows=[1-9][0-9]* path=$DATA/_spool/" "$T/collector.log" || fail "nothing spooled the second time"
ok "locked file at start: not blocked, stop within limit, rows kept"
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
