#!/usr/bin/env bash
# hot-store benchmarks (BENCHMARKS.md §7), real servers on free loopback
# ports, everything under a temp dir:
#   1. ClickHouse RowBinary insert ceiling: the same N rows as one RowBinary
#      body, inserted with curl straight into a fresh ticks table (RUNS
#      times, median rows/s).
#   2. libnats async publish with Msg-Id (hk-nats-pub --async): rows/s to
#      pre-fill HK_TICKS.
#   3. hot-store sustained rate from the pre-filled stream: start, time
#      until ticks FINAL holds N rows (a fresh durable consumer and
#      database per run), median rows/s, CPU µs per row, peak RSS.
#   With HOT_AB=/path/to/other/hot-store, step 3 alternates that binary
#   ("base") and this build's ("new") run by run on the same stream, so
#   both meet the same machine state (A/B).
# Usage: bench/hot_store.sh [N=200000] [RUNS=3]   (after `make build`)
set -euo pipefail
N=${1:-200000}
RUNS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export HK_BIN=${HK_BIN:-$ROOT/build/bin}
source "$ROOT/tests/e2e/lib.sh"
source "$ROOT/tests/e2e/lib_clickhouse.sh"
source "$ROOT/tests/e2e/lib_hot.sh"
hot_init

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }
ddl() { # ddl DB : the ticks table as hot-store creates it (ch_ticks_ddl)
    cat <<SQL
CREATE TABLE IF NOT EXISTS $1.ticks (market String, symbol String,
  ts_ms Int64, price Nullable(Float64), volume Nullable(Int64),
  turnover Nullable(Float64), direction Nullable(String), seq Nullable(Int64),
  tick_type Nullable(String), push_type Nullable(String),
  provider Nullable(String), trading_day Date, recv_ts_ms Int64,
  inserted_at_ms Int64) ENGINE = ReplacingMergeTree PARTITION BY trading_day
  ORDER BY (symbol, ifNull(seq, 0), ts_ms) SETTINGS old_parts_lifetime = 5
SQL
}

start_clickhouse
start_nats
gen_rows "$N" >"$T/rows.tsv"

# 1. RowBinary ceiling. ClickHouse renders the rows as RowBinary once.
ch_query "CREATE DATABASE bsrc"
ch_query "$(ddl bsrc)"
sed 's/\t20260105\t/\t2026-01-05\t/' "$T/rows.tsv" |
    curl -sf --data-binary @- \
        "$CLICKHOUSE_URL/?query=INSERT%20INTO%20bsrc.ticks%20FORMAT%20TabSeparated"
curl -sf --data-binary "SELECT * FROM bsrc.ticks FORMAT RowBinary" \
    "$CLICKHOUSE_URL/" >"$T/rows.rb"
ceil=()
for i in $(seq 1 "$RUNS"); do
    ch_query "CREATE DATABASE bce$i"
    ch_query "$(ddl "bce$i")"
    t0=$(now)
    curl -sf --data-binary @"$T/rows.rb" \
        "$CLICKHOUSE_URL/?query=INSERT%20INTO%20bce$i.ticks%20FORMAT%20RowBinary"
    t1=$(now)
    ceil+=("$(echo "$N / ($t1 - $t0)" | bc -l)")
done
c_med=$(printf '%s\n' "${ceil[@]}" | median)
printf 'clickhouse_rowbinary_ceiling rows=%d bytes=%d median_rows_per_sec=%.0f runs=%s\n' \
    "$N" "$(stat -c %s "$T/rows.rb")" "$c_med" "${ceil[*]}"

# 2. Pre-fill the stream (async publish with Msg-Id).
t0=$(now)
publish_file --async "$T/rows.tsv"
t1=$(now)
printf 'nats_async_publish rows=%d rows_per_sec=%.0f\n' "$N" \
    "$(echo "$N / ($t1 - $t0)" | bc -l)"

# 3. hot-store from the full stream.
# hot_run LABEL I : one run of $HOT from the full stream into a fresh
# database; prints a hot_store_run line and appends the rate to RATES[LABEL].
declare -A RATES=()
hot_run() {
    local label=$1 i=$2 t0 t1 cpu rss r
    HOT_DB="b${label}$i"
    HOT_PORT=
    t0=$(now)
    start_hot HOT_DATABASE="$HOT_DB" HOT_CONSUMER="${label}$i" \
        HOT_BATCH_ROWS="${HOT_BATCH_ROWS:-20000}" HOT_BATCH_MS=200
    while [ "$(hot_count '')" -lt "$N" ]; do
        if ! kill -0 "$HOT_PID" 2>/dev/null; then
            wait "$HOT_PID" || true
            echo "hot_store_run $label $i died: $(tail -n 1 "$T/hot.log")"
            return 0
        fi
        sleep 0.05
    done
    t1=$(now)
    cpu=$(hot_metric process_cpu_seconds_total)
    rss=$(awk '/VmHWM/ { print $2 }' "/proc/$HOT_PID/status")
    stop_hot
    r=$(echo "$N / ($t1 - $t0)" | bc -l)
    RATES[$label]+=" $r"
    printf 'hot_store_run %s %d rows_per_sec=%.0f cpu_us_per_row=%.2f peak_rss_kib=%s\n' \
        "$label" "$i" "$r" "$(echo "$cpu * 1000000 / $N" | bc -l)" "$rss"
}
NEW_HOT=$HOT
for i in $(seq 1 "$RUNS"); do
    if [ -n "${HOT_AB:-}" ]; then
        HOT=$HOT_AB
        hot_run base "$i"
        HOT=$NEW_HOT
    fi
    hot_run new "$i"
done
for label in base new; do
    v=${RATES[$label]:-}
    [ -n "$v" ] || continue
    printf 'hot_store_sustained %s rows=%d median_rows_per_sec=%.0f\n' \
        "$label" "$N" "$(printf '%s\n' $v | median)"
done
