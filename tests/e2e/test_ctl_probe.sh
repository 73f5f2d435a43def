#!/usr/bin/env bash
# hk-tickctl probe against opend-sim (subscribe, ticker, own quota, market
# state; MARKET_OPEN during a simulated morning session and at night; empty
# FUTU_SYMBOLS; unreachable OpenD), and logs/doctor through a fake
# journalctl (filters, --ops flag forms, journalctl missing -> FAIL, 1).
source "$(dirname "$0")/lib.sh"
e2e_init
export ENV_FILE=/nonexistent/env
unset DATA_ROOT FUTU_SYMBOLS FUTU_HOST FUTU_PORT || true
jget() { sqlite3 :memory: "SELECT json_extract(readfile('$1'), '$2');"; }

# --- probe, market open (simulated 10:15 HKT on a Monday) ------------------
start_sim --symbols HK.00700,HK.00005 --rate 200 --seed 2 \
    --clock-start "2026-03-02 10:15:00" --sessions
sleep 1 # let the simulator generate a few ticks
out=$(FUTU_PORT=$PORT FUTU_SYMBOLS=HK.00700,HK.00005 "$CTL" probe)
[ "$out" = "subscribe ok, sample ticker rows: 1
MARKET_OPEN=1" ] || fail "probe open: $out"
out=$("$CTL" probe --host 127.0.0.1 --port "$PORT" --symbols HK.00700 --num 5)
grep -Eqx "subscribe ok, sample ticker rows: [1-5]" <<<"$out" || fail "probe --num 5: $out"
"$CTL" probe --port "$PORT" --symbols HK.00700 --json >"$T/p.json"
[ "$(jget "$T/p.json" '$.market_open')" = 1 ] || fail "probe json"
[ "$(jget "$T/p.json" '$.result')" = OK ] || fail "probe json result"
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
ok "probe: subscribe ok + MARKET_OPEN=1 in a session"

# --- probe, market closed (simulated 20:00 HKT) ------------------------------
start_sim --symbols HK.00700 --rate 50 --seed 2 --clock-start "2026-03-02 20:00:00" --sessions
out=$("$CTL" probe --port "$PORT" --symbols HK.00700)
echo "$out" | tail -n 1 | gq -x "MARKET_OPEN=0" || fail "probe closed: $out"
ok "probe: MARKET_OPEN=0 after hours"

# --- empty symbols, refused symbol, unreachable ---------------------------------
out=$(FUTU_SYMBOLS= "$CTL" probe --port "$PORT")
[ "$out" = "FUTU_SYMBOLS is empty, skip subscribe check
MARKET_OPEN=0" ] || fail "empty symbols: $out"
set +e
out=$("$CTL" probe --port "$PORT" --symbols XX.1 2>&1); rc=$?
set -e
[ $rc = 2 ] && [ "$out" = "FAIL usage: invalid symbol list: XX.1" ] || fail "bad symbol rc=$rc $out"
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
set +e
out=$("$CTL" probe --port "$PORT" --symbols HK.00700); rc=$?
set -e
[ $rc = 1 ] && grep -q "^FAIL opend_connection" <<<"$out" || fail "unreachable: rc=$rc $out"
ok "probe: empty FUTU_SYMBOLS, usage error, FAIL when OpenD is down"

# --- logs / doctor through a fake journalctl ---------------------------------
mkdir -p "$T/fakebin"
cat >"$T/fakebin/journalctl" <<EOF
#!/bin/sh
echo "\$*" >>"$T/journal.args"
cat "$T/journal.txt"
EOF
chmod +x "$T/fakebin/journalctl"
cat >"$T/journal.txt" <<'EOF'
l1 INFO x health connected=True sid=sid-1
l2 INFO x persist_ticks db_path=/d batch=1
l3 INFO x poll_stats symbol=HK.00700
l4 ERROR x sqlite_busy_backoff trading_day=20260302
l5 INFO x telegram_notifier_started mode=product notify_schema=v2
l6 INFO x telegram_enqueue kind=HEALTH severity=info
l7 WARNING x telegram_enqueue kind=ALERT severity=high
l8 INFO x collector_started version=0.1.0 pid=1 data_root=/d
l9 info x nothing to see
EOF
out=$(PATH="$T/fakebin:$PATH" "$CTL" logs)
[ "$out" = "l1 INFO x health connected=True sid=sid-1
l4 ERROR x sqlite_busy_backoff trading_day=20260302
l6 INFO x telegram_enqueue kind=HEALTH severity=info" ] || fail "logs default filter (case-insensitive): $out"
grep -q -- "-u hk-tick-collector --since 15 minutes ago --no-pager" "$T/journal.args" || fail "logs args"
for ops in "--ops" "--ops 1" "--ops=1"; do
    # shellcheck disable=SC2086
    out=$(PATH="$T/fakebin:$PATH" "$CTL" logs $ops --since "1 hour ago")
    [ "$(echo "$out" | wc -l)" = 7 ] || fail "logs $ops: $out"
done
out=$(PATH="$T/fakebin:$PATH" "$CTL" logs --ops 0)
[ "$(echo "$out" | wc -l)" = 3 ] || fail "logs --ops 0"
grep -q -- "--since 1 hour ago" "$T/journal.args" || fail "logs --since"
PATH="$T/fakebin:$PATH" "$CTL" logs --json >"$T/l.json"
[ "$(jget "$T/l.json" '$.lines[1]')" = "l4 ERROR x sqlite_busy_backoff trading_day=20260302" ] || fail "logs json"
mkdir -p "$T/nobin"
for p in sh cat; do ln -s "$(command -v $p)" "$T/nobin/$p"; done
set +e
out=$(PATH="$T/nobin" "$CTL" logs); rc=$?
set -e
[ $rc = 1 ] && grep -q "^FAIL journalctl_not_found" <<<"$out" || fail "no journalctl: rc=$rc $out"
ok "logs: filters, --ops forms, --since, --json, FAIL without journalctl"

out=$(PATH="$T/fakebin:$PATH" "$CTL" doctor)
echo "$out" | sed -n 1p | gq -x "=== HK Tick 版本診斷 ===" || fail "doctor header"
echo "$out" | sed -n 2p | gq -x "service=hk-tick-collector status=.* since=6 hours ago" || fail "doctor service: $out"
grep -qx "l5 .*notify_schema=v2" <<<"$(grep -A1 -x "\[完成\] 找到 notify schema 訊息" <<<"$out")" || fail "doctor schema: $out"
grep -q "^l6 " <<<"$(grep -A1 -x "\[資訊\] 最近 HEALTH enqueue" <<<"$out")" || fail "doctor health"
grep -q "^l7 " <<<"$(grep -A1 -x "\[資訊\] 最近 WARN/ALERT enqueue" <<<"$out")" || fail "doctor alert"
grep -q "^l8 " <<<"$(grep -A1 -x "\[資訊\] 最近 collector_started" <<<"$out")" || fail "doctor started"
grep -v telegram_notifier "$T/journal.txt" >"$T/j2" && mv "$T/j2" "$T/journal.txt"
out=$(PATH="$T/fakebin:$PATH" "$CTL" doctor --since "1 day ago")
grep -qx "\[資訊\] 沒找到 notify schema（可能未啟用 TG 或版本較舊）" <<<"$out" || fail "doctor no schema: $out"
ok "doctor lines"
