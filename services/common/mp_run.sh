#!/usr/bin/env bash
# Shared by the manage scripts: server configs, init, start and stop of one
# service (see mp_lib.sh for the service table, PID files and locks).
#
# start SVC: already ours and running -> nothing; binary missing -> says how
# to build it (2); a port taken by a process that is not ours -> refuses (3);
# lock held by a live process we did not record -> refuses (4); otherwise
# launches it with the lock on fd 9 and waits (bounded) until healthy (5 on
# timeout or early exit, with the log's tail).
# stop SVC: SIGTERM to the recorded PID, waits MARKETPRISM_STOP_TIMEOUT; a
# process still alive then is reported (1), never killed harder.
# Sourced after mp_lib.sh.

mp_say() { printf '%s\n' "$*"; }
mp_err() { printf 'ERROR: %s\n' "$*" >&2; }

mp_port_var() { # SVC INDEX -> name of the setting for that port
    case "$1:$2" in
    nats:0) echo NATS_PORT ;;
    nats:1) echo NATS_MONITOR_PORT ;;
    clickhouse:0) echo CLICKHOUSE_HTTP_PORT ;;
    clickhouse:1) echo CLICKHOUSE_TCP_PORT ;;
    hot:0) echo HOT_HTTP_PORT ;;
    cold:0) echo COLD_HTTP_PORT ;;
    collector:0) echo COLLECTOR_HTTP_PORT ;;
    opend_sim:0) echo FUTU_PORT ;;
    esac
}

# --- server configs ------------------------------------------------------------

mp_write_nats_conf() {
    local d=$MARKETPRISM_STATE_DIR/nats
    mkdir -p "$d/jetstream"
    cat >"$d/nats.conf.tmp" <<EOF
# Written by manage_all.sh init from config/marketprism.env; edits are lost.
listen: $NATS_HOST:$NATS_PORT
http: $NATS_HOST:$NATS_MONITOR_PORT
server_name: marketprism
jetstream {
  store_dir: "$d/jetstream"
}
EOF
    mv "$d/nats.conf.tmp" "$d/nats.conf"
}

mp_write_ch_conf() {
    local d=$MARKETPRISM_STATE_DIR/clickhouse
    mkdir -p "$d/data/tmp" "$d/data/user_files" "$d/data/format_schemas"
    cat >"$d/config.xml.tmp" <<EOF
<?xml version="1.0"?>
<!-- Written by manage_all.sh init from config/marketprism.env; edits are lost. -->
<yandex>
  <logger>
    <level>information</level>
    <log>$MARKETPRISM_LOG_DIR/clickhouse.log</log>
    <errorlog>$MARKETPRISM_LOG_DIR/clickhouse.err.log</errorlog>
    <size>100M</size>
    <count>3</count>
  </logger>
  <http_port>$CLICKHOUSE_HTTP_PORT</http_port>
  <tcp_port>$CLICKHOUSE_TCP_PORT</tcp_port>
  <listen_host>$CLICKHOUSE_HOST</listen_host>
  <path>$d/data/</path>
  <tmp_path>$d/data/tmp/</tmp_path>
  <user_files_path>$d/data/user_files/</user_files_path>
  <format_schema_path>$d/data/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
EOF
    cat >"$d/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
    mv "$d/config.xml.tmp" "$d/config.xml"
}

# mp_cmd SVC : fills the array MP_CMD with the command line.
mp_cmd() {
    local b
    b=$(mp_bin "$1")
    case "$1" in
    nats) MP_CMD=("$b" -c "$MARKETPRISM_STATE_DIR/nats/nats.conf") ;;
    clickhouse)
        MP_CMD=("$b" "--config-file=$MARKETPRISM_STATE_DIR/clickhouse/config.xml")
        ;;
    hot | cold) MP_CMD=("$b") ;;
    collector)
        MP_CMD=(env)
        # No NATS on this host and none given: the collector does not publish.
        if ! mp_enabled nats && ! mp_external nats; then
            MP_CMD+=(-u NATS_URL)
        fi
        MP_CMD+=("HTTP_PORT=$COLLECTOR_HTTP_PORT" "HTTP_HOST=$HTTP_BIND"
            "DATA_ROOT=$DATA_ROOT" "$b")
        ;;
    opend_sim)
        MP_CMD=("$b" --listen "$FUTU_HOST:$FUTU_PORT" --symbols "$FUTU_SYMBOLS"
            --rate "$OPEND_SIM_RATE" --truth "$MARKETPRISM_LOG_DIR/opend-sim-truth.csv"
            --control "$MP_RUN/opend-sim.ctl")
        # shellcheck disable=SC2206 # word splitting wanted
        [ -z "${OPEND_SIM_ARGS:-}" ] || MP_CMD+=($OPEND_SIM_ARGS)
        ;;
    esac
}

mp_need_conf() { # SVC -> 0 when its config exists (else says to run init)
    local f
    case "$1" in
    nats) f=$MARKETPRISM_STATE_DIR/nats/nats.conf ;;
    clickhouse) f=$MARKETPRISM_STATE_DIR/clickhouse/config.xml ;;
    *) return 0 ;;
    esac
    [ -f "$f" ] && return 0
    mp_err "$(mp_title "$1"): $f missing; run: ./scripts/manage_all.sh init"
    return 1
}

# --- start ----------------------------------------------------------------------

# mp_check_ports SVC : 0 when every port of SVC is free; 3 (with a message
# naming the holder and the setting to change) when one is taken.
mp_check_ports() {
    local i=0 p owner rc=0
    for p in $(mp_ports "$1"); do
        if owner=$(mp_port_owner "$p"); then
            mp_err "$(mp_title "$1"): port $p is taken by $owner, which is not ours." \
                "Free it (ss -ltnp 'sport = :$p') or set $(mp_port_var "$1" $i)=<port>" \
                "in config/marketprism.env"
            rc=3
        fi
        i=$((i + 1))
    done
    return $rc
}

# mp_check_lock SVC : 0 when the lock is free or stale; 4 when a live
# process we did not record holds it.
mp_check_lock() {
    local lock pid
    lock=$(mp_lock "$1")
    [ -e "$lock" ] || return 0
    if flock -n "$lock" true 2>/dev/null; then
        pid=$(cat "$lock" 2>/dev/null)
        mp_say "$(mp_title "$1"): stale lock $lock (pid ${pid:-?} gone), taking it over"
        return 0
    fi
    pid=$(cat "$lock" 2>/dev/null)
    mp_err "$(mp_title "$1"): lock $lock is held by pid ${pid:-?}, which is not" \
        "recorded in $MP_RUN; another instance (other state dir?) runs. Stop it first."
    return 4
}

# mp_launch SVC : starts MP_CMD detached with its lock on fd 9; sets MP_PID.
mp_launch() {
    local svc=$1 lock pidf log
    lock=$(mp_lock "$svc")
    pidf=$(mp_pidfile "$svc")
    log=$(mp_log "$svc")
    mkdir -p "$MP_RUN" "$MARKETPRISM_LOG_DIR" "$MARKETPRISM_LOCK_DIR"
    case "$svc" in
    collector) mkdir -p "$DATA_ROOT" ;;
    cold) mkdir -p "$COLD_STATE_DIR" ;;
    esac
    rm -f "$pidf"
    (
        exec 9>>"$lock"
        flock -n 9 || exit 75
        echo "$BASHPID" >"$lock"
        echo "$BASHPID" >"$pidf"
        cd "$MARKETPRISM_STATE_DIR" || exit 1
        exec setsid "${MP_CMD[@]}" </dev/null >>"$log" 2>&1
    ) &
    MP_PID=$!
    echo "$(date -u +%FT%TZ) manage: started pid $MP_PID: ${MP_CMD[*]}" >>"$log"
}

# mp_guard_lock SVC PID : a program that closes inherited descriptors at
# startup (clickhouse-server does) drops the lock taken for it; then a guard
# process (flock + tail --pid) holds it until PID exits.
mp_guard_lock() {
    local lock
    lock=$(mp_lock "$1")
    flock -n "$lock" true 2>/dev/null || return 0
    setsid flock -n "$lock" tail --pid="$2" -s 1 -f /dev/null \
        </dev/null >/dev/null 2>&1 9>&- &
    echo "$!" >"$(mp_pidfile "$1").guard"
}

# mp_stop_guard SVC : after SVC exited, end its lock guard at once (its
# tail --pid would wait until the exited process is reaped). The guard is
# its own process group (setsid): flock and the tail holding the lock.
mp_stop_guard() {
    local f g
    f="$(mp_pidfile "$1").guard"
    g=$(cat "$f" 2>/dev/null) || return 0
    rm -f "$f"
    [[ $g =~ ^[0-9]+$ ]] || return 0
    grep -qxF -- "$(mp_lock "$1")" <(tr '\0' '\n' <"/proc/$g/cmdline" 2>/dev/null) ||
        return 0 # not our guard (gone; its PID reused)
    kill -TERM -- "-$g" 2>/dev/null || true
}

# mp_wait_healthy SVC PID : bounded wait; 0 healthy, 5 not.
mp_wait_healthy() {
    local svc=$1 pid=$2 end h
    end=$((SECONDS + MARKETPRISM_START_TIMEOUT))
    while [ $SECONDS -lt $end ]; do
        if ! mp_alive "$pid"; then
            mp_err "$(mp_title "$svc") exited during startup; last lines of $(mp_log "$svc"):"
            tail -n 15 "$(mp_log "$svc")" >&2 2>/dev/null
            rm -f "$(mp_pidfile "$svc")"
            return 5
        fi
        h=$(mp_health "$svc") && return 0
        sleep 0.2
    done
    if [ "$svc" = collector ] && [[ $h == unhealthy* ]]; then
        # The collector's health follows its upstream (OpenD): it is up and
        # will turn healthy when OpenD is; the pipeline does not wait for it.
        mp_say "WARNING: collector is running but $h after ${MARKETPRISM_START_TIMEOUT}s" \
            "(OpenD $FUTU_HOST:$FUTU_PORT reachable?); see $(mp_log collector)"
        return 0
    fi
    mp_err "$(mp_title "$svc") not healthy after ${MARKETPRISM_START_TIMEOUT}s ($h);" \
        "last lines of $(mp_log "$svc"):"
    tail -n 15 "$(mp_log "$svc")" >&2 2>/dev/null
    return 5
}

# mp_start_one SVC : see the file comment for return codes.
mp_start_one() {
    local svc=$1 pid b h rc
    if mp_external "$svc"; then
        h=$(mp_health "$svc") || {
            mp_err "$(mp_title "$svc"): operator-run server is $h"
            return 5
        }
        mp_say "$(mp_title "$svc"): using ${svc^^}_URL, $h"
        return 0
    fi
    if pid=$(mp_pid "$svc"); then
        mp_say "$(mp_title "$svc"): already running (pid $pid)"
        return 0
    fi
    b=$(mp_bin "$svc")
    if [ ! -x "$b" ]; then
        case "$svc" in
        nats | clickhouse)
            mp_err "$(mp_title "$svc"): $b not installed; run: ./scripts/manage_all.sh init"
            ;;
        *) mp_err "$(mp_title "$svc"): binary $b missing; build it with: make build" ;;
        esac
        return 2
    fi
    mp_need_conf "$svc" || return 2
    mp_check_ports "$svc" || return 3
    mp_check_lock "$svc" || return 4
    mp_cmd "$svc"
    mp_launch "$svc"
    mp_wait_healthy "$svc" "$MP_PID" || {
        rc=$?
        [ $rc = 5 ] && mp_alive "$MP_PID" && mp_stop_one "$svc" >/dev/null
        return $rc
    }
    mp_guard_lock "$svc" "$MP_PID"
    mp_say "$(mp_title "$svc"): started (pid $MP_PID, port $(mp_ports "$svc" | tr ' ' '/'))"
}

# --- stop -------------------------------------------------------------------------

# mp_stop_one SVC : 0 stopped or not running; 1 still alive after the wait.
mp_stop_one() {
    local svc=$1 pid end
    if mp_external "$svc"; then
        mp_say "$(mp_title "$svc"): operator-run (${svc^^}_URL), left alone"
        return 0
    fi
    if ! pid=$(mp_pid "$svc"); then
        rm -f "$(mp_pidfile "$svc")" "$(mp_pidfile "$svc").guard"
        mp_say "$(mp_title "$svc"): not running"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null
    end=$((SECONDS + MARKETPRISM_STOP_TIMEOUT))
    while mp_alive "$pid" && [ $SECONDS -lt $end ]; do
        # Reap it when it is our own child (start and stop in one run).
        wait "$pid" 2>/dev/null || true
        sleep 0.1
    done
    if mp_alive "$pid"; then
        mp_err "$(mp_title "$svc") (pid $pid) still running ${MARKETPRISM_STOP_TIMEOUT}s" \
            "after SIGTERM; see $(mp_log "$svc"). To force: kill -9 $pid"
        return 1
    fi
    rm -f "$(mp_pidfile "$svc")"
    mp_stop_guard "$svc"
    # A lock guard (mp_guard_lock) notices the exit within a second.
    end=$((SECONDS + 3))
    while ! flock -n "$(mp_lock "$svc")" true 2>/dev/null && [ $SECONDS -lt $end ]; do
        sleep 0.1
    done
    flock -n "$(mp_lock "$svc")" true 2>/dev/null && rm -f "$(mp_lock "$svc")"
    mp_say "$(mp_title "$svc"): stopped (pid $pid)"
}

# --- init ---------------------------------------------------------------------------

# mp_install_missing : installs the Debian packages of missing tools through
# scripts/install-deps.sh --servers, only when something is missing.
mp_install_missing() {
    local missing=() c
    for c in curl ss flock setsid; do
        command -v "$c" >/dev/null || missing+=("$c")
    done
    if mp_enabled nats && ! mp_external nats; then
        command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] ||
            missing+=(nats-server)
    fi
    if mp_enabled clickhouse && ! mp_external clickhouse; then
        command -v clickhouse-server >/dev/null || [ -x /usr/sbin/clickhouse-server ] ||
            missing+=(clickhouse-server)
    fi
    if [ ${#missing[@]} -eq 0 ]; then
        mp_say "packages: all present"
        return 0
    fi
    mp_say "packages: missing ${missing[*]}; running scripts/install-deps.sh --servers"
    bash "$MP_ROOT/scripts/install-deps.sh" --servers || {
        mp_err "installing packages failed; run: sudo bash scripts/install-deps.sh --servers"
        return 1
    }
}

# mp_nats_stream_ensure : creates stream NATS_STREAM (subjects hk.tick.>,
# file storage) through the JetStream API over a plain TCP connection; an
# existing stream is left as it is (the daemons' own ensure reconciles).
mp_nats_stream_ensure() {
    local hp host port json fd line payload=""
    hp=${NATS_URL#*://}
    hp=${hp%%/*}
    hp=${hp##*@}
    host=${hp%:*}
    port=${hp##*:}
    json=$(printf '{"name":"%s","subjects":["hk.tick.>"],"retention":"limits","storage":"file","max_age":%s000000000,"max_bytes":%s,"duplicate_window":%s000000000,"discard":"old","num_replicas":1}' \
        "$NATS_STREAM" "$NATS_STREAM_MAX_AGE_SEC" "$NATS_STREAM_MAX_BYTES" \
        "$NATS_DUPLICATE_WINDOW_SEC")
    exec {fd}<>"/dev/tcp/$host/$port" || {
        mp_err "NATS $host:$port unreachable"
        return 1
    }
    printf 'CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\nSUB _INBOX.mpinit 1\r\nPUB $JS.API.STREAM.CREATE.%s _INBOX.mpinit %d\r\n%s\r\nPING\r\n' \
        "$NATS_STREAM" "${#json}" "$json" >&"$fd"
    while IFS= read -r -t 10 -u "$fd" line; do
        line=${line%$'\r'}
        case "$line" in
        MSG*)
            IFS= read -r -t 10 -u "$fd" payload
            break
            ;;
        -ERR*) break ;;
        esac
    done
    exec {fd}>&-
    payload=${payload%$'\r'}
    if [[ $payload == *'"error"'* ]]; then
        if [[ $payload == *'"err_code":10058'* ]]; then
            mp_say "stream $NATS_STREAM: exists (settings differ; the daemons reconcile them)"
            return 0
        fi
        mp_err "stream $NATS_STREAM: $payload${line:+ $line}"
        return 1
    fi
    [[ $payload == *'"config"'* ]] || {
        mp_err "stream $NATS_STREAM: no answer from JetStream (${line:-timeout})"
        return 1
    }
    mp_say "stream $NATS_STREAM: ready (subjects hk.tick.>, file storage)"
}

# The ticks table of PIPELINE.md (ClickHouse 18.16), for DB = hot or cold.
mp_ticks_ddl() {
    cat <<EOF
CREATE TABLE IF NOT EXISTS $1.ticks (
  market String, symbol String, ts_ms Int64,
  price Nullable(Float64), volume Nullable(Int64), turnover Nullable(Float64),
  direction Nullable(String), seq Nullable(Int64), tick_type Nullable(String),
  push_type Nullable(String), provider Nullable(String),
  trading_day Date, recv_ts_ms Int64, inserted_at_ms Int64
) ENGINE = ReplacingMergeTree PARTITION BY trading_day ORDER BY (symbol, ifNull(seq, 0), ts_ms)
  SETTINGS old_parts_lifetime = 5
EOF
}

mp_ch_tables_ensure() {
    local db
    for db in "$HOT_DATABASE" "$COLD_DATABASE"; do
        mp_ch_query "CREATE DATABASE IF NOT EXISTS $db" >/dev/null || return 1
        mp_ch_query "$(mp_ticks_ddl "$db")" >/dev/null || return 1
    done
    mp_say "clickhouse: databases $HOT_DATABASE, $COLD_DATABASE and their ticks tables ready"
}

# mp_with_server SVC FUNC : runs FUNC with SVC up, starting it for the
# duration when it is ours and not running.
mp_with_server() {
    local svc=$1 fn=$2 started=0 rc=0
    if ! mp_external "$svc" && ! mp_pid "$svc" >/dev/null; then
        mp_start_one "$svc" || return 1
        started=1
    fi
    "$fn" || rc=1
    if [ $started = 1 ]; then
        mp_stop_one "$svc" >/dev/null || rc=1
    fi
    return $rc
}

mp_init() {
    local rc=0
    mp_install_missing || return 1
    mkdir -p "$MARKETPRISM_STATE_DIR" "$MP_RUN" "$MARKETPRISM_LOG_DIR" \
        "$MARKETPRISM_LOCK_DIR" "$DATA_ROOT" "$COLD_STATE_DIR" || return 1
    mp_say "state dir: $MARKETPRISM_STATE_DIR (logs: $MARKETPRISM_LOG_DIR, locks: $MARKETPRISM_LOCK_DIR)"
    if mp_enabled nats; then
        if ! mp_external nats; then
            mp_write_nats_conf
            mp_say "nats: wrote $MARKETPRISM_STATE_DIR/nats/nats.conf"
        fi
        mp_with_server nats mp_nats_stream_ensure || rc=1
    fi
    if mp_enabled clickhouse; then
        if ! mp_external clickhouse; then
            mp_write_ch_conf
            mp_say "clickhouse: wrote $MARKETPRISM_STATE_DIR/clickhouse/config.xml"
        fi
        mp_with_server clickhouse mp_ch_tables_ensure || rc=1
    fi
    [ $rc = 0 ] && mp_say "init: done"
    return $rc
}

# --- status and clean (manage_all.sh and the per-service scripts) ---------

# mp_status SVC... : the status table of those services.
mp_status() {
    local s pid port h up
    printf '%-12s %-8s %-12s %-24s %s\n' SERVICE PID PORT HEALTH UPTIME
    for s in "$@"; do
        port=$(mp_ports "$s" | tr ' ' '/')
        if mp_external "$s"; then
            pid=external
            up=-
        elif pid=$(mp_pid "$s"); then
            up=$(mp_uptime "$pid")
        else
            pid=-
            up=-
        fi
        h=$(mp_health "$s")
        [ "$pid" = - ] && [ "$h" = down ] && h=stopped
        printf '%-12s %-8s %-12s %-24s %s\n' "$(mp_title "$s")" "$pid" "$port" "$h" "$up"
    done
}

# mp_clean [--force] -- SVC... : removes the stale lock and PID files of
# those services (a lock nobody holds whose PID is gone); --force also the
# lock files of live processes, which are never signalled.
mp_clean() {
    local force=0 lock pid s f n=0 svcs
    [ "${1:-}" = --force ] && force=1
    while [ $# -gt 0 ] && [ "$1" != -- ]; do shift; done
    [ $# -gt 0 ] && shift
    svcs=("$@")
    for s in "${svcs[@]}"; do
        lock=$(mp_lock "$s")
        [ -e "$lock" ] || continue
        pid=$(cat "$lock" 2>/dev/null)
        if ! flock -n "$lock" true 2>/dev/null ||
            { [[ $pid =~ ^[0-9]+$ ]] && mp_alive "$pid"; }; then
            if [ $force = 1 ]; then
                rm -f "$lock"
                mp_say "removed $lock (--force; pid ${pid:-?} is still running and was not stopped)"
                n=$((n + 1))
            else
                mp_say "kept $lock: pid ${pid:-?} is running (stop it first, or clean --force)"
            fi
            continue
        fi
        rm -f "$lock"
        mp_say "removed stale lock $lock (pid ${pid:-?} not running)"
        n=$((n + 1))
    done
    for s in "${svcs[@]}"; do
        f=$(mp_pidfile "$s")
        [ -e "$f" ] || continue
        mp_pid "$s" >/dev/null && continue
        rm -f "$f"
        mp_say "removed stale pid file $f"
        n=$((n + 1))
    done
    mp_say "clean: $n file(s) removed"
}

