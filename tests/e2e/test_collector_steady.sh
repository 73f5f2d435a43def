#!/usr/bin/env bash
# Steady pushes: every generated tick lands exactly once; health lines,
# persist_ticks and the runbook's SQL work on the file; SIGTERM exits 0.
source "$(dirname "$0")/lib.sh"
e2e_init

start_sim --symbols HK.00700,HK.00005,HK.00981,HK.09988 --rate 400 \
    --max-ticks 3000 --seed 7
start_collector FUTU_SYMBOLS=HK.00700,HK.00005,HK.00981,HK.09988
wait_log "futu_connected host=127.0.0.1 port=$PORT"
wait_rows 3000 40
wait_log "health connected=True sid=sid-[0-9a-f]{8} queue=[0-9]+/200000 persisted_rows_per_min=" 10
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "collector exit code $COL_RC, want 0"
ok "SIGTERM exit 0"
compare_truth

grep -q "persist_ticks db_path=$DATA/[0-9]\{8\}.db batch=" "$T/collector.log" ||
    fail "no persist_ticks line"
grep -q "sqlite_pragmas db_path=.* journal_mode=wal synchronous=1 busy_timeout=5000 temp_store=2 wal_autocheckpoint=1000" "$T/collector.log" ||
    fail "sqlite_pragmas line differs"
grep -q "collector_exit code=0 reason=signal rows_pending=0" "$T/collector.log" ||
    fail "no clean collector_exit"
! grep -q "Traceback" "$T/collector.log" || fail "Traceback in log"
ok "log events present"

DB=$(ls "$DATA"/[0-9]*.db | head -n 1)
# The runbook's queries, unchanged (compat.md §10.4).
sqlite3 "file:${DB}?mode=ro" \
    "SELECT ROUND(strftime('%s','now')-MAX(ts_ms)/1000.0,3) AS lag_sec, COUNT(*) AS rows FROM ticks;" >/dev/null
out=$(sqlite3 "file:${DB}?mode=ro" \
    "SELECT symbol, COUNT(*) AS rows, MAX(seq) AS max_seq FROM ticks GROUP BY symbol ORDER BY rows DESC;")
[ "$(echo "$out" | wc -l)" -ge 1 ] || fail "per-symbol query empty"
sqlite3 "file:${DB}?mode=ro" "SELECT datetime(MAX(ts_ms)/1000,'unixepoch') AS ts_utc, datetime(MAX(ts_ms)/1000,'unixepoch','localtime') AS ts_local FROM ticks;" >/dev/null
sqlite3 "file:${DB}?mode=ro" "WITH x AS (SELECT ts_ms, LAG(ts_ms) OVER (ORDER BY ts_ms) AS prev FROM ticks)
SELECT COUNT(*) AS n, datetime(MIN(ts_ms)/1000,'unixepoch') AS min_utc,
       datetime(MAX(ts_ms)/1000,'unixepoch') AS max_utc, MAX((ts_ms - prev)/1000.0) AS max_gap_sec FROM x;" >/dev/null
[ "$(sqlite3 "file:${DB}?mode=ro" "PRAGMA user_version;")" = 4 ] || fail "user_version"
[ "$(sqlite3 "file:${DB}?mode=ro" "SELECT COUNT(*) FROM pragma_index_list('ticks');")" = 4 ] ||
    fail "ticks must have 4 indices"
# Running totals agree with the rows.
tot=$(sqlite3 "file:${DB}?mode=ro" "SELECT SUM(rows) FROM hk_symbol_totals;")
cnt=$(sqlite3 "file:${DB}?mode=ro" "SELECT COUNT(*) FROM ticks;")
[ "$tot" = "$cnt" ] || fail "hk_symbol_totals $tot != rows $cnt"
# inserted_at_ms is the real insert time: never before the receive time.
bad=$(sqlite3 "file:${DB}?mode=ro" "SELECT COUNT(*) FROM ticks WHERE inserted_at_ms < recv_ts_ms;")
[ "$bad" = 0 ] || fail "$bad rows inserted before they were received"
ok "runbook SQL runs; totals and times consistent"
