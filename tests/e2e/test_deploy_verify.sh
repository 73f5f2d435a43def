#!/usr/bin/env bash
# `hk-tickctl verify` (runbook 001 §5 checks as PASS/WARN/FAIL lines, exit
# 0/2, --json) and ops/verify.sh (compat.md §10.3 lines) against the real
# collector fed by the simulator, plus scripts/db_health_check.sh sections
# and deploy/scripts/status.sh.
source "$(dirname "$0")/lib.sh"
e2e_init
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

SYMS=HK.00700,HK.00005
start_sim --symbols $SYMS --rate 200 --seed 9
start_collector FUTU_SYMBOLS=$SYMS
wait_rows 300 40
DB=$(ls "$DATA"/[0-9]*.db | head -n 1)
ENVF="$T/collector.env"
cat >"$ENVF" <<ENV
FUTU_HOST=127.0.0.1
FUTU_PORT=$PORT
FUTU_SYMBOLS=$SYMS
DATA_ROOT=$DATA
STOP_FLUSH_TIMEOUT_SEC=60
ENV
UNIT="$ROOT/deploy/systemd/hk-tick-collector.service"

# Output is matched with here-strings, never `echo "$out" | grep -q`: bash's
# echo writes line by line, grep -q exits at its match, and the next line's
# write then dies of SIGPIPE, which pipefail turns into a spurious failure.

# --- hk-tickctl verify while ticks flow --------------------------------------
set +e
out=$(env -u FUTU_SYMBOLS ENV_FILE="$ENVF" "$CTL" verify --data-root "$DATA" --wait-sec 2 \
    --log-file "$T/collector.log" --unit "$UNIT" 2>&1)
rc=$?
set -e
echo "$out" | sed 's/^/  /'
[ "$rc" = 0 ] || fail "verify exit $rc while collecting"
for l in "PASS env env_file=$ENVF FUTU_SYMBOLS has 2 symbols" \
    "PASS opend_port port check ok: 127.0.0.1:$PORT" \
    "PASS max_seq max(seq) advanced" \
    "PASS stop_timeout STOP_FLUSH_TIMEOUT_SEC=60 < TimeoutStopSec=120"; do
    grep -qxF "$l" <<<"$out" || fail "missing line: $l"
done
grep -Eq "^PASS db_today db ok: [0-9]+ rows in $DB$" <<<"$out" || fail "db_today line"
grep -Eq "^PASS db_growth rows grew [0-9]+ -> [0-9]+ in 2 s$" <<<"$out" || fail "db_growth line"
grep -Eq "^INFO max_seq max seq before: \{'HK.00005': [0-9]+, 'HK.00700': [0-9]+\}$" <<<"$out" || fail "max seq before"
grep -q "^PASS drops no dropped_queue_full>0 or rows_lost in $T/collector.log" <<<"$out" || fail "drops line"
grep -Eq "^VERIFY (PASS|WARN) pass=[0-9]+ warn=[0-9]+ fail=0$" <<<"$out" || fail "summary line"
ok "verify: all checks pass while the collector writes (exit 0)"

j=$(env ENV_FILE="$ENVF" "$CTL" verify --json --data-root "$DATA" --wait-sec 1 --checks db_today,max_seq,opend_port)
[ "$(echo "$j" | jq -r '.result')" = PASS ] || fail "json result: $j"
[ "$(echo "$j" | jq -r '[.checks[].check] | unique | join(",")')" = "db_today,max_seq,opend_port" ] || fail "json checks: $j"
[ "$(echo "$j" | jq -r '.rows_after > .rows_before')" = true ] || fail "json rows"
ok "verify --json: one document, same facts"

# ops/verify.sh: the §10.3 lines, sourcing ENV_FILE.
set +e
out=$(env -u FUTU_SYMBOLS -u DATA_ROOT ENV_FILE="$ENVF" HK_TICKCTL="$CTL" WAIT_SEC=2 bash "$ROOT/ops/verify.sh" 2>&1)
rc=$?
set -e
echo "$out" | sed 's/^/  /'
[ "$rc" = 0 ] || fail "ops/verify.sh exit $rc"
grep -qx "port check ok: 127.0.0.1:$PORT" <<<"$out" || fail "port line"
grep -Eqx "subscribe ok, sample ticker rows: [0-9]+" <<<"$out" || fail "probe line"
grep -Eqx "MARKET_OPEN=[01]" <<<"$out" || fail "MARKET_OPEN line"
grep -Eqx "db ok: [0-9]+ rows in $DB" <<<"$out" || fail "db ok line"
grep -Eq "^max seq before: \{" <<<"$out" && grep -Eq "^max seq after: \{" <<<"$out" || fail "max seq lines"
ok "ops/verify.sh: port, probe, db and max seq lines (exit 0)"

# --- scripts/db_health_check.sh sections --------------------------------------
out=$(bash "$ROOT/scripts/db_health_check.sh" "$DB")
for h in "[INFO] db=$DB" "== Global freshness ==" "== Symbol freshness ==" "== Duplicate checks ==" "== PRAGMA snapshot =="; do
    grep -qxF "$h" <<<"$out" || fail "db_health_check lacks $h"
done
for col in now_utc max_ts_utc lag_sec rows symbol max_seq latest_ts_utc check_name duplicate_groups journal_mode synchronous wal_autocheckpoint; do
    grep -qw "$col" <<<"$out" || fail "db_health_check lacks column $col"
done
grep -Eq "^dup_symbol_seq +0 *$" <<<"$out" || fail "dup_symbol_seq not 0"
grep -Eq "^dup_composite_when_seq_null +0 *$" <<<"$out" || fail "dup composite not 0"
grep -Eq "^wal *$" <<<"$out" || fail "journal_mode wal missing"
out=$(DATA_ROOT="$DATA" DAY=$(basename "$DB" .db) bash "$ROOT/scripts/db_health_check.sh")
grep -qxF "[INFO] db=$DB" <<<"$out" || fail "DATA_ROOT/DAY default path"
out=$(DB_PATH="$DB" TOP_N=1 bash "$ROOT/scripts/db_health_check.sh")
[ "$(echo "$out" | grep -c '^HK\.')" = 1 ] || fail "TOP_N=1"
set +e
out=$(bash "$ROOT/scripts/db_health_check.sh" "$T/nope.db" 2>&1 >/dev/null); rc=$?
[ "$rc" = 1 ] && [ "$out" = "[FAIL] db not found: $T/nope.db" ] || fail "missing db: $rc $out"
out=$(PATH=/nonexistent /bin/bash "$ROOT/scripts/db_health_check.sh" "$DB" 2>&1 >/dev/null); rc=$?
[ "$rc" = 1 ] && [ "$out" = "[FAIL] sqlite3 not found" ] || fail "no sqlite3: $rc $out"
set -e
[ ! -e "$DB-journal" ] || fail "health check wrote a journal"
ok "db_health_check.sh: sections, columns, duplicates 0, DB_PATH/DATA_ROOT/TOP_N, [FAIL] lines (1)"

out=$(DATA_ROOT="$DATA" DAY=$(basename "$DB" .db) bash "$ROOT/deploy/scripts/status.sh")
[ "${out%%$'\n'*}" = "== HK Tick 一鍵狀態 ==" ] || fail "status.sh header"
grep -qx "\[資料庫\] $DB" <<<"$out" && grep -Eq "^rows=[0-9]+$" <<<"$out" &&
    grep -q "^latest_utc=" <<<"$out" && grep -q "^drift_sec=" <<<"$out" || fail "status.sh db: $out"
grep -q "^\[服務\] hk-tick-collector: " <<<"$out" && grep -q "^\[磁碟\]" <<<"$out" &&
    grep -q "^\[近期告警\]" <<<"$out" || fail "status.sh sections: $out"
ok "status.sh sections"

# --- stopped collector, broken settings -------------------------------------
stop_collector TERM
kill "$SIM_PID" 2>/dev/null || true
wait "$SIM_PID" 2>/dev/null || true
cat >"$T/bad.env" <<ENV
FUTU_HOST=127.0.0.1
FUTU_PORT=$PORT
FUTU_SYMBOLS=
DATA_ROOT=$DATA
STOP_FLUSH_TIMEOUT_SEC=180
ENV
sed 's/^\[Service\]/[Service]\nStartLimitBurst=5/; /^EnvironmentFile=/d' "$UNIT" >"$T/bad.service"
set +e
out=$(env -u FUTU_SYMBOLS ENV_FILE="$T/bad.env" "$CTL" verify --data-root "$DATA" --wait-sec 1 \
    --market-open 1 --unit "$T/bad.service" 2>&1)
rc=$?
set -e
echo "$out" | sed 's/^/  /'
[ "$rc" = 2 ] || fail "verify exit $rc with failures, want 2"
grep -q "^FAIL env FUTU_SYMBOLS is empty" <<<"$out" || fail "empty symbols not FAIL"
grep -qx "FAIL opend_port port check failed: 127.0.0.1:$PORT not listening" <<<"$out" || fail "port FAIL"
grep -qx "FAIL max_seq db seq check failed: max(seq) did not advance" <<<"$out" || fail "seq FAIL"
grep -q "^FAIL db_growth rows did not grow" <<<"$out" || fail "growth FAIL"
grep -q "^FAIL stop_timeout STOP_FLUSH_TIMEOUT_SEC=180 >= TimeoutStopSec=120" <<<"$out" || fail "stop timeout FAIL"
grep -q "^WARN unit StartLimit\* is in \[Service\]" <<<"$out" || fail "StartLimit WARN"
grep -q "^WARN unit EnvironmentFile= is missing" <<<"$out" || fail "EnvironmentFile WARN"
grep -q "^VERIFY FAIL " <<<"$out" || fail "summary FAIL"
out=$(env -u FUTU_SYMBOLS ENV_FILE="$T/bad.env" "$CTL" verify --data-root "$DATA" --wait-sec 0 \
    --market-open 0 --checks max_seq 2>&1)
grep -qx "WARN max_seq db seq check warning: max(seq) did not advance" <<<"$out" || fail "seq WARN when closed: $out"
# A -wal owned by another user is reported (runbook 7.4).
if [ "$(id -u)" = 0 ]; then
    touch "$DB-wal"
    chown 65534:65534 "$DB-wal"
    set +e
    out=$("$CTL" verify --data-root "$DATA" --checks ownership 2>&1); rc=$?
    set -e
    [ "$rc" = 2 ] && grep -q "^FAIL ownership $DB-wal is owned by" <<<"$out" || fail "wal owner: $rc $out"
    rm -f "$DB-wal"
fi
set +e
out=$(env -u FUTU_SYMBOLS ENV_FILE="$T/bad.env" HK_TICKCTL="$CTL" bash "$ROOT/ops/verify.sh" 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] && grep -qx "port check failed: 127.0.0.1:$PORT not listening" <<<"$out" || fail "ops/verify.sh port fail: $rc $out"
ok "verify: FAIL/WARN lines and exit 2; ops/verify.sh exit 1 when OpenD is down"
