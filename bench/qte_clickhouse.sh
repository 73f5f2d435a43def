#!/usr/bin/env bash
# bench/qte_clickhouse.sh - qte-engine replay throughput from ClickHouse
# (QTE_SOURCE=clickhouse) next to the day file holding the same rows.
#
# A day file from bench/lib_day.sh (ROWS rows over SYMBOLS symbols), a
# clickhouse-server of its own on free loopback ports (tests/e2e
# lib_clickhouse.sh; schema made by cold-store's first cycle, as in the
# e2e test), the file's rows loaded into marketprism_hot.ticks (prices as
# %.17g text: exact), then the null strategy and ma_cross from each source.
# One line per run:
#   bench qte_<source>_<strategy> rows=<n> wall_s=<t> rows_per_sec=<r>
#         cpu_s=<c> peak_rss_mib=<m> page_rows=<p> same_report=<yes|no>
# same_report compares report.json with the day-file run's (it must say
# yes). The server's own CPU is not in cpu_s.
#
# Usage: bash bench/qte_clickhouse.sh [BIN_DIR]  (env: ROWS=1000000,
#        SYMBOLS=50, PAGES="65536" page sizes to try)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export HK_BIN=${1:-$ROOT/build/bin}
source "$ROOT/tests/e2e/lib.sh"
source "$ROOT/tests/e2e/lib_clickhouse.sh"
source "$ROOT/tests/e2e/lib_cold.sh"
source "$ROOT/bench/lib_day.sh"
e2e_init
ROWS=${ROWS:-1000000}
SYMBOLS=${SYMBOLS:-50}
PAGES=${PAGES:-65536}
DAY=20260302
for t in sqlite3 /usr/bin/time; do
    command -v "$t" >/dev/null || { echo "bench skipped: $t missing"; exit 0; }
done
[ -n "$CH_SERVER" ] || { echo "bench skipped: no clickhouse-server"; exit 0; }
mkdir -p "$DATA"
bench_day_file "$DATA/$DAY.db" "$DAY" "$ROWS" "$SYMBOLS"
start_clickhouse
start_cold COLD_INTERVAL_SEC=3600
wait_cold_metric cold_cycles_total 1 30
stop_cold
T0=$(date +%s%N)
sqlite3 -separator $'\t' -cmd '.nullvalue \N' "file:$DATA/$DAY.db?mode=ro" \
    "SELECT market, symbol, ts_ms, printf('%!.17g', price), volume,
            printf('%!.17g', turnover), direction, seq, tick_type, push_type,
            provider, substr(trading_day, 1, 4) || '-' ||
            substr(trading_day, 5, 2) || '-' || substr(trading_day, 7, 2),
            recv_ts_ms, inserted_at_ms FROM ticks" >"$T/rows.tsv"
curl -sSf --data-binary @"$T/rows.tsv" \
    "$CLICKHOUSE_URL/?query=INSERT%20INTO%20marketprism_hot.ticks%20FORMAT%20TabSeparated" ||
    fail "load"
rm -f "$T/rows.tsv"
echo "bench qte_ch_load rows=$ROWS ms=$((($(date +%s%N) - T0) / 1000000))"
SYMS=$(sqlite3 "file:$DATA/$DAY.db?mode=ro" \
    "SELECT group_concat(symbol) FROM (SELECT DISTINCT symbol FROM ticks ORDER BY symbol)")

one() { # one NAME PAGE STRATEGY_ARGS... (env from $SRC)
    local name=$1 page=$2 t rows
    shift 2
    rm -rf "$T/o"
    mkdir -p "$T/o"
    env "${SRC[@]}" QTE_CLICKHOUSE_PAGE_ROWS="$page" /usr/bin/time \
        -f "TIME %e %U %S %M" "$HK_BIN/qte-engine" backtest --data-root "$DATA" \
        --days "$DAY" --symbols "$SYMS" --report-dir "$T/o" --db "$T/o/s.db" \
        "$@" >"$T/out" 2>"$T/err" || fail "$name: $(cat "$T/err")"
    t=$(grep '^TIME ' "$T/err" | tail -n1)
    rows=$(grep -o 'ticks=[0-9]*' "$T/out" | cut -d= -f2)
    same=yes
    [ -f "$T/want_$name.json" ] || cp "$T/o/report.json" "$T/want_$name.json"
    cmp -s "$T/want_$name.json" "$T/o/report.json" || same=no
    awk -v n="$name" -v s="$SRC_NAME" -v r="$rows" -v p="$page" -v same="$same" \
        -v t="$t" 'BEGIN { split(t, a, " "); w = a[2]; c = a[3] + a[4];
        printf "bench qte_%s_%s rows=%d wall_s=%.2f rows_per_sec=%.0f cpu_s=%.2f peak_rss_mib=%.1f page_rows=%s same_report=%s\n",
        s, n, r, w, r / w, c, a[5] / 1024, p, same }'
}

for strat in null ma_cross; do
    args=()
    [ $strat = null ] || args=(--strategy "$HK_BIN/../strategies/ma_cross.so"
        --param fast=20 --param slow=60)
    SRC=(QTE_SOURCE=dayfile)
    SRC_NAME=dayfile
    one $strat 65536 "${args[@]}"
    SRC=(QTE_SOURCE=clickhouse QTE_CLICKHOUSE_URL="$CLICKHOUSE_URL")
    SRC_NAME=clickhouse
    for page in $PAGES; do
        one $strat "$page" "${args[@]}"
    done
done
stop_clickhouse
