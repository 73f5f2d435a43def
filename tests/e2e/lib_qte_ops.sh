#!/usr/bin/env bash
# Helpers of the qte-engine service tests (test_qte_serve_*.sh,
# test_qte_ops_*.sh, test_runbook003.sh): a synthetic day file, a
# self-signed TLS pair, real PostgreSQL and redis-server instances on free
# loopback ports (started by the test, stopped at exit), and the daemon.
# Source after lib.sh and e2e_init.
QTE="$HK_BIN/qte-engine"
QTE_STRATEGY_SO="$HK_BIN/../strategies/ma_cross.so"

qte_need_binary() {
    [ -x "$QTE" ] || skip "$QTE not built yet (make build)"
}

# qte_make_day DIR [ROWS] : DIR/20240102.db, two symbols, deterministic
# prices swinging around a trend so moving-average crossovers trade.
qte_make_day() {
    mkdir -p "$1"
    python3 - "$1" "${2:-4000}" <<'PY'
import math, sqlite3, sys
root, rows = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(f"{root}/20240102.db")
db.executescript("""
CREATE TABLE ticks (market TEXT NOT NULL, symbol TEXT NOT NULL,
  ts_ms INTEGER NOT NULL, price REAL, volume INTEGER, turnover REAL,
  direction TEXT, seq INTEGER, tick_type TEXT, push_type TEXT,
  provider TEXT, trading_day TEXT NOT NULL, recv_ts_ms INTEGER NOT NULL,
  inserted_at_ms INTEGER NOT NULL);
CREATE INDEX idx_ticks_symbol_day_ts ON ticks(symbol, trading_day, ts_ms);
CREATE INDEX idx_ticks_symbol_seq ON ticks(symbol, seq);
CREATE UNIQUE INDEX uniq_ticks_symbol_seq ON ticks(symbol, seq)
  WHERE seq IS NOT NULL;
CREATE UNIQUE INDEX uniq_ticks_symbol_ts_price_vol_turnover
  ON ticks(symbol, ts_ms, price, volume, turnover) WHERE seq IS NULL;
""")
t0 = 1704159000000  # 2024-01-02 09:30 HKT
out = []
for i in range(rows):
    sym, base, tick = (("HK.00700", 350.0, 0.2) if i % 2 == 0
                       else ("HK.00005", 60.0, 0.05))
    wave = math.sin(i / 150.0) * base * 0.01
    jitter = tick * ((i * 7919) % 5 - 2)  # no flat stretches at the extremes
    price = round(round((base + wave + jitter) / tick) * tick, 3)
    vol = 100 * (1 + (i * 7919) % 40)
    ts = t0 + i * 1000
    out.append(("HK", sym, ts, price, vol, price * vol, "BUY", i + 1,
                "AUTO_MATCH", "push", "futu", "20240102", ts + 5, ts + 6))
db.executemany("INSERT INTO ticks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", out)
db.commit()
PY
}

# qte_tls_pair DIR : DIR/qte.crt + DIR/qte.key, self-signed for localhost.
qte_tls_pair() {
    mkdir -p "$1"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$1/qte.key" -out "$1/qte.crt" 2>/dev/null
}

# qte_env : the common engine variables of a test run into the env.
qte_env() {
    export DATA_ROOT="$T/data" QTE_DAYS=20240102 QTE_SYMBOLS=HK.00700,HK.00005
    export QTE_LOT_SIZES=HK.00700=100,HK.00005=400 QTE_MODE=${QTE_MODE:-backtest}
    export QTE_STRATEGY="$QTE_STRATEGY_SO" QTE_STRATEGY_PARAMS="fast=7,slow=23,lots=1"
    export QTE_KEYS_FILE="$T/keys" QTE_AUDIT_LOG="$T/audit.log" QTE_BACKUP_DIR="$T/backups"
    export QTE_LOCK_FILE="$T/qte.lock" QTE_HTTP_BIND=127.0.0.1
}

# qte_start ARGS... : qte-engine serve in the background (log $T/qte.log),
# waits for /health on $QTE_HTTP_PORT; sets QTE_PID. $QTE_SCHEME is http
# or https (with QTE_TLS_CERT).
qte_start() {
    local scheme=http
    [ -n "${QTE_TLS_CERT:-}" ] && scheme=https
    QTE_SCHEME=$scheme
    "$QTE" serve "$@" >>"$T/qte.log" 2>&1 &
    QTE_PID=$!
    E2E_PIDS+=("$QTE_PID")
    for _ in $(seq 1 200); do
        curl -sk -o /dev/null "$scheme://127.0.0.1:$QTE_HTTP_PORT/health" && return 0
        kill -0 "$QTE_PID" 2>/dev/null || { tail -n 20 "$T/qte.log" >&2; fail "qte-engine serve exited"; }
        sleep 0.05
    done
    fail "qte-engine serve did not answer /health"
}

qte_stop() {
    kill -TERM "$QTE_PID" 2>/dev/null || true
    set +e
    wait "$QTE_PID"
    QTE_RC=$?
    set -e
}

# qte_wait_done : until /admin/queue/status... no: until /metrics says the
# replay is done (qte_replay_done 1), at most 60 s.
qte_wait_done() {
    for _ in $(seq 1 600); do
        curl -sk "$QTE_SCHEME://127.0.0.1:$QTE_HTTP_PORT/metrics" | gq -x 'qte_replay_done 1' && return 0
        sleep 0.1
    done
    fail "replay did not finish"
}

# pg_start : a PostgreSQL cluster of our own (initdb as the postgres user,
# trust auth on 127.0.0.1:$PG_PORT); exports QTE_DATABASE_URL, PG_PORT.
pg_start() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -x "$bin/initdb" ] || skip "PostgreSQL server not installed (install-deps.sh --test)"
    id postgres >/dev/null 2>&1 || skip "no postgres user"
    PG_PORT=$(free_port)
    chmod 755 "$T"
    mkdir -p "$T/pg" "$T/pgsock"
    chown postgres "$T/pg" "$T/pgsock"
    runuser -u postgres -- "$bin/initdb" -D "$T/pg" -A trust -U postgres >"$T/pg_init.log" 2>&1 ||
        fail "initdb failed: $(tail -n 5 "$T/pg_init.log")"
    runuser -u postgres -- "$bin/pg_ctl" -D "$T/pg" -l "$T/pg/server.log" -w -t 60 \
        -o "-h 127.0.0.1 -p $PG_PORT -k $T/pgsock" start >/dev/null ||
        fail "postgres did not start: $(tail -n 5 "$T/pg/server.log")"
    PG_BIN=$bin
    trap 'rc=$?; pg_stop; (exit $rc); e2e_cleanup' EXIT
    psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE DATABASE qte" >/dev/null
    export QTE_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/qte" PG_PORT
}

pg_stop() {
    [ -n "${PG_BIN:-}" ] || return 0
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$T/pg" -m immediate stop >/dev/null 2>&1 || true
}

pg_sql() {
    psql -qtAX -h 127.0.0.1 -p "$PG_PORT" -U postgres -d qte -c "$1"
}

# redis_start : redis-server on a free port; sets REDIS_PORT.
redis_start() {
    command -v redis-server >/dev/null || skip "redis-server not installed (install-deps.sh --test)"
    REDIS_PORT=$(free_port)
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
        --dir "$T" >"$T/redis.log" 2>&1 &
    E2E_PIDS+=("$!")
    for _ in $(seq 1 100); do
        redis-cli -p "$REDIS_PORT" ping 2>/dev/null | gq PONG && return 0
        sleep 0.05
    done
    fail "redis-server did not start"
}
