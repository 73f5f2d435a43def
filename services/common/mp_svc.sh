#!/usr/bin/env bash
# The per-service manage.sh command line (services/<name>/scripts/manage.sh):
# the same verbs as scripts/manage_all.sh, restricted to one group of
# services, with an optional target naming a member (`start hot`).
#
#   group broker:    nats
#   group collector: opend_sim (only when OPEND_SIM=1), collector
#   group storage:   clickhouse, hot, cold
#
# Sourced after mp_lib.sh and mp_run.sh by each manage.sh, which calls
# mp_svc_main GROUP "$@".

mp_group_members() { # GROUP -> members in start order
    case "$1" in
    broker) echo nats ;;
    collector) echo opend_sim collector ;;
    storage) echo clickhouse hot cold ;;
    esac
}

mp_group_usage() { # GROUP
    local t=""
    [ "$1" = storage ] && t=" [hot|cold|clickhouse]"
    printf '%s\n' "usage: ./manage.sh COMMAND" "" \
        "  start$t     start (after its dependencies in this group)" \
        "  stop$t      stop (SIGTERM, bounded wait)" \
        "  restart$t   stop, then start" \
        "  status      service, PID, port, health, uptime" \
        "  health      /health of each (exit 1 when unhealthy)" \
        "  logs [-f]   last 100 log lines (-f: follow)" \
        "  clean [--force]  remove stale lock/PID files (--force: also live ones; never kills)" \
        "" "settings: config/marketprism.env at the repository root (environment wins)"
}

# mp_group_targets GROUP [TARGET] : members to act on, in start order (the
# enabled ones; a named target always).
mp_group_targets() {
    local g=$1 t=${2:-} m out=""
    if [ -n "$t" ]; then
        for m in $(mp_group_members "$g"); do
            if [ "$m" = "$t" ]; then
                echo "$t"
                return 0
            fi
        done
        mp_err "unknown target '$t' (one of: $(mp_group_members "$g"))"
        return 64
    fi
    for m in $(mp_group_members "$g"); do
        mp_enabled "$m" && out+="$m "
    done
    echo "$out"
}

mp_group_start() { # TARGETS...
    local s
    for s in "$@"; do
        # hot and cold need ClickHouse (ours, when this host runs it).
        if [ "$s" = hot ] || [ "$s" = cold ]; then
            if mp_enabled clickhouse && ! mp_external clickhouse &&
                ! mp_pid clickhouse >/dev/null; then
                mp_start_one clickhouse || return
            fi
        fi
        mp_start_one "$s" || return
    done
}

mp_group_stop() { # TARGETS... (stopped in reverse order)
    local s rc=0 rev=()
    for s in "$@"; do rev=("$s" "${rev[@]}"); done
    for s in "${rev[@]}"; do
        mp_stop_one "$s" || rc=1
    done
    return $rc
}

mp_group_health() { # GROUP TARGETS...
    local g=$1 s h rc=0 js n
    shift
    for s in "$@"; do
        if h=$(mp_health "$s"); then
            mp_say "ok   $(mp_title "$s"): $h"
        else
            mp_say "FAIL $(mp_title "$s"): $h"
            rc=1
        fi
    done
    if [ "$g" = broker ] && [ $rc = 0 ] && ! mp_external nats; then
        js=$(curl -s -m 3 "http://$NATS_HOST:$NATS_MONITOR_PORT/jsz?streams=true")
        if [[ $js == *"\"name\": \"$NATS_STREAM\""* ]] || [[ $js == *"\"name\":\"$NATS_STREAM\""* ]]; then
            n=$(printf '%s' "$js" | grep -o '"messages": *[0-9]*' | head -n 1 | tr -dc '0-9')
            mp_say "ok   JetStream: stream $NATS_STREAM present (${n:-0} messages)"
        else
            mp_say "FAIL JetStream: stream $NATS_STREAM missing; run: ./scripts/manage_all.sh init"
            rc=1
        fi
    fi
    return $rc
}

mp_group_logs() { # GROUP [-f]
    local s logs=()
    for s in $(mp_group_members "$1"); do
        [ -f "$(mp_log "$s")" ] && logs+=("$(mp_log "$s")")
    done
    if [ ${#logs[@]} -eq 0 ]; then
        mp_err "no log yet in $MARKETPRISM_LOG_DIR"
        return 1
    fi
    if [ "${2:-}" = -f ]; then
        exec tail -n 100 -F "${logs[@]}"
    fi
    tail -n 100 "${logs[@]}"
}

mp_svc_main() { # GROUP VERB [ARG]
    local g=$1 verb=${2:-} arg=${3:-} targets
    mp_load_settings
    case "$verb" in
    start | stop | restart)
        targets=$(mp_group_targets "$g" "$arg") || return 64
        # The collector's upstream simulator goes with it.
        if [ "$g" = collector ] && [ "$arg" = collector ] && mp_enabled opend_sim; then
            targets="opend_sim collector"
        fi
        case "$verb" in
        start) mp_group_start $targets ;;
        stop) mp_group_stop $targets ;;
        restart) mp_group_stop $targets && mp_group_start $targets ;;
        esac
        ;;
    status) mp_status $(mp_group_targets "$g") ;;
    health) mp_group_health "$g" $(mp_group_targets "$g") ;;
    logs) mp_group_logs "$g" "$arg" ;;
    clean) mp_clean "$arg" -- $(mp_group_members "$g") ;;
    -h | --help | help) mp_group_usage "$g" ;;
    *)
        mp_group_usage "$g" >&2
        return 64
        ;;
    esac
}
