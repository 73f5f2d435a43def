#!/usr/bin/env bash
# The Telegram notifier of the real collector against a fake Bot API and
# the simulator: the started message, an OpenD disconnect alert and its
# recovery (thread ids, exact first lines), Telegram's 429 retry_after,
# the local rate limit, a full queue, a hanging API at stop (the collector
# still stops in time), an SQLITE_BUSY alert and a digest, a watchdog
# give-up (alert + exit message), interactive commands, the disabled
# notifier, and the token in no log.
# ctest-cost: 80
source "$(dirname "$0")/lib.sh"
e2e_init

TOKEN="987654:E2E-collector-SECRET-token"
SYMS=HK.00700,HK.00005
echo ok >"$T/mode"
python3 "$(dirname "$0")/tgfake.py" --port-file "$T/tgport" --log "$T/tgreq.jsonl" \
    --mode-file "$T/mode" --token "$TOKEN" --updates "$T/updates.jsonl" \
    >"$T/tgfake.log" 2>&1 &
E2E_PIDS+=("$!")
for _ in $(seq 1 100); do
    [ -s "$T/tgport" ] && break
    sleep 0.05
done
[ -s "$T/tgport" ] || fail "fake Bot API did not start"
BASE="http://127.0.0.1:$(cat "$T/tgport")"
touch "$T/tgreq.jsonl"

start_sim --symbols $SYMS --rate 50 --keepalive-sec 1 --seed 5

# tg_collector [ENV=VAL ...] : the collector with the notifier on.
tg_collector() {
    : >"$T/collector.log"
    start_collector FUTU_SYMBOLS=$SYMS TG_ENABLED=1 TG_TOKEN="$TOKEN" \
        TG_CHAT_ID=-100555 TG_THREAD_OPS_ID=7 TG_THREAD_HEALTH_ID=8 \
        TG_API_BASE="$BASE" TG_ALERT_GRACE_SEC=1 ALERT_COOLDOWN_SEC=0 \
        INSTANCE_ID=e2e-hk FUTU_LIVENESS_TIMEOUT_SEC=2 \
        FUTU_CONNECT_TIMEOUT_SEC=1 RECONNECT_MIN_DELAY=1 \
        RECONNECT_MAX_DELAY=1 STOP_FLUSH_TIMEOUT_SEC=5 "$@"
}

# req_text N : the text of the N-th request to the fake API.
req_field() {
    python3 - "$T/tgreq.jsonl" "$1" "$2" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
r = rows[int(sys.argv[2]) - 1]
v = r["body"].get(sys.argv[3]) if isinstance(r["body"], dict) else None
print("" if v is None else v)
EOF
}
nreq() { wc -l <"$T/tgreq.jsonl"; }

# wait_req N : until the fake API has seen N requests.
wait_req() {
    local end=$((SECONDS + ${2:-15}))
    while [ $SECONDS -lt $end ]; do
        [ "$(nreq)" -ge "$1" ] && return 0
        sleep 0.1
    done
    fail "fake API saw $(nreq) requests, want $1"
}

# ---- 1. started, alert, recovery -----------------------------------------
tg_collector HTTP_PORT=-1
wait_log "telegram_notifier_started notify_schema=c1 " 10
wait_log "telegram_send_ok kind=START mode=send severity=OK fingerprint=START attempt=1" 10
txt=$(req_field 1 text)
[ "$(echo "$txt" | head -1)" = "[e2e-hk] STARTED hk-tick-collector 0.1.0" ] ||
    fail "started text: $txt"
[ "$(req_field 1 chat_id)" = "-100555" ] || fail "chat_id"
[ "$(req_field 1 message_thread_id)" = "7" ] || fail "ops thread id"
ok "started message sent to the ops thread"

wait_log "futu_connected" 10
simctl silent on >/dev/null
wait_log "futu_disconnected" 10
wait_log "telegram_enqueue kind=ALERT mode=send severity=ALERT fingerprint=DISCONNECT reason=raise thread_id=7 eid=eid-[0-9a-f]{8}" 10
wait_log "telegram_send_ok kind=ALERT mode=send severity=ALERT fingerprint=DISCONNECT" 10
n=$(nreq)
txt=$(req_field "$n" text)
[ "$(echo "$txt" | head -1)" = "[e2e-hk] ALERT OpenD disconnected" ] || fail "alert text: $txt"
echo "$txt" | sed -n 2p | gq -E '^since [0-9]{2}:[0-9]{2}:[0-9]{2} HKT \([0-9]+s\)$' ||
    fail "alert since line: $txt"
[ "$(echo "$txt" | tail -1)" = "run: systemctl status futu-opend" ] || fail "alert command: $txt"
ok "disconnect beyond the grace period alerts (exact text)"

simctl silent off >/dev/null
wait_log "telegram_send_ok kind=RECOVERED mode=send severity=OK fingerprint=DISCONNECT" 20
n=$(nreq)
txt=$(req_field "$n" text)
[ "$(echo "$txt" | head -1)" = "[e2e-hk] RECOVERED OpenD disconnected" ] || fail "recovery text: $txt"
ok "reconnect sends the recovery"

HP=$(sed -n 's/.*http_listening host=[^ ]* port=\([0-9]*\).*/\1/p' "$T/collector.log" | head -1)
[ -n "$HP" ] || fail "no http_listening line"
for ep in status health metrics; do
    curl -s "http://127.0.0.1:$HP/$ep" >>"$T/all.log" || fail "GET /$ep"
done
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
grep -q "telegram_notifier_stopped sent=3 failed=0 dropped=0" "$T/collector.log" ||
    fail "stopped counters"
cat "$T/collector.log" >>"$T/all.log"
ok "clean stop: 3 sent, none failed or dropped"

# ---- 2. Telegram's 429 retry_after ---------------------------------------
echo "429:$(($(nreq) + 1))" >"$T/mode"
tg_collector
wait_log "telegram_rate_limited kind=START severity=OK fingerprint=START retry_after=1 attempt=1 eid=none sid=none source=telegram" 10
wait_log "telegram_send_ok kind=START mode=send severity=OK fingerprint=START attempt=2" 10
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
cat "$T/collector.log" >>"$T/all.log"
ok "429 retry_after honoured, sent on attempt 2"

# ---- 3. local rate limit, then a prompt stop with a message waiting -------
echo ok >"$T/mode"
tg_collector TG_RATE_LIMIT_PER_MIN=1
wait_log "telegram_send_ok kind=START" 10
wait_log "futu_connected" 10
n0=$(nreq)
simctl silent on >/dev/null
wait_log "telegram_rate_limited kind=ALERT severity=ALERT fingerprint=DISCONNECT retry_after=[0-9]+ attempt=0 eid=eid-[0-9a-f]{8} sid=none source=local limit_per_min=1" 15
sleep 1
[ "$(nreq)" = "$n0" ] || fail "the rate limit let a second message through"
t0=$(date +%s%N)
stop_collector TERM
el=$((($(date +%s%N) - t0) / 1000000))
simctl silent off >/dev/null
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
[ "$el" -lt 6000 ] || fail "stop took ${el} ms with a rate-limited message"
grep -q "telegram_send_failed kind=ALERT severity=ALERT fingerprint=DISCONNECT status=0 err=stopping" "$T/collector.log" ||
    fail "the waiting message was not reported as failed"
cat "$T/collector.log" >>"$T/all.log"
ok "TG_RATE_LIMIT_PER_MIN=1 holds the second message; stop in ${el} ms"

# ---- 4. API hanging: queue full, and the stop is still bounded -----------
echo hang >"$T/mode"
tg_collector TG_QUEUE_MAX=1 TG_SEND_TIMEOUT_SEC=60
wait_log "telegram_enqueue kind=START" 10
wait_log "futu_connected" 10
simctl silent on >/dev/null
wait_log "telegram_enqueue kind=ALERT .*fingerprint=DISCONNECT" 15
simctl silent off >/dev/null
wait_log "telegram_queue_full kind=RECOVERED mode=send severity=OK fingerprint=DISCONNECT dropped=1" 20
t0=$(date +%s%N)
stop_collector TERM
el=$((($(date +%s%N) - t0) / 1000000))
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
[ "$el" -lt 7000 ] || fail "stop took ${el} ms with the API hanging"
grep -q "telegram_notifier_stopped sent=0 failed=2 dropped=1" "$T/collector.log" ||
    fail "counters after a hanging API: $(grep telegram_notifier_stopped "$T/collector.log")"
cat "$T/collector.log" >>"$T/all.log"
ok "full queue drops (telegram_queue_full); hanging API, stop in ${el} ms"

# ---- 5. SQLITE_BUSY alert, then a digest that reports it -----------------
echo ok >"$T/mode"
tg_collector HEALTH_FIXED_INTERVAL_SEC=30 TG_SQLITE_BUSY_ALERT_THRESHOLD=3 \
    SQLITE_BUSY_TIMEOUT_MS=100 PERSIST_RETRY_BACKOFF_SEC=0.1 \
    PERSIST_RETRY_BACKOFF_MAX_SEC=0.2
wait_log "telegram_send_ok kind=START" 10
wait_log "persist_ticks" 15
DB=$(ls "$DATA"/[0-9]*.db | head -n1)
# Hold a write lock from another process (waiting for it if the collector
# is mid-commit, unlike lib.sh's lock_db).
rm -f "$T/lk"
mkfifo "$T/lk"
sqlite3 "$DB" <"$T/lk" >/dev/null 2>&1 &
LK=$!
E2E_PIDS+=("$LK")
exec 8>"$T/lk"
printf '.timeout 10000\nBEGIN IMMEDIATE;\nSELECT 1;\n' >&8
wait_log "telegram_send_ok kind=ALERT mode=send severity=WARN fingerprint=SQLITE_BUSY" 20
echo "ROLLBACK;" >&8
exec 8>&-
wait "$LK" 2>/dev/null || true
n=$(nreq)
txt=$(req_field "$n" text)
[ "$(echo "$txt" | head -1)" = "[e2e-hk] WARN SQLite busy (database is locked)" ] || fail "busy text: $txt"
[ "$(echo "$txt" | tail -1)" = "run: fuser -v $DB" ] || fail "busy command: $txt"
# The fixed cadence (floor 30 s) sends a digest to the health thread; the
# busy alert is still firing (one-minute window), so it says WARN.
wait_log "telegram_send_ok kind=HEALTH mode=send severity=WARN fingerprint=HEALTH" 40
n=$(nreq)
txt=$(req_field "$n" text)
echo "$txt" | head -1 | gq -E '^\[e2e-hk\] HEALTH WARN [a-z-]+$' || fail "digest text: $txt"
[ "$(echo "$txt" | sed -n 2p)" = "OpenD connected, 2 symbols" ] || fail "digest line 2: $txt"
[ "$(req_field "$n" message_thread_id)" = "8" ] || fail "digest thread id"
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
cat "$T/collector.log" >>"$T/all.log"
ok "SQLITE_BUSY beyond the threshold alerts; fixed-cadence digest to the health thread"

# ---- 6. watchdog give-up: PERSIST_STALL alert, then the exit message -----
tg_collector HEALTH_TICK_SEC=1 WATCHDOG_STALL_SEC=2 \
    WATCHDOG_RECOVERY_MAX_FAILURES=2 WATCHDOG_QUEUE_THRESHOLD_ROWS=10 \
    SQLITE_BUSY_TIMEOUT_MS=100 PERSIST_RETRY_BACKOFF_SEC=0.1 \
    PERSIST_RETRY_BACKOFF_MAX_SEC=0.2 TG_SQLITE_BUSY_ALERT_THRESHOLD=1000000
wait_log "telegram_send_ok kind=START" 10
wait_log "persist_ticks" 15
rm -f "$T/lk"
mkfifo "$T/lk"
sqlite3 "$DB" <"$T/lk" >/dev/null 2>&1 &
LK=$!
E2E_PIDS+=("$LK")
exec 8>"$T/lk"
printf '.timeout 10000\nBEGIN IMMEDIATE;\nSELECT 1;\n' >&8
set +e
wait "$COL_PID"
COL_RC=$?
set -e
echo "ROLLBACK;" >&8
exec 8>&-
wait "$LK" 2>/dev/null || true
[ "$COL_RC" = 1 ] || fail "watchdog exit code $COL_RC, want 1"
grep -q "telegram_send_ok kind=ALERT mode=send severity=ALERT fingerprint=PERSIST_STALL" "$T/collector.log" ||
    fail "no PERSIST_STALL alert sent"
grep -q "telegram_send_ok kind=STOP mode=send severity=ALERT fingerprint=STOP" "$T/collector.log" ||
    fail "no exit message sent"
n=$(nreq)
txt=$(req_field "$n" text)
[ "$(echo "$txt" | head -1)" = "[e2e-hk] ALERT collector exiting: persistent_stall" ] ||
    fail "exit text: $txt"
cat "$T/collector.log" >>"$T/all.log"
ok "watchdog give-up: PERSIST_STALL alert and the exit message sent before exit 1"

# ---- 7. interactive commands from admins only ----------------------------
echo ok >"$T/mode"
upd() { # upd ID USER TEXT
    python3 -c 'import json,sys; print(json.dumps({"update_id": int(sys.argv[1]), "message": {"message_id": 1, "from": {"id": int(sys.argv[2])}, "chat": {"id": -100555}, "message_thread_id": 9, "text": sys.argv[3]}}))' "$@" >>"$T/updates.jsonl"
}
n0=$(nreq)
tg_collector TG_INTERACTIVE_ENABLED=1 TG_ADMIN_USER_IDS=111,222 \
    TG_ACTION_COMMAND_RATE_LIMIT_PER_MIN=3
wait_log "telegram_interactive_started admins=111,222 allowlist=help,db_stats,top_symbols,symbol" 10
wait_log "telegram_send_ok kind=START" 10
upd 1 333 "/db_stats"
upd 2 111 "hello there"
upd 3 111 "/db_stats"
upd 4 222 "/symbol@hkbot HK.00700 2"
upd 5 111 "/rm -rf"
upd 6 111 "/symbol HK.00700;ls"
upd 7 111 "/help"
upd 8 111 "/top_symbols"
wait_log "telegram_action_denied reason=rate_limited user_id=111 chat_id=-100555 command=top_symbols" 20
sleep 1.5
grep -q "telegram_action_denied reason=not_admin user_id=333 chat_id=-100555 command=db_stats" "$T/collector.log" ||
    fail "non-admin not denied"
grep -q "telegram_action_denied reason=not_allowed user_id=111 chat_id=-100555 command=rm" "$T/collector.log" ||
    fail "unknown command not denied"
grep -q "telegram_action_denied reason=bad_args user_id=111 chat_id=-100555 command=symbol" "$T/collector.log" ||
    fail "bad argument not denied"
grep -q "telegram_action_done command=db_stats rc=0" "$T/collector.log" || fail "db_stats not run"
grep -q "telegram_action_done command=symbol rc=0" "$T/collector.log" || fail "symbol not run"
python3 "$(dirname "$0")/tgcheck_replies.py" "$T/tgreq.jsonl" "$n0" || fail "replies"
t0=$(date +%s%N)
stop_collector TERM
el=$((($(date +%s%N) - t0) / 1000000))
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
[ "$el" -lt 6000 ] || fail "stop took ${el} ms with a long poll open"
python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert all(r["token_ok"] for r in rows)
offs = [r["offset"] for r in rows]
assert offs[0] == 0 and 9 in offs and offs == sorted(offs), offs
' "$T/tgreq.jsonl.updates" || fail "getUpdates offsets"
cat "$T/collector.log" >>"$T/all.log"
ok "interactive: admins only, allowlist, strict args, rate limit, replies in the topic; stop in ${el} ms"

# ---- 8. disabled: one line, no thread, no request -------------------------
echo ok >"$T/mode"
n0=$(nreq)
: >"$T/collector.log"
start_collector FUTU_SYMBOLS=$SYMS TG_TOKEN="$TOKEN" TG_CHAT_ID=1 TG_API_BASE="$BASE"
wait_log "telegram_notifier_disabled reason=tg_disabled chat_id=set token=set" 10
wait_log "futu_connected" 10
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
[ "$(nreq)" = "$n0" ] || fail "a disabled notifier sent a request"
grep -q "telegram_notifier_started" "$T/collector.log" && fail "disabled notifier started"
: >"$T/collector.log"
start_collector FUTU_SYMBOLS=$SYMS TG_ENABLED=1 TG_CHAT_ID=1 TG_API_BASE="$BASE"
wait_log "telegram_notifier_disabled reason=missing_token chat_id=set token=none" 10
stop_collector TERM
cat "$T/collector.log" >>"$T/all.log"
ok "TG_ENABLED=0 / missing token: logged, nothing sent"

# ---- token redaction -----------------------------------------------------
out=$(env FUTU_SYMBOLS=$SYMS DATA_ROOT="$DATA" TG_TOKEN="$TOKEN" "$COLLECTOR" --check-config 2>&1)
grep -qx "TG_TOKEN=<set>  # env" <<<"$out" || fail "--check-config token line"
echo "$out" >>"$T/all.log"
if grep -F -- "$TOKEN" "$T/all.log" "$T/tgfake.log"; then
    fail "the token appears in a log or --check-config"
fi
python3 - "$T/tgreq.jsonl" "$TOKEN" <<'EOF' || fail "a request body carries the token or a wrong path"
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    assert r["token_ok"], r
    assert sys.argv[2] not in json.dumps(r["body"], ensure_ascii=False), r
EOF
ok "token in no log line, --check-config, /status, /health, /metrics or message body"
