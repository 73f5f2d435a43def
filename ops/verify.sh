#!/usr/bin/env bash
# verify.sh - one-shot deployment verification (runbook 5.6, compat.md §10.3):
#   sudo -u hkcollector -H ops/verify.sh
#   sudo -u hkcollector -H ENV_FILE=/opt/futu_tick_downloader/.env ops/verify.sh
#
# A thin wrapper over `hk-tickctl verify` and `hk-tickctl probe`; sources
# ENV_FILE (default /etc/hk-tick-collector.env) when readable. Steps:
#   (1) OpenD port            port check ok|failed: HOST:PORT        (exit 1)
#   (2) OpenD probe           subscribe ok, sample ticker rows: N; MARKET_OPEN=0|1
#   (3) today's day file      db ok: N rows in F; max seq before/after (WAIT_SEC=5)
#                             market open and no advance -> exit 1
#   (4) unit/env/ownership    [WARN] … lines (never fatal)
# Extra switches: HK_TICKCTL=path (default <repo>/scripts/hk-tickctl),
# SKIP_PROBE=1 (no OpenD session; MARKET_OPEN from the HK clock),
# WAIT_SEC (5).
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
repo=$(cd "$here/.." && pwd)
ENV_FILE=${ENV_FILE:-/etc/hk-tick-collector.env}
export ENV_FILE
if [ -r "$ENV_FILE" ]; then
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
fi
CTL=${HK_TICKCTL:-$repo/scripts/hk-tickctl}
WAIT_SEC=${WAIT_SEC:-5}
[ -x "$CTL" ] || { echo "hk-tickctl not found or not executable: $CTL" >&2; exit 1; }

# Print the messages of `hk-tickctl verify` lines ("LEVEL check message").
msgs() { sed -n -E 's/^(PASS|WARN|FAIL|INFO) [a-z_]+ //p'; }

# (1) port
set +e
out=$("$CTL" verify --checks opend_port 2>&1)
rc=$?
set -e
echo "$out" | grep -E '^(PASS|FAIL) opend_port ' | msgs
[ $rc -eq 0 ] || exit 1

# (2) probe
MARKET_OPEN=0
if [ -z "${FUTU_SYMBOLS//[ ,]/}" ]; then
    echo "FUTU_SYMBOLS is empty, skip subscribe check"
    echo "MARKET_OPEN=0"
elif [ "${SKIP_PROBE:-0}" = 1 ]; then
    MARKET_OPEN=auto
    echo "probe skipped (SKIP_PROBE=1)"
else
    set +e
    out=$("$CTL" probe --num 1 2>&1)
    rc=$?
    set -e
    echo "$out"
    [ $rc -eq 0 ] || exit 1
    MARKET_OPEN=$(echo "$out" | sed -n 's/^MARKET_OPEN=\([01]\).*/\1/p' | tail -n 1)
    MARKET_OPEN=${MARKET_OPEN:-0}
fi

# (3) today's file, max(seq) before/after
set +e
out=$("$CTL" verify --checks db_today,max_seq --wait-sec "$WAIT_SEC" --market-open "$MARKET_OPEN" 2>&1)
rc=$?
set -e
echo "$out" | grep -E '^(PASS|WARN|FAIL|INFO) (db_today|max_seq) ' | grep -v ' max(seq) advanced$' | msgs
[ $rc -eq 0 ] || exit 1

# (4) unit, env injection, stop timeout, ownership: warnings only
set +e
out=$("$CTL" verify --checks unit,env,stop_timeout,ownership 2>&1)
set -e
echo "$out" | grep -E '^(WARN|FAIL) (unit|env|stop_timeout|ownership) ' | msgs | sed 's/^/[WARN] /'
echo "verify ok"
