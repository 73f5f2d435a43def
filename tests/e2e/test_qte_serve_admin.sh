#!/usr/bin/env bash
# qte-engine serve over HTTPS (a self-signed pair): the admin API refuses
# requests without a valid key (401) and writes "authentication failure"
# with the source address to the audit log; with the key,
# /admin/queue/status answers the documented JSON, queue clear is audited
# with the key's name, and pause / resume / speed / seek / step steer a
# real-time replay. Also: /metrics names, SLOW lines in the log, manual
# paper orders, key rotation without restart.
source "$(dirname "$0")/lib.sh"
e2e_init
source "$(dirname "$0")/lib_qte_ops.sh"
qte_need_binary
command -v openssl >/dev/null || skip "openssl CLI missing"

qte_make_day "$T/data" 4000
qte_tls_pair "$T/tls"
QTE_MODE=realtime qte_env
read -r QTE_HTTP_PORT QTE_ADMIN_PORT <<<"$(free_ports 2)"
export QTE_HTTP_PORT QTE_ADMIN_PORT QTE_SLOW_MS=0.000001
export QTE_TLS_CERT="$T/tls/qte.crt" QTE_TLS_KEY="$T/tls/qte.key" QTE_SQLITE_PATH="$T/qte.db"
KEY=$("$QTE" keys generate admin 2>/dev/null)
[[ $KEY =~ ^qte_[0-9a-f]{64}$ ]] || fail "generated key: $KEY"
grep -q "$KEY" "$T/keys" && fail "the key itself is stored"
grep -qE '^admin [0-9a-f]{32} [0-9a-f]{64} ' "$T/keys" || fail "keys file: $(cat "$T/keys")"
ok "keys generate admin: printed once, stored as salt + sha256"

qte_start
A="https://localhost:$QTE_ADMIN_PORT"
H="https://localhost:$QTE_HTTP_PORT"
C=(curl -s --cacert "$T/tls/qte.crt")
# TLS verified against the pair (no -k); plain HTTP to the port fails.
[ "$("${C[@]}" -o /dev/null -w '%{http_code}' "$H/health")" = 200 ] || fail "https /health"
curl -s -o /dev/null "http://127.0.0.1:$QTE_HTTP_PORT/health" && fail "plain HTTP answered on the TLS port"
grep -q "http_listening host=127.0.0.1 port=$QTE_ADMIN_PORT admin=off tls=on" "$T/qte.log" || fail "no tls=on line"
ok "HTTPS with the self-signed pair on both ports"

# --- refusals, audited with the source address
code=$("${C[@]}" -o "$T/r.json" -w '%{http_code}' "$A/admin/queue/status")
[ "$code" = 401 ] || fail "no key: $code"
[ "$(cat "$T/r.json")" = '{"error":"unauthorized"}' ] || fail "401 body: $(cat "$T/r.json")"
code=$("${C[@]}" -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer qte_${KEY:4:10}" "$A/admin/queue/clear")
[ "$code" = 401 ] || fail "wrong key: $code"
code=$("${C[@]}" -o /dev/null -w '%{http_code}' -H "Authorization: Basic $KEY" "$A/admin/replay/status")
[ "$code" = 401 ] || fail "wrong scheme: $code"
grep -qE '^[0-9T:.+-]+ authentication failure src=127\.0\.0\.1 method=GET path=/admin/queue/status reason=missing_key$' "$T/audit.log" ||
    fail "audit: $(cat "$T/audit.log")"
grep -qE ' authentication failure src=127\.0\.0\.1 method=POST path=/admin/queue/clear reason=unknown_key$' "$T/audit.log" || fail "audit unknown_key"
grep -qE ' authentication failure src=127\.0\.0\.1 method=GET path=/admin/replay/status reason=bad_scheme$' "$T/audit.log" || fail "audit bad_scheme"
[ "$(grep -c 'authentication failure' "$T/audit.log")" = 3 ] || fail "3 failures expected"
"${C[@]}" "$H/metrics" | gq -x 'qte_auth_failures_total 3' || fail "qte_auth_failures_total"
ok "admin without a valid key: 401, 3 audit lines with src=127.0.0.1"

# --- status document
AUTH=(-H "Authorization: Bearer $KEY")
"${C[@]}" "${AUTH[@]}" "$A/admin/queue/status" >"$T/s.json"
python3 - "$T/s.json" <<'PY' || fail "status JSON: $(cat "$T/s.json")"
import json, sys
d = json.load(open(sys.argv[1]))
want = ["queue_size", "capacity", "processed", "dropped", "rate",
        "oldest_event_age_sec", "replay", "trades", "positions",
        "portfolio_total_value"]
assert list(d) == want, list(d)
assert list(d["replay"]) == ["mode", "speed", "paused", "progress", "ts_ms",
                             "running", "done"], d["replay"]
assert d["replay"]["mode"] == "realtime" and d["replay"]["running"] is True
assert d["capacity"] > 0 and d["processed"] >= 1
PY
ok "/admin/queue/status: $(cat "$T/s.json")"

jget() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
st() { "${C[@]}" "${AUTH[@]}" "$A/admin/replay/status"; }

# --- pause / step / resume / speed / seek
"${C[@]}" "${AUTH[@]}" -X POST "$A/admin/replay/pause" | jget 'd["replay"]["paused"]' | gq -x True || fail "pause"
p1=$(st | jget 'd["processed"]')
sleep 1.2
p2=$(st | jget 'd["processed"]')
[ "$p1" = "$p2" ] || fail "paused replay moved: $p1 -> $p2"
"${C[@]}" "${AUTH[@]}" -X POST "$A/admin/replay/step?n=5" >/dev/null
for _ in $(seq 1 50); do
    p3=$(st | jget 'd["processed"]')
    [ "$p3" -ge $((p2 + 5)) ] && break
    sleep 0.1
done
[ "$p3" = $((p2 + 5)) ] || fail "step 5: $p2 -> $p3"
st | jget 'd["replay"]["paused"]' | gq -x True || fail "not paused after step"
"${C[@]}" "${AUTH[@]}" -X POST "$A/admin/replay/speed?x=10" | jget 'd["replay"]["speed"]' | gq -x 10 || fail "speed"
code=$("${C[@]}" "${AUTH[@]}" -o /dev/null -w '%{http_code}' -X POST "$A/admin/replay/speed?x=-1")
[ "$code" = 400 ] || fail "speed -1: $code"
target=$((1704159000000 + 3000 * 1000))
"${C[@]}" "${AUTH[@]}" -X POST "$A/admin/replay/seek?ts_ms=$target" >/dev/null
"${C[@]}" "${AUTH[@]}" -X POST "$A/admin/replay/resume" | jget 'd["replay"]["paused"]' | gq -x False || fail "resume"
for _ in $(seq 1 50); do
    ts=$(st | jget 'd["replay"]["ts_ms"]')
    [ "$ts" -ge "$target" ] && break
    sleep 0.1
done
[ "$ts" -ge "$target" ] || fail "seek: replay clock $ts < $target"
ok "pause holds, step 5 moves 5 events, speed 10, seek to +3000 s, resume"

# --- queue clear, audited with the key's name
"${C[@]}" "${AUTH[@]}" -X POST "$A/admin/queue/clear" >"$T/c.json"
grep -qE '^\{"dropped":[0-9]+\}$' "$T/c.json" || fail "clear: $(cat "$T/c.json")"
grep -qE ' admin action key=admin src=127\.0\.0\.1 method=POST path=/admin/queue/clear result="dropped=[0-9]+"$' "$T/audit.log" ||
    fail "clear not audited: $(tail -n 3 "$T/audit.log")"
grep -qE ' admin action key=admin src=127\.0\.0\.1 method=POST path=/admin/replay/seek result="seek=[0-9]+"$' "$T/audit.log" || fail "seek not audited"
ok "queue clear: $(cat "$T/c.json"), audited with key=admin"

# --- metrics of the issue
"${C[@]}" "$H/metrics" >"$T/m.txt"
for m in qte_event_queue_size qte_events_processed_total qte_request_duration_seconds_count \
    qte_trades_total qte_portfolio_total_value qte_positions qte_replay_progress qte_replay_rate \
    qte_event_duration_seconds_count qte_slow_events_total; do
    grep -qE "^$m [0-9.e+-]+$" "$T/m.txt" || fail "metric $m missing"
done
grep -q '^qte_request_duration_seconds_bucket{le="+Inf"} ' "$T/m.txt" || fail "histogram buckets"
if command -v promtool >/dev/null; then
    promtool check metrics <"$T/m.txt" || fail "promtool check metrics"
fi
ok "metrics: queue, processed, request histogram, trades, value, positions, replay progress and rate"

# --- SLOW lines (threshold 1 ns: every event; at most 20 lines a second)
grep -qE ' WARNING qte_engine SLOW event=tick duration_ms=[0-9.]+ threshold_ms=0\.000' "$T/qte.log" || fail "no SLOW line"
ok "SLOW lines: $(grep -c ' SLOW ' "$T/qte.log")"

# --- manual paper orders
code=$("${C[@]}" -o "$T/o.json" -w '%{http_code}' -X POST "$H/orders?symbol=HK.00700&side=buy&qty=100")
[ "$code" = 201 ] || fail "order: $code $(cat "$T/o.json")"
grep -qE '^\{"order_id":[0-9]+,"status":"[a-z]+","reason":""\}$' "$T/o.json" || fail "order ack: $(cat "$T/o.json")"
code=$("${C[@]}" -o "$T/o2.json" -w '%{http_code}' -X POST "$H/orders?symbol=HK.00700&side=buy&qty=0")
[ "$code" = 400 ] || fail "qty 0: $code"
code=$("${C[@]}" -o "$T/o3.json" -w '%{http_code}' -X POST "$H/orders?symbol=HK.00700&side=buy&qty=50")
[ "$code" = 422 ] || fail "odd lot: $code $(cat "$T/o3.json")"
grep -q '"status":"rejected","reason":"lot_size"' "$T/o3.json" || fail "odd lot reason: $(cat "$T/o3.json")"
"${C[@]}" "$H/orders" | gq "\"symbol\":\"HK.00700\"" || fail "/orders lists it"
ok "POST /orders: accepted 201, odd lot 422 lot_size, malformed 400"

# --- rotation without restart: the old key stops working at once
sleep 1
NEW=$("$QTE" keys generate admin 2>/dev/null)
code=$("${C[@]}" "${AUTH[@]}" -o /dev/null -w '%{http_code}' "$A/admin/queue/status")
[ "$code" = 401 ] || fail "old key after rotation: $code"
code=$("${C[@]}" -H "Authorization: Bearer $NEW" -o /dev/null -w '%{http_code}' "$A/admin/queue/status")
[ "$code" = 200 ] || fail "new key: $code"
ok "key rotation: old key 401, new key 200, no restart"

qte_stop
[ "$QTE_RC" = 0 ] || fail "exit code $QTE_RC"
grep -q 'qte_exit code=0 reason=signal' "$T/qte.log" || fail "no clean exit line"
ok "SIGTERM: exit 0"
