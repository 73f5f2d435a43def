#!/usr/bin/env bash
# `hk-tickctl tg test` against a local fake Bot API: the exact lines and
# exit codes of compat.md §7.2 for success, missing settings, a bad thread
# id, an API error, a non-JSON answer and a network failure; the request
# carries chat id, thread id and text; the token is in no output.
source "$(dirname "$0")/lib.sh"
e2e_init

TOKEN="123456:E2E-ctl-SECRET-token"
echo ok >"$T/mode"
python3 "$(dirname "$0")/tgfake.py" --port-file "$T/tgport" --log "$T/tgreq.jsonl" \
    --mode-file "$T/mode" --token "$TOKEN" >"$T/tgfake.log" 2>&1 &
E2E_PIDS+=("$!")
for _ in $(seq 1 100); do
    [ -s "$T/tgport" ] && break
    sleep 0.05
done
[ -s "$T/tgport" ] || fail "fake Bot API did not start"
BASE="http://127.0.0.1:$(cat "$T/tgport")"
touch "$T/collector.log"

# tg RC EXPECTED_LINE ARGS... : run tg test in a clean environment.
tg() {
    local want_rc=$1 want=$2 out rc
    shift 2
    set +e
    out=$(env -i PATH="$PATH" ENV_FILE=/nonexistent TG_API_BASE="$BASE" \
        "$@" 2>&1)
    rc=$?
    set -e
    echo "$out" >>"$T/outputs.txt"
    [ "$rc" = "$want_rc" ] || fail "tg test: exit $rc, want $want_rc ($out)"
    [ "$out" = "$want" ] || fail "tg test: got '$out', want '$want'"
}

tg 2 "FAIL 缺少 TG_TOKEN（可用 env 或 --token）" "$CTL" tg test --chat-id 42
tg 2 "FAIL 缺少 TG_CHAT_ID（可用 env 或 --chat-id）" "$CTL" tg test --token "$TOKEN"
tg 2 "FAIL thread_id 需為整數" TG_TOKEN="$TOKEN" TG_CHAT_ID=42 \
    TG_MESSAGE_THREAD_ID=abc "$CTL" tg test
[ ! -s "$T/tgreq.jsonl" ] || fail "a request was sent for a usage error"
ok "usage errors exit 2 with the exact FAIL lines, nothing sent"

tg 0 "OK Telegram 測試訊息已送出 message_id=1" TG_TOKEN="$TOKEN" \
    TG_CHAT_ID=-100777 TG_MESSAGE_THREAD_ID=9 "$CTL" tg test --text "hello e2e"
python3 - "$T/tgreq.jsonl" <<'EOF' || fail "request content"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][-1]
assert r["token_ok"] and r["method"] == "sendMessage", r
b = r["body"]
assert b["chat_id"] == "-100777" and b["message_thread_id"] == 9, b
assert b["text"] == "hello e2e", b
EOF
tg 0 "OK Telegram 測試訊息已送出 message_id=2" TG_BOT_TOKEN="$TOKEN" \
    "$CTL" tg test --chat-id 5
ok "success: exit 0, message_id, chat/thread/text in the request; TG_BOT_TOKEN works"

echo 400 >"$T/mode"
tg 1 'FAIL Telegram API 回應: {"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}' \
    "$CTL" tg test --token "$TOKEN" --chat-id 5
echo 401echo >"$T/mode"
tg 1 'FAIL Telegram API 回應: {"ok": false, "error_code": 401, "description": "Unauthorized: /bot<redacted>/sendMessage"}' \
    "$CTL" tg test --token "$TOKEN" --chat-id 5
echo nonjson >"$T/mode"
tg 1 "FAIL Telegram 回傳非 JSON" "$CTL" tg test --token "$TOKEN" --chat-id 5
ok "API error, echoed token (redacted) and non-JSON answers exit 1"

# A closed port: the network error line.
python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' >"$T/deadport"
set +e
out=$(env -i PATH="$PATH" TG_API_BASE="http://127.0.0.1:$(cat "$T/deadport")" \
    "$CTL" tg test --token "$TOKEN" --chat-id 5 2>&1)
rc=$?
set -e
echo "$out" >>"$T/outputs.txt"
[ "$rc" = 1 ] || fail "network failure: exit $rc ($out)"
case "$out" in
"FAIL Telegram 呼叫失敗: "*) ;;
*) fail "network failure line: $out" ;;
esac
ok "network failure: FAIL Telegram 呼叫失敗, exit 1"

if grep -F -- "$TOKEN" "$T/outputs.txt"; then
    fail "the token appears in tg test output"
fi
ok "token absent from every output"
