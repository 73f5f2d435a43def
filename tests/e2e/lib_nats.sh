#!/usr/bin/env bash
# NATS helpers for end-to-end tests (source after lib.sh and e2e_init):
# a real nats-server with JetStream on a free loopback port, its store in
# $T/nats, and a check that the stream holds every committed row exactly
# once. A test calls need_nats first: without nats-server it exits 77.
NATS_DUMP="$HK_BIN/hk-nats-dump"

need_nats() {
    command -v nats-server >/dev/null 2>&1 ||
        skip "nats-server not installed (scripts/install-deps.sh --test)"
    [ -x "$NATS_DUMP" ] || skip "hk-nats-dump not built"
}

# A free loopback TCP port (bound then released: nats-server has no port 0).
# start_nats : starts nats-server -js (port NATS_PORT, chosen once and kept
# across restarts); sets NATS_PID, exports NATS_URL; waits until ready.
start_nats() {
    : "${NATS_PORT:=$(free_port)}"
    mkdir -p "$T/nats"
    local n0
    n0=$(grep -c "Server is ready" "$T/nats.log" 2>/dev/null || true)
    nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$T/nats/store" \
        >>"$T/nats.log" 2>&1 &
    NATS_PID=$!
    E2E_PIDS+=("$NATS_PID")
    NATS_URL="nats://127.0.0.1:$NATS_PORT"
    export NATS_URL NATS_PORT
    for _ in $(seq 1 100); do
        [ "$(grep -c "Server is ready" "$T/nats.log" 2>/dev/null || true)" -gt "${n0:-0}" ] && return 0
        kill -0 "$NATS_PID" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$T/nats.log" >&2
    fail "nats-server did not start on port $NATS_PORT"
}

# stop_nats : SIGTERM and wait (the JetStream store stays in $T/nats).
stop_nats() {
    kill -TERM "$NATS_PID" 2>/dev/null || true
    wait "$NATS_PID" 2>/dev/null || true
}

restart_nats() {
    stop_nats
    start_nats
}

# nats_dump FILE : the stream's messages as CSV rows into FILE.
nats_dump() {
    "$NATS_DUMP" --url "$NATS_URL" --stream "${NATS_STREAM:-HK_TICKS}" >"$1" ||
        fail "hk-nats-dump failed"
}

# compare_rows_csv FILE WHAT : FILE (CSV in the ticks column order, a NULL
# as an empty field or \N, trading_day as YYYYMMDD) holds every row of
# every day file exactly once, every column equal (NULL-aware), and
# nothing else. WHAT names the other side in messages ("the stream",
# "hot FINAL"). The one place this comparison's SQL is written: it is
# imported into SQLite and joined with the day files column by column.
compare_rows_csv() {
    local csv=$1 what=$2 sql="$T/cmprows.sql" i=0 f out c
    local cols="price volume turnover direction seq tick_type push_type provider"
    {
        echo "CREATE TABLE raw(market TEXT, symbol TEXT, ts_ms INTEGER, price REAL, volume INTEGER, turnover REAL, direction TEXT, seq INTEGER, tick_type TEXT, push_type TEXT, provider TEXT, trading_day TEXT, recv_ts_ms INTEGER, inserted_at_ms INTEGER);"
        echo ".import --csv $csv raw"
        printf 'CREATE TABLE s AS SELECT market, symbol, ts_ms'
        for c in $cols; do
            printf ", NULLIF(NULLIF(%s, ''), '%s') AS %s" "$c" '\N' "$c"
        done
        echo ", trading_day, recv_ts_ms, inserted_at_ms FROM raw;"
        for f in "$DATA"/[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9].db; do
            echo "ATTACH 'file:$f?mode=ro' AS d$i;"
            i=$((i + 1))
        done
        echo "CREATE TABLE got AS SELECT * FROM d0.ticks WHERE 0;"
        for ((k = 0; k < i; k++)); do
            echo "INSERT INTO got SELECT * FROM d$k.ticks;"
        done
        echo "SELECT (SELECT COUNT(*) FROM got) || ' ' || (SELECT COUNT(*) FROM s) || ' ' ||"
        echo "  (SELECT COUNT(*) FROM got g JOIN s ON s.symbol = g.symbol AND s.seq IS g.seq"
        echo "     AND s.market = g.market AND s.ts_ms = g.ts_ms AND s.price IS g.price"
        echo "     AND s.volume IS g.volume AND s.turnover IS g.turnover"
        echo "     AND s.direction IS g.direction AND s.tick_type IS g.tick_type"
        echo "     AND s.push_type IS g.push_type AND s.provider IS g.provider"
        echo "     AND s.trading_day = g.trading_day AND s.recv_ts_ms = g.recv_ts_ms"
        echo "     AND s.inserted_at_ms = g.inserted_at_ms)"
        echo "  || ' ' || (SELECT COUNT(*) FROM (SELECT symbol, seq FROM s GROUP BY symbol, seq HAVING COUNT(*) > 1));"
    } >"$sql"
    ls "$DATA"/[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9].db >/dev/null 2>&1 ||
        fail "no day file in $DATA"
    rm -f "$T/cmprows.db"
    out=$(sqlite3 -bail "$T/cmprows.db" ".read $sql" 2>&1) ||
        fail "compare with $what: $out"
    read -r n_db n_other n_match n_dup <<<"$out" || true
    [ "$n_db" -gt 0 ] 2>/dev/null || fail "compare with $what: bad output: $out"
    [ "$n_db" = "$n_other" ] ||
        fail "day files=$n_db $what=$n_other (match=$n_match dup=$n_dup)"
    [ "$n_match" = "$n_db" ] || fail "only $n_match of $n_db rows equal in $what"
    [ "$n_dup" = "0" ] || fail "$n_dup (symbol, seq) more than once in $what"
    ok "all $n_db committed rows in $what exactly once, every column equal"
}

# compare_stream : the stream holds every row of every day file exactly
# once (one message per row, every column equal), and nothing else.
compare_stream() {
    nats_dump "$T/stream.csv"
    compare_rows_csv "$T/stream.csv" "the stream"
}

# metric NAME : the collector's current value of a metric (needs HTTP_PORT
# from the http_listening line).
collector_metric() {
    local port
    port=$(sed -n 's/.*http_listening .*port=\([0-9]*\).*/\1/p' "$T/collector.log" | tail -n1)
    curl -fsS "http://127.0.0.1:$port/metrics" | awk -v n="$1" '$1 == n {print $2}'
}

# wait_published [TIMEOUT] [MAX_LAG] : until the publisher is within
# MAX_LAG rows (default 0: every committed row of its day acknowledged,
# nothing pending; while the simulator still runs use about 1 s of rows).
wait_published() {
    local t=${1:-30} max=${2:-0} lag pend
    local end=$((SECONDS + t))
    while [ $SECONDS -lt $end ]; do
        lag=$(collector_metric hk_nats_cursor_lag_rows || true)
        pend=$(collector_metric hk_nats_pending || true)
        [ -n "$lag" ] && [ -n "$pend" ] && [ "$lag" -le "$max" ] && [ "$pend" -le "$max" ] && return 0
        sleep 0.3
    done
    fail "publisher still behind: lag_rows=${lag:-?} pending=${pend:-?} (max $max)"
}
