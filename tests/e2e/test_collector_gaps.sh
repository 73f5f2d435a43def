#!/usr/bin/env bash
# Hard gaps are recorded in the tick transaction (compat.md §8.1): a pause of
# the market inside a trading session yields exactly the gap rows the
# simulator's ground truth implies, with the contract's meta_json; the
# detector state is rebuilt from the day file at the next start.
# The simulated market runs on a fixed 2026 date: ACCEPT_DAYS_BACK widens
# the collector's trading-day window (rows outside it are quarantined).
source "$(dirname "$0")/lib.sh"
e2e_init

start_sim --symbols HK.00700 --rate 40 --seed 8 --burst-factor 1 \
    --clock-start "2026-03-04 10:00:00" --clock-speed 1
start_collector ACCEPT_DAYS_BACK=36500 FUTU_SYMBOLS=HK.00700 GAP_THRESHOLD_SEC=2 \
    GAP_ACTIVE_MIN_TICKS=5 GAP_ACTIVE_WINDOW_SEC=60
wait_log "futu_connected"
sleep 3
simctl pause >/dev/null
sleep 3.5
simctl resume >/dev/null
sleep 2
simctl pause >/dev/null
want=$(truth_rows)
wait_rows "$want" 20
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
compare_truth

DB="$DATA/20260304.db"
[ -f "$DB" ] || fail "no 20260304.db"
got=$(sqlite3 "file:$DB?mode=ro" "SELECT symbol, gap_start_ts_ms, gap_end_ts_ms, gap_sec, reason FROM gaps ORDER BY gap_start_ts_ms;")
exp=$(sqlite3 :memory: <<SQL
CREATE TABLE t(symbol TEXT, seq INTEGER, time TEXT, ts_ms INTEGER, price REAL, volume INTEGER, turnover REAL, direction TEXT, tick_type TEXT);
.import --csv --skip 1 $T/truth.csv t
WITH x AS (SELECT symbol, ts_ms, LAG(ts_ms) OVER (PARTITION BY symbol ORDER BY ts_ms, seq) AS prev,
                  ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY ts_ms, seq) AS rn FROM t)
SELECT symbol, prev, ts_ms, ROUND((ts_ms - prev) / 1000.0, 3), 'hard_gap' FROM x
 WHERE prev IS NOT NULL AND ts_ms - prev > 2000 AND rn > 4 ORDER BY prev;
SQL
)
[ -n "$exp" ] || fail "the scenario produced no gap in the truth"
[ "$got" = "$exp" ] || fail "gaps differ:
got: $got
exp: $exp"
meta=$(sqlite3 "file:$DB?mode=ro" "SELECT meta_json FROM gaps LIMIT 1;")
grep -Eq '^\{"prev_ts_ms":[0-9]+,"curr_ts_ms":[0-9]+,"gap_threshold_sec":2.0,"active_window_sec":60,"active_min_ticks":5,"active_count":[0-9]+,"session":"09:30-12:00"\}$' <<<"$meta" ||
    fail "meta_json: $meta"
grep -Eq "persist_ticks .* gaps=1 " "$T/collector.log" || fail "persist_ticks gaps=1 not logged"
ok "gaps table matches the truth: $(echo "$exp" | wc -l) gap(s), meta_json as specified"

# Restart: state rebuilt from the day file; no duplicate gap rows.
start_collector ACCEPT_DAYS_BACK=36500 FUTU_SYMBOLS=HK.00700 GAP_THRESHOLD_SEC=2 GAP_ACTIVE_MIN_TICKS=5
wait_log "gap_state_rebuilt trading_day=[0-9]{8} symbols=" 10
stop_collector TERM
[ "$(sqlite3 "file:$DB?mode=ro" "SELECT COUNT(*) FROM gaps;")" = "$(echo "$exp" | wc -l)" ] ||
    fail "gap rows changed after restart"
ok "detector state rebuilt at start"
