#!/usr/bin/env bash
# Helpers for the manage_all.sh / runbook 002 tests (sourced after lib.sh and
# e2e_init): every setting of config/marketprism.env pointed at free loopback
# ports and temp dirs, so tests never touch the runbook's defaults (/tmp
# locks, ports 4222/8222/8123/8085/8086/8087) nor collide with each other.
# The servers are started by manage_all.sh itself (that is what is tested),
# so this file needs no lib_nats.sh / lib_clickhouse.sh.

MROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# mp_alive PID (a process that exited but is not reaped yet has stopped):
# the tests judge "stopped" exactly as manage_all.sh does.
source "$MROOT/services/common/mp_lib.sh"

# need_servers : exits 77 when nats-server or clickhouse-server is missing.
need_servers() {
    command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] ||
        skip "nats-server not installed (bash scripts/install-deps.sh --servers)"
    command -v clickhouse-server >/dev/null || [ -x /usr/sbin/clickhouse-server ] ||
        skip "clickhouse-server not installed (bash scripts/install-deps.sh --servers)"
    command -v ss >/dev/null && command -v flock >/dev/null || skip "ss/flock missing"
}

# mp_env_setup DIR : exports the settings for an isolated instance under DIR.
mp_env_setup() {
    local d=$1 p
    read -r -a p <<<"$(free_ports 8)"
    export MARKETPRISM_STATE_DIR=$d/state MARKETPRISM_LOG_DIR=$d/logs
    export MARKETPRISM_LOCK_DIR=$d/lock
    export NATS_PORT=${p[0]} NATS_MONITOR_PORT=${p[1]}
    export CLICKHOUSE_HTTP_PORT=${p[2]} CLICKHOUSE_TCP_PORT=${p[3]}
    export HOT_HTTP_PORT=${p[4]} COLD_HTTP_PORT=${p[5]} COLLECTOR_HTTP_PORT=${p[6]}
    export FUTU_PORT=${p[7]}
    export OPEND_SIM=1 OPEND_SIM_RATE=${OPEND_SIM_RATE:-200}
    export FUTU_SYMBOLS=HK.00700,HK.00981,HK.00005
    export MARKETPRISM_START_TIMEOUT=60 MARKETPRISM_STOP_TIMEOUT=30
    export STOP_FLUSH_TIMEOUT_SEC=10 HEALTH_TICK_SEC=2
    MP_PORTS="${p[*]}"
    export MP_PORTS
    unset NATS_URL CLICKHOUSE_URL COLD_CLICKHOUSE_URL DATA_ROOT COLD_STATE_DIR
}

# mp_kill_leftovers : test cleanup; stops what a failed test left running
# (by our PID files only).
mp_kill_leftovers() {
    local f p
    for f in "$MARKETPRISM_STATE_DIR"/run/*.pid; do
        [ -f "$f" ] || continue
        p=$(cat "$f")
        kill -TERM "$p" 2>/dev/null || continue
        for _ in $(seq 1 50); do
            mp_alive "$p" || break
            sleep 0.1
        done
        kill -9 "$p" 2>/dev/null || true
    done
}

# run_ok NAME CMD... : runs CMD, output in $OUT; fails on a non-zero exit.
run_ok() {
    local name=$1
    shift
    echo "# ${SECONDS}s $name"
    set +e
    OUT=$("$@" 2>&1)
    RC=$?
    set -e
    [ "$RC" = 0 ] || fail "$name: exit $RC: $OUT"
}

# run_rc NAME WANT CMD... : like run_ok, expecting exit status WANT.
run_rc() {
    local name=$1 want=$2
    shift 2
    echo "# ${SECONDS}s $name"
    set +e
    OUT=$("$@" 2>&1)
    RC=$?
    set -e
    [ "$RC" = "$want" ] || fail "$name: exit $RC (want $want): $OUT"
}

# has LINE_REGEX : $OUT has a line matching the extended regex.
has() {
    grep -Eq -- "$1" <<<"$OUT" || fail "no line /$1/ in: $OUT"
}

hasnt() {
    if grep -Eq -- "$1" <<<"$OUT"; then fail "unexpected /$1/ in: $OUT"; fi
}
