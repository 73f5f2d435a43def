#!/usr/bin/env bash
# Benchmarks of the collector; figures go into BENCHMARKS.md by hand.
#   bash bench/run.sh [ceiling|e2e|latency|all]
# Each measurement prints one line "bench <name> key=value ...".
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${HK_BIN:-build/bin}
WHAT=${1:-all}
E2E_SEC=${E2E_SEC:-20}
W=$(mktemp -d /tmp/hk-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$W"' EXIT

ceiling() {
    for b in 1 1000 10000 20000; do
        rm -rf "$W/c"; mkdir -p "$W/c"
        "$BIN/bench-ceiling" "$W/c" "${CEIL_ROWS:-200000}" "$b" "${1:-100}" 2>/dev/null |
            sed "s/^/bench /"
    done
}

# Rows waiting in queue + spool, from /status.
backlog() {
    curl -s "http://127.0.0.1:$1/status" |
        sed -n 's/.*"queue":\([0-9]*\).*"spool_rows":\([0-9]*\).*/\1 \2/p' |
        awk '{print $1 + $2}'
}

proc_cpu_sec() { # utime+stime of PID in seconds
    awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}

rows_now() {
    local n=0 f c
    for f in "$1"/[0-9]*.db; do
        [ -e "$f" ] || continue
        c=$(sqlite3 "file:$f?mode=ro" "SELECT COALESCE(SUM(rows),0) FROM hk_symbol_totals;" 2>/dev/null || echo 0)
        n=$((n + c))
    done
    echo "$n"
}

# run_e2e NAME SYMBOLS RATE : sim -> collector for E2E_SEC seconds.
run_e2e() {
    local name=$1 nsym=$2 rate=$3 d="$W/$1"
    mkdir -p "$d"
    "$BIN/opend-sim" --listen 127.0.0.1:0 --port-file "$d/port" \
        --symbol-count "$nsym" --rate "$rate" --burst-factor 1 --seed 1 \
        --ticks-per-push 1 --log-level WARNING >"$d/sim.log" 2>&1 &
    local sim=$!
    for _ in $(seq 1 100); do [ -s "$d/port" ] && break; sleep 0.05; done
    local syms
    syms=$(seq -f "HK.%05g" 1 "$nsym" | paste -sd, -)
    FUTU_PORT=$(cat "$d/port") FUTU_SYMBOLS=$syms DATA_ROOT="$d/data" \
        BACKFILL_N=0 FUTU_POLL_ENABLED=0 HTTP_PORT=-1 \
        "$BIN/hk-tick-collector" >"$d/col.log" 2>&1 &
    local col=$!
    sleep 3 # connect, subscribe, warm up
    local hp r0 c0 r1 c1 t0 t1 b0 b1
    hp=$(grep -o 'http_listening host=127.0.0.1 port=[0-9]*' "$d/col.log" | grep -o '[0-9]*$')
    r0=$(rows_now "$d/data"); c0=$(proc_cpu_sec $col); t0=$(date +%s.%N)
    b0=$(backlog "$hp")
    sleep "$E2E_SEC"
    r1=$(rows_now "$d/data"); c1=$(proc_cpu_sec $col); t1=$(date +%s.%N)
    b1=$(backlog "$hp")
    local hwm rss
    hwm=$(awk '/VmHWM/{print $2}' "/proc/$col/status")
    rss=$(awk '/VmRSS/{print $2}' "/proc/$col/status")
    kill -TERM $col; wait $col || true
    kill -TERM $sim; wait $sim || true
    local q50=na q99=na f
    if [ "$rate" != 0 ]; then
        f=$(ls "$d/data"/[0-9]*.db | head -n 1)
        q50=$(sqlite3 "file:$f?mode=ro" "SELECT inserted_at_ms - recv_ts_ms AS l FROM ticks ORDER BY l LIMIT 1 OFFSET (SELECT COUNT(*) * 50 / 100 FROM ticks);")
        q99=$(sqlite3 "file:$f?mode=ro" "SELECT inserted_at_ms - recv_ts_ms AS l FROM ticks ORDER BY l LIMIT 1 OFFSET (SELECT COUNT(*) * 99 / 100 FROM ticks);")
    fi
    local p50 p99
    p50=$(grep -o 'push_to_commit_ms_p50=[0-9.]*' "$d/col.log" | tail -n1 | cut -d= -f2)
    p99=$(grep -o 'push_to_commit_ms_p99=[0-9.]*' "$d/col.log" | tail -n1 | cut -d= -f2)
    awk -v n="$name" -v s="$nsym" -v r="$rate" -v dr=$((r1 - r0)) \
        -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" \
        -v hwm="$hwm" -v rss="$rss" -v p50="$p50" -v p99="$p99" \
        -v b0="${b0:-0}" -v b1="${b1:-0}" -v q50="$q50" -v q99="$q99" 'BEGIN {
        dc = c1 - c0; dt = t1 - t0
        printf "bench %s symbols=%d rate=%s rows=%d sec=%.1f rows_per_sec=%.0f cpu_us_per_row=%.2f peak_rss_mib=%.1f rss_mib=%.1f push_to_commit_ms_p50=%s push_to_commit_ms_p99=%s recv_to_insert_ms_p50=%s recv_to_insert_ms_p99=%s backlog_start=%d backlog_end=%d\n",
            n, s, r, dr, dt, dr / dt, (dr > 0 ? dc * 1e6 / dr : 0), hwm / 1024, rss / 1024, p50, p99, q50, q99, b0, b1 }'
}

case $WHAT in
ceiling) ceiling 100; ceiling 1000 ;;
e2e)
    run_e2e e2e_max_100sym 100 0
    run_e2e e2e_max_1000sym 1000 0
    ;;
latency)
    for r in 1000 10000 20000 50000; do run_e2e "latency_${r}" 100 "$r"; done
    run_e2e latency_50000_1000sym 1000 50000
    ;;
all)
    ceiling 100
    ceiling 1000
    run_e2e e2e_max_100sym 100 0
    run_e2e e2e_max_1000sym 1000 0
    for r in 1000 10000 20000 50000; do run_e2e "latency_${r}" 100 "$r"; done
    run_e2e latency_50000_1000sym 1000 50000
    ;;
esac
