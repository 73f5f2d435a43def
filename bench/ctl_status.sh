#!/usr/bin/env bash
# bench/ctl_status.sh - hk-tickctl status / db stats / db symbols on a large
# day file, versus the reference approach (COUNT(*) WHERE trading_day=? and a
# per-symbol GROUP BY scan).
#
# Builds ROWS (default 10,000,000) rows over SYMBOLS (default 500) symbols
# with the collector's schema (compat.md §1.2 DDL + hk_symbol_totals filled
# by one GROUP BY, as store.c does for a foreign file) using a recursive CTE
# in the sqlite3 CLI, then prints one line per measurement:
#   bench <name> median_ms=<m> runs=5
# Usage: bench/ctl_status.sh [BIN_DIR]   (env: ROWS, SYMBOLS, KEEP=1)
set -euo pipefail
source "$(dirname "$0")/lib_day.sh"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/build/bin}
CTL=$BIN/hk-tickctl
ROWS=${ROWS:-10000000}
SYMBOLS=${SYMBOLS:-500}
DAY=20260302
W=$(mktemp -d /tmp/hk-bench-ctl.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$W"' EXIT
DB=$W/$DAY.db
command -v sqlite3 >/dev/null || { echo "bench skipped: sqlite3 missing"; exit 0; }
[ -x "$CTL" ] || { echo "bench skipped: $CTL missing (build first)"; exit 0; }

T0=$(date +%s%N)
bench_day_file "$DB" "$DAY" "$ROWS" "$SYMBOLS"
T1=$(date +%s%N)
echo "bench build_day_file rows=$ROWS symbols=$SYMBOLS bytes=$(stat -c %s "$DB") ms=$(((T1 - T0) / 1000000))"

# median_ms NAME CMD... : run 5 times (after one warm-up), print the median.
median_ms() {
    local name=$1
    shift
    local t=() a b
    "$@" >/dev/null 2>&1 || true
    for _ in 1 2 3 4 5; do
        a=$(date +%s%N)
        "$@" >/dev/null 2>&1 || true
        b=$(date +%s%N)
        t+=($(((b - a) / 1000)))
    done
    local m
    m=$(printf '%s\n' "${t[@]}" | sort -n | sed -n 3p)
    printf 'bench %s median_ms=%d.%03d runs=5\n' "$name" $((m / 1000)) $((m % 1000))
}

export ENV_FILE=/nonexistent
# No journal/systemd lookups in the timing: empty PATH dir for those tools.
mkdir -p "$W/bin"
for tool in journalctl systemctl; do printf '#!/bin/sh\nexit 1\n' >"$W/bin/$tool"; chmod +x "$W/bin/$tool"; done
export PATH="$W/bin:$PATH"

median_ms ctl_status "$CTL" --data-root "$W" --day $DAY status
median_ms ctl_db_stats "$CTL" --data-root "$W" --day $DAY db stats
median_ms ctl_db_symbols "$CTL" --data-root "$W" --day $DAY db symbols
median_ms ctl_db_top_symbols_15min "$CTL" --data-root "$W" --day $DAY db top-symbols
median_ms ref_count_day sqlite3 "file:$DB?mode=ro" "SELECT COUNT(*) FROM ticks WHERE trading_day='$DAY';"
median_ms ref_count_all sqlite3 "file:$DB?mode=ro" "SELECT COUNT(*), MAX(ts_ms) FROM ticks;"
median_ms ref_group_by_symbol sqlite3 "file:$DB?mode=ro" "SELECT symbol, COUNT(*), MAX(ts_ms) FROM ticks WHERE trading_day='$DAY' GROUP BY symbol;"

# The scan fallback of hk-tickctl on the same file without totals.
sqlite3 "$DB" "DROP TABLE hk_symbol_totals;"
median_ms ctl_status_scan_fallback "$CTL" --data-root "$W" --day $DAY status
median_ms ctl_db_stats_scan_fallback "$CTL" --data-root "$W" --day $DAY db stats
