#!/usr/bin/env bash
# ClickHouse for end-to-end tests: a real clickhouse-server (Debian 12:
# 18.16) run as a plain process on free loopback ports, with its config,
# data and logs in $T/ch. Source after lib.sh and call e2e_init first.
#
#   start_clickhouse      write $T/ch/config.xml + users.xml (first time),
#                         start, wait for SELECT 1; exports CLICKHOUSE_URL,
#                         CH_PID, CH_HTTP_PORT
#   stop_clickhouse       SIGTERM, wait (SIGKILL after 30 s)
#   restart_clickhouse    stop + start on the same ports and data
#   ch_query SQL          POST SQL to the server, body to stdout; fails on
#                         an HTTP error (text to stderr)
#
# A machine without clickhouse-server skips the test (exit 77).
# 18.16 facts: no DateTime64, no TTL, no insert block dedup; merged-away
# parts come back after a restart unless old_parts_lifetime is short (our
# tables set 5 s).

CH_SERVER=$(command -v clickhouse-server || true)
[ -n "$CH_SERVER" ] || [ ! -x /usr/sbin/clickhouse-server ] ||
    CH_SERVER=/usr/sbin/clickhouse-server


ch_write_config() {
    local d="$T/ch"
    mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/format_schemas"
    CH_HTTP_PORT=${CH_HTTP_PORT:-$(free_port)}
    CH_TCP_PORT=${CH_TCP_PORT:-$(free_port)}
    CH_INTER_PORT=${CH_INTER_PORT:-$(free_port)}
    cat >"$d/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <log>$d/clickhouse-server.log</log>
        <errorlog>$d/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>2</count>
    </logger>
    <http_port>$CH_HTTP_PORT</http_port>
    <tcp_port>$CH_TCP_PORT</tcp_port>
    <interserver_http_port>$CH_INTER_PORT</interserver_http_port>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>256</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>64</max_concurrent_queries>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <mark_cache_size>67108864</mark_cache_size>
    <path>$d/data/</path>
    <tmp_path>$d/tmp/</tmp_path>
    <user_files_path>$d/user_files/</user_files_path>
    <format_schema_path>$d/format_schemas/</format_schema_path>
    <users_config>$d/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
XML
    cat >"$d/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>2000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
XML
}

start_clickhouse() {
    [ -n "$CH_SERVER" ] || skip "clickhouse-server is not installed (scripts/install-deps.sh --test)"
    command -v curl >/dev/null || skip "curl is not installed"
    [ -f "$T/ch/config.xml" ] || ch_write_config
    (cd "$T/ch" && exec "$CH_SERVER" --config-file="$T/ch/config.xml") \
        >>"$T/ch/stdout.log" 2>&1 &
    CH_PID=$!
    E2E_PIDS+=("$CH_PID")
    CLICKHOUSE_URL="http://127.0.0.1:$CH_HTTP_PORT"
    export CLICKHOUSE_URL CH_PID CH_HTTP_PORT
    local i
    for i in $(seq 1 300); do
        if curl -sf --max-time 2 "$CLICKHOUSE_URL/?query=SELECT%201" >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$CH_PID" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 30 "$T/ch/clickhouse-server.err.log" "$T/ch/stdout.log" >&2 || true
    fail "clickhouse-server did not start on $CH_HTTP_PORT"
}

stop_clickhouse() {
    [ -n "${CH_PID:-}" ] || return 0
    kill -TERM "$CH_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 300); do
        kill -0 "$CH_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$CH_PID" 2>/dev/null || true
    wait "$CH_PID" 2>/dev/null || true
    CH_PID=
}

restart_clickhouse() {
    stop_clickhouse
    start_clickhouse
}

# ch_query SQL : the response body on stdout; non-zero with ClickHouse's
# error text on stderr when the server answers an error.
ch_query() {
    local out code
    out=$(curl -sS --max-time 30 -w '\n%{http_code}' --data-binary "$1" \
        "$CLICKHOUSE_URL/") || return 1
    code=${out##*$'\n'}
    out=${out%$'\n'*}
    out=${out%$'\n'}
    if [ "$code" != 200 ]; then
        echo "ch_query: HTTP $code: $out" >&2
        return 1
    fi
    [ -z "$out" ] || printf '%s\n' "$out"
}
