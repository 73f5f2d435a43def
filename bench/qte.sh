#!/usr/bin/env bash
# bench/qte.sh - qte-engine replay throughput on a 10-million-row day
# (issue 11): the read ceiling, then the engine with the null strategy and
# with each example strategy, on the same file, in one run.
#
# The day file comes from bench/lib_day.sh (as for bench/ctl_status.sh: the
# compat DDL, ROWS rows over SYMBOLS symbols over 6.5 h of one HK trading
# day, totals filled). Every measurement runs RUNS times (default
# 3) and prints its median as one line:
#   bench qte_<name> rows=<n> wall_s=<t> rows_per_sec=<r> cpu_s=<c>
#         rows_per_cpu_sec=<r> peak_rss_mib=<m> [trades=<n>]
# wall = elapsed time of the whole process (start-up included), cpu = user
# + system time, peak RSS = the process's max resident set (GNU time %M).
# The ceiling lines come from bench-qte_ceiling (simple: one SQLite
# statement per symbol; reader: the engine's own block reader alone;
# cache: the columnar day cache's reader alone).
#
# Then the day cache (QTE_CACHE_DIR, docs/engine.md "Day cache"): one run
# that replays from SQLite and writes the cache (engine_null_cache_build),
# the cache's size, the cache read ceiling, and the null and ma_cross runs
# reading the cache.
#
# Usage: bash bench/qte.sh [BIN_DIR]   (env: ROWS, SYMBOLS, RUNS,
#        SIMPLE_RUNS, VWAP_RUNS, KEEP=1, QTE_BENCH_DIR=DIR to reuse a day file built
#        earlier, SKIP_SIMPLE=1, SKIP_SQLITE=1 for the cache lines only)
set -euo pipefail
source "$(dirname "$0")/lib_day.sh"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/build/bin}
STRAT=$BIN/../strategies
ROWS=${ROWS:-10000000}
SYMBOLS=${SYMBOLS:-500}
RUNS=${RUNS:-3}
DAY=20260302
W=${QTE_BENCH_DIR:-$(mktemp -d /tmp/hk-bench-qte.XXXXXX)}
[ "${KEEP:-0}" = 1 ] || [ -n "${QTE_BENCH_DIR:-}" ] || trap 'rm -rf "$W"' EXIT
mkdir -p "$W/data"
DB=$W/data/$DAY.db
for t in sqlite3 /usr/bin/time; do
    command -v "$t" >/dev/null || { echo "bench skipped: $t missing"; exit 0; }
done
[ -x "$BIN/qte-engine" ] || { echo "bench skipped: build first"; exit 0; }

if [ ! -s "$DB" ]; then
    T0=$(date +%s%N)
    bench_day_file "$DB" "$DAY" "$ROWS" "$SYMBOLS"
    T1=$(date +%s%N)
    echo "bench qte_build_day_file rows=$ROWS symbols=$SYMBOLS bytes=$(stat -c %s "$DB") ms=$(((T1 - T0) / 1000000))"
fi
SYMS=$(sqlite3 "file:$DB?mode=ro" "SELECT group_concat(symbol) FROM (SELECT symbol FROM hk_symbol_totals ORDER BY symbol);")

# measure NAME CMD... : RUNS runs; the median run's figures as one line.
measure() {
    local name=$1
    shift
    local i
    local runs=${MEASURE_RUNS:-$RUNS}
    for i in $(seq 1 "$runs"); do
        rm -f "$W"/store.db*
        /usr/bin/time -f "TIME %e %U %S %M" "$@" >"$W/out" 2>"$W/err" ||
            { echo "bench $name failed:"; cat "$W/err"; return 1; }
        local t trades rows
        t=$(grep '^TIME ' "$W/err" | tail -n1)
        trades=$(grep -o 'trades=[0-9]*' "$W/out" | head -n1 | cut -d= -f2 || true)
        rows=$(grep -o ' rows=[0-9]*' "$W/out" | head -n1 | cut -d= -f2 || true)
        [ -n "$rows" ] || rows=$(grep -o 'ticks=[0-9]*' "$W/out" | head -n1 | cut -d= -f2 || true)
        echo "$t ${rows:-0} ${trades:-}"
    done | sort -k2 -n | awk -v n="$name" -v r="$RUNS" '
        { w[NR]=$2; c[NR]=$3+$4; m[NR]=$5; rows[NR]=$6; tr[NR]=$7 }
        END { if (NR == 0) { printf "bench qte_%s failed\n", n; exit 1 }
              k=int((NR+1)/2); r=NR;
              printf "bench qte_%s rows=%d wall_s=%.2f rows_per_sec=%.0f cpu_s=%.2f rows_per_cpu_sec=%.0f peak_rss_mib=%.1f runs=%d%s\n",
                n, rows[k], w[k], rows[k]/w[k], c[k], rows[k]/c[k], m[k]/1024, r,
                (tr[k] != "" ? " trades=" tr[k] : "") }'
}

uptime | sed 's/^/bench qte_load /'
# The simple reader re-reads table pages once per symbol: minutes on a
# busy machine, so it runs SIMPLE_RUNS times (default 1).
[ "${SKIP_SIMPLE:-0}" = 1 ] ||
    MEASURE_RUNS=${SIMPLE_RUNS:-1} measure ceiling_simple \
    "$BIN/bench-qte_ceiling" "$W/data" "$DAY" "$SYMS" simple
BT=("$BIN/qte-engine" backtest --data-root "$W/data" --days "$DAY"
    --symbols "$SYMS" --db "$W/store.db")
MA=(--strategy "$STRAT/ma_cross.so" --param fast=20 --param slow=60)
if [ "${SKIP_SQLITE:-0}" != 1 ]; then
    measure ceiling_reader "$BIN/bench-qte_ceiling" "$W/data" "$DAY" "$SYMS" reader
    measure engine_null "${BT[@]}"
    measure engine_ma_cross "${BT[@]}" "${MA[@]}"
    # This file's prices cycle over 97 steps (300.0-319.2), so the default
    # 20 bp band fills on about a quarter of all trades; 300 bp trades
    # about once per cycle. VWAP_RUNS (default RUNS) runs.
    MEASURE_RUNS=${VWAP_RUNS:-$RUNS} measure engine_vwap_revert "${BT[@]}" \
        --strategy "$STRAT/vwap_revert.so" --param band_bps=300
fi
# The day cache: built by the first run, read by the others.
CACHE=$W/cache
rm -rf "$CACHE"
MEASURE_RUNS=1 measure engine_null_cache_build "${BT[@]}" --cache-dir "$CACHE"
echo "bench qte_cache_file bytes=$(stat -c %s "$CACHE"/*.qtc) day_file_bytes=$(stat -c %s "$DB")"
measure ceiling_cache "$BIN/bench-qte_ceiling" "$W/data" "$DAY" "$SYMS" cache "$CACHE"
grep -o 'open_sec=.*' "$W/out" | sed 's/^/bench qte_ceiling_cache_last_run /'
measure engine_null_cached "${BT[@]}" --cache-dir "$CACHE"
measure engine_ma_cross_cached "${BT[@]}" --cache-dir "$CACHE" "${MA[@]}"
uptime | sed 's/^/bench qte_load /'
