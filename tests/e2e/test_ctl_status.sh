#!/usr/bin/env bash
# hk-tickctl status / global options: a real collector fills a data root from
# opend-sim, then status must print the compat.md §7.3 lines (text and
# --json) from hk_symbol_totals, agree with a scan, honour --symbols before
# the top-20 cut, the --data-root/DATA_ROOT/ENV_FILE precedence, missing-db
# and missing-table FAILs, a reference-style file without hk_symbol_totals,
# and never create -wal/-shm files next to an idle day file.
source "$(dirname "$0")/lib.sh"
e2e_init

jget() { # jget FILE PATH : one value from a JSON file via sqlite3's JSON1
    sqlite3 :memory: "SELECT json_extract(readfile('$1'), '$2');"
}

# Fake systemctl/journalctl so the journal lines are deterministic.
mkdir -p "$T/fakebin"
cat >"$T/fakebin/systemctl" <<'EOF'
#!/bin/sh
[ "$1" = is-active ] && { echo active; exit 0; }
exit 1
EOF
cat >"$T/fakebin/journalctl" <<EOF
#!/bin/sh
echo "\$*" >>"$T/journal.args"
cat "$T/journal.txt"
EOF
chmod +x "$T/fakebin/systemctl" "$T/fakebin/journalctl"
cat >"$T/journal.txt" <<'EOF'
2026-03-02 10:00:00.000+08:00 INFO hk_tick_collector.futu_client health connected=True sid=sid-00000001 queue=0/200000 persisted_rows_per_min=10
2026-03-02 10:00:30.000+08:00 ERROR hk_tick_collector.futu_client WATCHDOG persistent_stall reason=x
2026-03-02 10:01:00.000+08:00 INFO hk_tick_collector.futu_client health connected=True sid=sid-00000002 queue=0/200000 persisted_rows_per_min=20
EOF

start_sim --symbols HK.00700,HK.00005,HK.00981,HK.09988 --rate 500 \
    --max-ticks 1500 --seed 11
start_collector FUTU_SYMBOLS=HK.00700,HK.00005,HK.00981,HK.09988
wait_rows 1500 40
stop_collector TERM
DB=$(ls "$DATA"/[0-9]*.db | head -n 1)
DAY=$(basename "$DB" .db)
ok "collector filled $DB"

export ENV_FILE=/nonexistent/env
unset DATA_ROOT || true

# --- text output, --data-root before the command --------------------------
out=$(PATH="$T/fakebin:$PATH" "$CTL" --data-root "$DATA" --day "$DAY" status)
echo "$out" | sed -n 1p | gq -x '=== HK Tick 狀態 ===' || fail "header: $out"
grep -qx "day=$DAY" <<<"$out" || fail "day line"
grep -qx "db_path=$DB" <<<"$out" || fail "db_path line"
grep -qx "db_size=$(stat -c %s "$DB")" <<<"$out" || fail "db_size line"
grep -qx "wal_size=[0-9]*" <<<"$out" || fail "wal_size line"
grep -qx "service.hk-tick-collector=active" <<<"$out" || fail "service line"
grep -qx "service.futu-opend=active" <<<"$out" || fail "futu service line"
grep -qx '\[健康\] .*health connected=True sid=sid-00000002 .*' <<<"$out" ||
    fail "health line: $out"
grep -qx '\[告警\] .*WATCHDOG persistent_stall reason=x' <<<"$out" ||
    fail "alert line: $out"
grep -q -- "-u hk-tick-collector --since 20 minutes ago --no-pager" \
    "$T/journal.args" || fail "journalctl args: $(cat "$T/journal.args")"
cnt=$(sqlite3 "file:$DB?mode=ro" "SELECT COUNT(*) FROM ticks WHERE trading_day='$DAY';")
grep -qx "ticks_total=$cnt" <<<"$out" || fail "ticks_total != $cnt: $out"
want_start=$(sqlite3 "file:$DB?mode=ro" "SELECT strftime('%Y-%m-%d %H:%M:%S', MIN(ts_ms)/1000 + 8*3600, 'unixepoch') FROM ticks;")
want_end=$(sqlite3 "file:$DB?mode=ro" "SELECT strftime('%Y-%m-%d %H:%M:%S', MAX(ts_ms)/1000 + 8*3600, 'unixepoch') FROM ticks;")
grep -qx "start_hkt=$want_start" <<<"$out" || fail "start_hkt want $want_start"
grep -qx "end_hkt=$want_end" <<<"$out" || fail "end_hkt want $want_end"
grep -qx "last_tick_age_sec=[0-9.]*" <<<"$out" || fail "age line"
grep -qx "rows_by_symbol_top:" <<<"$out" || fail "top header"
want_top=$(sqlite3 "file:$DB?mode=ro" "SELECT '  ' || symbol || ' rows=' || COUNT(*) FROM ticks GROUP BY symbol ORDER BY COUNT(*) DESC, symbol;")
got_top=$(echo "$out" | grep '^  HK\.' | sed 's/ latest_hkt=.*//')
[ "$got_top" = "$want_top" ] || fail "top rows differ: got [$got_top] want [$want_top]"
grep -qv ' latest_hkt=[0-9-]* [0-9:]* last_tick_age_sec=[0-9.]*$' <<<"$(grep '^  HK\.' <<<"$out")" &&
    fail "top row format"
grep -qx "gaps_total=[0-9]*" <<<"$out" || fail "gaps_total"
grep -qx "largest_gap_sec=[0-9.]*" <<<"$out" || fail "largest_gap_sec"
ok "status text lines (§7.3), totals equal a COUNT(*) scan"

# --- --json, --data-root after the command ----------------------------------
PATH="$T/fakebin:$PATH" "$CTL" status --data-root "$DATA" --day "$DAY" --json >"$T/s.json"
[ "$(jget "$T/s.json" '$.ticks_total')" = "$cnt" ] || fail "json ticks_total"
[ "$(jget "$T/s.json" '$.result')" = OK ] || fail "json result"
[ "$(jget "$T/s.json" '$.totals_source')" = hk_symbol_totals ] || fail "json source"
[ "$(jget "$T/s.json" '$.db_path')" = "$DB" ] || fail "json db_path"
[ "$(jget "$T/s.json" "\$.services.\"hk-tick-collector\"")" = active ] || fail "json services"
[ "$(jget "$T/s.json" '$.rows_by_symbol_top[0].rows')" = \
  "$(echo "$want_top" | head -n 1 | sed 's/.*rows=//')" ] || fail "json top"
ok "status --json, --data-root after the subcommand"

# --- --symbols filters before the cut ---------------------------------------
out=$("$CTL" status --data-root "$DATA" --day "$DAY" --symbols HK.00981,HK.00005)
[ "$(echo "$out" | grep -c '^  HK\.')" = 2 ] || fail "--symbols: $out"
grep -q '^  HK.00700' <<<"$out" && fail "--symbols kept HK.00700"
grep -qx "ticks_total=$cnt" <<<"$out" || fail "--symbols changed ticks_total"
ok "status --symbols"

# --- journal unavailable: the "no message" texts ---------------------------
mkdir -p "$T/nojournal"
printf '#!/bin/sh\nexit 1\n' >"$T/nojournal/journalctl"
printf '#!/bin/sh\nexit 1\n' >"$T/nojournal/systemctl"
chmod +x "$T/nojournal/journalctl" "$T/nojournal/systemctl"
out=$(PATH="$T/nojournal:$PATH" "$CTL" status --data-root "$DATA" --day "$DAY")
grep -qx '\[健康\] 選定時間內沒有 health 訊息' <<<"$out" || fail "no-health text"
grep -qx '\[告警\] 選定時間內無 WARN/ALERT/WATCHDOG' <<<"$out" || fail "no-alert text"
grep -qx 'service.hk-tick-collector=n/a' <<<"$out" || fail "service n/a"
ok "status without journal/systemd"

# --- data root precedence ---------------------------------------------------
mkdir -p "$T/other"
cat >"$T/envfile" <<EOF
# comment
export DATA_ROOT="$DATA"
SERVICE_NAME=my-collector
EOF
out=$(ENV_FILE="$T/envfile" "$CTL" status --day "$DAY")
grep -qx "db_path=$DB" <<<"$out" || fail "ENV_FILE DATA_ROOT not used: $out"
grep -qx "service.my-collector=.*" <<<"$out" || fail "ENV_FILE SERVICE_NAME"
out=$(ENV_FILE="$T/envfile" DATA_ROOT="$T/other" "$CTL" status --day "$DAY" || true)
grep -qx "db_path=$T/other/$DAY.db" <<<"$out" || fail "DATA_ROOT must beat ENV_FILE"
out=$(DATA_ROOT="$T/other" "$CTL" --data-root "$DATA" status --day "$DAY")
grep -qx "db_path=$DB" <<<"$out" || fail "--data-root must beat DATA_ROOT"
ok "--data-root > DATA_ROOT > ENV_FILE"

# --- missing db / missing table --------------------------------------------
set +e
out=$("$CTL" status --data-root "$T/other" --day "$DAY"); rc=$?
set -e
[ $rc = 2 ] || fail "missing db rc=$rc"
echo "$out" | tail -n 1 | gq -x "result=FAIL reason=db_not_found" || fail "missing db: $out"
sqlite3 "$T/other/$DAY.db" "CREATE TABLE x(a);"
set +e
out=$("$CTL" status --data-root "$T/other" --day "$DAY"); rc=$?
set -e
[ $rc = 2 ] || fail "missing table rc=$rc"
echo "$out" | tail -n 1 | gq -x "result=FAIL reason=ticks_table_missing" || fail "no table: $out"
set +e
"$CTL" status --day 2026-01-01 >/dev/null 2>"$T/err"; rc=$?
set -e
[ $rc = 2 ] && grep -q "FAIL usage: invalid --day" "$T/err" || fail "bad --day rc=$rc"
set +e
"$CTL" status --bogus >/dev/null 2>"$T/err"; rc=$?
set -e
[ $rc = 2 ] && grep -q "^FAIL usage:" "$T/err" || fail "unknown option rc=$rc"
"$CTL" --help | gq "^usage: hk-tickctl" || fail "--help"
"$CTL" status --help | gq "^usage: hk-tickctl status" || fail "status --help"
ok "FAIL lines and exit codes"

# --- reference-style file (no hk_symbol_totals): scan fallback --------------
mkdir -p "$T/ref"
REF="$T/ref/$DAY.db"
sqlite3 "file:$DB?mode=ro" ".schema ticks" >"$T/schema.sql"
sqlite3 "file:$DB?mode=ro" ".schema gaps" >>"$T/schema.sql"
sqlite3 "$REF" ".read $T/schema.sql"
sqlite3 "$REF" "ATTACH 'file:$DB?mode=ro' AS s; INSERT INTO ticks SELECT * FROM s.ticks;"
[ "$(sqlite3 "$REF" "SELECT COUNT(*) FROM sqlite_master WHERE name='hk_symbol_totals';")" = 0 ] ||
    fail "ref file has totals"
"$CTL" status --data-root "$T/ref" --day "$DAY" --json >"$T/r.json"
[ "$(jget "$T/r.json" '$.totals_source')" = scan ] || fail "no scan fallback"
[ "$(jget "$T/r.json" '$.ticks_total')" = "$cnt" ] || fail "scan ticks_total"
a=$("$CTL" status --data-root "$T/ref" --day "$DAY" | grep -E '^(ticks_total|start_hkt|end_hkt|  HK)' | sed 's/ last_tick_age_sec=.*//')
b=$("$CTL" status --data-root "$DATA" --day "$DAY" | grep -E '^(ticks_total|start_hkt|end_hkt|  HK)' | sed 's/ last_tick_age_sec=.*//')
[ "$a" = "$b" ] || fail "totals and scan disagree: [$a] vs [$b]"
ok "reference-style file: scan fallback agrees with totals"

# --- read-only: no -wal/-shm appear next to an idle day file ----------------
rm -f "$DB-wal" "$DB-shm"
sqlite3 "$DB" "PRAGMA journal_mode;" >/dev/null # collector left it in WAL mode
rm -f "$DB-wal" "$DB-shm"
for args in "status" "db stats" "db symbols" "db top-symbols" "validate"; do
    # shellcheck disable=SC2086
    "$CTL" --data-root "$DATA" --day "$DAY" $args >/dev/null || true
    [ ! -e "$DB-wal" ] && [ ! -e "$DB-shm" ] || fail "'$args' created -wal/-shm"
done
for args in "status" "db stats"; do
    "$CTL" --data-root "$T/ref" --day "$DAY" $args >/dev/null
    [ ! -e "$REF-wal" ] && [ ! -e "$REF-journal" ] || fail "'$args' created files (ref)"
done
ok "read-only commands create no -wal/-shm"
