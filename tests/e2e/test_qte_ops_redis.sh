#!/usr/bin/env bash
# Redis publishing against a real redis-server started by the test: after
# a backtest the qte:* keys hold the final state (the same numbers as
# /metrics and /portfolio); a Redis that goes away is retried and counted,
# never fatal; healthcheck pings it.
source "$(dirname "$0")/lib.sh"
e2e_init
source "$(dirname "$0")/lib_qte_ops.sh"
qte_need_binary
redis_start

qte_make_day "$T/data" 4000
QTE_MODE=backtest qte_env
read -r QTE_HTTP_PORT QTE_ADMIN_PORT <<<"$(free_ports 2)"
export QTE_HTTP_PORT QTE_ADMIN_PORT QTE_SQLITE_PATH="$T/qte.db"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
R() { redis-cli -p "$REDIS_PORT" "$@"; }

qte_start
qte_wait_done
# The publisher runs every second: wait for a publication after the end.
for _ in $(seq 1 50); do
    [ "$(R HGET qte:replay done)" = 1 ] && break
    sleep 0.1
done
[ "$(R HGET qte:replay done)" = 1 ] || fail "qte:replay done never 1"
sleep 1.2
curl -s "http://127.0.0.1:$QTE_HTTP_PORT/metrics" >"$T/m.txt"
keys=$(R --scan --pattern 'qte:*' | sort | tr '\n' ' ')
[ "$keys" = "qte:cash qte:events_processed qte:portfolio qte:portfolio_value qte:positions qte:positions_count qte:queue_size qte:replay qte:trades_total qte:updated_at_ms " ] ||
    fail "keys: $keys"
m() { awk -v n="$1" '$1 == n {print $2}' "$T/m.txt"; }
[ "$(R GET qte:trades_total)" = "$(m qte_trades_total)" ] || fail "trades_total $(R GET qte:trades_total) vs $(m qte_trades_total)"
[ "$(R GET qte:events_processed)" = "$(m qte_events_processed_total)" ] || fail "events_processed"
[ "$(R GET qte:events_processed)" -ge 4000 ] || fail "events_processed $(R GET qte:events_processed) < 4000 ticks"
[ "$(R GET qte:trades_total)" -gt 0 ] || fail "no trades published"
[ "$(R GET qte:positions_count)" = "$(m qte_positions)" ] || fail "positions_count"
python3 - "$(R GET qte:portfolio_value)" "$(m qte_portfolio_total_value)" <<'PY' || fail "portfolio_value"
import sys
assert abs(float(sys.argv[1]) - float(sys.argv[2])) < 0.001, sys.argv
PY
R GET qte:portfolio | python3 -c 'import json,sys; d=json.load(sys.stdin); assert "cash" in d and "equity" in d, d' ||
    fail "qte:portfolio is not the portfolio document"
R GET qte:positions | python3 -c 'import json,sys; assert isinstance(json.load(sys.stdin), list)' || fail "qte:positions"
[ "$(R HGET qte:replay mode)" = backtest ] || fail "qte:replay mode"
[ "$(R HGET qte:replay progress)" = 1.000000 ] || fail "qte:replay progress $(R HGET qte:replay progress)"
ok "qte:* after the run: $keys"
out=$("$QTE" healthcheck) || true
grep -qE "^OK   redis     127.0.0.1:$REDIS_PORT PONG$" <<<"$out" || fail "healthcheck redis: $out"
ok "healthcheck: redis PONG"

# Redis goes away: the engine keeps serving, counts errors, logs once.
redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
sleep 2.5
curl -sf -o /dev/null "http://127.0.0.1:$QTE_HTTP_PORT/health" || fail "/health after Redis stopped"
curl -s "http://127.0.0.1:$QTE_HTTP_PORT/metrics" >"$T/m2.txt"
grep -qx 'qte_redis_connected 0' "$T/m2.txt" || fail "qte_redis_connected not 0"
awk '$1 == "qte_redis_errors_total" && $2 >= 1 {f=1} END {exit !f}' "$T/m2.txt" || fail "no redis errors counted"
[ "$(grep -c redis_unavailable "$T/qte.log")" = 1 ] || fail "redis_unavailable logged $(grep -c redis_unavailable "$T/qte.log") times"
qte_stop
[ "$QTE_RC" = 0 ] || fail "exit $QTE_RC"
ok "Redis down: still serving, qte_redis_connected 0, errors counted, one redis_unavailable line"
