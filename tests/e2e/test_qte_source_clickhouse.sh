#!/usr/bin/env bash
# qte-engine QTE_SOURCE=clickhouse against a real clickhouse-server: the
# same rows as day files and as marketprism_hot/marketprism_cold.ticks give
# a byte-identical report.json and identical orders, fills, positions and
# snapshots (ma_cross, fills > 0). The rows exported from the day files
# into ClickHouse (RowBinary, so every price keeps its exact bits) include
# what both sources must leave out -- another symbol, another trading day
# (also inside a day file), a row without a price -- and a redelivered
# batch in a separate part (FINAL). Symbols differ only by case (byte
# order). Pages of 97 rows split runs of equal ts_ms within a symbol and
# across symbols; a seek-free replay must not skip or repeat a row there.
# Errors: server down -> exit 1 naming QTE_CLICKHOUSE_URL; missing table
# -> exit 1 naming QTE_CLICKHOUSE_DATABASE; a bad database name -> 78.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_clickhouse.sh"
source "$(dirname "$0")/lib_cold.sh"
e2e_init

QTE="$HK_BIN/qte-engine"
STRAT="$HK_BIN/../strategies/ma_cross.so"
[ -x "$QTE" ] || fail "qte-engine not built"
[ -f "$STRAT" ] || fail "ma_cross.so not built"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI missing"
SYMS="HK.00700,HK.0070B,HK.0070a"
DAYS=20240102,20240103
PAGE=97

# --- configuration errors (no server needed) --------------------------------
rc=0
out=$(QTE_SOURCE=clickhouse QTE_CLICKHOUSE_DATABASE='bad-name' \
    "$QTE" backtest --check-config 2>&1) || rc=$?
[ "$rc" = 78 ] || fail "bad QTE_CLICKHOUSE_DATABASE: exit $rc, want 78"
grep -q 'config_error var=QTE_CLICKHOUSE_DATABASE value=bad-name' <<<"$out" ||
    fail "error does not name QTE_CLICKHOUSE_DATABASE: $out"
out=$(QTE_SOURCE=clickhouse QTE_CLICKHOUSE_DATABASE=marketprism_cold \
    QTE_CLICKHOUSE_PAGE_ROWS=500 "$QTE" backtest --check-config)
grep -q '^QTE_CLICKHOUSE_DATABASE=marketprism_cold ' <<<"$out" ||
    fail "check-config lacks QTE_CLICKHOUSE_DATABASE: $out"
grep -q '^QTE_CLICKHOUSE_PAGE_ROWS=500 ' <<<"$out" || fail "no PAGE_ROWS"
grep -q '^QTE_CLICKHOUSE_URL=http://127.0.0.1:8123 ' <<<"$out" || fail "no URL"
ok "config: bad QTE_CLICKHOUSE_DATABASE exits 78 naming it; defaults shown"

# --- the rows: day files, and the same rows as RowBinary for ClickHouse -----
mkdir -p "$DATA"
python3 - "$DATA" "$T" "$PAGE" <<'PY'
import datetime, math, random, sqlite3, struct, sys
data, t, page = sys.argv[1], sys.argv[2], int(sys.argv[3])
DDL = """CREATE TABLE ticks (
  market TEXT NOT NULL,
  symbol TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  price REAL,
  volume INTEGER,
  turnover REAL,
  direction TEXT,
  seq INTEGER,
  tick_type TEXT,
  push_type TEXT,
  provider TEXT,
  trading_day TEXT NOT NULL,
  recv_ts_ms INTEGER NOT NULL,
  inserted_at_ms INTEGER NOT NULL
)"""
IDX = ["CREATE INDEX idx_ticks_symbol_day_ts ON ticks(symbol, trading_day, ts_ms)",
       "CREATE INDEX idx_ticks_symbol_seq ON ticks(symbol, seq)",
       "CREATE UNIQUE INDEX uniq_ticks_symbol_seq ON ticks(symbol, seq) WHERE seq IS NOT NULL",
       "CREATE UNIQUE INDEX uniq_ticks_symbol_ts_price_vol_turnover\n"
       "  ON ticks(symbol, ts_ms, price, volume, turnover) WHERE seq IS NULL"]
rnd = random.Random(11)
# Per ms: HK.00700 x3, HK.0070B x2, HK.0070a x2 (run), HK.99999 x1 (not).
PATTERN = ["HK.00700"] * 3 + ["HK.0070B"] * 2 + ["HK.0070a"] * 2 + ["HK.99999"]

def rows_of(day, groups, seq0):
    base = int(datetime.datetime.strptime(day, "%Y%m%d").replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1000) + 5400000
    seq = {s: seq0 for s in set(PATTERN)}
    out = []
    for g in range(groups):
        ts = base + g * 5
        grp = []
        for k, s in enumerate(PATTERN):
            seq[s] += 1
            p = 100 + 4 * math.sin(g / 40.0 + k) + rnd.randint(0, 999) / 1000.0
            p = p / 3.0 * 3.0  # prices whose doubles are not short decimals
            vol = 100 * rnd.randint(1, 20)
            grp.append(["HK", s, ts, p, vol, p * vol, "BUY", seq[s],
                        "AUTO_MATCH", "push", "futu", day, ts + 3, ts + 9])
        rnd.shuffle(grp)  # rowids out of (ts, symbol, seq) order
        out.extend(grp)
    return out

days = {"20240102": rows_of("20240102", 1500, 0),
        "20240103": rows_of("20240103", 1200, 100000)}
d1 = days["20240102"]
d1[10][3] = None                 # a row without a price: not a trade
d1[11][4] = None                 # NULL volume -> 0
d1[11][5] = None                 # NULL turnover
for r in d1:                     # a NULL seq -> 0 (sorts first in its ms)
    if r[1] == "HK.0070B" and r[2] == d1[700][2]:
        r[7] = None
        break
extra = list(d1[20]); extra[11] = "20240105"; extra[7] = 999999
d1.append(extra)                 # another trading day inside the file
only_ch = rows_of("20240104", 50, 500000)  # a day the run does not ask for

for day, rows in days.items():
    db = sqlite3.connect("%s/%s.db" % (data, day))
    db.execute(DDL)
    for i in IDX:
        db.execute(i)
    db.executemany("INSERT INTO ticks VALUES (%s)" % ",".join("?" * 14), rows)
    db.commit()
    db.close()

def enc(r):
    b = bytearray()
    def s(x):
        x = x.encode()
        n = len(x)
        while True:
            c = n & 0x7f
            n >>= 7
            b.append(c | (0x80 if n else 0))
            if not n:
                break
        b.extend(x)
    def ns(x):
        if x is None:
            b.append(1)
        else:
            b.append(0); s(x)
    def nf(x, fmt):
        if x is None:
            b.append(1)
        else:
            b.append(0); b.extend(struct.pack(fmt, x))
    s(r[0]); s(r[1]); b.extend(struct.pack("<q", r[2]))
    nf(r[3], "<d"); nf(r[4], "<q"); nf(r[5], "<d"); ns(r[6]); nf(r[7], "<q")
    ns(r[8]); ns(r[9]); ns(r[10])
    d = datetime.date(int(r[11][:4]), int(r[11][4:6]), int(r[11][6:]))
    b.extend(struct.pack("<H", (d - datetime.date(1970, 1, 1)).days))
    b.extend(struct.pack("<qq", r[12], r[13]))
    return bytes(b)

# Export what the day files hold (their exact doubles), not the lists.
allrows = []
for day in days:
    db = sqlite3.connect("file:%s/%s.db?mode=ro" % (data, day), uri=True)
    allrows += [list(r) for r in db.execute("SELECT * FROM ticks ORDER BY rowid")]
    db.close()
with open(t + "/all.bin", "wb") as f:
    for r in allrows + only_ch:
        f.write(enc(r))
with open(t + "/dup.bin", "wb") as f:  # a redelivered batch
    for r in allrows[:4000]:
        f.write(enc(r))

# The page boundaries of the run's order split both kinds of tie.
same_sym = cross = 0
for day in days:
    run = sorted(((r[2], r[1], r[7] or 0) for r in allrows
                  if r[11] == day and r[1] != "HK.99999" and r[3] is not None),
                 key=lambda k: (k[0], k[1].encode(), k[2]))
    for b in range(page, len(run), page):
        x, y = run[b - 1], run[b]
        same_sym += x[0] == y[0] and x[1] == y[1]
        cross += x[0] == y[0] and x[1] != y[1]
assert same_sym > 5 and cross > 5, (same_sym, cross)
print(len(allrows), same_sym, cross)
PY

run() { # run NAME [ENV=VAL ...] : a backtest into $T/NAME
    local name=$1
    shift
    rm -rf "$T/$name"
    mkdir -p "$T/$name"
    env "$@" "$QTE" backtest --data-root "$DATA" --days "$DAYS" \
        --symbols "$SYMS" --strategy "$STRAT" --param fast=5 --param slow=20 \
        --param lots=1 --report-dir "$T/$name" --db "$T/$name/store.db" \
        >"$T/$name/out" 2>"$T/$name/err" ||
        fail "$name: exit $?: $(cat "$T/$name/err")"
}

dump_store() { # dump_store NAME : orders, fills, positions, snapshots
    local q
    for q in "SELECT * FROM orders ORDER BY run_id, id" \
        "SELECT run_id, id, order_id, symbol, side, qty, price_milli, value_milli, commission_milli, stamp_milli, sfc_milli, afrc_milli, trading_fee_milli, settlement_milli, fees_milli, cash_after_milli, realized_milli, ts_ms FROM trades ORDER BY run_id, id" \
        "SELECT * FROM positions ORDER BY run_id, symbol" \
        "SELECT * FROM snapshots ORDER BY run_id, seq"; do
        sqlite3 "file:$T/$1/store.db?mode=ro" "$q"
        echo "--"
    done
}

same_as_dayfile() { # same_as_dayfile NAME : every output equals the day files'
    cmp "$T/dayfile/report.json" "$T/$1/report.json" ||
        fail "$1: report.json differs from the day files'"
    dump_store "$1" >"$T/$1/store.txt"
    cmp "$T/dayfile/store.txt" "$T/$1/store.txt" ||
        fail "$1: orders/fills differ: $(diff "$T/dayfile/store.txt" "$T/$1/store.txt" | head -5)"
    diff <(grep -v '^report ' "$T/dayfile/out") <(grep -v '^report ' "$T/$1/out") ||
        fail "$1: stdout differs"
}

run dayfile
dump_store dayfile >"$T/dayfile/store.txt"
fills=$(sqlite3 "file:$T/dayfile/store.db?mode=ro" "SELECT count(*) FROM trades")
[ "$fills" -gt 2 ] || fail "the day files' run made $fills fills, want > 2"
grep -q '"symbols":\["HK.00700","HK.0070B","HK.0070a"\]' "$T/dayfile/report.json" ||
    fail "symbols not in byte order: $(head -c 300 "$T/dayfile/report.json")"

# --- a server down: exit 1, the URL and the variable named ------------------
DOWN=$(free_port)
rc=0
QTE_SOURCE=clickhouse QTE_CLICKHOUSE_URL="http://qte:s3cret@127.0.0.1:$DOWN" \
    "$QTE" backtest --days "$DAYS" --symbols "$SYMS" >"$T/o" 2>"$T/e" || rc=$?
[ "$rc" = 1 ] || fail "server down: exit $rc, want 1"
grep -qE "^qte-engine backtest: ClickHouse at http://127.0.0.1:$DOWN is not reachable \(QTE_CLICKHOUSE_URL\): .*[Cc]onnect" "$T/e" ||
    fail "server down: $(cat "$T/e")"
grep -q s3cret "$T/e" && fail "the password is in the message: $(cat "$T/e")"
[ "$(wc -l <"$T/e")" = 1 ] || fail "server down: more than one line: $(cat "$T/e")"
ok "server down: exit 1 naming the URL (no credentials) and QTE_CLICKHOUSE_URL"

# --- ClickHouse: schema by cold-store (ch_ensure_schema), the rows loaded ----
start_clickhouse
start_cold COLD_INTERVAL_SEC=3600
wait_cold_metric cold_cycles_total 1 30
stop_cold
[ "$(ch_query "SELECT groupArray(s) FROM (SELECT arrayJoin(['HK.0070a', 'HK.0070B', 'HK.00700']) AS s ORDER BY s)")" = "['HK.00700','HK.0070B','HK.0070a']" ] ||
    fail "ClickHouse String order is not byte order"
insert() { # insert DB FILE : one INSERT (one part)
    curl -sSf --max-time 60 --data-binary @"$2" \
        "$CLICKHOUSE_URL/?query=INSERT%20INTO%20$1.ticks%20FORMAT%20RowBinary" ||
        fail "insert $2 into $1"
}
for db in marketprism_hot marketprism_cold; do
    insert $db "$T/all.bin"
    insert $db "$T/dup.bin"
done
raw=$(ch_query "SELECT count() FROM marketprism_hot.ticks")
fin=$(ch_query "SELECT count() FROM marketprism_hot.ticks FINAL")
[ "$raw" -gt "$fin" ] || fail "no duplicates left for FINAL: $raw rows, $fin final"

CH=(QTE_SOURCE=clickhouse QTE_CLICKHOUSE_URL="$CLICKHOUSE_URL")
run ch_hot "${CH[@]}"
same_as_dayfile ch_hot
ok "marketprism_hot: identical report, orders, $fills fills, positions, snapshots"
run ch_paged "${CH[@]}" QTE_CLICKHOUSE_PAGE_ROWS=$PAGE
same_as_dayfile ch_paged
# The cold run names its user in the URL's parameters (?user=&password=,
# the form ch.h documents): they must reach the server as given.
run ch_cold QTE_SOURCE=clickhouse QTE_CLICKHOUSE_URL="$CLICKHOUSE_URL/?user=default&password=" \
    QTE_CLICKHOUSE_DATABASE=marketprism_cold QTE_CLICKHOUSE_PAGE_ROWS=1000
same_as_dayfile ch_cold
ok "pages of $PAGE rows (ties at the boundaries) and marketprism_cold (URL with ?user=&password=): identical"
rc=0
QTE_SOURCE=clickhouse QTE_CLICKHOUSE_URL="$CLICKHOUSE_URL/?user=nobody&password=wrong" \
    "$QTE" backtest --data-root "$DATA" --days "$DAYS" --symbols "$SYMS" >"$T/o" 2>"$T/e" || rc=$?
[ "$rc" = 1 ] || fail "unknown user: exit $rc, want 1: $(cat "$T/e")"
ok "an unknown user in the URL's parameters is refused by the server: exit 1"

# --- seek (qte-engine serve, stepped): same rows from the seek's time on ----
KEYS=(QTE_KEYS_FILE="$T/keys" QTE_AUDIT_LOG="$T/audit.log")
KEY=$(env "${KEYS[@]}" "$QTE" keys generate admin 2>/dev/null)
SEEK=$(sqlite3 "file:$DATA/20240102.db?mode=ro" "SELECT ts_ms FROM ticks ORDER BY ts_ms LIMIT 1 OFFSET 4321")
serve_seek() { # serve_seek NAME [ENV=VAL ...] : paused, seek, resume, done
    local name=$1 ports pid i
    shift
    rm -rf "$T/$name"
    mkdir -p "$T/$name"
    ports=$(free_ports 2)
    read -r hp ap <<<"$ports"
    env "${KEYS[@]}" "$@" QTE_MODE=stepped QTE_HTTP_PORT="$hp" QTE_ADMIN_PORT="$ap" \
        DATA_ROOT="$DATA" QTE_DAYS="$DAYS" QTE_SYMBOLS="$SYMS" \
        QTE_STRATEGY="$STRAT" QTE_STRATEGY_PARAMS="fast=5,slow=20,lots=1" \
        QTE_SQLITE_PATH="$T/$name/store.db" QTE_LOCK_FILE="$T/$name/lock" \
        "$QTE" serve >"$T/$name/log" 2>&1 &
    pid=$!
    E2E_PIDS+=("$pid")
    for i in $(seq 1 200); do
        curl -s -o /dev/null "http://127.0.0.1:$hp/health" && break
        kill -0 "$pid" 2>/dev/null || fail "$name: serve exited: $(tail -5 "$T/$name/log")"
        sleep 0.05
    done
    A=(curl -sf -X POST -H "Authorization: Bearer $KEY")
    "${A[@]}" "http://127.0.0.1:$ap/admin/replay/seek?ts_ms=$SEEK" >/dev/null || fail "$name: seek"
    "${A[@]}" "http://127.0.0.1:$ap/admin/replay/resume" >/dev/null || fail "$name: resume"
    for i in $(seq 1 600); do
        curl -s "http://127.0.0.1:$hp/metrics" | gq -x 'qte_replay_done 1' && break
        sleep 0.1
    done
    curl -s "http://127.0.0.1:$hp/metrics" | gq -x 'qte_replay_done 1' || fail "$name: not done"
    kill -TERM "$pid"
    wait "$pid" || true
    dump_store "$name" >"$T/$name/store.txt"
}
serve_seek seek_dayfile
serve_seek seek_ch "${CH[@]}" QTE_CLICKHOUSE_PAGE_ROWS=$PAGE
cmp "$T/seek_dayfile/store.txt" "$T/seek_ch/store.txt" ||
    fail "seek: orders/fills differ: $(diff "$T/seek_dayfile/store.txt" "$T/seek_ch/store.txt" | head -5)"
first=$(sqlite3 "file:$T/seek_ch/store.db?mode=ro" "SELECT min(ts_ms) FROM trades")
n=$(sqlite3 "file:$T/seek_ch/store.db?mode=ro" "SELECT count(*) FROM trades")
[ "$n" -gt 0 ] && [ "$first" -ge "$SEEK" ] || fail "seek: $n fills, first at $first, seek $SEEK"
ok "seek to $SEEK (serve, stepped): identical orders and $n fills, none before it"

# --- a database without the table -------------------------------------------
ch_query "CREATE DATABASE IF NOT EXISTS empty_db" >/dev/null
rc=0
QTE_SOURCE=clickhouse QTE_CLICKHOUSE_URL="$CLICKHOUSE_URL" \
    QTE_CLICKHOUSE_DATABASE=empty_db "$QTE" backtest --days "$DAYS" \
    --symbols "$SYMS" >"$T/o" 2>"$T/e" || rc=$?
[ "$rc" = 1 ] || fail "missing table: exit $rc, want 1"
grep -qx "qte-engine backtest: ClickHouse at $CLICKHOUSE_URL has no table empty_db.ticks (QTE_CLICKHOUSE_DATABASE)" "$T/e" ||
    fail "missing table: $(cat "$T/e")"
ok "missing table: exit 1 naming the table and QTE_CLICKHOUSE_DATABASE"
stop_clickhouse
