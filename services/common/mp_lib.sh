#!/usr/bin/env bash
# Shared by scripts/manage_all.sh and services/*/scripts/manage.sh: settings,
# the service table, and start/stop/health of one service.
#
# Services (start order): nats, clickhouse, hot, collector, cold; opend_sim
# runs before the collector when OPEND_SIM=1. Each service we run has
#   - a PID file   $MARKETPRISM_STATE_DIR/run/<svc>.pid
#   - a lock file  $MARKETPRISM_LOCK_DIR/marketprism_<svc>.lock, holding the
#     PID, flock(2)-locked by the running process itself (the launching
#     subshell takes the lock on fd 9 and execs the program, which inherits
#     it), so the lock is released exactly when the process dies: a lock file
#     nobody holds is stale.
#   - a log file   $MARKETPRISM_LOG_DIR/<name>.log
# Processes are found only through those PID files (checked against
# /proc/<pid>/exe), never by name or port; stop sends SIGTERM and waits.
# Sourced, never executed; functions are mp_<verb>; errors go to stderr.

MP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MP_SERVICES_ALL="nats clickhouse hot collector cold"

# mp_abs PATH : PATH made absolute against the repository root.
mp_abs() {
    case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$MP_ROOT/$1" ;;
    esac
}

# mp_load_settings : environment, then the settings file for unset names,
# then built-in defaults (the runbook's ports). Exports everything.
mp_load_settings() {
    local f line k v
    f=$(mp_abs "${MARKETPRISM_ENV_FILE:-config/marketprism.env}")
    if [ -r "$f" ]; then
        while IFS= read -r line || [ -n "$line" ]; do
            line=${line#"${line%%[![:space:]]*}"}
            line=${line%"${line##*[![:space:]]}"}
            case "$line" in '' | '#'*) continue ;; esac
            line=${line#export }
            k=${line%%=*}
            v=${line#*=}
            [[ $k =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
            if [[ $v =~ ^\"(.*)\"$ ]] || [[ $v =~ ^\'(.*)\'$ ]]; then
                v=${BASH_REMATCH[1]}
            fi
            [ -n "${!k:-}" ] || export "$k=$v"
        done <"$f"
    fi
    : "${MARKETPRISM_STATE_DIR:=data/marketprism}"
    : "${MARKETPRISM_LOG_DIR:=logs}"
    : "${MARKETPRISM_LOCK_DIR:=/tmp}"
    : "${MARKETPRISM_BIN_DIR:=build/bin}"
    : "${MARKETPRISM_SERVICES:=$MP_SERVICES_ALL}"
    : "${MARKETPRISM_START_TIMEOUT:=60}"
    : "${MARKETPRISM_STOP_TIMEOUT:=75}"
    : "${NATS_HOST:=127.0.0.1}" "${NATS_PORT:=4222}" "${NATS_MONITOR_PORT:=8222}"
    : "${NATS_STREAM:=HK_TICKS}" "${NATS_STREAM_MAX_AGE_SEC:=604800}"
    : "${NATS_STREAM_MAX_BYTES:=8589934592}" "${NATS_DUPLICATE_WINDOW_SEC:=600}"
    : "${CLICKHOUSE_HOST:=127.0.0.1}" "${CLICKHOUSE_HTTP_PORT:=8123}"
    : "${CLICKHOUSE_TCP_PORT:=9000}"
    : "${HOT_DATABASE:=marketprism_hot}" "${COLD_DATABASE:=marketprism_cold}"
    : "${HTTP_BIND:=127.0.0.1}" "${HOT_HTTP_PORT:=8085}" "${COLD_HTTP_PORT:=8086}"
    : "${COLLECTOR_HTTP_PORT:=8087}" "${HOT_RETENTION_DAYS:=3}"
    : "${FUTU_HOST:=127.0.0.1}" "${FUTU_PORT:=11111}"
    : "${FUTU_SYMBOLS:=HK.00700,HK.00981}"
    : "${OPEND_SIM:=0}" "${OPEND_SIM_RATE:=100}"
    : "${HEALTH_MAX_FRESHNESS_SEC:=0}" "${HEALTH_MAX_CONSUMER_LAG:=100000}"
    : "${HEALTH_MAX_REPLICATION_LAG_SEC:=300}"
    MARKETPRISM_STATE_DIR=$(mp_abs "$MARKETPRISM_STATE_DIR")
    MARKETPRISM_LOG_DIR=$(mp_abs "$MARKETPRISM_LOG_DIR")
    MARKETPRISM_LOCK_DIR=$(mp_abs "$MARKETPRISM_LOCK_DIR")
    MARKETPRISM_BIN_DIR=$(mp_abs "$MARKETPRISM_BIN_DIR")
    : "${DATA_ROOT:=$MARKETPRISM_STATE_DIR/sqlite/HK}"
    DATA_ROOT=$(mp_abs "$DATA_ROOT")
    # External servers: a URL given by the operator means "not ours".
    MP_NATS_EXTERNAL=0
    MP_CH_EXTERNAL=0
    [ -n "${NATS_URL:-}" ] && MP_NATS_EXTERNAL=1
    [ -n "${CLICKHOUSE_URL:-}" ] && MP_CH_EXTERNAL=1
    : "${NATS_URL:=nats://$NATS_HOST:$NATS_PORT}"
    : "${CLICKHOUSE_URL:=http://$CLICKHOUSE_HOST:$CLICKHOUSE_HTTP_PORT}"
    : "${COLD_CLICKHOUSE_URL:=$CLICKHOUSE_URL}"
    : "${COLD_STATE_DIR:=$MARKETPRISM_STATE_DIR/cold}"
    export MARKETPRISM_STATE_DIR MARKETPRISM_LOG_DIR MARKETPRISM_LOCK_DIR \
        MARKETPRISM_BIN_DIR MARKETPRISM_SERVICES MARKETPRISM_START_TIMEOUT \
        MARKETPRISM_STOP_TIMEOUT NATS_HOST NATS_PORT NATS_MONITOR_PORT \
        NATS_STREAM NATS_STREAM_MAX_AGE_SEC NATS_STREAM_MAX_BYTES \
        NATS_DUPLICATE_WINDOW_SEC CLICKHOUSE_HOST CLICKHOUSE_HTTP_PORT \
        CLICKHOUSE_TCP_PORT HOT_DATABASE COLD_DATABASE HTTP_BIND \
        HOT_HTTP_PORT COLD_HTTP_PORT COLLECTOR_HTTP_PORT HOT_RETENTION_DAYS \
        FUTU_HOST FUTU_PORT FUTU_SYMBOLS OPEND_SIM OPEND_SIM_RATE DATA_ROOT \
        NATS_URL CLICKHOUSE_URL COLD_CLICKHOUSE_URL COLD_STATE_DIR
    MP_RUN=$MARKETPRISM_STATE_DIR/run
}

# --- the service table ------------------------------------------------------

mp_bin() { # SVC -> program path
    case "$1" in
    nats) command -v nats-server || echo /usr/sbin/nats-server ;;
    clickhouse) command -v clickhouse-server || echo /usr/sbin/clickhouse-server ;;
    hot) echo "$MARKETPRISM_BIN_DIR/hot-store" ;;
    cold) echo "$MARKETPRISM_BIN_DIR/cold-store" ;;
    collector) echo "$MARKETPRISM_BIN_DIR/hk-tick-collector" ;;
    opend_sim) echo "$MARKETPRISM_BIN_DIR/opend-sim" ;;
    esac
}

mp_ports() { # SVC -> the TCP ports it listens on (first = main)
    case "$1" in
    nats) echo "$NATS_PORT $NATS_MONITOR_PORT" ;;
    clickhouse) echo "$CLICKHOUSE_HTTP_PORT $CLICKHOUSE_TCP_PORT" ;;
    hot) echo "$HOT_HTTP_PORT" ;;
    cold) echo "$COLD_HTTP_PORT" ;;
    collector) echo "$COLLECTOR_HTTP_PORT" ;;
    opend_sim) echo "$FUTU_PORT" ;;
    esac
}

mp_log() { # SVC -> log file (the runbook's names)
    local n
    case "$1" in
    hot) n=hot_storage ;;
    cold) n=cold_storage ;;
    opend_sim) n=opend-sim ;;
    *) n=$1 ;;
    esac
    echo "$MARKETPRISM_LOG_DIR/$n.log"
}

mp_lock() { echo "$MARKETPRISM_LOCK_DIR/marketprism_$1.lock"; }
mp_pidfile() { echo "$MP_RUN/$1.pid"; }

mp_title() {
    case "$1" in
    nats) echo "NATS" ;;
    clickhouse) echo "ClickHouse" ;;
    hot) echo "hot-store" ;;
    cold) echo "cold-store" ;;
    collector) echo "collector" ;;
    opend_sim) echo "opend-sim" ;;
    esac
}

mp_external() { # SVC -> 0 when an operator-run server is used instead
    case "$1" in
    nats) [ "$MP_NATS_EXTERNAL" = 1 ] ;;
    clickhouse) [ "$MP_CH_EXTERNAL" = 1 ] ;;
    *) return 1 ;;
    esac
}

mp_enabled() { # SVC -> 0 when this host runs it
    local s
    if [ "$1" = opend_sim ]; then
        mp_truthy "$OPEND_SIM" && mp_enabled collector
        return
    fi
    for s in $MARKETPRISM_SERVICES; do
        [ "$s" = "$1" ] && return 0
    done
    return 1
}

mp_truthy() {
    case "${1,,}" in 1 | true | yes | y | on) return 0 ;; *) return 1 ;; esac
}

# mp_list : enabled services in start order (opend_sim before collector).
mp_list() {
    local s
    for s in nats clickhouse hot opend_sim collector cold; do
        mp_enabled "$s" && echo "$s"
    done
    return 0
}

# --- processes -----------------------------------------------------------------

# mp_alive PID : 0 when PID runs. A process that exited but is not reaped
# yet (a zombie: its parent is init, which may reap it seconds later) has
# stopped; kill -0 alone would still count it.
mp_alive() {
    local st
    kill -0 "$1" 2>/dev/null || return 1
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
    [ "${st%% *}" != Z ]
}

# mp_pid SVC : prints the PID of our running instance; 1 when none. A PID
# file whose process is gone or runs another program does not count.
mp_pid() {
    local f pid exe want
    f=$(mp_pidfile "$1")
    [ -r "$f" ] || return 1
    pid=$(cat "$f" 2>/dev/null)
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    mp_alive "$pid" || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || exe=""
    want=$(readlink -f "$(mp_bin "$1")")
    if [ -n "$exe" ] && [ "${exe% (deleted)}" != "$want" ]; then
        # A script runs as its interpreter: then the program path is an
        # argument on its command line.
        tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 3 |
            grep -qxF -- "$(mp_bin "$1")" || return 1
    fi
    echo "$pid"
}

mp_uptime() { # PID -> "1h02m03s"
    local s
    s=$(ps -o etimes= -p "$1" 2>/dev/null | tr -d ' ')
    [ -n "$s" ] || {
        echo "-"
        return
    }
    printf '%dh%02dm%02ds\n' $((s / 3600)) $((s % 3600 / 60)) $((s % 60))
}

# mp_port_owner PORT : prints "pid=N name" of the listener, "" when free
# (1 = free).
mp_port_owner() {
    local line
    line=$(ss -ltnpH "sport = :$1" 2>/dev/null | head -n 1)
    [ -n "$line" ] || return 1
    if [[ $line =~ \(\"([^\"]+)\",pid=([0-9]+) ]]; then
        echo "pid=${BASH_REMATCH[2]} ${BASH_REMATCH[1]}"
    else
        echo "pid=? (not visible to $(id -un))"
    fi
}

# mp_is_our_pid PID : 0 when PID is in one of our PID files.
mp_is_our_pid() {
    local s p
    for s in nats clickhouse hot opend_sim collector cold; do
        p=$(mp_pid "$s") || continue
        [ "$p" = "$1" ] && return 0
    done
    return 1
}

# --- health ---------------------------------------------------------------------

mp_url() { # SVC -> health URL
    case "$1" in
    nats) echo "http://$NATS_HOST:$NATS_MONITOR_PORT/healthz" ;;
    clickhouse) echo "${CLICKHOUSE_URL%/}/?query=SELECT%201" ;;
    hot) echo "http://$HTTP_BIND:$HOT_HTTP_PORT/health" ;;
    cold) echo "http://$HTTP_BIND:$COLD_HTTP_PORT/health" ;;
    collector) echo "http://$HTTP_BIND:$COLLECTOR_HTTP_PORT/health" ;;
    esac
}

# mp_health SVC : 0 healthy; prints "healthy", "unhealthy (HTTP 503)" or
# "down".
mp_health() {
    local code
    if [ "$1" = nats ] && mp_external nats; then
        # An operator's NATS: no monitoring URL known, check the client port.
        local hp=${NATS_URL#*://}
        hp=${hp%%/*}
        hp=${hp##*@}
        if timeout 3 bash -c "exec 3<>/dev/tcp/${hp%:*}/${hp##*:}" 2>/dev/null; then
            echo "healthy (external $NATS_URL)"
            return 0
        fi
        echo "down (external $NATS_URL)"
        return 1
    fi
    if [ "$1" = opend_sim ]; then
        if timeout 3 bash -c "exec 3<>/dev/tcp/$FUTU_HOST/$FUTU_PORT" 2>/dev/null; then
            echo "healthy"
            return 0
        fi
        echo "down"
        return 1
    fi
    code=$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$(mp_url "$1")" 2>/dev/null)
    case "$code" in
    200) echo "healthy" ;;
    000 | "") echo "down" ;;
    *) echo "unhealthy (HTTP $code)" ;;
    esac
    [ "$code" = 200 ]
}

# mp_ch_query SQL : runs SQL on ClickHouse (POST); prints the result; 1 on
# failure with the server's message on stderr.
mp_ch_query() {
    local out
    out=$(curl -sS -m 30 -w '\n%{http_code}' --data-binary "$1" \
        "${CLICKHOUSE_URL%/}/" 2>&1) || {
        echo "$out" >&2
        return 1
    }
    if [ "${out##*$'\n'}" != 200 ]; then
        echo "${out%$'\n'*}" >&2
        return 1
    fi
    out=${out%$'\n'*}
    printf '%s' "$out"
    [ -z "$out" ] || echo
}

# mp_metric SVC NAME_REGEX : first value of a Prometheus sample from the
# service's /metrics ("" when absent).
mp_metric() {
    local port
    case "$1" in
    hot) port=$HOT_HTTP_PORT ;;
    cold) port=$COLD_HTTP_PORT ;;
    collector) port=$COLLECTOR_HTTP_PORT ;;
    esac
    curl -s -m 3 "http://$HTTP_BIND:$port/metrics" 2>/dev/null |
        awk -v re="^($2)([{ ])" '$0 ~ re {print $NF; exit}'
}
