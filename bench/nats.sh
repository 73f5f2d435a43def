#!/usr/bin/env bash
# NATS publisher benchmarks (figures go into BENCHMARKS.md by hand):
#   bash bench/nats.sh [ceiling|catchup|all]
# ceiling: bench-nats_ceiling (libnats async publish + Msg-Id into a
#   JetStream file stream on loopback, the publisher's message bytes),
#   NATS_ROWS (500000) messages, RUNS (3) runs.
# catchup: a 1M-row day file (bench-ceiling), then the collector's
#   publisher catching it up from no cursor into a fresh HK_TICKS, RUNS runs;
#   rate = rows / (last ack - nats_connected), CPU = the collector's.
# Each run prints "bench …"; the last line of each kind gives the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${HK_BIN:-build/bin}
WHAT=${1:-all}
RUNS=${RUNS:-3}
W=$(mktemp -d /tmp/hk-bench-nats.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$W"' EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_nats : a fresh nats-server -js with its store in $W/nats.
start_nats() {
    rm -rf "$W/nats"
    mkdir -p "$W/nats"
    NPORT=$(free_port)
    nats-server -a 127.0.0.1 -p "$NPORT" -js -sd "$W/nats" >"$W/nats.log" 2>&1 &
    NPID=$!
    for _ in $(seq 1 100); do
        grep -q "Server is ready" "$W/nats.log" && return 0
        sleep 0.1
    done
    echo "nats-server did not start" >&2
    exit 1
}

stop_nats() {
    kill "$NPID" 2>/dev/null || true
    wait "$NPID" 2>/dev/null || true
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

ceiling() {
    local rates=()
    for _ in $(seq 1 "$RUNS"); do
        start_nats
        line=$("$BIN/bench-nats_ceiling" "nats://127.0.0.1:$NPORT" "${NATS_ROWS:-500000}" 4096)
        echo "bench $line"
        rates+=("$(sed -n 's/.*rows_per_sec=\([0-9]*\).*/\1/p' <<<"$line")")
        stop_nats
    done
    echo "bench nats_ceiling_median rows_per_sec=$(printf '%s\n' "${rates[@]}" | median)"
}

metric() {
    curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null | awk -v n="$2" '$1 == n {print $2}'
}

catchup() {
    local rows=${CATCHUP_ROWS:-1000000} rates=() cpus=()
    rm -rf "$W/d"
    mkdir -p "$W/d"
    "$BIN/bench-ceiling" "$W/d" "$rows" 20000 100 2>/dev/null | sed "s/^/bench day_file_written /"
    for _ in $(seq 1 "$RUNS"); do
        start_nats
        rm -rf "$W/d/_pipeline"
        env DATA_ROOT="$W/d" FUTU_SYMBOLS=HK.00001 FUTU_PORT=1 HTTP_PORT=-1 \
            NATS_URL="nats://127.0.0.1:$NPORT" "$BIN/hk-tick-collector" \
            >"$W/col.log" 2>&1 &
        local cpid=$! port="" t0 t1 a=0
        for _ in $(seq 1 100); do
            port=$(sed -n 's/.*http_listening .*port=\([0-9]*\).*/\1/p' "$W/col.log")
            [ -n "$port" ] && grep -q nats_connected "$W/col.log" && break
            sleep 0.05
        done
        t0=$(date +%s%N)
        while :; do
            a=$(metric "$port" hk_nats_acked_total)
            [ "${a:-0}" -ge "$rows" ] && break
            sleep 0.05
        done
        t1=$(date +%s%N)
        cpu=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$cpid/stat")
        hwm=$(awk '/VmHWM/ {print $2}' "/proc/$cpid/status")
        kill -TERM "$cpid"
        wait "$cpid" || true
        local sec rate
        sec=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
        rate=$(awk -v r="$rows" -v s="$sec" 'BEGIN {printf "%.0f", r / s}')
        echo "bench nats_catchup rows=$rows sec=$sec rows_per_sec=$rate cpu_sec=$cpu cpu_us_per_row=$(awk -v c="$cpu" -v r="$rows" 'BEGIN {printf "%.2f", c * 1e6 / r}') peak_rss_mib=$((hwm / 1024))"
        rates+=("$rate")
        stop_nats
    done
    echo "bench nats_catchup_median rows_per_sec=$(printf '%s\n' "${rates[@]}" | median)"
}

command -v nats-server >/dev/null || { echo "nats-server not installed" >&2; exit 1; }
case $WHAT in
ceiling) ceiling ;;
catchup) catchup ;;
all) ceiling; catchup ;;
*) echo "usage: $0 [ceiling|catchup|all]" >&2; exit 2 ;;
esac
