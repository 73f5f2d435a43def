#!/usr/bin/env bash
# The per-service scripts (run from their own directories, as runbook 002
# does) and operator-run servers by URL: host A runs NATS and ClickHouse
# through services/message-broker and services/data-storage-service; host B
# (other dirs and ports) uses them through NATS_URL / CLICKHOUSE_URL and must
# neither configure, start nor stop them; host C runs only the collector
# (no NATS: it gets no NATS_URL, so it does not publish).
# ctest-cost: 37
source "$(dirname "$0")/lib.sh"
e2e_init
source "$(dirname "$0")/manage_lib.sh"
need_servers
trap 'rc=$?; for d in a b c; do MARKETPRISM_STATE_DIR=$T/$d/state mp_kill_leftovers; done; (exit $rc); e2e_cleanup' EXIT
M="$MROOT/scripts/manage_all.sh"
BROKER="$MROOT/services/message-broker/scripts"
STORAGE="$MROOT/services/data-storage-service/scripts"
COLL="$MROOT/services/data-collector/scripts"

# --- host A: servers through the per-service scripts ---------------------------
mp_env_setup "$T/a"
export MARKETPRISM_SERVICES="nats clickhouse collector"
A_NATS=$NATS_PORT
A_CH=$CLICKHOUSE_HTTP_PORT
run_ok a-init "$M" init
cd "$BROKER"
run_ok broker-start ./manage.sh start
has "^NATS: started \(pid [0-9]+, port $A_NATS/$NATS_MONITOR_PORT\)$"
run_ok broker-health ./manage.sh health
has '^ok   NATS: healthy$'
has '^ok   JetStream: stream HK_TICKS present \(0 messages\)$'
run_ok broker-status ./manage.sh status
has "^NATS +[0-9]+ +$A_NATS/$NATS_MONITOR_PORT +healthy "
[ "$(printf '%s\n' "$OUT" | wc -l)" = 2 ] || fail "broker status lists more than NATS: $OUT"
run_ok broker-logs ./manage.sh logs
has 'Server is ready'
cd "$STORAGE"
run_ok storage-start-ch ./manage.sh start clickhouse
has "^ClickHouse: started \(pid [0-9]+, port $A_CH/$CLICKHOUSE_TCP_PORT\)$"
run_rc storage-bad-target 64 ./manage.sh start warm
has "^ERROR: unknown target 'warm' \(one of: clickhouse hot cold\)$"
if [ ! -x "$HK_BIN/hot-store" ]; then
    run_rc storage-start-hot-missing 2 ./manage.sh start hot
    has "^ERROR: hot-store: binary $HK_BIN/hot-store missing; build it with: make build$"
fi
run_ok storage-status ./manage.sh status
has "^ClickHouse +[0-9]+ +$A_CH/$CLICKHOUSE_TCP_PORT +healthy "
cd "$COLL"
run_ok coll-start ./manage.sh start
has '^opend-sim: started'
has '^collector: started'
run_ok coll-restart ./manage.sh restart
has '^collector: stopped'
has '^collector: started'
run_ok coll-clean ./manage.sh clean
has '^kept .*marketprism_collector\.lock: pid [0-9]+ is running'
run_ok coll-stop ./manage.sh stop
has '^collector: stopped'
has '^opend-sim: stopped'
cd "$MROOT"
ok "host A: broker, storage (start clickhouse, bad target, missing hot-store), collector scripts"

# --- host B: NATS and ClickHouse by URL -------------------------------------------------
mp_env_setup "$T/b"
export MARKETPRISM_SERVICES="nats clickhouse collector"
export NATS_URL="nats://127.0.0.1:$A_NATS" CLICKHOUSE_URL="http://127.0.0.1:$A_CH"
run_ok b-init "$M" init
has '^stream HK_TICKS: ready'
has '^clickhouse: databases marketprism_hot, marketprism_cold and their ticks tables ready$'
hasnt 'wrote'
hasnt 'started'
run_ok b-start "$M" start
has "^NATS: using NATS_URL, healthy \(external nats://127\.0\.0\.1:$A_NATS\)$"
has '^ClickHouse: using CLICKHOUSE_URL, healthy$'
has '^collector: started'
run_ok b-status "$M" status
has '^NATS +external '
has '^ClickHouse +external '
col=$(cat "$T/b/state/run/collector.pid")
tr '\0' '\n' <"/proc/$col/environ" | gq -x "NATS_URL=nats://127.0.0.1:$A_NATS" ||
    fail "collector on host B did not get NATS_URL"
run_ok b-stop "$M" stop
has '^NATS: operator-run \(NATS_URL\), left alone$'
has '^ClickHouse: operator-run \(CLICKHOUSE_URL\), left alone$'
kill -0 "$(cat "$T/a/state/run/nats.pid")" || fail "host B stopped host A's NATS"
kill -0 "$(cat "$T/a/state/run/clickhouse.pid")" || fail "host B stopped host A's ClickHouse"
unset NATS_URL CLICKHOUSE_URL
ok "host B: operator-run NATS and ClickHouse used by URL, never started or stopped"

# --- host C: collector only, no NATS ---------------------------------------------------
mp_env_setup "$T/c"
export MARKETPRISM_SERVICES="collector"
run_ok c-start "$M" start
col=$(cat "$T/c/state/run/collector.pid")
if tr '\0' '\n' <"/proc/$col/environ" | gq '^NATS_URL='; then
    fail "collector-only host passed NATS_URL"
fi
run_ok c-status "$M" status
[ "$(printf '%s\n' "$OUT" | wc -l)" = 3 ] || fail "host C status: $OUT"
run_ok c-stop "$M" stop
ok "host C: collector only, without NATS_URL"

# --- host A down ---------------------------------------------------------------------------
mp_env_setup "$T/a"
export MARKETPRISM_SERVICES="nats clickhouse collector"
cd "$STORAGE"
run_ok storage-stop ./manage.sh stop clickhouse
has '^ClickHouse: stopped'
cd "$BROKER"
run_ok broker-stop ./manage.sh stop
has '^NATS: stopped'
cd "$MROOT"
[ -z "$(ls "$T/a/lock")" ] || fail "host A locks left: $(ls "$T/a/lock")"
ok "host A: per-service stop, no lock left"
