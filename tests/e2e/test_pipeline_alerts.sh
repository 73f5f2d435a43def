#!/usr/bin/env bash
# The pipeline's alert rules and dashboard (deploy/prometheus/pipeline-
# alerts.yml, deploy/grafana/marketprism-pipeline.json): promtool accepts
# the rules, its unit tests fire every alert on synthetic series (and the
# committed unit-test file is its generator's output), and every metric the
# rules and the dashboard use exists on the real /metrics: hot_* and
# process_* on hot-store's, hk_* on a collector publishing to NATS, cold_*
# on cold-store's when build/bin/cold-store exists (else reported as not
# checked).
# ctest-cost: 30
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_clickhouse.sh"
source "$(dirname "$0")/lib_hot.sh"
src=${HK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
RULES="$src/deploy/prometheus/pipeline-alerts.yml"
UNIT="$src/deploy/prometheus/pipeline-alerts.test.yml"
DASH="$src/deploy/grafana/marketprism-pipeline.json"
command -v promtool >/dev/null || skip "promtool not installed"
need_nats
hot_init

promtool check rules "$RULES" >"$T/check.txt" 2>&1 || fail "promtool check rules: $(cat "$T/check.txt")"
promtool test rules "$UNIT" >"$T/unit.txt" 2>&1 || fail "promtool test rules: $(cat "$T/unit.txt")"
if python3 -c 'import yaml' 2>/dev/null; then
    python3 "$src/deploy/prometheus/pipeline-alerts.test.py" >"$T/unit.yml" ||
        fail "pipeline-alerts.test.py failed"
    cmp -s "$T/unit.yml" "$UNIT" ||
        fail "pipeline-alerts.test.yml is not pipeline-alerts.test.py's output (regenerate it)"
else
    echo "note: python3-yaml missing: pipeline-alerts.test.yml not compared with its generator"
fi
ok "promtool: rules valid, unit tests fire every alert ($(grep -c '^      - alert:' "$RULES") rules)"

# Metric names used by the expressions (quoted label values removed).
python3 - "$RULES" "$DASH" >"$T/used.txt" <<'PY'
import json, re, sys
exprs = [l.split("expr:", 1)[1] for l in open(sys.argv[1]) if "expr:" in l]
exprs += [t["expr"] for p in json.load(open(sys.argv[2]))["panels"]
          for t in p["targets"]]
names = set()
for e in exprs:
    e = re.sub(r'"[^"]*"', "", e)
    names.update(re.findall(r"\b(?:hot|hk|cold|process)_[a-z0-9_]+", e))
print("\n".join(sorted(names)))
PY
[ -s "$T/used.txt" ] || fail "no metric names found in the rules and dashboard"

# check_names PREFIX_REGEX METRICS_FILE WHAT : every used name matching the
# prefix is on the scraped page (a histogram by its _bucket series).
check_names() {
    local re=$1 page=$2 what=$3 m base n=0
    for m in $(grep -E "$re" "$T/used.txt"); do
        base=${m%_bucket}
        grep -q "^$m[ {]\|^# TYPE $base " "$page" ||
            fail "$what: $m is used by the rules or the dashboard but absent from /metrics"
        n=$((n + 1))
    done
    echo "$n"
}

# prom_check FILE WHAT : promtool parses the page; exit 3 (lint findings
# only, e.g. hot_newest_ts_ms's "abbreviated units") is reported, not fatal:
# the names are the daemons' contract.
prom_check() {
    local rc=0
    promtool check metrics <"$1" >"$T/lint.txt" 2>&1 || rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 3 ] || fail "promtool check metrics ($2): $(cat "$T/lint.txt")"
    [ "$rc" = 0 ] || echo "note: promtool lint on $2: $(tr '\n' ';' <"$T/lint.txt")"
}

start_clickhouse
start_nats
start_hot
curl -sf "http://127.0.0.1:$HOT_PORT/metrics" >"$T/hot.txt" || fail "hot-store /metrics"
prom_check "$T/hot.txt" hot-store
n=$(check_names '^(hot|process)_' "$T/hot.txt" hot-store)
ok "hot-store /metrics has all $n hot_/process_ metrics used"

start_sim --symbols HK.00700 --rate 50 --seed 5
start_collector FUTU_SYMBOLS=HK.00700 NATS_URL="$NATS_URL" HTTP_PORT=-1
wait_log "nats_connected url=$NATS_URL"
wait_log "http_listening"
cport=$(sed -n 's/.*http_listening .*port=\([0-9]*\).*/\1/p' "$T/collector.log" | tail -n1)
curl -sf "http://127.0.0.1:$cport/metrics" >"$T/col.txt" || fail "collector /metrics"
promtool check metrics <"$T/col.txt" || fail "promtool check metrics (collector)"
n=$(check_names '^hk_' "$T/col.txt" collector)
ok "collector (NATS_URL set) /metrics has all $n hk_ metrics used"

COLD="$HK_BIN/cold-store"
if [ -x "$COLD" ]; then
    cold_port=$(free_port)
    env CLICKHOUSE_URL="$CLICKHOUSE_URL" COLD_HTTP_PORT="$cold_port" \
        COLD_STATE_DIR="$T/cold" "$COLD" >>"$T/cold.log" 2>&1 &
    cold_pid=$!
    E2E_PIDS+=("$cold_pid")
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$cold_port/metrics" >"$T/cold.txt" 2>/dev/null && break
        kill -0 "$cold_pid" 2>/dev/null || fail "cold-store exited: $(tail -n 5 "$T/cold.log")"
        sleep 0.1
    done
    [ -s "$T/cold.txt" ] || fail "cold-store /metrics did not answer"
    prom_check "$T/cold.txt" cold-store
    n=$(check_names '^cold_' "$T/cold.txt" cold-store)
    kill -TERM "$cold_pid" 2>/dev/null || true
    wait "$cold_pid" 2>/dev/null || true
    ok "cold-store /metrics has all $n cold_ metrics used"
else
    echo "NOT CHECKED: $COLD is not built; the $(grep -c '^cold_' "$T/used.txt") cold_ metrics the rules and dashboard use were not checked"
fi
stop_collector TERM
stop_hot
