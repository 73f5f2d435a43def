#!/usr/bin/env bash
# qte-engine backtest from the command line: usage and input errors (exact
# messages and exit codes), --check-config, both example strategies loaded
# by path, the report's JSON (parsed) and HTML (same figures, an SVG
# curve), and identical output for the same inputs run twice.
source "$(dirname "$0")/lib.sh"
e2e_init

QTE="$HK_BIN/qte-engine"
S="$HK_BIN/../strategies"
[ -x "$QTE" ] || fail "qte-engine not built"
mkdir -p "$DATA"
"$HK_BIN/bench-ceiling" "$DATA" 20000 20000 2 >/dev/null 2>&1
DAY=$(basename "$(ls "$DATA"/*.db | head -n1)" .db)

expect() { # expect RC PATTERN CMD... : exit code and a line of stderr
    local want=$1 pat=$2 rc=0
    shift 2
    "$@" >"$T/o" 2>"$T/e" || rc=$?
    [ "$rc" = "$want" ] || fail "$* -> rc $rc, want $want: $(cat "$T/e")"
    grep -qx -- "$pat" "$T/e" || fail "$* -> stderr '$(cat "$T/e")', want '$pat'"
}

expect 2 "qte-engine backtest: unknown option '--bogus'" "$QTE" backtest --bogus
expect 2 "qte-engine backtest: --days needs a value" "$QTE" backtest --days
expect 2 "qte-engine: unknown command 'nope'" "$QTE" nope
expect 1 "qte-engine backtest: $DATA/20240101.db: unable to open database file" \
    "$QTE" backtest --data-root "$DATA" --days 20240101 --symbols HK.00001
expect 1 "qte-engine backtest: days: expected a list like 20240102,20240103" \
    "$QTE" backtest --data-root "$DATA" --days 2024 --symbols HK.00001
expect 1 "qte-engine backtest: strategy /nonexistent.so: /nonexistent.so: cannot open shared object file: No such file or directory" \
    "$QTE" backtest --data-root "$DATA" --days "$DAY" --symbols HK.00001 \
    --strategy /nonexistent.so
expect 1 "qte-engine backtest: strategy ma_cross: init refused the parameters" \
    "$QTE" backtest --data-root "$DATA" --days "$DAY" --symbols HK.00001 \
    --strategy "$S/ma_cross.so" --param fast=10 --param slow=5
rc=0
QTE_MODE=nope "$QTE" backtest --check-config >/dev/null 2>"$T/e" || rc=$?
[ "$rc" = 78 ] || fail "QTE_MODE=nope exit $rc, want 78"
grep -q 'config_error var=QTE_MODE value=nope' "$T/e" || fail "no config_error"
QTE_FEE_STAMP_RATE=0.0013 "$QTE" backtest --check-config >"$T/cc"
grep -q '^QTE_FEE_STAMP_RATE=0.0013 ' "$T/cc" || fail "check-config: $(head -3 "$T/cc")"
grep -q '^QTE_HTTP_PORT=8080 ' "$T/cc" || fail "check-config lacks QTE_HTTP_PORT"

for strat in ma_cross vwap_revert; do
    for k in 1 2; do
        "$QTE" backtest --data-root "$DATA" --days "$DAY" \
            --symbols HK.00001,HK.00002 --strategy "$S/$strat.so" \
            --param lots=1 --report-dir "$T/$strat$k" >"$T/$strat$k.out" ||
            fail "$strat run $k"
    done
    cmp "$T/${strat}1/report.json" "$T/${strat}2/report.json" ||
        fail "$strat: two runs, different report.json"
    diff <(grep -v '^report ' "$T/${strat}1.out") \
        <(grep -v '^report ' "$T/${strat}2.out") || fail "$strat: outputs differ"
    grep -q "^result trades=[1-9]" "$T/${strat}1.out" || fail "$strat made no trades"
    python3 - "$T/${strat}1" <<'PY' || fail "$strat report check"
import json, re, sys
d = sys.argv[1]
r = json.load(open(d + "/report.json"))
for k in ("run_id", "inputs", "initial_cash", "final_equity", "total_return",
          "sharpe", "max_drawdown", "trades", "win_rate", "turnover", "fees",
          "positions", "equity_curve"):
    assert k in r, k
assert r["inputs"]["symbols"] == ["HK.00001", "HK.00002"]
html = open(d + "/report.html").read()
for k in ("final_equity", "fees", "trades", "turnover"):
    m = re.search(r'id="%s">([^<]*)<' % k, html)
    assert m, k
    v = m.group(1)
    assert v == json.dumps(r[k]) or float(v) == float(r[k]), (k, v, r[k])
assert "<polyline" in html and "<svg" in html
PY
done

# The day cache (--cache-dir / QTE_CACHE_DIR): the first run writes it, the
# second reads it, a changed day file makes it stale; every run's report,
# orders and fills are byte-identical to the run without it.
grep -q '^QTE_CACHE_DIR= ' <("$QTE" backtest --check-config) ||
    fail "check-config lacks QTE_CACHE_DIR"
grep -q -- '--cache-dir DIR' <("$QTE" backtest --help) ||
    fail "--help lacks --cache-dir"
dump() { sqlite3 "$1/qte.db" "SELECT * FROM orders ORDER BY id; SELECT * FROM trades ORDER BY id; SELECT * FROM positions ORDER BY symbol;"; }
for k in 1 2 3; do
    "$QTE" backtest --data-root "$DATA" --days "$DAY" \
        --symbols HK.00001,HK.00002 --strategy "$S/ma_cross.so" \
        --param lots=1 --cache-dir "$T/cache" --report-dir "$T/cached$k" \
        >"$T/cached$k.out" 2>"$T/cached$k.err" || fail "cached run $k"
    cmp "$T/ma_cross1/report.json" "$T/cached$k/report.json" ||
        fail "cached run $k: report.json differs from the run without cache"
    diff <(dump "$T/ma_cross1") <(dump "$T/cached$k") >/dev/null ||
        fail "cached run $k: orders or fills differ"
    diff <(grep -v '^report ' "$T/ma_cross1.out") \
        <(grep -v '^report ' "$T/cached$k.out") || fail "cached run $k: output"
    if [ "$k" = 2 ]; then
        # Read from the cache: nothing logged. Then the day file changes.
        [ ! -s "$T/cached2.err" ] || fail "cache hit logged: $(cat "$T/cached2.err")"
        touch -d '2020-01-01' "$DATA/$DAY.db"
    else
        grep -q " INFO qte_engine daycache_written path=$T/cache/$DAY\.[0-9a-f]\{16\}\.qtc rows=[1-9][0-9]* bytes=[1-9]" \
            "$T/cached$k.err" || fail "run $k: no daycache_written: $(cat "$T/cached$k.err")"
    fi
done
grep -q " INFO qte_engine daycache_stale path=$T/cache/$DAY\..*qtc reason=\"the day file changed since the cache was built\"" \
    "$T/cached3.err" || fail "no daycache_stale: $(cat "$T/cached3.err")"
[ "$(ls "$T/cache")" = "$(basename "$(ls "$T/cache"/*.qtc)")" ] ||
    fail "cache dir holds more than one file: $(ls "$T/cache")"
ok "qte-engine backtest CLI: errors, check-config, examples, report, day cache"
