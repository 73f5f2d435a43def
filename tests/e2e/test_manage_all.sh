#!/usr/bin/env bash
# manage_all.sh as a user runs it (runbook 002), against real nats-server and
# clickhouse-server on free loopback ports with every dir under a temp dir:
# init (twice: idempotent) -> start -> status -> health -> diagnose ->
# restart -> stop -> clean, plus the failure cases: a stale lock (kill -9),
# a lock held by a foreign live process (clean keeps it, --force removes the
# file and kills nothing), an occupied port (start refuses, names the holder
# and the setting), a missing binary (start says `make build`).
# Services: NATS, ClickHouse, opend-sim (OPEND_SIM=1) and the collector;
# hot-store and cold-store are covered by test_runbook002.sh (skipped while
# their binaries are missing).
# ctest-cost: 25
source "$(dirname "$0")/lib.sh"
e2e_init
source "$(dirname "$0")/manage_lib.sh"
need_servers
mp_env_setup "$T"
export MARKETPRISM_SERVICES="nats clickhouse collector"
trap 'rc=$?; mp_kill_leftovers; (exit $rc); e2e_cleanup' EXIT
M="$MROOT/scripts/manage_all.sh"
read -r P_NATS P_MON P_CH P_CHT _ _ P_COL P_SIM <<<"$MP_PORTS"

# --- usage ---------------------------------------------------------------
run_rc usage 64 "$M" bogus
has '^usage: \./scripts/manage_all\.sh COMMAND'

# --- init: configs, stream, tables; idempotent -------------------------------
run_ok init "$M" init
has '^packages: all present$'
has "^nats: wrote $T/state/nats/nats.conf$"
has '^stream HK_TICKS: ready \(subjects hk\.tick\.>, file storage\)$'
has '^clickhouse: databases marketprism_hot, marketprism_cold and their ticks tables ready$'
has '^init: done$'
grep -q "^listen: 127.0.0.1:$P_NATS$" "$T/state/nats/nats.conf" || fail "nats.conf: $(cat "$T/state/nats/nats.conf")"
grep -q "<http_port>$P_CH</http_port>" "$T/state/clickhouse/config.xml" || fail "config.xml"
[ -z "$(ls "$T/lock")" ] || fail "init left locks: $(ls "$T/lock")"
[ -z "$(ls "$T/state/run")" ] || fail "init left servers running: $(ls "$T/state/run")"
run_ok init-again "$M" init
has '^stream HK_TICKS: ready'
has '^init: done$'
ok "init twice: configs, stream, tables; servers stopped again"

# --- start ----------------------------------------------------------------------
run_ok start "$M" start
has "^NATS: started \(pid [0-9]+, port $P_NATS/$P_MON\)$"
has "^ClickHouse: started \(pid [0-9]+, port $P_CH/$P_CHT\)$"
has "^opend-sim: started \(pid [0-9]+, port $P_SIM\)$"
has "^collector: started \(pid [0-9]+, port $P_COL\)$"
has '^all services started$'
order=$(printf '%s\n' "$OUT" | sed -n 's/^\([A-Za-z-]*\): started.*/\1/p' | tr '\n' ' ')
[ "$order" = "NATS ClickHouse opend-sim collector " ] || fail "start order: $order"
for s in nats clickhouse opend_sim collector; do
    pid=$(cat "$T/state/run/$s.pid")
    [ "$(cat "$T/lock/marketprism_$s.lock")" = "$pid" ] || fail "$s: lock pid != pid file"
    kill -0 "$pid" || fail "$s: pid $pid not running"
    if flock -n "$T/lock/marketprism_$s.lock" true; then fail "$s: lock not held"; fi
done
ok "start: in order, each lock held by its process"
run_ok start-again "$M" start
has '^NATS: already running \(pid [0-9]+\)$'
has '^collector: already running'

# --- status, health, diagnose ------------------------------------------------------
run_ok status "$M" status
has '^SERVICE +PID +PORT +HEALTH +UPTIME$'
has "^NATS +[0-9]+ +$P_NATS/$P_MON +healthy +[0-9]+h[0-9]{2}m[0-9]{2}s$"
has "^ClickHouse +[0-9]+ +$P_CH/$P_CHT +healthy +[0-9]+h"
has "^opend-sim +[0-9]+ +$P_SIM +healthy +[0-9]+h"
has "^collector +[0-9]+ +$P_COL +healthy +[0-9]+h"
[ "$(printf '%s\n' "$OUT" | wc -l)" = 5 ] || fail "status lines: $OUT"
run_ok health "$M" health
has '^ok   NATS: healthy$'
has '^ok   ClickHouse: healthy$'
has '^ok   collector: healthy$'
has '^info freshness: marketprism_hot\.ticks is empty$'
has '^overall: healthy$'
run_ok diagnose "$M" diagnose
has '^no problems found$'
ok "status table, health, diagnose on a healthy stack"

# The simulator's ground truth and the collector's day files.
for _ in $(seq 1 100); do
    [ "$(wc -l <"$T/logs/opend-sim-truth.csv" 2>/dev/null || echo 0)" -gt 50 ] && break
    sleep 0.2
done
[ "$(wc -l <"$T/logs/opend-sim-truth.csv")" -gt 50 ] || fail "no ground truth in logs/opend-sim-truth.csv"
DATA="$T/state/sqlite/HK"
wait_rows 50 30
ok "OPEND_SIM=1: truth in logs/opend-sim-truth.csv, rows in $DATA"

# --- restart: new PIDs, healthy ---------------------------------------------------
old_col=$(cat "$T/state/run/collector.pid")
run_ok restart "$M" restart
has '^collector: stopped \(pid '"$old_col"'\)$'
has '^all services started$'
stops=$(printf '%s\n' "$OUT" | sed -n 's/^\([A-Za-z-]*\): stopped.*/\1/p' | tr '\n' ' ')
[ "$stops" = "collector opend-sim ClickHouse NATS " ] || fail "stop order: $stops"
mp_alive "$old_col" && fail "old collector still alive"
[ "$(cat "$T/state/run/collector.pid")" != "$old_col" ] || fail "collector pid unchanged"
grep -q 'collector_exit code=0' "$T/logs/collector.log" || fail "collector did not exit 0 on SIGTERM"
run_ok health-after-restart "$M" health
ok "restart: reverse-order graceful stop (collector_exit code=0), start, healthy"

# --- kill -9: health fails, diagnose finds the stale lock, clean removes it -------
col=$(cat "$T/state/run/collector.pid")
kill -9 "$col"
for _ in $(seq 1 50); do mp_alive "$col" || break; sleep 0.1; done
run_rc health-down 1 "$M" health
has '^FAIL collector: down$'
has '^overall: UNHEALTHY$'
run_ok diagnose-down "$M" diagnose
has '^\[[0-9]+\] collector: not running$'
has "^\[[0-9]+\] stale lock $T/lock/marketprism_collector\.lock \(pid $col not running\)$"
has '^    fix: \./scripts/manage_all\.sh clean$'
run_ok clean "$M" clean
has "^removed stale lock $T/lock/marketprism_collector\.lock \(pid $col not running\)$"
has "^removed stale pid file $T/state/run/collector\.pid$"
has "^kept $T/lock/marketprism_nats\.lock: pid [0-9]+ is running"
[ -e "$T/lock/marketprism_collector.lock" ] && fail "stale lock not removed"
[ -e "$T/lock/marketprism_nats.lock" ] || fail "live lock removed"
ok "kill -9: health exit 1, diagnose names the stale lock and the fix, clean removes only it"

# --- occupied port: start refuses, names holder and setting -------------------------
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(120)' "$P_COL" &
SQUAT=$!
E2E_PIDS+=("$SQUAT")
for _ in $(seq 1 50); do ss -ltnH "sport = :$P_COL" | gq . && break; sleep 0.1; done
run_rc start-port-taken 3 "$M" start
has "^ERROR: collector: port $P_COL is taken by pid=$SQUAT python3, which is not ours\. Free it \(ss -ltnp 'sport = :$P_COL'\) or set COLLECTOR_HTTP_PORT=<port> in config/marketprism\.env$"
has '^ERROR: start stopped at collector; run \./scripts/manage_all\.sh diagnose$'
run_ok diagnose-port "$M" diagnose
has "^\[[0-9]+\] collector: port $P_COL taken by pid=$SQUAT python3, not ours$"
has "^    fix: stop that process \(ss -ltnp 'sport = :$P_COL'\), or set COLLECTOR_HTTP_PORT=<free port> in config/marketprism\.env$"
kill "$SQUAT"
wait "$SQUAT" 2>/dev/null || true
run_ok start-port-freed "$M" start
has "^collector: started \(pid [0-9]+, port $P_COL\)$"
ok "occupied port: start exit 3 naming pid, program and setting; starts once freed"

# --- missing binary --------------------------------------------------------------------
mkdir -p "$T/bin"
ln -s "$HK_BIN/hk-tick-collector" "$HK_BIN/opend-sim" "$T/bin/"
run_rc missing-binary 2 env MARKETPRISM_BIN_DIR="$T/bin" \
    MARKETPRISM_SERVICES="nats clickhouse hot collector cold" "$M" start
has "^ERROR: hot-store: binary $T/bin/hot-store missing; build it with: make build$"
ok "missing binary: start exit 2 with 'make build'"

# --- stop: reverse order, nothing left ------------------------------------------------
pids=$(cat "$T"/state/run/*.pid)
run_ok stop "$M" stop
stops=$(printf '%s\n' "$OUT" | sed -n 's/^\([A-Za-z-]*\): stopped.*/\1/p' | tr '\n' ' ')
[ "$stops" = "collector opend-sim ClickHouse NATS " ] || fail "stop order: $stops"
for p in $pids; do mp_alive "$p" && fail "pid $p still running after stop"; done
[ -z "$(ls "$T/lock")" ] || fail "locks left after stop: $(ls "$T/lock")"
[ -z "$(ls "$T/state/run")" ] || fail "pid files left after stop"
run_ok stop-again "$M" stop
has '^NATS: not running$'
run_ok status-stopped "$M" status
has "^NATS +- +$P_NATS/$P_MON +stopped +-$"
ok "stop: reverse order, every process gone, no lock or pid file left"

# --- a foreign live lock: kept by clean, file removed by --force, nothing killed -------
# The holder is one process (sleep, exec'ed with the lock on fd 9) and
# writes nothing to our stdout: a leftover child holding the test's output
# open would keep ctest waiting for it after the test ended.
(exec 9>"$T/lock/marketprism_hot.lock" && flock 9 && exec sleep 120) </dev/null >/dev/null 2>&1 &
HOLDER=$!
E2E_PIDS+=("$HOLDER")
sleep 0.3
echo "$HOLDER" >"$T/lock/marketprism_hot.lock"
run_ok clean-live "$M" clean
has "^kept $T/lock/marketprism_hot\.lock: pid $HOLDER is running \(stop it first, or clean --force\)$"
has '^clean: 0 file\(s\) removed$'
run_ok diagnose-foreign "$M" diagnose
has "^\[[0-9]+\] lock $T/lock/marketprism_hot\.lock held by pid $HOLDER, not started from this state dir$"
run_ok clean-force "$M" clean --force
has "^removed $T/lock/marketprism_hot\.lock \(--force; pid $HOLDER is still running and was not stopped\)$"
kill -0 "$HOLDER" || fail "clean --force killed the lock holder"
[ -e "$T/lock/marketprism_hot.lock" ] && fail "clean --force kept the file"
ok "foreign live lock: clean keeps it, clean --force removes the file and kills nothing"
