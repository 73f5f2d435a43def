#!/usr/bin/env bash
# The operations CLI: `healthcheck` (one line per check, exit 0 healthy /
# 1 when a check fails, e.g. the daemon is down), `perf-test --test-only`
# (records a missing baseline, passes within 20 %, exits 1 on a larger
# regression), `keys list/revoke`, and the runbook's wrapper scripts
# (healthcheck.py, performance_monitor.py, security_config.py) calling
# the same commands.
source "$(dirname "$0")/lib.sh"
e2e_init
source "$(dirname "$0")/lib_qte_ops.sh"
qte_need_binary

qte_make_day "$T/data" 2000
QTE_MODE=backtest qte_env
read -r QTE_HTTP_PORT QTE_ADMIN_PORT <<<"$(free_ports 2)"
export QTE_HTTP_PORT QTE_ADMIN_PORT QTE_SQLITE_PATH="$T/qte.db" LOG_FILE="$T/qte.log"
export QTE_BIN=$QTE QTE_CONFIG=/nonexistent
SRC=${HK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}

# --- keys through the runbook's wrapper
key=$(python3 "$SRC/deployment/security/security_config.py" --generate-key admin 2>/dev/null)
[[ $key =~ ^qte_[0-9a-f]{64}$ ]] || fail "security_config.py --generate-key admin: $key"
"$QTE" keys generate ops >/dev/null 2>&1
[ "$("$QTE" keys list | cut -d' ' -f1 | tr '\n' ' ')" = "admin ops " ] || fail "keys list"
"$QTE" keys revoke ops | gq -x 'revoked ops' || fail "keys revoke"
"$QTE" keys revoke ops 2>/dev/null && fail "revoking twice succeeded"
ok "keys: security_config.py --generate-key admin, list, revoke"

# --- healthcheck: daemon down -> exit 1 with FAIL lines
set +e
out=$(python3 "$SRC/deployment/scripts/healthcheck.py")
rc=$?
set -e
[ "$rc" = 1 ] || fail "healthcheck with the daemon down: exit $rc"
grep -qE "^FAIL api       http://127\.0\.0\.1:$QTE_HTTP_PORT/health: " <<<"$out" || fail "api line: $out"
grep -qE '^unhealthy \([0-9]+ failed, [0-9]+ warnings?\)$' <<<"$out" || fail "verdict: $out"
ok "healthcheck, daemon down: exit 1, $(tail -n 1 <<<"$out")"

qte_start
qte_wait_done
"$QTE" backup >/dev/null
out=$(python3 "$SRC/deployment/scripts/healthcheck.py") || fail "healthcheck exit $?: $out"
for l in "^OK   config    environment and defaults$" \
    "^OK   api       http://127\.0\.0\.1:$QTE_HTTP_PORT/health 200 \([0-9]+ ms\)$" \
    "^OK   admin     http://127\.0\.0\.1:$QTE_ADMIN_PORT/health 200 \([0-9]+ ms\)$" \
    "^OK   metrics   qte_event_queue_size 0$" \
    "^OK   database  sqlite $T/qte.db: quick_check ok$" \
    "^SKIP redis     REDIS_URL not set$" \
    "^SKIP tls       no certificate configured \(plain HTTP\)$" \
    "^OK   keys      1 key\(s\) in $T/keys$" \
    "^OK   backup    newest qte-backup-[0-9]{8}T[0-9]{6}Z\.tar\.gz, 0\.0 h old$" \
    "^healthy \(0 failed, 0 warnings\)$"; do
    grep -qE "$l" <<<"$out" || fail "healthcheck line $l missing in:"$'\n'"$out"
done
[ "$(wc -l <<<"$out")" = 12 ] || fail "12 lines expected: $out"
ok "healthcheck, daemon up: exit 0, 12 lines"
qte_stop

# --- perf-test
export QTE_PERF_BASELINE="$T/perf.json"
out=$(python3 "$SRC/deployment/scripts/performance_monitor.py" --test-only --rows 20000) || fail "first perf-test: $out"
grep -qE '^perf-test: synthetic day 20240102, 20000 ticks, 3 symbols, null strategy, best of 3$' <<<"$out" || fail "header: $out"
[ "$(grep -cE '^run [123]: 20000 ticks, [0-9]+ ticks/s$' <<<"$out")" = 3 ] || fail "runs: $out"
grep -qE "^baseline: recorded [0-9]+ ticks/s in $T/perf.json$" <<<"$out" || fail "no baseline recorded: $out"
base=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ticks_per_sec"])' "$T/perf.json")
ok "perf-test: baseline recorded ($base ticks/s)"
# Same machine, same day: within the threshold (a loaded machine may be
# slower; the threshold is widened for the test only).
out=$("$QTE" perf-test --test-only --rows 20000 --threshold 0.9) || fail "second perf-test: $out"
grep -qE '^change: [+-][0-9.]+ % \(threshold -90 %\): OK$' <<<"$out" || fail "compare: $out"
# A baseline ten times faster than this machine: a regression, exit 1.
python3 -c 'import json,sys; p=sys.argv[1]; d=json.load(open(p)); d["ticks_per_sec"]*=10; json.dump(d, open(p,"w"))' "$T/perf.json"
set +e
out=$("$QTE" perf-test --test-only --rows 20000)
rc=$?
set -e
[ "$rc" = 1 ] || fail "regression exit $rc: $out"
grep -qE '^change: -[0-9.]+ % \(threshold -20 %\): REGRESSION$' <<<"$out" || fail "regression line: $out"
ok "perf-test: within threshold OK, 10x baseline -> REGRESSION exit 1"
