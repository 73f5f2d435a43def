#!/usr/bin/env bash
# MarketPrism pipeline control (runbook 002): one command for NATS,
# ClickHouse, hot-store, the collector and cold-store on this host.
#
#   ./scripts/manage_all.sh init|start|stop|restart|status|health|diagnose|clean [--force]
#
# Settings: config/marketprism.env (environment wins). Start order NATS ->
# ClickHouse -> hot-store -> collector -> cold-store (opend-sim before the
# collector when OPEND_SIM=1), each waiting until the previous is healthy;
# stop is the reverse order. Processes are known by our PID files and lock
# files only (services/common/mp_lib.sh). docs/pipeline-ops.md shows each
# verb with its output.
#
# Exit status: 0 ok; 1 failure (start: first failing service's code: 2
# binary missing, 3 port taken, 4 lock held, 5 not healthy); health: 1 when
# anything is unhealthy; 64 usage.
set -uo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../services/common/mp_lib.sh"
. "$MP_ROOT/services/common/mp_run.sh"

usage() {
    cat <<'EOF'
usage: ./scripts/manage_all.sh COMMAND

  init       install missing packages, create state dirs, write the NATS and
             ClickHouse configs, create the JetStream stream and the tables
  start      start every service in order, each after the previous is healthy
  stop       stop every service in reverse order (SIGTERM, bounded wait)
  restart    stop, then start
  status     table of service, PID, port, health, uptime
  health     every /health plus data freshness, consumer and replication lag
             (exit 1 when unhealthy)
  diagnose   ports, locks, binaries, last errors, each with the fixing command
  clean      remove stale lock and PID files (--force: also locks of live
             processes; never kills)

settings: config/marketprism.env (MARKETPRISM_ENV_FILE), environment wins
EOF
}

cmd_start() {
    local s rc
    for s in $(mp_list); do
        mp_start_one "$s" || {
            rc=$?
            mp_err "start stopped at $(mp_title "$s"); run ./scripts/manage_all.sh diagnose"
            return $rc
        }
    done
    mp_say "all services started"
}

cmd_stop() {
    local s rc=0 list
    list=$(mp_list | tac)
    for s in $list; do
        mp_stop_one "$s" || rc=1
    done
    return $rc
}

# health_data : freshness, consumer lag, replication lag; 1 when a
# threshold is exceeded.
health_data() {
    local rc=0 newest now age lag rlag rrows
    if mp_enabled clickhouse || mp_enabled hot; then
        newest=$(mp_ch_query "SELECT max(ts_ms), count() FROM $HOT_DATABASE.ticks" 2>/dev/null)
        now=$(($(date +%s%N) / 1000000))
        if [ -z "$newest" ]; then
            mp_say "FAIL freshness: cannot query $HOT_DATABASE.ticks on $CLICKHOUSE_URL"
            rc=1
        elif [ "${newest##*[[:space:]]}" = 0 ]; then
            mp_say "info freshness: $HOT_DATABASE.ticks is empty"
        else
            age=$(((now - ${newest%%[[:space:]]*}) / 1000))
            if [ "$HEALTH_MAX_FRESHNESS_SEC" -gt 0 ] && [ "$age" -gt "$HEALTH_MAX_FRESHNESS_SEC" ]; then
                mp_say "FAIL freshness: newest tick in hot is ${age}s old (> $HEALTH_MAX_FRESHNESS_SEC)"
                rc=1
            else
                mp_say "ok   freshness: newest tick in hot is ${age}s old (${newest##*[[:space:]]} rows)"
            fi
        fi
    fi
    if mp_enabled hot && mp_pid hot >/dev/null; then
        lag=$(mp_metric hot 'hot_consumer_pending')
        if [ -z "$lag" ]; then
            mp_say "info consumer lag: not reported by hot-store /metrics"
        elif [ "${lag%.*}" -gt "$HEALTH_MAX_CONSUMER_LAG" ]; then
            mp_say "FAIL consumer lag: $lag messages pending (> $HEALTH_MAX_CONSUMER_LAG)"
            rc=1
        else
            mp_say "ok   consumer lag: $lag messages pending"
        fi
    fi
    if mp_enabled cold && mp_pid cold >/dev/null; then
        rlag=$(mp_metric cold 'cold_replication_lag_seconds')
        rrows=$(mp_metric cold 'cold_replication_lag_rows')
        if [ -z "$rlag" ]; then
            mp_say "info replication lag: not reported by cold-store /metrics"
        elif [ "$HEALTH_MAX_REPLICATION_LAG_SEC" -gt 0 ] &&
            [ "${rlag%.*}" -gt "$HEALTH_MAX_REPLICATION_LAG_SEC" ]; then
            mp_say "FAIL replication lag: ${rlag}s, ${rrows:-?} rows (> $HEALTH_MAX_REPLICATION_LAG_SEC s)"
            rc=1
        else
            mp_say "ok   replication lag: ${rlag}s, ${rrows:-?} rows"
        fi
    fi
    return $rc
}

cmd_health() {
    local s h rc=0
    for s in $(mp_list); do
        if h=$(mp_health "$s"); then
            mp_say "ok   $(mp_title "$s"): $h"
        else
            mp_say "FAIL $(mp_title "$s"): $h"
            rc=1
        fi
    done
    health_data || rc=1
    if [ $rc = 0 ]; then mp_say "overall: healthy"; else mp_say "overall: UNHEALTHY"; fi
    return $rc
}

cmd_diagnose() {
    local s n=0 p i pid owner lock log b errs
    find_() {
        n=$((n + 1))
        mp_say "[$n] $1"
        mp_say "    fix: $2"
    }
    mp_say "== settings: ${MARKETPRISM_ENV_FILE:-config/marketprism.env}; state $MARKETPRISM_STATE_DIR; logs $MARKETPRISM_LOG_DIR; locks $MARKETPRISM_LOCK_DIR"
    for s in $(mp_list); do
        mp_external "$s" && continue
        b=$(mp_bin "$s")
        if [ ! -x "$b" ]; then
            case "$s" in
            nats | clickhouse) find_ "$(mp_title "$s"): $b not installed" "./scripts/manage_all.sh init" ;;
            *) find_ "$(mp_title "$s"): binary $b missing" "make build" ;;
            esac
        fi
        case "$s" in
        nats) [ -f "$MARKETPRISM_STATE_DIR/nats/nats.conf" ] ||
            find_ "NATS: not initialised (no nats.conf)" "./scripts/manage_all.sh init" ;;
        clickhouse) [ -f "$MARKETPRISM_STATE_DIR/clickhouse/config.xml" ] ||
            find_ "ClickHouse: not initialised (no config.xml)" "./scripts/manage_all.sh init" ;;
        esac
        pid=$(mp_pid "$s") || pid=""
        i=0
        for p in $(mp_ports "$s"); do
            if owner=$(mp_port_owner "$p"); then
                if [ -z "$pid" ] || [[ $owner != "pid=$pid "* ]]; then
                    find_ "$(mp_title "$s"): port $p taken by $owner, not ours" \
                        "stop that process (ss -ltnp 'sport = :$p'), or set $(mp_port_var "$s" $i)=<free port> in config/marketprism.env"
                fi
            fi
            i=$((i + 1))
        done
        if [ -n "$pid" ] && ! mp_health "$s" >/dev/null; then
            find_ "$(mp_title "$s"): running (pid $pid) but $(mp_health "$s")" \
                "tail -n 50 $(mp_log "$s"); ./scripts/manage_all.sh restart"
        elif [ -z "$pid" ]; then
            find_ "$(mp_title "$s"): not running" "./scripts/manage_all.sh start"
        fi
        log=$(mp_log "$s")
        if [ -f "$log" ]; then
            errs=$(grep -aE '\b(ERROR|FATAL|Error|Fatal|\[ERR\]|<Error>)' "$log" | tail -n 3)
            if [ -n "$errs" ]; then
                mp_say "    last errors in $log:"
                printf '%s\n' "$errs" | cut -c1-200 | sed 's/^/      /'
            fi
        fi
    done
    for s in nats clickhouse hot opend_sim collector cold; do
        lock=$(mp_lock "$s")
        [ -e "$lock" ] || continue
        pid=$(cat "$lock" 2>/dev/null)
        if flock -n "$lock" true 2>/dev/null &&
            ! { [[ $pid =~ ^[0-9]+$ ]] && mp_alive "$pid"; }; then
            find_ "stale lock $lock (pid ${pid:-?} not running)" "./scripts/manage_all.sh clean"
        elif ! mp_is_our_pid "$pid"; then
            find_ "lock $lock held by pid ${pid:-?}, not started from this state dir" \
                "stop that instance, or ./scripts/manage_all.sh clean --force to drop the file (never kills)"
        fi
    done
    if [ $n = 0 ]; then mp_say "no problems found"; else mp_say "$n finding(s)"; fi
    return 0
}

main() {
    local verb=${1:-}
    [ $# -gt 0 ] && shift
    mp_load_settings
    case "$verb" in
    init) mp_init ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart)
        cmd_stop || return 1
        cmd_start
        ;;
    status) mp_status $(mp_list) ;;
    health) cmd_health ;;
    diagnose) cmd_diagnose ;;
    clean) mp_clean "$@" -- nats clickhouse hot opend_sim collector cold ;;
    -h | --help | help) usage ;;
    *)
        usage >&2
        return 64
        ;;
    esac
}

main "$@"
