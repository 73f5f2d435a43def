#!/usr/bin/env bash
# Configuration layers (defaults < config file < env file < environment <
# *_FILE secrets), unknown config-file keys, LOG_FORMAT=json, and LOG_FILE
# reopened on SIGHUP (logrotate) without losing a line.
source "$(dirname "$0")/lib.sh"
e2e_init

cat >"$T/conf" <<'EOT'
# our config file
FUTU_SYMBOLS=HK.00001
FUTU_PORT=1111
BATCH_SIZE=111
MAX_WAIT_MS=111
EOT
cat >"$T/env" <<'EOT'
FUTU_PORT=2222
BATCH_SIZE=222
EOT
echo "from-secret-file" >"$T/key"
out=$(env -i PATH="$PATH" DATA_ROOT="$DATA" BATCH_SIZE=333 API_KEY=from-env \
    API_KEY_FILE="$T/key" "$COLLECTOR" --config "$T/conf" --env-file "$T/env" \
    --check-config 2>"$T/err")
grep -qx "FUTU_SYMBOLS=HK.00001  # config_file $T/conf" <<<"$out" || fail "config file layer: $out"
grep -qx "MAX_WAIT_MS=111  # config_file $T/conf" <<<"$out" || fail "config file layer"
grep -qx "FUTU_PORT=2222  # env_file $T/env" <<<"$out" || fail "env file over config file"
grep -qx "BATCH_SIZE=333  # env" <<<"$out" || fail "environment over env file"
grep -qx "API_KEY=<set>  # secret_file" <<<"$out" || fail "secret file over environment"
grep -qx "DRIFT_WARN_SEC=120  # default" <<<"$out" || fail "default"
! grep -q "from-secret-file\|from-env" <<<"$out" || fail "secret printed"
ok "layer order: default < config file < env file < environment < secret file"

echo "FUTU_SYMBOL=HK.00700" >>"$T/conf"
set +e
env -i PATH="$PATH" DATA_ROOT="$DATA" "$COLLECTOR" --config "$T/conf" >"$T/out" 2>&1
rc=$?
set -e
[ "$rc" = 78 ] || fail "unknown key: exit $rc"
grep -q "config_error var=FUTU_SYMBOL value=HK.00700 reason=\"unknown key in $T/conf\"" "$T/out" ||
    fail "unknown key not named: $(cat "$T/out")"
[ ! -e "$DATA" ] || fail "data root created"
ok "unknown config-file key -> config_error naming it, exit 78"

# JSON logs and logrotate-style reopen.
start_sim --symbols HK.00700 --rate 100 --seed 2
LOG="$T/logs/collector.log"
mkdir -p "$T/logs"
env FUTU_HOST=127.0.0.1 FUTU_PORT="$PORT" DATA_ROOT="$DATA" FUTU_SYMBOLS=HK.00700 \
    LOG_FILE="$LOG" LOG_FORMAT=json HEALTH_TICK_SEC=1 "$COLLECTOR" >"$T/stderr" 2>&1 &
COL_PID=$!
E2E_PIDS+=("$COL_PID")
for _ in $(seq 1 50); do grep -q '"event":"futu_connected"' "$LOG" 2>/dev/null && break; sleep 0.1; done
grep -q '"event":"futu_connected"' "$LOG" || fail "no JSON futu_connected in LOG_FILE"
sleep 1.5
mv "$LOG" "$LOG.1"
kill -HUP "$COL_PID"
for _ in $(seq 1 50); do [ -s "$LOG" ] && break; sleep 0.1; done
sleep 1.5
kill -TERM "$COL_PID"
wait "$COL_PID" || fail "exit code"
[ -s "$LOG.1" ] && [ -s "$LOG" ] || fail "both files must have lines"
grep -q '"event":"reload signal received"\|"event":"reload"' "$LOG" || grep -q 'SIGHUP' "$LOG" ||
    fail "the SIGHUP line must be in the new file"
grep -q '"event":"collector_exit","code":"0"' "$LOG" || fail "exit line in new file: $(tail -n 2 "$LOG")"
# Every line of both files is one complete JSON object.
for f in "$LOG.1" "$LOG"; do
    bad=$(sqlite3 :memory: "SELECT COUNT(*) FROM (SELECT value AS l FROM json_each('[' || replace(replace(trim(readfile('$f'), char(10)), char(10), ','), '}{', '},{') || ']'));" 2>&1) ||
        fail "$f is not JSON lines: $bad"
    lines=$(wc -l <"$f")
    [ "$bad" = "$lines" ] || fail "$f: $bad objects for $lines lines"
done
[ ! -s "$T/stderr" ] || fail "stderr not empty with LOG_FILE: $(head -n 3 "$T/stderr")"
h1=$(grep -c '"event":"health"' "$LOG.1")
h2=$(grep -c '"event":"health"' "$LOG")
[ "$h1" -ge 1 ] && [ "$h2" -ge 1 ] || fail "health lines: $h1 before, $h2 after rotation"
ok "LOG_FORMAT=json lines; SIGHUP reopened LOG_FILE; no partial line"
