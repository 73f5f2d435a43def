#!/usr/bin/env bash
# QTE_SOURCE=jetstream: qte-engine serve paper-trades live from the stream
# the collector publishes (opend-sim -> hk-tick-collector -> nats-server
# -> qte-engine, every server on a free loopback port, started here).
#   - bad QTE_NATS_URL / QTE_LIVE_START / QTE_MODE: exit 78 naming it;
#     NATS down at start: exit 1 with a clear error
#   - QTE_LIVE_START=day: every row of the engine's symbols reaches the
#     engine exactly once (ticks handled + ticks cleared = day-file rows,
#     the other symbol's rows filtered, no duplicate, no drop)
#   - ma_cross trades; each fill is at the price of a trade of its symbol
#     at or after the order's time (no look-ahead)
#   - pause: the queue grows with live ticks; /admin/queue/clear drops
#     exactly the queue's market data, audited with the count; resume
#   - nats-server restart mid-run: /health 503 while down, the ordered
#     consumer resumes, reconnect counted, no duplicate
#   - SIGTERM: exit 0, the subscription closed
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_nats.sh"
need_nats
e2e_init
source "$(dirname "$0")/lib_qte_ops.sh"
qte_need_binary

SYMS=HK.00700,HK.00005,HK.00388
read -r QTE_HTTP_PORT QTE_ADMIN_PORT DEAD_PORT <<<"$(free_ports 3)"
export QTE_HTTP_PORT QTE_ADMIN_PORT QTE_HTTP_BIND=127.0.0.1
export QTE_SOURCE=jetstream QTE_SYMBOLS=HK.00005,HK.00700 QTE_LIVE_START=day
export QTE_STRATEGY="$QTE_STRATEGY_SO" QTE_STRATEGY_PARAMS="fast=3,slow=8,lots=1"
export QTE_KEYS_FILE="$T/keys" QTE_AUDIT_LOG="$T/audit.log" QTE_LOCK_FILE="$T/qte.lock"
export QTE_SQLITE_PATH="$T/qte.db" QTE_COMMIT_EVENTS=500 QTE_BACKUP_DIR="$T/backups"
unset QTE_DAYS QTE_MODE
KEY=$("$QTE" keys generate admin 2>/dev/null)

# --- configuration refused (78, naming the variable); NATS down at start
cfg_refused() { # VAR=VALUE
    local out rc
    set +e
    out=$(env "$1" "$QTE" serve 2>&1)
    rc=$?
    set -e
    [ "$rc" = 78 ] || fail "$1: exit $rc, want 78: $out"
    grep -q "${1%%=*}" <<<"$out" || fail "$1: the error does not name ${1%%=*}: $out"
}
cfg_refused QTE_NATS_URL=http://127.0.0.1:4222
cfg_refused QTE_NATS_URL=nats://
cfg_refused QTE_LIVE_START=yesterday
cfg_refused QTE_MODE=stepped
ok "QTE_NATS_URL, QTE_LIVE_START, QTE_MODE=stepped refused: exit 78 naming the variable"
set +e
env QTE_NATS_URL="nats://127.0.0.1:$DEAD_PORT" "$QTE" serve >"$T/down.log" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || fail "NATS down at start: exit $rc: $(cat "$T/down.log")"
grep -q "qte_exit code=1 reason=engine error=\"jetstream: connect nats://127.0.0.1:$DEAD_PORT: " "$T/down.log" ||
    fail "no clear error: $(cat "$T/down.log")"
ok "NATS down at start: exit 1, $(grep -o 'error=.*' "$T/down.log" | head -n1)"

# --- the chain
start_nats
export QTE_NATS_URL=$NATS_URL
start_sim --symbols $SYMS --rate 150 --seed 11
start_collector FUTU_SYMBOLS=$SYMS NATS_URL="$NATS_URL" HTTP_PORT=-1 NATS_CURSOR_SAVE_MS=200
wait_log "nats_connected url=$NATS_URL stream=HK_TICKS" 30
wait_log "http_listening" 30
sleep 1.5 # some rows published before the engine starts: day replays them
qte_start
grep -q "live_subscribed url=$NATS_URL stream=HK_TICKS subject=hk.tick.> start=day symbols=2" "$T/qte.log" ||
    fail "no live_subscribed line: $(grep live_ "$T/qte.log")"
H="http://127.0.0.1:$QTE_HTTP_PORT"
A="http://127.0.0.1:$QTE_ADMIN_PORT"
AUTH=(-H "Authorization: Bearer $KEY")
qm() { curl -fsS "$H/metrics" | awk -v n="$1" '$1 == n {print $2}'; }
qsize() { curl -fsS "${AUTH[@]}" "$A/admin/queue/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["queue_size"])'; }
for _ in $(seq 1 100); do
    [ "$(qm qte_ticks_total)" -gt 50 ] 2>/dev/null && break
    sleep 0.1
done
[ "$(qm qte_ticks_total)" -gt 50 ] || fail "no live ticks handled: $(curl -s "$H/metrics" | grep qte_live)"
[ "$(qm qte_live_connected)" = 1 ] || fail "qte_live_connected"
curl -fsS "$H/health" | gq '"nats":{"ok":true' || fail "/health: $(curl -s "$H/health")"
code=$(curl -s "${AUTH[@]}" -o "$T/seek.json" -w '%{http_code}' -X POST "$A/admin/replay/seek?ts_ms=1")
[ "$code" = 400 ] && [ "$(cat "$T/seek.json")" = '{"error":"live source cannot seek"}' ] ||
    fail "seek on a live source: $code $(cat "$T/seek.json")"
ok "live: $(qm qte_ticks_total) ticks handled, /health nats ok, seek refused (400)"

# --- pause: the backlog shows in the queue; clear drops exactly it
curl -fsS "${AUTH[@]}" -X POST "$A/admin/replay/pause" >/dev/null
s1=$(qsize)
sleep 1.5
s2=$(qsize)
[ "$s2" -gt "$s1" ] || fail "paused queue did not grow: $s1 -> $s2"
simctl pause >/dev/null
wait_rows "$(truth_rows)" 30
wait_published 30
prev=-1
for _ in $(seq 1 50); do
    s=$(qsize)
    [ "$s" = "$prev" ] && [ "$(qm qte_live_ring_size)" = 0 ] && break
    prev=$s
    sleep 0.3
done
ticks0=$(qm qte_ticks_total)
curl -fsS "${AUTH[@]}" -X POST "$A/admin/queue/clear" >"$T/c.json"
[ "$(cat "$T/c.json")" = "{\"dropped\":$s}" ] || fail "clear: $(cat "$T/c.json"), queue held $s"
[ "$s" -gt 0 ] || fail "nothing to clear"
[ "$(qsize)" = 0 ] || fail "queue after clear: $(qsize)"
[ "$(qm qte_events_dropped_total)" = "$s" ] || fail "qte_events_dropped_total $(qm qte_events_dropped_total) != $s"
[ "$(qm qte_ticks_total)" = "$ticks0" ] || fail "paused engine handled ticks"
grep -qE " admin action key=admin src=127\.0\.0\.1 method=POST path=/admin/queue/clear result=\"dropped=$s\"$" "$T/audit.log" ||
    fail "audit: $(tail -n 2 "$T/audit.log")"
CLEARED=$s
curl -fsS "${AUTH[@]}" -X POST "$A/admin/replay/resume" >/dev/null
simctl resume >/dev/null
ok "paused: queue grew $s1 -> $s2 -> $s; clear dropped exactly $s (audited), resumed"

# --- nats-server restart mid-run
sleep 2
stop_nats
for _ in $(seq 1 50); do
    [ "$(qm qte_live_connected)" = 0 ] && break
    sleep 0.1
done
code=$(curl -s -o "$T/h.json" -w '%{http_code}' "$H/health")
[ "$code" = 503 ] && gq '"nats":{"ok":false' "$T/h.json" || fail "/health while NATS down: $code $(cat "$T/h.json")"
sleep 1
start_nats
for _ in $(seq 1 100); do
    [ "$(qm qte_live_reconnects_total)" -ge 1 ] 2>/dev/null && break
    sleep 0.1
done
[ "$(qm qte_live_reconnects_total)" -ge 1 ] || fail "no reconnect counted"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$H/health")" = 200 ] || fail "/health after reconnect"
for _ in $(seq 1 100); do
    grep -q "live_resubscribed from_seq=[1-9]" "$T/qte.log" && break
    sleep 0.1
done
grep -q "live_resubscribed from_seq=[1-9]" "$T/qte.log" || fail "consumer not re-created: $(grep live_ "$T/qte.log")"
[ "$(qm qte_live_consumer_resets_total)" -ge 1 ] || fail "qte_live_consumer_resets_total"
sleep 3
ok "nats-server restart: /health 503 while down, reconnected ($(qm qte_live_reconnects_total))"

# --- settle: everything published reaches the engine once
simctl pause >/dev/null
wait_rows "$(truth_rows)" 30
wait_published 30
all=$(db_rows)
for _ in $(seq 1 200); do
    [ "$(qm qte_live_received_total)" = "$all" ] && [ "$(qsize)" = 0 ] && break
    sleep 0.1
done
mine=0
other=0
for f in "$DATA"/[0-9]*.db; do
    mine=$((mine + $(sqlite3 "file:$f?mode=ro" "SELECT COUNT(*) FROM ticks WHERE symbol IN ('HK.00700','HK.00005') AND price IS NOT NULL")))
    other=$((other + $(sqlite3 "file:$f?mode=ro" "SELECT COUNT(*) FROM ticks WHERE NOT (symbol IN ('HK.00700','HK.00005') AND price IS NOT NULL)")))
done
rec=$(qm qte_live_received_total)
ticks=$(qm qte_ticks_total)
[ "$rec" = "$all" ] || fail "received $rec messages, the day files hold $all rows"
[ "$(qm qte_live_duplicates_total)" = 0 ] || fail "duplicates: $(qm qte_live_duplicates_total)"
[ "$(qm qte_live_dropped_total)" = 0 ] || fail "ring drops: $(qm qte_live_dropped_total)"
[ "$(qm qte_live_filtered_total)" = "$other" ] || fail "filtered $(qm qte_live_filtered_total), other rows $other"
[ $((ticks + CLEARED)) = "$mine" ] || fail "ticks $ticks + cleared $CLEARED != rows of the engine's symbols $mine"
ok "every row once: $all messages, $mine for the engine = $ticks handled + $CLEARED cleared, $other filtered, 0 duplicates, 0 drops"

# --- SIGTERM: exit 0; fills at prices of trades at or after their order
qte_stop
[ "$QTE_RC" = 0 ] || fail "exit code $QTE_RC"
grep -q 'live_closed received=' "$T/qte.log" || fail "no live_closed line"
grep -q 'qte_exit code=0 reason=signal' "$T/qte.log" || fail "no clean exit line"
fills=$(sqlite3 "$T/qte.db" "SELECT COUNT(*) FROM trades")
[ "$fills" -gt 0 ] || fail "no fills"
att=""
i=0
for f in "$DATA"/[0-9]*.db; do
    att="$att ATTACH 'file:$f?mode=ro' AS d$i;"
    i=$((i + 1))
done
bad=$(sqlite3 "$T/qte.db" "$att SELECT COUNT(*) FROM trades t JOIN orders o ON o.run_id = t.run_id AND o.id = t.order_id
  WHERE t.ts_ms < o.created_ts_ms OR NOT EXISTS (SELECT 1 FROM d0.ticks k WHERE k.symbol = t.symbol
    AND k.ts_ms = t.ts_ms AND CAST(round(k.price * 1000) AS INTEGER) = t.price_milli AND k.ts_ms >= o.created_ts_ms)")
[ "$bad" = 0 ] || fail "$bad of $fills fills not at a trade at or after their order"
ok "SIGTERM: exit 0; $fills fills, each at a trade's price at or after its order"
