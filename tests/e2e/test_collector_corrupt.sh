#!/usr/bin/env bash
# A damaged day file for today is in DATA_ROOT before the collector starts
# (500 committed rows of a symbol nobody collects, then the root page of
# the uniq_ticks_symbol_seq index overwritten with noise). The collector
# must set it aside as <day>.corrupt-<stamp>.db with its rows (one
# day_file_set_aside line, no backoff), report it in /health, and put every
# simulator tick into a fresh <day>.db exactly once. `hk-tickctl salvage`,
# run while the collector writes, brings the 500 rows back (then 0 on a
# second run); status / export report / db stats on a file with a garbage
# header print FAIL day_file_corrupt and exit 2.
source "$(dirname "$0")/lib.sh"
e2e_init
unset DATA_ROOT || true
mkdir -p "$DATA"

DAY=$(date -u -d '+8 hours' +%Y%m%d)
DB="$DATA/$DAY.db"
DDL="CREATE TABLE ticks (
  market TEXT NOT NULL, symbol TEXT NOT NULL, ts_ms INTEGER NOT NULL,
  price REAL, volume INTEGER, turnover REAL, direction TEXT, seq INTEGER,
  tick_type TEXT, push_type TEXT, provider TEXT, trading_day TEXT NOT NULL,
  recv_ts_ms INTEGER NOT NULL, inserted_at_ms INTEGER NOT NULL);
CREATE INDEX idx_ticks_symbol_day_ts ON ticks(symbol, trading_day, ts_ms);
CREATE INDEX idx_ticks_symbol_seq ON ticks(symbol, seq);
CREATE UNIQUE INDEX uniq_ticks_symbol_seq ON ticks(symbol, seq) WHERE seq IS NOT NULL;
CREATE UNIQUE INDEX uniq_ticks_symbol_ts_price_vol_turnover
  ON ticks(symbol, ts_ms, price, volume, turnover) WHERE seq IS NULL;"
# 500 rows of HK.02800 (not collected), one per second from 01:00 UTC today.
T0=$(( $(date -u -d "$(date -u +%Y-%m-%d) 01:00:00" +%s) * 1000 ))
sqlite3 "$DB" "$DDL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
INSERT INTO ticks SELECT 'HK', 'HK.02800', $T0 + i * 1000, 20.0 + i % 7, 100 + i,
  (20.0 + i % 7) * (100 + i), 'BUY', i, 'AUTO_MATCH', 'push', 'futu', '$DAY',
  $T0 + i * 1000 + 5, $T0 + i * 1000 + 9 FROM n;"
root=$(sqlite3 "$DB" "SELECT rootpage FROM sqlite_master WHERE name = 'uniq_ticks_symbol_seq';")
psz=$(sqlite3 "$DB" "PRAGMA page_size;")
head -c "$psz" /dev/urandom | dd of="$DB" bs="$psz" seek=$((root - 1)) conv=notrunc status=none
sqlite3 "$DB" "PRAGMA integrity_check;" 2>/dev/null | gq "^ok$" && fail "fixture is not corrupt"
ok "fixture: $DB with 500 rows and a corrupt index page"

start_sim --symbols HK.00700,HK.00005 --rate 500 --max-ticks 1500 --seed 11
start_collector FUTU_SYMBOLS=HK.00700,HK.00005 HTTP_PORT=-1
wait_log "http_listening host=127.0.0.1 port=[0-9]+"
HP=$(grep -o 'http_listening host=127.0.0.1 port=[0-9]*' "$T/collector.log" | grep -o '[0-9]*$')
wait_log "day_file_set_aside day=$DAY" 30
line=$(grep "day_file_set_aside" "$T/collector.log")
[ "$(grep -c "day_file_set_aside" "$T/collector.log")" = 1 ] || fail "set aside more than once: $line"
grep -Eq "ERROR hk_tick_collector.db day_file_set_aside day=$DAY path=$DB set_aside=$DATA/$DAY\.corrupt-[0-9]{8}T[0-9]{6}Z\.db reason=corrupt detail=\"database disk image is malformed\" batch=[0-9]+$" <<<"$line" ||
    fail "set-aside line: $line"
ASIDE=$(echo "$line" | sed 's/.* set_aside=\([^ ]*\) .*/\1/')
[ -f "$ASIDE" ] || fail "no set-aside file $ASIDE"
[ "$(sqlite3 "file:$ASIDE?mode=ro" "SELECT COUNT(*) FROM ticks NOT INDEXED;")" = 500 ] ||
    fail "set-aside file lost rows"
! grep -q "persist_flush_failed\|sqlite_busy_backoff" "$T/collector.log" ||
    fail "a set-aside file must not go through backoff"
ok "set aside once with its 500 rows: $(basename "$ASIDE")"

wait_rows 1500 40
compare_truth

curl -sf "http://127.0.0.1:$HP/health" >"$T/h.json" || true
grep -q "\"day_file\":{\"ok\":false,\"reason\":\"corrupt\",\"day\":$DAY,\"set_aside\":1}" "$T/h.json" ||
    fail "/health: $(cat "$T/h.json")"
grep -q '"warnings":\["day_file_set_aside"\]' "$T/h.json" || fail "/health warnings: $(cat "$T/h.json")"
ok "/health reports day_file reason=corrupt"

# Salvage while the collector runs.
out=$("$CTL" --data-root "$DATA" salvage "$ASIDE") || fail "salvage exit $?: $out"
for kv in "SALVAGE OK" "rows_read=500" "inserted=500" "ignored=0" "unreadable_ranges=0" \
    "days=$DAY:500" "collector_running=1" "dry_run=0"; do
    grep -qx "$kv" <<<"$out" || fail "salvage output lacks '$kv': $out"
done
out=$("$CTL" --data-root "$DATA" salvage "$ASIDE") || fail "salvage again: $out"
grep -qx "inserted=0" <<<"$out" && grep -qx "ignored=500" <<<"$out" ||
    fail "second salvage must insert nothing: $out"
ok "salvage: 500 rows back, second run ignores all 500"

stop_collector TERM
[ "$COL_RC" = 0 ] || fail "collector exit code $COL_RC, want 0"
got=$(sqlite3 "file:$DB?mode=ro" "SELECT COUNT(*) FROM ticks WHERE symbol = 'HK.02800';")
[ "$got" = 500 ] || fail "day file has $got salvaged rows, want 500"
cmp=$(sqlite3 "file:$DB?mode=ro" "ATTACH 'file:$ASIDE?mode=ro' AS a;
  SELECT COUNT(*) FROM ticks t JOIN a.ticks s NOT INDEXED ON s.seq = t.seq
  WHERE t.symbol = 'HK.02800' AND s.symbol = t.symbol AND s.ts_ms = t.ts_ms
  AND s.price = t.price AND s.volume = t.volume AND s.turnover = t.turnover
  AND s.recv_ts_ms = t.recv_ts_ms AND s.inserted_at_ms = t.inserted_at_ms;")
[ "$cmp" = 500 ] || fail "only $cmp salvaged rows match the originals"
tot=$(sqlite3 "file:$DB?mode=ro" "SELECT SUM(rows) FROM hk_symbol_totals;")
cnt=$(sqlite3 "file:$DB?mode=ro" "SELECT COUNT(*) FROM ticks;")
[ "$tot" = "$cnt" ] && [ "$cnt" = 2000 ] || fail "totals $tot, rows $cnt, want 2000"
[ "$(sqlite3 "file:$DB?mode=ro" "PRAGMA integrity_check;")" = ok ] || fail "day file not intact"
ok "day file: 1500 collected + 500 salvaged rows, exact values, totals agree"

# The CLI on a damaged day file.
BAD="$T/bad/$DAY.db"
mkdir -p "$T/bad"
cp "$DB" "$BAD"
printf '%0100d' 0 | dd of="$BAD" conv=notrunc status=none
for cmd in "status" "db stats" "export report --out $T/q.json" "validate"; do
    set +e
    out=$("$CTL" --data-root "$T/bad" --day "$DAY" $cmd 2>&1)
    rc=$?
    set -e
    [ "$rc" = 2 ] || fail "$cmd on a corrupt file: exit $rc: $out"
    case $cmd in
    validate) grep -q "^reason=day_file_corrupt:$BAD (file is not a database)$" <<<"$out" ;;
    *) grep -q "^FAIL day_file_corrupt $BAD (file is not a database)$" <<<"$out" ;;
    esac || fail "$cmd output: $out"
done
[ ! -e "$T/q.json" ] || fail "export report wrote a report of a corrupt file"
ok "status, db stats, export report, validate: day_file_corrupt, exit 2"

# Salvage of that garbage-header copy (set aside by hand): every row back.
mv "$BAD" "$T/bad/$DAY.corrupt-x.db"
rm -f "$T/bad/$DAY.db-wal" "$T/bad/$DAY.db-shm"
out=$("$CTL" --data-root "$T/bad" salvage "$T/bad/$DAY.corrupt-x.db") || fail "salvage notadb: $out"
grep -qx "kind=notadb" <<<"$out" && grep -qx "rows_read=2000" <<<"$out" &&
    grep -qx "inserted=2000" <<<"$out" || fail "salvage of a garbage header: $out"
ok "salvage of a garbage-header file reads all 2000 rows"
