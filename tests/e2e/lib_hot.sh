#!/usr/bin/env bash
# hot-store end-to-end helpers: NATS (until lib_nats.sh is on main, a
# minimal local start_nats), hot-store itself, test rows and the exact
# comparison of marketprism_hot.ticks FINAL with what was published.
# Source after lib.sh and lib_clickhouse.sh; call e2e_init first.

# hot_init : e2e_init, plus the hot-store/NATS/ClickHouse log tails when
# the test fails.
hot_init() {
    e2e_init
    trap hot_cleanup EXIT
}

hot_cleanup() {
    local rc=$?
    set +e # (exit $rc) below must not end the trap under errexit
    if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
        echo "---- hot-store log (tail) ----" >&2
        tail -n 40 "$T/hot.log" >&2 || true
        echo "---- nats log (tail) ----" >&2
        tail -n 10 "$T/nats.log" >&2 || true
        echo "---- clickhouse errors (tail) ----" >&2
        tail -n 10 "$T/ch/clickhouse-server.err.log" >&2 || true
    fi
    (exit $rc)
    e2e_cleanup
}

HOT="$HK_BIN/hot-store"
HK_PUB="$HK_BIN/../tests/hk-nats-pub"
HOT_DB=marketprism_hot

if [ -f "$(dirname "${BASH_SOURCE[0]}")/lib_nats.sh" ]; then
    # shellcheck source=/dev/null
    source "$(dirname "${BASH_SOURCE[0]}")/lib_nats.sh"
else
    # start_nats : nats-server with JetStream, store in $T/nats, on a free
    # loopback port (the same port again on a restart); exports NATS_URL.
    start_nats() {
        local srv
        srv=$(command -v nats-server || true)
        [ -n "$srv" ] || skip "nats-server is not installed (scripts/install-deps.sh --test)"
        NATS_PORT=${NATS_PORT:-$(free_port)}
        mkdir -p "$T/nats"
        "$srv" -js -sd "$T/nats" -p "$NATS_PORT" -a 127.0.0.1 \
            >>"$T/nats.log" 2>&1 &
        NATS_PID=$!
        E2E_PIDS+=("$NATS_PID")
        NATS_URL="nats://127.0.0.1:$NATS_PORT"
        export NATS_URL NATS_PORT
        local i
        for i in $(seq 1 100); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null; then
                return 0
            fi
            sleep 0.1
        done
        fail "nats-server did not start"
    }
    stop_nats() {
        [ -n "${NATS_PID:-}" ] || return 0
        kill -TERM "$NATS_PID" 2>/dev/null || true
        wait "$NATS_PID" 2>/dev/null || true
        NATS_PID=
    }
    restart_nats() {
        stop_nats
        start_nats
    }
fi

# start_hot [ENV=VAL ...] : runs hot-store in the background against
# NATS_URL and CLICKHOUSE_URL; sets HOT_PID and HOT_PORT.
start_hot() {
    [ -x "$HK_PUB" ] || fail "missing $HK_PUB (build the tests)"
    HOT_PORT=${HOT_PORT:-$(free_port)}
    env NATS_URL="$NATS_URL" CLICKHOUSE_URL="$CLICKHOUSE_URL" \
        HOT_HTTP_PORT="$HOT_PORT" HOT_LAG_INTERVAL_SEC=1 "$@" \
        "$HOT" >>"$T/hot.log" 2>&1 &
    HOT_PID=$!
    E2E_PIDS+=("$HOT_PID")
    local i
    for i in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$HOT_PORT/health" && return 0
        sleep 0.1
    done
    fail "hot-store did not start"
}

# stop_hot : SIGTERM and wait; sets HOT_RC.
stop_hot() {
    kill -TERM "$HOT_PID" 2>/dev/null || true
    HOT_RC=0
    wait "$HOT_PID" || HOT_RC=$?
}

hot_metric() {
    curl -s "http://127.0.0.1:$HOT_PORT/metrics" |
        awk -v n="$1" '$1 == n { print $2; exit }'
}

hot_health_code() {
    curl -s -o "$T/health.json" -w '%{http_code}' \
        "http://127.0.0.1:$HOT_PORT/health"
}

# gen_rows N [FIRST] : N ticks rows as hk-nats-pub TSV (table column
# order, \N = NULL), three symbols, NULLs sprinkled over every nullable
# column, some rows without seq.
gen_rows() {
    python3 - "$1" "${2:-0}" <<'PY'
import sys
n, first = int(sys.argv[1]), int(sys.argv[2])
syms = ["HK.00700", "HK.09988", "HK.00005"]
dirs = ["BUY", "SELL", "NEUTRAL"]
N = "\\N"
def f(x):  # ClickHouse's shortest round-trip text of a Float64
    t = repr(float(x))
    return t[:-2] if t.endswith(".0") else t
for i in range(first, first + n):
    ts = 1767576600000 + i * 7
    row = ["HK", syms[i % 3], ts,
           N if i % 17 == 0 else f(300 + (i % 997) / 8),
           N if i % 19 == 0 else 100 * (i % 50 + 1),
           N if i % 23 == 0 else f(i * 10 + 0.5),
           N if i % 5 == 0 else dirs[i % 3],
           N if i % 50 == 49 else 7257436441708000000 + i,
           N if i % 11 == 0 else "AUTO_MATCH",
           N if i % 13 == 0 else "push",
           N if i % 29 == 0 else "futu",
           "20260105", ts + 40, ts + 90]
    print("\t".join(str(c) for c in row))
PY
}

publish_file() {
    "$HK_PUB" --url "$NATS_URL" "$@" >>"$T/pub.log" 2>&1 ||
        fail "hk-nats-pub $* failed: $(tail -n 3 "$T/pub.log")"
}

HOT_COLS="market, symbol, ts_ms, price, volume, turnover, direction, seq,
    tick_type, push_type, provider, toYYYYMMDD(trading_day), recv_ts_ms,
    inserted_at_ms"

hot_count() {
    ch_query "SELECT count() FROM $HOT_DB.ticks ${1:-FINAL}" 2>/dev/null || echo -1
}

# wait_hot_count N [SEC] : until ticks FINAL holds N rows.
wait_hot_count() {
    local want=$1 sec=${2:-60} i got=-1
    for i in $(seq 1 $((sec * 5))); do
        got=$(hot_count)
        [ "$got" = "$want" ] && return 0
        sleep 0.2
    done
    fail "ticks FINAL holds $got rows, want $want"
}

# compare_hot FILE : ticks FINAL equals FILE exactly (every column, every
# row, once).
compare_hot() {
    ch_query "SELECT $HOT_COLS FROM $HOT_DB.ticks FINAL FORMAT TabSeparated" |
        LC_ALL=C sort >"$T/hot.tsv"
    LC_ALL=C sort "$1" >"$T/want.tsv"
    if ! cmp -s "$T/hot.tsv" "$T/want.tsv"; then
        diff "$T/want.tsv" "$T/hot.tsv" | head -n 20 >&2
        fail "ticks FINAL differs from the published rows"
    fi
}
