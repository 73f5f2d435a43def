#!/usr/bin/env bash
# hk-tickctl db stats|symbols|symbol|top-symbols (compat.md §7.2) on a day
# file written by the real collector, compared with plain sqlite3 queries;
# FAIL lines / exit codes; whole-file rows over several trading days; the
# scan fallback for a file without hk_symbol_totals; --json.
source "$(dirname "$0")/lib.sh"
e2e_init
export ENV_FILE=/nonexistent/env
unset DATA_ROOT || true

jget() { sqlite3 :memory: "SELECT json_extract(readfile('$1'), '$2');"; }
hkt() { echo "strftime('%Y-%m-%d %H:%M:%S', ($1)/1000 + 8*3600, 'unixepoch')"; }

start_sim --symbols HK.00700,HK.00005,HK.00981 --rate 500 --max-ticks 1200 --seed 5
start_collector FUTU_SYMBOLS=HK.00700,HK.00005,HK.00981
wait_rows 1200 40
stop_collector TERM
DB=$(ls "$DATA"/[0-9]*.db | head -n 1)
DAY=$(basename "$DB" .db)
Q() { sqlite3 "file:$DB?mode=ro" "$@"; }
# Fixed "now" so ages are deterministic: 10 s after the last tick.
MAXTS=$(Q "SELECT MAX(ts_ms) FROM ticks;")
export HK_TICKCTL_NOW_MS=$((MAXTS + 10000))

# --- db stats ---------------------------------------------------------------
out=$("$CTL" --data-root "$DATA" db stats --day "$DAY")
want="=== DB 統計 ===
db=$DB
rows=$(Q "SELECT COUNT(*) FROM ticks;")
max_ts_ms=$MAXTS
indices=4
approx_bytes_sqlite=$(( $(Q "PRAGMA page_count;") * $(Q "PRAGMA page_size;") ))
file_bytes_db=$(stat -c %s "$DB")
file_bytes_wal=$(stat -c %s "$DB-wal" 2>/dev/null || echo 0)
file_bytes_shm=$(stat -c %s "$DB-shm" 2>/dev/null || echo 0)"
[ "$out" = "$want" ] || fail "db stats:
$out
want:
$want"
"$CTL" db stats --db "$DB" --json >"$T/st.json"
[ "$(jget "$T/st.json" '$.rows')" = "$(Q "SELECT COUNT(*) FROM ticks;")" ] || fail "stats json"
[ "$(jget "$T/st.json" '$.indices')" = 4 ] || fail "stats json indices"
ok "db stats (text, --db, --json)"

# --- db symbols ---------------------------------------------------------------
out=$("$CTL" --data-root "$DATA" --day "$DAY" db symbols)
want="symbol,rows,latest_ts_hkt,last_tick_age_sec
$(Q "SELECT symbol || ',' || COUNT(*) || ',' || $(hkt 'MAX(ts_ms)') || ',' || (($HK_TICKCTL_NOW_MS - MAX(ts_ms)) / 1000.0) FROM ticks GROUP BY symbol ORDER BY symbol;")"
# sqlite prints 10.0 as 10.0 and 10.005 as 10.005: same shortest form.
[ "$out" = "$want" ] || fail "db symbols:
$out
want:
$want"
ok "db symbols"

# --- db symbol ----------------------------------------------------------------
out=$("$CTL" --data-root "$DATA" --day "$DAY" db symbol HK.00700 --last 5)
[ "$(echo "$out" | head -n 1)" = "symbol,ts_hkt,price,volume,turnover,seq" ] || fail "symbol header"
[ "$(echo "$out" | wc -l)" = 6 ] || fail "symbol --last 5 rows: $out"
want=$(Q "SELECT symbol || ',' || $(hkt ts_ms) || ',' || volume || ',' || seq FROM ticks WHERE symbol='HK.00700' ORDER BY ts_ms DESC, rowid DESC LIMIT 5;" | sort)
got=$(echo "$out" | tail -n +2 | awk -F, '{print $1","$2","$4","$6}' | sort)
[ "$got" = "$want" ] || fail "db symbol rows: [$got] vs [$want]"
echo "$out" | tail -n +2 | awk -F, '$3 !~ /^[0-9]+\.[0-9]+$/ || $5 !~ /^[0-9]+\.[0-9]+$/ {exit 1}' ||
    fail "REAL format (need a decimal point, no exponent): $out"
"$CTL" --data-root "$DATA" --day "$DAY" db symbol HK.00700 --last 2 --json >"$T/sy.json"
[ "$(jget "$T/sy.json" '$.rows[1].symbol')" = HK.00700 ] || fail "symbol json"
ok "db symbol (newest first, REAL format)"

# --- db top-symbols -----------------------------------------------------------
for metric in rows turnover volume; do
    out=$("$CTL" --data-root "$DATA" --day "$DAY" db top-symbols --limit 2 --minutes 1 --metric "$metric")
    head5=$(echo "$out" | head -n 6)
    [ "$head5" = "=== Top Symbols ===
db=$DB
metric=$metric
window_minutes=1
limit=2
symbol,rows,turnover,volume,latest_ts_hkt,last_tick_age_sec" ] || fail "top header: $out"
    case $metric in rows) ord="COUNT(*)" ;; turnover) ord="SUM(turnover)" ;; volume) ord="SUM(volume)" ;; esac
    want=$(Q "SELECT symbol || ',' || COUNT(*) || ',' || printf('%.3f', SUM(turnover)) || ',' || SUM(volume) FROM ticks WHERE ts_ms >= $MAXTS - 60000 GROUP BY symbol ORDER BY $ord DESC, symbol LIMIT 2;")
    got=$(echo "$out" | tail -n +7 | cut -d, -f1-4)
    [ "$got" = "$want" ] || fail "top-symbols $metric: [$got] vs [$want]"
done
set +e
out=$("$CTL" --data-root "$DATA" --day "$DAY" db top-symbols --metric price); rc=$?
set -e
[ $rc = 2 ] && [ "$out" = "FAIL invalid_metric_use_rows_turnover_or_volume" ] || fail "bad metric rc=$rc $out"
for bad in "--limit 51" "--limit 0" "--minutes 241"; do
    set +e
    # shellcheck disable=SC2086
    "$CTL" --data-root "$DATA" --day "$DAY" db top-symbols $bad >/dev/null 2>&1; rc=$?
    set -e
    [ $rc = 2 ] || fail "top-symbols $bad rc=$rc"
done
ok "db top-symbols (3 metrics, window, limits)"

# --- FAILs ----------------------------------------------------------------
for sub in stats symbols "symbol HK.00700" top-symbols; do
    set +e
    # shellcheck disable=SC2086
    out=$("$CTL" --data-root "$T/none" --day 20260302 db $sub); rc=$?
    set -e
    [ $rc = 2 ] && [ "$out" = "FAIL db_not_found $T/none/20260302.db" ] || fail "db $sub missing: rc=$rc $out"
done
mkdir -p "$T/empty"
sqlite3 "file:$DB?mode=ro" ".schema" | grep -v hk_symbol_totals >"$T/schema.sql" || true
sqlite3 "$T/empty/20260302.db" "CREATE TABLE foo(a);"
set +e
out=$("$CTL" --data-root "$T/empty" --day 20260302 db stats); rc=$?
set -e
[ $rc = 2 ] && [ "$out" = "FAIL ticks_table_missing" ] || fail "no ticks table: rc=$rc $out"
rm -f "$T/empty/20260302.db"
sqlite3 "$DB" ".schema" >/dev/null
sqlite3 "file:$DB?mode=ro" ".schema ticks" | sqlite3 "$T/empty/20260302.db"
set +e
out=$("$CTL" --data-root "$T/empty" --day 20260302 db top-symbols); rc=$?
set -e
[ $rc = 2 ] && [ "$out" = "FAIL ticks_empty" ] || fail "empty top-symbols: rc=$rc $out"
"$CTL" --data-root "$T/empty" --day 20260302 db stats | gq -x "max_ts_ms=0" || fail "empty max_ts_ms"
set +e
"$CTL" db >/dev/null 2>&1; r1=$?
"$CTL" db frob >/dev/null 2>&1; r2=$?
"$CTL" --data-root "$DATA" db symbol >/dev/null 2>&1; r3=$?
set -e
[ "$r1$r2$r3" = 222 ] || fail "usage errors: $r1 $r2 $r3"
ok "FAIL lines: db_not_found, ticks_table_missing, ticks_empty, usage"

# --- whole file over two trading days; totals vs scan ----------------------
mkdir -p "$T/two"
TWO="$T/two/20260302.db"
cp "$DB" "$TWO"
sqlite3 "$TWO" "INSERT INTO ticks SELECT market, symbol, ts_ms - 86400000, price, volume, turnover, direction, seq - 1000000, tick_type, push_type, provider, '20260301', recv_ts_ms, inserted_at_ms FROM ticks WHERE symbol='HK.00700';
  INSERT INTO hk_symbol_totals SELECT '20260301', symbol, COUNT(*), MIN(ts_ms), MAX(ts_ms), MAX(seq), MAX(inserted_at_ms) FROM ticks WHERE trading_day='20260301' GROUP BY symbol;"
n=$(sqlite3 "file:$TWO?mode=ro" "SELECT COUNT(*) FROM ticks;")
"$CTL" --db "$TWO" db stats | gq -x "rows=$n" || fail "whole-file rows"
a=$("$CTL" --db "$TWO" db symbols)
sqlite3 "$TWO" "DROP TABLE hk_symbol_totals;"
"$CTL" --db "$TWO" db stats | gq -x "rows=$n" || fail "scan rows"
b=$("$CTL" --db "$TWO" db symbols)
[ "$a" = "$b" ] || fail "symbols totals vs scan: [$a] [$b]"
ok "whole-file rows over 2 trading days; totals == scan"
