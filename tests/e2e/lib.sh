#!/usr/bin/env bash
# Shared helpers for end-to-end tests: run the real opend-sim and the real
# hk-tick-collector on loopback (port 0 = kernel-chosen, so tests never
# collide), then compare what landed in SQLite with the simulator's ground
# truth. Each test sources this file and calls e2e_init first.
set -euo pipefail

: "${HK_BIN:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/bin}"
SIM="$HK_BIN/opend-sim"
COLLECTOR="$HK_BIN/hk-tick-collector"
CTL="$HK_BIN/hk-tickctl"

E2E_PIDS=()

e2e_init() {
    T=$(mktemp -d /tmp/hk-e2e.XXXXXX)
    DATA="$T/data"
    export T DATA
    trap e2e_cleanup EXIT
}

e2e_cleanup() {
    local rc=$?
    for p in "${E2E_PIDS[@]:-}"; do
        [ -n "$p" ] || continue
        kill -9 "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
        echo "---- collector log (tail) ----" >&2
        tail -n 60 "$T/collector.log" >&2 || true
        echo "---- sim log (tail) ----" >&2
        tail -n 30 "$T/sim.log" >&2 || true
        echo "(kept $T)" >&2
    else
        rm -rf "$T"
    fi
    exit $rc
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

ok() {
    echo "ok - $*"
}

# skip REASON : this test cannot run here; ctest reports it skipped
# (SKIP_RETURN_CODE 77), never passed.
skip() {
    echo "SKIP: $*" >&2
    exit 77
}

# start_sim ARGS... : starts opend-sim on a free port; sets SIM_PID, PORT.
start_sim() {
    rm -f "$T/port"
    "$SIM" --listen 127.0.0.1:0 --port-file "$T/port" --control "$T/ctl" \
        --truth "$T/truth.csv" "$@" >"$T/sim.log" 2>&1 &
    SIM_PID=$!
    E2E_PIDS+=("$SIM_PID")
    for _ in $(seq 1 100); do
        [ -s "$T/port" ] && break
        sleep 0.05
    done
    [ -s "$T/port" ] || fail "opend-sim did not start"
    PORT=$(cat "$T/port")
    export PORT
}

simctl() {
    "$SIM" ctl "$T/ctl" "$@"
}

# start_collector [ENV=VAL ...] : runs the daemon in the background.
start_collector() {
    env FUTU_HOST=127.0.0.1 FUTU_PORT="$PORT" DATA_ROOT="$DATA" \
        HEALTH_TICK_SEC="${HEALTH_TICK_SEC:-2}" HTTP_PORT=0 \
        PERSIST_HEARTBEAT_INTERVAL_SEC=2 \
        "$@" "$COLLECTOR" >>"$T/collector.log" 2>&1 &
    COL_PID=$!
    E2E_PIDS+=("$COL_PID")
}

# stop_collector [SIGNAL] : signals and waits; sets COL_RC.
stop_collector() {
    local sig=${1:-TERM}
    kill -s "$sig" "$COL_PID" 2>/dev/null || true
    set +e
    wait "$COL_PID"
    COL_RC=$?
    set -e
}

# wait_log PATTERN [TIMEOUT_SEC] : waits for an extended regex in the log.
wait_log() {
    local pat=$1 t=${2:-20}
    local end=$((SECONDS + t))
    while [ $SECONDS -lt $end ]; do
        grep -Eq -- "$pat" "$T/collector.log" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "timed out waiting for log /$pat/"
}

# Total rows in every day file (read-only).
db_rows() {
    local n=0 f c
    for f in "$DATA"/[0-9]*.db; do
        [ -e "$f" ] || continue
        c=$(sqlite3 "file:$f?mode=ro" "SELECT COUNT(*) FROM ticks;" 2>/dev/null || echo 0)
        n=$((n + c))
    done
    echo "$n"
}

truth_rows() {
    simctl truth >/dev/null
    echo $(($(wc -l <"$T/truth.csv") - 1))
}

# wait_rows N [TIMEOUT] : until the day files hold N rows.
wait_rows() {
    local want=$1 t=${2:-30}
    local end=$((SECONDS + t))
    while [ $SECONDS -lt $end ]; do
        [ "$(db_rows)" -ge "$want" ] && return 0
        sleep 0.2
    done
    fail "timed out waiting for $want rows (have $(db_rows))"
}

# compare_truth : every generated tick is stored exactly once, with exactly
# the generated values, and nothing else is stored.
compare_truth() {
    simctl truth >/dev/null
    local sql="$T/compare.sql" i=0 f out
    ls "$DATA"/[0-9]*.db >/dev/null 2>&1 || fail "no day file in $DATA"
    {
        echo "CREATE TABLE truth(symbol TEXT, seq INTEGER, time TEXT, ts_ms INTEGER, price REAL, volume INTEGER, turnover REAL, direction TEXT, tick_type TEXT);"
        echo ".import --csv --skip 1 $T/truth.csv truth"
        for f in "$DATA"/[0-9]*.db; do
            echo "ATTACH 'file:$f?mode=ro' AS d$i;"
            i=$((i + 1))
        done
        echo "CREATE TABLE got AS SELECT * FROM d0.ticks WHERE 0;"
        for ((k = 0; k < i; k++)); do
            echo "INSERT INTO got SELECT * FROM d$k.ticks;"
        done
        echo "SELECT (SELECT COUNT(*) FROM truth) || ' ' || (SELECT COUNT(*) FROM got) || ' ' ||"
        echo "  (SELECT COUNT(*) FROM truth t JOIN got g ON g.symbol = t.symbol AND g.seq = t.seq"
        echo "     AND g.ts_ms = t.ts_ms AND g.price = t.price AND g.volume = t.volume"
        echo "     AND g.turnover = t.turnover AND g.direction = t.direction"
        echo "     AND g.tick_type = t.tick_type AND g.market = 'HK' AND g.provider = 'futu'"
        echo "     AND g.trading_day = strftime('%Y%m%d', (t.ts_ms / 1000) + 8 * 3600, 'unixepoch'))"
        echo "  || ' ' || (SELECT COUNT(*) FROM (SELECT symbol, seq FROM got GROUP BY symbol, seq HAVING COUNT(*) > 1));"
    } >"$sql"
    rm -f "$T/cmp.db"
    out=$(sqlite3 -bail "$T/cmp.db" ".read $sql" 2>&1) || fail "compare: $out"
    read -r n_truth n_got n_match n_dup <<<"$out" || true
    [ "$n_truth" -gt 0 ] 2>/dev/null || fail "compare: bad output: $out"
    [ "$n_truth" = "$n_got" ] || fail "truth=$n_truth stored=$n_got (match=$n_match)"
    [ "$n_match" = "$n_truth" ] || fail "only $n_match of $n_truth rows match exactly"
    [ "$n_dup" = "0" ] || fail "$n_dup duplicated (symbol, seq)"
    ok "all $n_truth generated ticks stored exactly once with exact values"
}

# wait_generated N [TIMEOUT] : until the simulator generated N ticks.
wait_generated() {
    local want=$1 t=${2:-30} g
    local end=$((SECONDS + t))
    while [ $SECONDS -lt $end ]; do
        g=$(simctl stats | sed -n 's/.*generated=\([0-9]*\).*/\1/p')
        [ "${g:-0}" -ge "$want" ] && return 0
        sleep 0.2
    done
    fail "simulator generated only ${g:-0} of $want ticks"
}

# lock_db DB : another process holds a write lock on DB until unlock_db.
lock_db() {
    rm -f "$T/lockfifo"
    mkfifo "$T/lockfifo"
    sqlite3 "$1" <"$T/lockfifo" >/dev/null 2>&1 &
    LOCKER=$!
    E2E_PIDS+=("$LOCKER")
    exec 7>"$T/lockfifo"
    # Wait for the writer's transaction instead of failing at once (the
    # CLI's busy timeout is 0): a refused BEGIN would hold no lock at all.
    echo ".timeout 5000" >&7
    echo "BEGIN IMMEDIATE;" >&7
    echo "SELECT 1;" >&7
    sleep 0.3
}

unlock_db() {
    echo "ROLLBACK;" >&7
    exec 7>&-
    wait "$LOCKER" 2>/dev/null || true
}
