#!/usr/bin/env bash
# cold-store end-to-end helpers: start/stop, metrics, test rows written
# straight into the hot table, and exact comparisons of cold with hot.
# Source after lib.sh, lib_clickhouse.sh and lib_hot.sh (hot_init).

COLD="$HK_BIN/cold-store"
COLD_DB=${COLD_DB:-marketprism_cold}

# start_cold [ENV=VAL ...] : cold-store in the background against
# CLICKHOUSE_URL, state in $T/cold, 1 s cycles, 2 s settle; sets COLD_PID
# and COLD_PORT and waits for /health to answer.
start_cold() {
    [ -x "$COLD" ] || fail "missing $COLD (make build)"
    COLD_PORT=${COLD_PORT:-$(free_port)}
    env CLICKHOUSE_URL="$CLICKHOUSE_URL" COLD_HTTP_PORT="$COLD_PORT" \
        COLD_STATE_DIR="$T/cold" COLD_INTERVAL_SEC=1 COLD_SETTLE_SEC=2 \
        COLD_RETRY_MIN_MS=200 COLD_RETRY_MAX_MS=1000 COLD_DATABASE="$COLD_DB" \
        "$@" "$COLD" >>"$T/cold.log" 2>&1 &
    COLD_PID=$!
    E2E_PIDS+=("$COLD_PID")
    local i
    for i in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$COLD_PORT/health" && return 0
        kill -0 "$COLD_PID" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$T/cold.log" >&2
    fail "cold-store did not start"
}

# stop_cold : SIGTERM and wait; sets COLD_RC.
stop_cold() {
    kill -TERM "$COLD_PID" 2>/dev/null || true
    COLD_RC=0
    wait "$COLD_PID" || COLD_RC=$?
}

kill9_cold() {
    kill -9 "$COLD_PID" 2>/dev/null || true
    wait "$COLD_PID" 2>/dev/null || true
}

cold_metric() {
    curl -s "http://127.0.0.1:$COLD_PORT/metrics" |
        awk -v n="$1" '$1 == n { print $2; exit }'
}

cold_health_code() {
    curl -s -o "$T/cold-health.json" -w '%{http_code}' \
        "http://127.0.0.1:$COLD_PORT/health"
}

# wait_cold_metric NAME MIN [SEC] : until the metric is >= MIN.
wait_cold_metric() {
    local v i
    for i in $(seq 1 $((${3:-60} * 5))); do
        v=$(cold_metric "$1")
        [ -n "$v" ] && awk -v a="$v" -v b="$2" 'BEGIN { exit !(a >= b) }' &&
            return 0
        sleep 0.2
    done
    fail "$1 is ${v:-absent}, want >= $2"
}

# gen_day DAY N FIRST TS0 : N ticks rows of trading day DAY (YYYYMMDD) as
# ClickHouse TabSeparated in table column order, ts from TS0 (ms) every
# 7 ms, seq from FIRST; three symbols, NULLs in every nullable column,
# some rows without seq.
gen_day() {
    python3 - "$@" <<'PY'
import sys
day, n, first, ts0 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
syms = ["HK.00700", "HK.09988", "HK.00005"]
dirs = ["BUY", "SELL", "NEUTRAL"]
N = "\\N"
date = "%s-%s-%s" % (day[:4], day[4:6], day[6:])
for k in range(n):
    i = first + k
    ts = ts0 + k * 7
    row = ["HK", syms[i % 3], ts,
           N if i % 17 == 0 else repr(300 + (i % 997) / 8),
           N if i % 19 == 0 else 100 * (i % 50 + 1),
           N if i % 23 == 0 else repr(i * 10 + 0.5),
           N if i % 5 == 0 else dirs[i % 3],
           N if i % 50 == 49 else 7257436441708000000 + i,
           N if i % 11 == 0 else "AUTO_MATCH",
           N if i % 13 == 0 else "push",
           N if i % 29 == 0 else "futu",
           date, ts + 40, ts + 90]
    print("\t".join(str(c) for c in row))
PY
}

# ch_insert_tsv TABLE FILE : INSERT the TabSeparated rows of FILE.
ch_insert_tsv() {
    curl -sS --fail-with-body --max-time 120 --data-binary @"$2" \
        "$CLICKHOUSE_URL/?query=$(printf 'INSERT INTO %s FORMAT TabSeparated' "$1" |
            sed 's/ /%20/g')" >/dev/null || fail "insert into $1 failed"
}

# day_ms DAY : UTC epoch ms of 00:00 HK time on DAY (YYYYMMDD).
day_ms() {
    echo $(($(TZ=Asia/Hong_Kong date -d "${1:0:4}-${1:4:2}-${1:6:2}" +%s) * 1000))
}

# hk_day OFFSET_DAYS : the HK date OFFSET days from today, YYYYMMDD.
hk_day() {
    TZ=Asia/Hong_Kong date -d "${1} days" +%Y%m%d
}

# dump_final DB [WHERE] : every column of DB.ticks FINAL, sorted.
dump_final() {
    ch_query "SELECT $HOT_COLS FROM $1.ticks FINAL ${2:+WHERE $2} FORMAT TabSeparated" |
        LC_ALL=C sort
}

# compare_cold WANT_FILE [WHERE] : cold FINAL equals WANT_FILE exactly.
compare_cold() {
    dump_final "$COLD_DB" "${2:-}" >"$T/cold.tsv"
    LC_ALL=C sort "$1" >"$T/cold-want.tsv"
    if ! cmp -s "$T/cold.tsv" "$T/cold-want.tsv"; then
        diff "$T/cold-want.tsv" "$T/cold.tsv" | head -n 20 >&2
        fail "cold ticks FINAL differs from hot ($(wc -l <"$T/cold.tsv") rows, want $(wc -l <"$T/cold-want.tsv"))"
    fi
}

# wait_cold_count N [WHERE] [SEC] : until cold FINAL holds N rows.
wait_cold_count() {
    local got i
    for i in $(seq 1 $((${3:-60} * 5))); do
        got=$(ch_query "SELECT count() FROM $COLD_DB.ticks FINAL ${2:+WHERE $2}" 2>/dev/null)
        [ "$got" = "$1" ] && return 0
        sleep 0.2
    done
    fail "cold FINAL holds ${got:-?} rows${2:+ where $2}, want $1"
}

# cold_init : hot_init plus cold-store's log tail when the test fails.
cold_init() {
    e2e_init
    trap cold_cleanup EXIT
}

cold_cleanup() {
    local rc=$?
    set +e # (exit $rc) below must not end the trap under errexit
    if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
        echo "---- cold-store log (tail) ----" >&2
        tail -n 40 "$T/cold.log" >&2 || true
    fi
    (exit $rc)
    hot_cleanup
}

# wait_cold_log PATTERN [SEC] : until cold-store's log matches (ERE).
wait_cold_log() {
    local end=$((SECONDS + ${2:-20}))
    while [ $SECONDS -lt $end ]; do
        grep -Eq -- "$1" "$T/cold.log" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "timed out waiting for /$1/ in cold.log"
}
