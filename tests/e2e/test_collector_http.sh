#!/usr/bin/env bash
# /health, /metrics (promtool-valid, covering every metric the alert rules
# use), /status, admin endpoints behind an API key, and /health flipping to
# 503 and back as OpenD fails and recovers.
source "$(dirname "$0")/lib.sh"
e2e_init
src=${HK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}

start_sim --symbols HK.00700,HK.00005 --rate 100 --keepalive-sec 1 --seed 31
echo -n "s3cret-key" >"$T/key"
start_collector FUTU_SYMBOLS=HK.00700,HK.00005 HTTP_PORT=-1 \
    API_KEY_FILE="$T/key" HEALTH_STARTUP_GRACE_SEC=0 \
    FUTU_LIVENESS_TIMEOUT_SEC=2 RECONNECT_MAX_DELAY=1
wait_log "http_listening host=127.0.0.1 port=[0-9]+ admin=on"
HP=$(grep -o 'http_listening host=127.0.0.1 port=[0-9]*' "$T/collector.log" | grep -o '[0-9]*$')
U="http://127.0.0.1:$HP"
wait_log "futu_connected"
sleep 1.5

code=$(curl -s -o "$T/h.json" -w '%{http_code}' "$U/health")
[ "$code" = 200 ] || fail "/health $code: $(cat "$T/h.json")"
grep -q '"status":"healthy"' "$T/h.json" || fail "health body: $(cat "$T/h.json")"
ok "/health 200 healthy"

curl -sf "$U/status" >"$T/s.json"
[ "$(sqlite3 :memory: "SELECT json_extract(readfile('$T/s.json'), '\$.connected');")" = 1 ] ||
    fail "/status connected: $(cat "$T/s.json")"
ok "/status JSON"

curl -sf "$U/metrics" >"$T/m.txt"
promtool check metrics <"$T/m.txt" || fail "promtool check metrics failed"
promtool check rules "$src/deploy/prometheus/alerts.yml" >/dev/null || fail "promtool check rules failed"
for m in $(grep -o 'hk_[a-z0-9_]*' "$src/deploy/prometheus/alerts.yml" | sort -u); do
    base=${m%_bucket}
    grep -q "^$m\|^${base}_bucket" "$T/m.txt" || grep -q "^# TYPE $base " "$T/m.txt" ||
        fail "alert rule uses $m, absent from /metrics"
done
for m in $(grep -o 'hk_[a-z0-9_]*' "$src/deploy/grafana/hk-tick-collector.json" | sort -u); do
    base=${m%_bucket}
    grep -q "^$m\|^${base}_bucket" "$T/m.txt" || fail "dashboard uses $m, absent from /metrics"
done
grep -q '^hk_process_resident_memory_bytes [1-9]' "$T/m.txt" || fail "rss metric"
grep -q '^hk_push_to_commit_seconds_bucket{le="+Inf"} [1-9]' "$T/m.txt" || fail "latency histogram empty"
ok "/metrics valid; every metric used by rules and dashboard exists"

# Admin: refused without or with a wrong key, allowed with the right one.
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$U/admin/flush")" = 401 ] || fail "no key must be 401"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer wrong-key!' "$U/admin/flush")" = 401 ] ||
    fail "wrong key must be 401"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer s3cret-key' "$U/admin/flush")" = 200 ] ||
    fail "flush with key"
n0=$(grep -c futu_connected "$T/collector.log")
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer s3cret-key' "$U/admin/resubscribe")" = 202 ] ||
    fail "resubscribe with key"
for _ in $(seq 1 50); do
    [ "$(grep -c futu_connected "$T/collector.log")" -gt "$n0" ] && break
    sleep 0.1
done
[ "$(grep -c futu_connected "$T/collector.log")" -gt "$n0" ] || fail "resubscribe did not reconnect"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer s3cret-key' "$U/admin/reload")" = 202 ] ||
    fail "reload with key"
wait_log "symbols_reloaded" 5
! grep -q "s3cret-key" "$T/collector.log" || fail "API key leaked into the log"
ok "admin endpoints: 401 without the key, work with it, key never logged"

# OpenD fails (silent) -> 503 opend_session; recovers -> 200.
simctl silent on >/dev/null
for _ in $(seq 1 80); do
    code=$(curl -s -o "$T/h.json" -w '%{http_code}' "$U/health")
    [ "$code" = 503 ] && break
    sleep 0.1
done
[ "$code" = 503 ] || fail "/health stayed $code with OpenD silent"
grep -q '"failing":\["opend_session"\]' "$T/h.json" || fail "503 body: $(cat "$T/h.json")"
ok "/health 503 while OpenD is silent"
simctl silent off >/dev/null
# A reconnect begun while OpenD was silent waits out its InitConnect
# timeout (FUTU_CONNECT_TIMEOUT_SEC, 10 s) before the next attempt.
for _ in $(seq 1 250); do
    code=$(curl -s -o "$T/h.json" -w '%{http_code}' "$U/health")
    [ "$code" = 200 ] && break
    sleep 0.1
done
[ "$code" = 200 ] || fail "/health did not recover: $(cat "$T/h.json")"
ok "/health back to 200 after recovery"
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"

# Without an API key there are no admin endpoints at all.
: >"$T/collector.log"
start_collector FUTU_SYMBOLS=HK.00700 HTTP_PORT=-1
wait_log "http_listening host=127.0.0.1 port=[0-9]+ admin=off"
HP=$(grep -o 'http_listening host=127.0.0.1 port=[0-9]*' "$T/collector.log" | grep -o '[0-9]*$')
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer x' "http://127.0.0.1:$HP/admin/flush")" = 404 ] ||
    fail "admin must not exist without API_KEY"
stop_collector TERM
ok "no API key: admin endpoints absent (404)"
