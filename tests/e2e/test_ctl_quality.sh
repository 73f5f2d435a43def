#!/usr/bin/env bash
# hk-tickctl validate + quality report (compat.md §8.2, §8.3) on day files
# crafted with the sqlite3 CLI (compat DDL, rows via recursive CTEs): grades
# A-D with the exact suggestion texts, soft-stall recomputation (active /
# same-session rules), lists capped at 20, key order, the validate block
# written into the report, PASS/WARN/FAIL reasons and exit codes.
# ctest-cost: 30
source "$(dirname "$0")/lib.sh"
e2e_init
export ENV_FILE=/nonexistent/env
unset DATA_ROOT || true
mkdir -p "$DATA"

jget() { sqlite3 :memory: "SELECT json_extract(readfile('$1'), '$2');"; }

DDL="CREATE TABLE ticks (
  market TEXT NOT NULL, symbol TEXT NOT NULL, ts_ms INTEGER NOT NULL,
  price REAL, volume INTEGER, turnover REAL, direction TEXT, seq INTEGER,
  tick_type TEXT, push_type TEXT, provider TEXT, trading_day TEXT NOT NULL,
  recv_ts_ms INTEGER NOT NULL, inserted_at_ms INTEGER NOT NULL);
CREATE INDEX idx_ticks_symbol_day_ts ON ticks(symbol, trading_day, ts_ms);
CREATE INDEX idx_ticks_symbol_seq ON ticks(symbol, seq);
CREATE UNIQUE INDEX uniq_ticks_symbol_seq ON ticks(symbol, seq) WHERE seq IS NOT NULL;
CREATE UNIQUE INDEX uniq_ticks_symbol_ts_price_vol_turnover
  ON ticks(symbol, ts_ms, price, volume, turnover) WHERE seq IS NULL;
CREATE TABLE IF NOT EXISTS gaps (
  trading_day TEXT NOT NULL, symbol TEXT NOT NULL,
  gap_start_ts_ms INTEGER NOT NULL, gap_end_ts_ms INTEGER NOT NULL,
  gap_sec REAL NOT NULL, detected_at_ms INTEGER NOT NULL, reason TEXT NOT NULL,
  meta_json TEXT NOT NULL, PRIMARY KEY (symbol, gap_start_ts_ms, gap_end_ts_ms));
CREATE INDEX IF NOT EXISTS idx_gaps_day_symbol ON gaps(trading_day, symbol);
CREATE TABLE IF NOT EXISTS daily_quality (trading_day TEXT PRIMARY KEY,
  created_at_ms INTEGER NOT NULL, host TEXT, symbols_json TEXT NOT NULL,
  summary_json TEXT NOT NULL);"

mkday() { sqlite3 "$DATA/$1.db" "$DDL"; } # mkday DAY

# ms DAY HH:MM:SS : UTC epoch ms of that HK wall time.
ms() {
    sqlite3 :memory: "SELECT (strftime('%s', substr('$1',1,4)||'-'||substr('$1',5,2)||'-'||substr('$1',7,2)||' $2') - 8*3600) * 1000;"
}

# series DAY SYMBOL HH:MM:SS COUNT [STEP_MS] : COUNT ticks every STEP_MS.
series() {
    local day=$1 sym=$2 t0 n=$4 step=${5:-1000}
    t0=$(ms "$day" "$3")
    sqlite3 "$DATA/$day.db" "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $n - 1)
      INSERT INTO ticks SELECT 'HK', '$sym', $t0 + i * $step, 10.5, 100, 1050.0, 'BUY',
        $t0 + i * $step, 'AUTO_MATCH', 'push', 'futu', '$day', $t0 + i * $step, $t0 + i * $step FROM n;"
}

# gap DAY SYMBOL HH:MM:SS SEC : one hard-gap row.
gap() {
    local s
    s=$(ms "$1" "$3")
    sqlite3 "$DATA/$1.db" "INSERT INTO gaps VALUES ('$1', '$2', $s, $s + CAST($4 * 1000 AS INTEGER), $4, $s, 'hard_gap', '{\"session\":\"09:30-12:00\"}');"
}

report() { # report DAY : regenerate and return the report path
    "$CTL" --data-root "$DATA" --day "$1" validate --regen-report 1 >/dev/null || true
    echo "$DATA/_reports/quality/$1.json"
}

# --- A: continuous, 26 symbols (list cap), no gaps, no stalls ------------
D=20260302 # a Monday
mkday $D
series $D HK.00001 10:00:00 100
for i in $(seq 2 26); do series $D "HK.$(printf %05d "$i")" 10:00:00 1; done
R=$(report $D)
[ "$(jget "$R" '$.conclusion.quality_grade')" = A ] || fail "grade A"
[ "$(jget "$R" '$.conclusion.suggestions[0]')" = "資料連續性良好，可進入下游分析流程" ] || fail "A text"
[ "$(jget "$R" '$.volume.total_rows')" = 125 ] || fail "total_rows"
[ "$(jget "$R" '$.volume.rows_per_symbol[0].symbol')" = HK.00001 ] || fail "rows_per_symbol order"
[ "$(sqlite3 :memory: "SELECT json_array_length(readfile('$R'), '$.volume.rows_per_symbol');")" = 20 ] ||
    fail "rows_per_symbol not capped at 20"
[ "$(jget "$R" '$.trading_day')" = 2026-03-02 ] || fail "trading_day"
[ "$(jget "$R" '$.trading_day_compact')" = $D ] || fail "trading_day_compact"
[ "$(jget "$R" '$.coverage.start_hkt')" = "2026-03-02 10:00:00" ] || fail "start_hkt"
[ "$(jget "$R" '$.coverage.end_hkt')" = "2026-03-02 10:01:39" ] || fail "end_hkt"
[ "$(jget "$R" '$.coverage.duration_sec')" = 99.0 ] || fail "duration_sec"
[ "$(jget "$R" '$.observations.soft_stalls_total')" = 0 ] || fail "no stalls"
keys=$(sqlite3 :memory: "SELECT group_concat(key, ',') FROM json_each(readfile('$R'));")
[ "$keys" = "trading_day,trading_day_compact,generated_at_utc,generated_at_hkt,host,collector_version,db,coverage,volume,gaps,observations,conclusion,validate" ] ||
    fail "report keys: $keys"
grep -q '^  "trading_day"' "$R" || fail "2-space indent"
grep -q '資料連續性良好' "$R" || fail "UTF-8 text must not be escaped"
ok "grade A report: keys, order, cap 20, coverage"

# --- soft stalls: 3 x 45 s while active (B); inactive / lunch not counted --
D=20260303
mkday $D
series $D HK.00001 10:00:00 100   # ends 10:01:39
series $D HK.00001 10:02:24 100   # +45 s -> ends 10:04:03
series $D HK.00001 10:04:48 100   # +45 s -> ends 10:06:27
series $D HK.00001 10:07:12 100   # +45 s
series $D HK.00002 10:00:00 10    # only 10 ticks: never active
series $D HK.00002 10:01:09 10    # +60 s, inactive -> no stall
series $D HK.00003 11:59:00 60    # active before lunch
series $D HK.00003 13:00:00 60    # different session -> no stall
R=$(report $D)
[ "$(jget "$R" '$.observations.soft_stalls_total')" = 3 ] || fail "stalls: $(jget "$R" '$.observations')"
[ "$(jget "$R" '$.observations.soft_stalls_total_sec')" = 135.0 ] || fail "stall sec"
[ "$(jget "$R" '$.observations.largest_stall_sec')" = 45.0 ] || fail "largest stall"
[ "$(jget "$R" '$.observations.soft_stalls[0].symbol')" = HK.00001 ] || fail "stall symbol"
[ "$(jget "$R" '$.observations.soft_stalls[0].stall_start_hkt')" = "2026-03-03 10:01:39" ] || fail "stall start"
[ "$(jget "$R" '$.observations.soft_stalls[0].stall_end_hkt')" = "2026-03-03 10:02:24" ] || fail "stall end"
[ "$(jget "$R" '$.conclusion.quality_grade')" = B ] || fail "stalls > 120 s -> B"
[ "$(jget "$R" '$.conclusion.suggestions[0]')" = "有短暫停滯/缺口，回測前請先抽查主要 symbol" ] || fail "B text"
GAP_STALL_WARN_SEC=50 "$CTL" --data-root "$DATA" --day $D validate --regen-report 1 >/dev/null
[ "$(jget "$R" '$.observations.soft_stalls_total')" = 0 ] || fail "GAP_STALL_WARN_SEC=50"
GAP_ACTIVE_MIN_TICKS=1000 "$CTL" --data-root "$DATA" --day $D validate --regen-report 1 >/dev/null
[ "$(jget "$R" '$.observations.soft_stalls_total')" = 0 ] || fail "GAP_ACTIVE_MIN_TICKS=1000"
# 11 ticks in a 10 s window: +1 < 50 -> not active.
GAP_ACTIVE_WINDOW_SEC=10 "$CTL" --data-root "$DATA" --day $D validate --regen-report 1 >/dev/null
[ "$(jget "$R" '$.observations.soft_stalls_total')" = 0 ] || fail "GAP_ACTIVE_WINDOW_SEC=10"
GAP_ACTIVE_WINDOW_SEC=10 GAP_ACTIVE_MIN_TICKS=12 "$CTL" --data-root "$DATA" --day $D validate --regen-report 1 >/dev/null
[ "$(jget "$R" '$.observations.soft_stalls_total')" = 3 ] || fail "window 10 s, min 12"
TRADING_SESSIONS=09:30-16:00 "$CTL" --data-root "$DATA" --day $D validate --regen-report 1 >/dev/null
[ "$(jget "$R" '$.observations.soft_stalls_total')" = 4 ] || fail "one long session: lunch counts"
ok "soft stalls: active, same-session, thresholds from env; grade B"

# --- hard gaps: B, C, D (largest), D (total) ---------------------------------
check_grade() { # DAY GRADE TEXT
    local r
    r=$(report "$1")
    [ "$(jget "$r" '$.conclusion.quality_grade')" = "$2" ] || fail "$1: grade $(jget "$r" '$.conclusion.quality_grade') want $2"
    [ "$(jget "$r" '$.conclusion.suggestions[0]')" = "$3" ] || fail "$1: text"
}
for D in 20260304 20260305 20260306 20260309 20260310; do
    mkday $D
    series $D HK.00001 10:00:00 100
done
gap 20260304 HK.00001 10:30:00 15
gap 20260305 HK.00001 10:30:00 70.5
gap 20260306 HK.00001 10:30:00 130
for i in 0 1 2 3 4 5 6 7; do gap 20260309 HK.00001 "10:3$i:00" 115; done   # 920 s total
for i in 0 1 2 3; do gap 20260310 HK.00001 "10:3$i:00" 80; done   # 320 s, largest 80
check_grade 20260304 B "有短暫停滯/缺口，回測前請先抽查主要 symbol"
check_grade 20260305 C "存在 >60 秒缺口，建議執行回補或重拉指定 symbol"
check_grade 20260306 D "存在嚴重缺口，建議盤後回補並重新驗證"
check_grade 20260309 D "存在嚴重缺口，建議盤後回補並重新驗證"
check_grade 20260310 C "存在 >60 秒缺口，建議執行回補或重拉指定 symbol"
R=$DATA/_reports/quality/20260309.json
[ "$(jget "$R" '$.gaps.hard_gaps_total')" = 8 ] || fail "hard_gaps_total"
[ "$(jget "$R" '$.gaps.hard_gaps_total_sec')" = 920.0 ] || fail "hard_gaps_total_sec"
[ "$(jget "$R" '$.gaps.largest_gap_sec')" = 115.0 ] || fail "largest_gap_sec"
[ "$(jget "$R" '$.gaps.gaps_by_symbol[0].gaps')" = 8 ] || fail "gaps_by_symbol"
ok "hard-gap grades B, C, D (largest), D (total), C (total)"

# --- validate verdicts ------------------------------------------------------
v() { # v EXPECTED_RC ARGS... : run validate, check rc, output in $out
    local want=$1 rc
    shift
    set +e
    out=$("$CTL" --data-root "$DATA" validate "$@")
    rc=$?
    set -e
    [ "$rc" = "$want" ] || fail "validate $*: rc=$rc want $want: $out"
}
v 0 --day 20260302
[ "$out" = "VALIDATE PASS day=20260302
db=$DATA/20260302.db
report=$DATA/_reports/quality/20260302.json
next=scripts/hk-tickctl export report --day 20260302 --out quality_20260302.json" ] || fail "PASS output: $out"
R=$DATA/_reports/quality/20260302.json
[ "$(jget "$R" '$.validate.status')" = PASS ] || fail "validate block"
[ "$(jget "$R" '$.validate.strict')" = 0 ] || fail "validate.strict"
[ "$(jget "$R" '$.validate.details.largest_gap_sec')" = 0.0 ] || fail "validate.details"

D=20260311
mkday $D
v 2 --day $D
[ "$out" = "VALIDATE FAIL day=$D
db=$DATA/$D.db
report=$DATA/_reports/quality/$D.json
reason=ticks_count_is_zero
reason=ticks_max_ts_missing
next=scripts/hk-tickctl status --day $D" ] || fail "empty DB output: $out"
R=$DATA/_reports/quality/$D.json
[ "$(jget "$R" '$.conclusion.quality_grade')" = D ] || fail "empty -> D"
[ "$(jget "$R" '$.conclusion.suggestions[0]')" = "ticks 為 0，請先確認採集服務與交易時段" ] || fail "D0 text"
[ "$(jget "$R" '$.validate.status')" = FAIL ] || fail "validate block FAIL"

v 2 --day 20260101
grep -qx "reason=db_not_found:$DATA/20260101.db" <<<"$out" || fail "missing db: $out"
[ ! -e "$DATA/_reports/quality/20260101.json" ] || fail "no report for a missing db"

MAXTS=$(sqlite3 "$DATA/20260302.db" "SELECT MAX(ts_ms) FROM ticks;")
HK_TICKCTL_NOW_MS=$((MAXTS - 400000)) v 2 --day 20260302
grep -qx "reason=ticks_max_ts_too_far_in_future" <<<"$out" || fail "future FAIL: $out"
HK_TICKCTL_NOW_MS=$((MAXTS - 100000)) v 0 --day 20260302
grep -qx "VALIDATE WARN day=20260302" <<<"$out" || fail "WARN header: $out"
grep -qx "warning=ticks_max_ts_slightly_in_future" <<<"$out" || fail "slightly future: $out"

v 0 --day 20260304 --strict 1
grep -qx "warning=strict_mode_gap_observed" <<<"$out" || fail "strict warn: $out"
v 2 --day 20260305 --strict 1
grep -qx "reason=strict_mode_gap_threshold_exceeded" <<<"$out" || fail "strict fail: $out"
v 0 --day 20260305
grep -qx "VALIDATE PASS day=20260305" <<<"$out" || fail "non-strict gaps pass"

D=20260312
sqlite3 "$DATA/$D.db" "$(echo "$DDL" | sed -n '1,/^CREATE TABLE IF NOT EXISTS gaps/p' | sed '$d')"
series $D HK.00001 10:00:00 10
v 0 --day $D
grep -qx "warning=gaps_table_missing" <<<"$out" || fail "gaps missing warn: $out"
R=$DATA/_reports/quality/$D.json
[ "$(jget "$R" '$.observations.warnings[0]')" = gaps_table_missing ] || fail "report warning"

# Existing report kept without --regen-report, rebuilt with it.
R=$DATA/_reports/quality/20260302.json
sqlite3 :memory: "SELECT writefile('$R.new', json_set(readfile('$R'), '$.marker', 1));" >/dev/null
mv "$R.new" "$R"
v 0 --day 20260302
[ "$(jget "$R" '$.marker')" = 1 ] || fail "report regenerated without --regen-report"
v 0 --day 20260302 --regen-report 1
[ -z "$(jget "$R" '$.marker')" ] || fail "--regen-report 1 did not regenerate"
"$CTL" --data-root "$DATA" validate --day 20260305 --strict 1 --json >"$T/v.json" || true
[ "$(jget "$T/v.json" '$.status')" = FAIL ] || fail "json status"
[ "$(jget "$T/v.json" '$.reasons[0]')" = strict_mode_gap_threshold_exceeded ] || fail "json reasons"
set +e
"$CTL" validate --strict 2 >/dev/null 2>&1; rc=$?
set -e
[ $rc = 2 ] || fail "bad --strict rc=$rc"
ok "validate PASS/WARN/FAIL lines, reasons, exit codes, report block, --json"
