#!/usr/bin/env bash
# hk-tickctl export legacy|db|gaps|report (compat.md §7.2) while the real
# collector is still writing: consistent copies (row counts), DELETE journal
# mode on the copy, sha256 file checkable with sha256sum -c, gaps CSV, the
# report copy, FAIL lines, --json; and the scripts/hk-tickctl wrapper from
# another directory.
source "$(dirname "$0")/lib.sh"
e2e_init
export ENV_FILE=/nonexistent/env
unset DATA_ROOT || true
jget() { sqlite3 :memory: "SELECT json_extract(readfile('$1'), '$2');"; }

start_sim --symbols HK.00700,HK.00005 --rate 300 --max-ticks 800 --seed 9
start_collector FUTU_SYMBOLS=HK.00700,HK.00005
wait_rows 800 40
DB=$(ls "$DATA"/[0-9]*.db | head -n 1)
DAY=$(basename "$DB" .db)
mkdir -p "$T/out"
cd "$T/out"

# export db while the collector holds the file open (WAL).
out=$("$CTL" --data-root "$DATA" export db --day "$DAY")
[ "$out" = "OK export_db=./$DAY.backup.db
verify=sqlite3 ./$DAY.backup.db \"SELECT COUNT(*) FROM ticks;\"" ] || fail "export db: $out"
src=$(sqlite3 "file:$DB?mode=ro" "SELECT COUNT(*) FROM ticks;")
[ "$(sqlite3 "./$DAY.backup.db" "SELECT COUNT(*) FROM ticks;")" = "$src" ] || fail "copy count"
[ "$(sqlite3 "./$DAY.backup.db" "PRAGMA journal_mode;")" = delete ] || fail "copy journal_mode"
[ ! -e "./$DAY.backup.db-wal" ] || fail "copy has -wal"
"$CTL" --data-root "$DATA" export db --day "$DAY" --out "$T/out/dir" | gq -x "OK export_db=$T/out/dir/$DAY.backup.db" ||
    fail "suffix-less --out"
"$CTL" --data-root "$DATA" export db --day "$DAY" --out "$T/out/x.db" | gq -x "OK export_db=$T/out/x.db" ||
    fail "file --out"
ok "export db: one consistent copy, journal_mode=delete"

stop_collector TERM
src=$(sqlite3 "file:$DB?mode=ro" "SELECT COUNT(*) FROM ticks;")

# legacy tarball + checksum
out=$("$CTL" --data-root "$DATA" export --day "$DAY" --out "$T/out/legacy.tar.gz")
hex=$(sha256sum "$T/out/legacy.tar.gz" | cut -d' ' -f1)
[ "$out" = "OK legacy_export=$T/out/legacy.tar.gz
sha256=$hex
checksum_file=$T/out/legacy.tar.gz.sha256" ] || fail "legacy: $out"
[ "$(cat "$T/out/legacy.tar.gz.sha256")" = "$hex  legacy.tar.gz" ] || fail "sha256 file format"
(cd "$T/out" && sha256sum -c legacy.tar.gz.sha256 >/dev/null) || fail "sha256sum -c"
[ "$(tar -tzf "$T/out/legacy.tar.gz")" = "$DAY.db" ] || fail "tar content"
mkdir -p "$T/x" && tar -xzf "$T/out/legacy.tar.gz" -C "$T/x"
[ "$(sqlite3 "$T/x/$DAY.db" "SELECT COUNT(*) FROM ticks;")" = "$src" ] || fail "tar db count"
"$CTL" --data-root "$DATA" --day "$DAY" export --json --out "$T/out/l2.tar.gz" >"$T/l.json"
[ "$(jget "$T/l.json" '$.checksum_file')" = "$T/out/l2.tar.gz.sha256" ] || fail "legacy json"
ok "legacy export: tar.gz of one consistent copy + sha256sum -c"

# gaps CSV (rows crafted into a copy so the CSV has quoting to do)
mkdir -p "$T/g"
cp "$DB" "$T/g/$DAY.db"
sqlite3 "$T/g/$DAY.db" "INSERT INTO gaps VALUES ('$DAY','HK.00700',1000,13500,12.5,2000,'hard_gap','{\"prev_ts_ms\":1000,\"session\":\"09:30-12:00\"}');
  INSERT INTO gaps VALUES ('$DAY','HK.00005',5000,16000,11.0,6000,'hard_gap','{}');
  INSERT INTO gaps VALUES ('20000101','HK.00005',1,20000,19.999,6000,'hard_gap','{}');"
out=$("$CTL" --data-root "$T/g" export gaps --day "$DAY")
[ "$out" = "OK export_gaps=./gaps_$DAY.csv" ] || fail "gaps: $out"
[ "$(cat "./gaps_$DAY.csv")" = "trading_day,symbol,gap_start_ts_ms,gap_end_ts_ms,gap_sec,detected_at_ms,reason,meta_json
$DAY,HK.00005,5000,16000,11.0,6000,hard_gap,{}
$DAY,HK.00700,1000,13500,12.5,2000,hard_gap,\"{\"\"prev_ts_ms\"\":1000,\"\"session\"\":\"\"09:30-12:00\"\"}\"" ] ||
    fail "gaps csv: $(cat "./gaps_$DAY.csv")"
mkdir -p "$T/ng"
sqlite3 "file:$DB?mode=ro" ".schema ticks" | sqlite3 "$T/ng/$DAY.db"
set +e
out=$("$CTL" --data-root "$T/ng" export gaps --day "$DAY"); rc=$?
set -e
[ $rc = 2 ] && [ "$out" = "FAIL gaps_table_missing" ] || fail "gaps missing: rc=$rc $out"
ok "export gaps CSV (order, quoting, day filter), gaps_table_missing"

# report
out=$("$CTL" --data-root "$DATA" export report --day "$DAY")
[ "$out" = "OK export_report=./quality_$DAY.json" ] || fail "report: $out"
[ "$(jget "./quality_$DAY.json" '$.volume.total_rows')" = "$src" ] || fail "report rows"
cmp -s "./quality_$DAY.json" "$DATA/_reports/quality/$DAY.json" || fail "report copy differs"
ok "export report (generated when missing, copied)"

# An existing output is refused unless --force (issue 8 item 8): exit 2,
# one FAIL line, the file untouched; --force / --force 1 replace it.
for kind in "" db gaps report; do
    f="$T/out/exists.$kind.out"
    echo keep >"$f"
    set +e
    # shellcheck disable=SC2086
    out=$("$CTL" --data-root "$DATA" export $kind --day "$DAY" --out "$f"); rc=$?
    set -e
    [ $rc = 2 ] && [ "$out" = "FAIL out_exists $f (use --force to replace it)" ] ||
        fail "export $kind existing: $rc $out"
    [ "$(cat "$f")" = keep ] || fail "export $kind touched the existing file"
    # shellcheck disable=SC2086
    "$CTL" --data-root "$DATA" export $kind --day "$DAY" --out "$f" --force >/dev/null ||
        fail "export $kind --force"
    [ "$(cat "$f")" != keep ] || fail "export $kind --force did not replace"
done
set +e
"$CTL" --data-root "$DATA" --json export db --day "$DAY" --out "$T/out/x.db" --force 0 >"$T/f.json"; rc=$?
set -e
[ $rc = 2 ] && [ "$(jget "$T/f.json" '$.reason')" = out_exists ] ||
    fail "--json --force 0 existing: $rc $(cat "$T/f.json")"
"$CTL" --data-root "$DATA" export db --day "$DAY" --out "$T/out/x.db" --force 1 | gq -x "OK export_db=$T/out/x.db" ||
    fail "--force 1"
ok "export refuses an existing --out unless --force (FAIL out_exists, exit 2)"

# Progress on stderr: on a terminal (script(1) gives the CLI a pty) the
# backup shows "export db: <done> / <total> (<pct>%) <rate>/s" ending in
# 100% and a newline; with --json, or when stderr is not a terminal,
# nothing at all.
if command -v script >/dev/null; then
    script -qfec "'$CTL' --data-root '$DATA' export db --day '$DAY' --out '$T/out/p1.db'" /dev/null >"$T/pty.txt" </dev/null ||
        fail "export under script"
    grep -aEq "export db: [0-9.]+ (B|KiB|MiB) / [0-9.]+ (B|KiB|MiB) \(100%\) [0-9.]+ (B|KiB|MiB)/s" "$T/pty.txt" || fail "no progress on a tty: $(cat -A "$T/pty.txt")"
    grep -aq $'\r'"export db: " "$T/pty.txt" || fail "progress line not redrawn with CR"
    grep -aqx "OK export_db=$T/out/p1.db"$'\r' "$T/pty.txt" || fail "stdout under script: $(cat -A "$T/pty.txt")"
    script -qfec "'$CTL' --data-root '$DATA' --json export db --day '$DAY' --out '$T/out/p2.db'" /dev/null >"$T/pty2.txt" </dev/null ||
        fail "--json export under script"
    ! grep -aq "export db:" "$T/pty2.txt" || fail "progress with --json: $(cat -A "$T/pty2.txt")"
    "$CTL" --data-root "$DATA" export db --day "$DAY" --out "$T/out/p3.db" >/dev/null 2>"$T/noprog.txt" ||
        fail "export without a tty"
    [ ! -s "$T/noprog.txt" ] || fail "stderr without a tty: $(cat -A "$T/noprog.txt")"
    ok "export progress on a terminal only (not with --json, not on a pipe)"
fi

# FAILs
for kind in "" db gaps report; do
    set +e
    # shellcheck disable=SC2086
    out=$("$CTL" --data-root "$T/none" export $kind --day 20260302); rc=$?
    set -e
    [ $rc = 2 ] && [ "$out" = "FAIL db_not_found $T/none/20260302.db" ] || fail "export $kind missing: $rc $out"
done
set +e
"$CTL" export frob >/dev/null 2>&1; rc=$?
set -e
[ $rc = 2 ] || fail "unknown export kind rc=$rc"
ok "export FAIL db_not_found / usage"

# Wrapper from any directory, also through a symlink (installs).
cd /
"$HK_SRC/scripts/hk-tickctl" --data-root "$DATA" --day "$DAY" db stats | gq -x "rows=$src" ||
    fail "scripts/hk-tickctl"
ok "scripts/hk-tickctl runs from /"
