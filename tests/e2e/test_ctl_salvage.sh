#!/usr/bin/env bash
# hk-tickctl salvage without a collector: a foreign ticks table mapped by
# column name (exact rows, derived market/recv_ts_ms/trading_day, invalid
# rows counted); noise over table pages (unreadable ranges skipped, every
# other row back, counts add up); --dry-run writes and creates nothing;
# --day keeps one day; refusals (a live day file, a missing file, a file
# with nothing readable).
source "$(dirname "$0")/lib.sh"
e2e_init
unset DATA_ROOT || true
mkdir -p "$DATA"
S="$T/aside"
mkdir -p "$S"
kv() { sed -n "s/^$1=//p" <<<"$2"; }

# 1. Foreign schema: 3 rows of 20240301, 1 of 20240304, 1 without symbol.
D1=1709251200000 # 2024-03-01 08:00 HKT
D4=1709510400000 # 2024-03-04 08:00 HKT
sqlite3 "$S/20240301.foreign-a.db" "CREATE TABLE ticks (id INTEGER PRIMARY KEY,
  symbol TEXT, ts_ms INTEGER, price REAL, volume INTEGER, seq INTEGER, note TEXT);
  INSERT INTO ticks (symbol, ts_ms, price, volume, seq, note) VALUES
  ('HK.00700', $D1 + 1000, 380.2, 100, 1, 'a'), ('HK.00700', $D1 + 2000, 380.4, 200, 2, 'b'),
  ('HK.00005', $D1 + 3000, 60.5, 300, 3, 'c'), ('HK.00005', $D4 + 1000, 61.0, 400, 4, 'd'),
  (NULL, $D1, 1.0, 1, 5, 'e');"
set +e
out=$("$CTL" --data-root "$DATA" salvage "$S/20240301.foreign-a.db" --dry-run)
rc=$?
set -e
[ "$rc" = 0 ] || fail "dry run exit $rc: $out"
[ "$(kv inserted "$out")" = 4 ] && [ "$(kv dry_run "$out")" = 1 ] || fail "dry run: $out"
[ -z "$(ls "$DATA")" ] || fail "dry run created $(ls "$DATA")"
out=$("$CTL" --data-root "$DATA" salvage "$S/20240301.foreign-a.db" --day 20240304)
[ "$(kv inserted "$out")" = 1 ] && [ "$(kv other_day "$out")" = 3 ] &&
    [ "$(kv days "$out")" = 20240304:1 ] || fail "--day: $out"
out=$("$CTL" --data-root "$DATA" salvage "$S/20240301.foreign-a.db")
for k in "kind=foreign_schema" "method=direct" "rows_read=5" "inserted=3" "ignored=1" \
    "invalid=1" "days=20240301:3,20240304:0"; do
    grep -qx "$k" <<<"$out" || fail "foreign salvage lacks $k: $out"
done
got=$(sqlite3 "file:$DATA/20240301.db?mode=ro" "SELECT group_concat(market || '|' || symbol || '|' ||
  ts_ms || '|' || price || '|' || volume || '|' || seq || '|' || trading_day || '|' ||
  (recv_ts_ms = ts_ms) || '|' || IFNULL(direction, 'NULL'), ';') FROM (SELECT * FROM ticks ORDER BY ts_ms);")
want="HK|HK.00700|$((D1 + 1000))|380.2|100|1|20240301|1|NULL;HK|HK.00700|$((D1 + 2000))|380.4|200|2|20240301|1|NULL;HK|HK.00005|$((D1 + 3000))|60.5|300|3|20240301|1|NULL"
[ "$got" = "$want" ] || fail "mapped rows: $got"
[ "$(sqlite3 "file:$DATA/20240301.db?mode=ro" "SELECT SUM(rows) || ',' || MAX(max_seq) FROM hk_symbol_totals;")" = "3,3" ] ||
    fail "totals after salvage"
[ "$(sqlite3 "file:$DATA/20240301.db?mode=ro" "PRAGMA user_version;")" = 4 ] || fail "user_version"
"$CTL" --data-root "$DATA" --day 20240301 status >/dev/null || fail "status on the created day file"
ok "foreign schema mapped by name: exact rows, totals, dry run and --day"

# 2. Noise over three table pages of a 5000-row file: the rest comes back.
B="$S/20240302.corrupt-b.db"
sqlite3 "$B" "CREATE TABLE ticks (
  market TEXT NOT NULL, symbol TEXT NOT NULL, ts_ms INTEGER NOT NULL,
  price REAL, volume INTEGER, turnover REAL, direction TEXT, seq INTEGER,
  tick_type TEXT, push_type TEXT, provider TEXT, trading_day TEXT NOT NULL,
  recv_ts_ms INTEGER NOT NULL, inserted_at_ms INTEGER NOT NULL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
INSERT INTO ticks SELECT 'HK', 'HK.00700', 1709337600000 + i, 1.0, i, 1.0 * i, 'BUY', i,
  'AUTO_MATCH', 'push', 'futu', '20240302', 1709337600000 + i, 1709337600000 + i FROM n;"
for p in 10 11 12; do
    head -c 4096 /dev/zero | tr '\0' '\067' | dd of="$B" bs=4096 seek=$((p - 1)) conv=notrunc status=none
done
out=$("$CTL" --data-root "$DATA" salvage "$B") || fail "noise salvage exit $?: $out"
read_n=$(kv rows_read "$out")
lost=$(kv unreadable_rowids "$out")
[ "$(kv unreadable_ranges "$out")" -gt 0 ] || fail "no unreadable range reported: $out"
[ "$read_n" -gt 4700 ] && [ "$read_n" -lt 5000 ] || fail "rows_read $read_n: $out"
[ "$(kv inserted "$out")" = "$read_n" ] || fail "inserted != read: $out"
have=$(sqlite3 "file:$DATA/20240302.db?mode=ro" "SELECT COUNT(*) FROM ticks;")
[ "$have" = "$read_n" ] || fail "day file $have rows, salvage read $read_n"
[ $((read_n + lost)) -ge 5000 ] || fail "read $read_n + unreadable $lost < 5000"
ok "noise over 3 pages: $read_n of 5000 rows back, $lost rowids unreadable"

# 3. Refusals.
set +e
"$CTL" --data-root "$DATA" salvage "$DATA/20240301.db" >"$T/o" 2>&1
[ $? = 2 ] && grep -q "^FAIL source_is_day_file " "$T/o" || fail "live day file: $(cat "$T/o")"
"$CTL" --data-root "$DATA" salvage "$S/none.db" >"$T/o" 2>&1
[ $? = 2 ] && grep -q "^FAIL source_not_found " "$T/o" || fail "missing: $(cat "$T/o")"
head -c 300 /dev/urandom >"$S/20240305.corrupt-c.db"
"$CTL" --data-root "$DATA" salvage "$S/20240305.corrupt-c.db" >"$T/o" 2>&1
[ $? = 1 ] && grep -q "^FAIL nothing_readable " "$T/o" || fail "garbage: $(cat "$T/o")"
"$CTL" --data-root "$DATA" salvage >"$T/o" 2>&1
[ $? = 2 ] || fail "no FILE: $(cat "$T/o")"
set -e
"$CTL" salvage --help | gq "^usage: hk-tickctl salvage FILE" || fail "--help"
ok "refusals: day file 2, missing 2, nothing readable 1, no FILE 2"
