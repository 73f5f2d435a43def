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

# gq GREP_ARGS... : `grep -q` for the end of a pipeline. grep -q exits at its
# first match; a writer still producing output (curl, a shell's line-by-line
# echo, a long --help) then dies of SIGPIPE and pipefail fails the check
# although the line was there. gq reads its whole input and prints nothing.
gq() { grep "$@" >/dev/null; }

e2e_init() {
    T=$(mktemp -d /tmp/hk-e2e.XXXXXX)
    DATA="$T/data"
    export T DATA
    trap e2e_cleanup EXIT
}

e2e_cleanup() {
    local rc=$?
    grep -lsx "$$" "$HK_PORT_DIR"/* 2>/dev/null | xargs -r rm -f || true
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

# free_ports N : N distinct loopback TCP ports for servers a test starts on
# a fixed port (nats-server, clickhouse-server). They come from 20000-32767,
# below the kernel's ephemeral range (32768+), so no bind(0) or outgoing
# connection elsewhere can take one between this check and the server's
# own bind; each is claimed with a file in $HK_PORT_DIR naming this test's
# PID (a dead PID's claim is reused), so tests running at once never pick
# the same port. The claims are dropped at exit (e2e_cleanup).
HK_PORT_DIR=${HK_PORT_DIR:-/tmp/hk-test-ports}
free_ports() {
    python3 - "$1" "$HK_PORT_DIR" "$$" <<'PY'
import os, random, socket, sys
n, d, me = int(sys.argv[1]), sys.argv[2], sys.argv[3]
os.makedirs(d, exist_ok=True)
def claim(p):
    path = os.path.join(d, str(p))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        try:
            os.kill(int(open(path).read().strip() or 0), 0)
            return False          # held by a live test
        except (ProcessLookupError, ValueError):
            os.unlink(path)       # stale: its test is gone
            return claim(p)
        except PermissionError:
            return False
    os.write(fd, me.encode())
    os.close(fd)
    return True
got = []
for _ in range(10000):
    if len(got) == n:
        break
    p = random.randrange(20000, 32768)
    if p in got or not claim(p):
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        got.append(p)
    except OSError:
        os.unlink(os.path.join(d, str(p)))
    finally:
        s.close()
if len(got) < n:
    sys.exit("free_ports: no free port")
print(" ".join(map(str, got)))
PY
}

free_port() {
    free_ports 1
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
    for f in "$DATA"/[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9].db; do
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
    ls "$DATA"/[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9].db >/dev/null 2>&1 || fail "no day file in $DATA"
    {
        echo "CREATE TABLE truth(symbol TEXT, seq INTEGER, time TEXT, ts_ms INTEGER, price REAL, volume INTEGER, turnover REAL, direction TEXT, tick_type TEXT);"
        echo ".import --csv --skip 1 $T/truth.csv truth"
        for f in "$DATA"/[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9].db; do
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
