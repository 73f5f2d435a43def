#!/usr/bin/env bash
# The main job on its embedded default: opend-sim plays a Hong Kong market,
# hk-tick-collector captures it into ./data/sqlite/HK for DEMO_SECONDS
# (default 30), stops gracefully, and we show what landed.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${HK_BIN:-build/bin}
SECONDS_TO_RUN=${DEMO_SECONDS:-30}
DATA_ROOT=${DEMO_DATA_ROOT:-$PWD/data/sqlite/HK}
RUN=$(mktemp -d /tmp/hk-demo.XXXXXX)
SYMS=HK.00700,HK.00005,HK.00388,HK.00939,HK.00941,HK.01299,HK.02318,HK.03690,HK.09988,HK.01810,HK.00001,HK.00002,HK.00003,HK.00016,HK.00027,HK.00175,HK.00267,HK.00386,HK.00883,HK.00981

cleanup() {
    [ -n "${COL:-}" ] && kill "$COL" 2>/dev/null || true
    [ -n "${SIM:-}" ] && kill "$SIM" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT

echo "==> starting opend-sim (20 HK symbols, ~300 ticks/s with bursts)"
"$BIN/opend-sim" --listen 127.0.0.1:0 --port-file "$RUN/port" \
    --symbols "$SYMS" --rate 300 --seed 42 --truth "$RUN/truth.csv" \
    --control "$RUN/ctl" >"$RUN/sim.log" 2>&1 &
SIM=$!
for _ in $(seq 1 100); do [ -s "$RUN/port" ] && break; sleep 0.05; done
PORT=$(cat "$RUN/port")
echo "    OpenD simulator on 127.0.0.1:$PORT"

echo "==> running hk-tick-collector for ${SECONDS_TO_RUN}s into $DATA_ROOT"
mkdir -p "$DATA_ROOT"
FUTU_HOST=127.0.0.1 FUTU_PORT=$PORT FUTU_SYMBOLS=$SYMS DATA_ROOT=$DATA_ROOT \
    HEALTH_TICK_SEC=10 HTTP_PORT=0 "$BIN/hk-tick-collector" >"$RUN/collector.log" 2>&1 &
COL=$!
sleep "$SECONDS_TO_RUN"
# Stop the market first so "generated" and "landed" can be compared.
"$BIN/opend-sim" ctl "$RUN/ctl" pause >/dev/null
sleep 1
echo "==> stopping the collector (SIGTERM: drain, checkpoint, exit 0)"
kill -TERM "$COL"
set +e
wait "$COL"
rc=$?
set -e
COL=
echo "    exit code $rc"
"$BIN/opend-sim" ctl "$RUN/ctl" truth >/dev/null 2>&1 || true

echo
echo "==> what the operator greps for (last lines)"
grep -E "futu_connected|subscribe ret=|health connected|collector_exit" \
    "$RUN/collector.log" | tail -n 5 | cut -c1-220

DAY=$(TZ=Asia/Hong_Kong date +%Y%m%d)
DB=$DATA_ROOT/$DAY.db
if [ ! -f "$DB" ]; then
    DB=$(ls -t "$DATA_ROOT"/[0-9]*.db | head -n 1)
fi
echo
echo "==> rows per symbol in $DB"
sqlite3 -header -column "file:${DB}?mode=ro" \
    "SELECT symbol, COUNT(*) AS rows, MAX(seq) AS max_seq,
            ROUND((julianday('now') - 2440587.5) * 86400.0 - MAX(ts_ms)/1000.0, 1) AS last_tick_age_sec
       FROM ticks GROUP BY symbol ORDER BY rows DESC;"
echo
echo "==> runbook lag query"
sqlite3 -header -column "file:${DB}?mode=ro" \
    "SELECT ROUND(strftime('%s','now')-MAX(ts_ms)/1000.0,3) AS lag_sec, COUNT(*) AS rows FROM ticks;"
gen=$(($(wc -l <"$RUN/truth.csv") - 1))
got=$(sqlite3 "file:${DB}?mode=ro" "SELECT COUNT(*) FROM ticks;")
echo
echo "==> simulator generated $gen ticks; $got rows landed in $DB"
echo "    collector log: $RUN/collector.log"
echo "    try: sqlite3 \"file:${DB}?mode=ro\" \"SELECT * FROM ticks ORDER BY ts_ms DESC LIMIT 5;\""
[ "$rc" = 0 ]
