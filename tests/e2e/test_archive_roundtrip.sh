#!/usr/bin/env bash
# hk-tickctl archive -> restore round trip on a day file written by the real
# collector: standard zstd frame + sha256sum/shasum-compatible checksum,
# manifest keys in order, restore equal row-for-row (EXCEPT both ways),
# corrupted archive / wrong checksum detected, usage and missing-db errors,
# and the live day refused while the collector writes it.
source "$(dirname "$0")/lib.sh"
e2e_init

SYMS=HK.00700,HK.00005,HK.00981
start_sim --symbols $SYMS --rate 800 --max-ticks 3000 --seed 21
start_collector FUTU_SYMBOLS=$SYMS
wait_rows 3000 40
DB=$(ls "$DATA"/[0-9]*.db | head -n 1)
DAY=$(basename "$DB" .db)

# --- the live day is refused while the collector writes it ---------------
set +e
out=$("$CTL" archive --data-root "$DATA" --day "$DAY" 2>&1)
rc=$?
set -e
[ "$rc" = 2 ] || fail "live-day archive exit $rc, want 2: $out"
grep -q "^FAIL day_in_progress day=$DAY reason=" <<<"$out" || fail "no day_in_progress line: $out"
[ ! -e "$DATA/_archive/$DAY.db.zst" ] || fail "archive written for the live day"
ok "live day refused (exit 2): $(echo "$out" | cut -c1-80)"

stop_collector TERM
[ "$COL_RC" = 0 ] || fail "collector exit $COL_RC"

# Pretend "now" is the next day: the file is then a past day.
HK_TICKCTL_NOW_MS=$(( ($(date +%s) + 86400) * 1000 ))
export HK_TICKCTL_NOW_MS

# --- usage and missing db ---------------------------------------------------
set +e
out=$("$CTL" archive --data-root "$DATA" --day 19990101 2>&1); rc=$?
[ "$rc" = 2 ] && grep -qx "FAIL db_not_found $DATA/19990101.db" <<<"$out" ||
    fail "db_not_found: rc=$rc out=$out"
"$CTL" archive --data-root "$DATA" --day "$DAY" --verify 7 >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "bad --verify exit $rc"
"$CTL" archive --data-root "$DATA" --day "$DAY" --bogus 1 >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "unknown option exit $rc"
ARCHIVE_ZSTD_LEVEL=99 "$CTL" archive --data-root "$DATA" --day "$DAY" >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "bad ARCHIVE_ZSTD_LEVEL exit $rc"
set -e
ok "usage errors and db_not_found exit 2"

# --- archive ------------------------------------------------------------------
out=$(ARCHIVE_ZSTD_LEVEL=3 ARCHIVE_ZSTD_THREADS=2 "$CTL" archive --data-root "$DATA" --day "$DAY")
A="$DATA/_archive"
expect="ARCHIVE OK
archive=$A/$DAY.db.zst
checksum=$A/$DAY.db.zst.sha256
manifest=$A/manifest/$DAY.json
report=$DATA/_reports/quality/$DAY.json
verified=1
deleted_original=0"
[ "$out" = "$expect" ] || fail "archive output differs:
$out
--- want ---
$expect"
ok "archive output lines exact"
(cd "$A" && sha256sum -c "$DAY.db.zst.sha256" >/dev/null) || fail "sha256sum -c"
(cd "$A" && shasum -a 256 -c "$DAY.db.zst.sha256" >/dev/null) || fail "shasum -a 256 -c"
grep -Eq "^[0-9a-f]{64}  $DAY\.db\.zst$" "$A/$DAY.db.zst.sha256" || fail "checksum line format"
if command -v zstd >/dev/null; then
    zstd -q -t "$A/$DAY.db.zst" || fail "zstd -t"
fi
[ -f "$DATA/_reports/quality/$DAY.json" ] || fail "quality report missing"
keys=$(sqlite3 :memory: "SELECT group_concat(key, ',') FROM json_each(readfile('$A/manifest/$DAY.json'));")
[ "$keys" = "trading_day,created_at_ms,host,collector_version,source_db,archive_file,archive_size_bytes,checksum_sha256,compression,verify_enabled,verify_ok,verify_details,quality_summary" ] ||
    fail "manifest keys: $keys"
qkeys=$(sqlite3 :memory: "SELECT group_concat(key, ',') FROM json_each(readfile('$A/manifest/$DAY.json'), '\$.quality_summary');")
[ "$qkeys" = "total_rows,start_ts_ms,end_ts_ms,hard_gaps_total,hard_gaps_total_sec,quality_grade" ] ||
    fail "quality_summary keys: $qkeys"
m=$(sqlite3 :memory: "SELECT json_extract(j,'\$.verify_ok') || ' ' || json_extract(j,'\$.verify_details.ticks_count') || ' ' || json_extract(j,'\$.compression') || ' ' || json_extract(j,'\$.checksum_sha256') FROM (SELECT readfile('$A/manifest/$DAY.json') AS j);")
read -r vok vcnt comp hex <<<"$m"
[ "$vok" = 1 ] && [ "$vcnt" = 3000 ] && [ "$comp" = zstd ] || fail "manifest values: $m"
[ "$hex" = "$(cut -c1-64 "$A/$DAY.db.zst.sha256")" ] || fail "manifest checksum differs from .sha256"
[ -z "$(ls -A "$A" | grep '^\.tmp' || true)" ] || fail "temporary directory left in $A"
ok "checksum, frame and manifest (keys in order) verified"

# --json: one document with the same facts.
j=$("$CTL" --json archive --data-root "$DATA" --day "$DAY" --verify 1)
[ "$(echo "$j" | jq -r '.result + " " + (.verified|tostring) + " " + (.deleted_original|tostring)')" = "OK true false" ] ||
    fail "archive --json: $j"
ok "archive --json"

# --- restore: round trip equal row-for-row ---------------------------------
R="$T/restored"
mkdir -p "$R"
out=$("$CTL" restore --data-root "$DATA" --day "$DAY" --out "$R")
echo "$out" | head -n 1 | gq -x "RESTORE OK" || fail "restore: $out"
grep -qx "out=$R/$DAY.db" <<<"$out" || fail "restore out line: $out"
grep -qx "rows=3000" <<<"$out" || fail "restore rows: $out"
diff1=$(sqlite3 "file:$R/$DAY.db?mode=ro" "ATTACH 'file:$DB?mode=ro' AS o; SELECT COUNT(*) FROM (SELECT * FROM main.ticks EXCEPT SELECT * FROM o.ticks);")
diff2=$(sqlite3 "file:$R/$DAY.db?mode=ro" "ATTACH 'file:$DB?mode=ro' AS o; SELECT COUNT(*) FROM (SELECT * FROM o.ticks EXCEPT SELECT * FROM main.ticks);")
gdiff=$(sqlite3 "file:$R/$DAY.db?mode=ro" "ATTACH 'file:$DB?mode=ro' AS o; SELECT (SELECT COUNT(*) FROM (SELECT * FROM main.gaps EXCEPT SELECT * FROM o.gaps)) + (SELECT COUNT(*) FROM (SELECT * FROM o.gaps EXCEPT SELECT * FROM main.gaps));")
[ "$diff1" = 0 ] && [ "$diff2" = 0 ] && [ "$gdiff" = 0 ] || fail "restored differs: $diff1 $diff2 gaps $gdiff"
[ "$(sqlite3 "file:$R/$DAY.db?mode=ro" "SELECT COUNT(*) FROM ticks;")" = 3000 ] || fail "restored count"
[ "$(sqlite3 "file:$R/$DAY.db?mode=ro" "PRAGMA integrity_check;")" = ok ] || fail "restored integrity"
schema_a=$(sqlite3 "file:$R/$DAY.db?mode=ro" "SELECT group_concat(sql, ';') FROM sqlite_master ORDER BY name;")
schema_b=$(sqlite3 "file:$DB?mode=ro" "SELECT group_concat(sql, ';') FROM sqlite_master ORDER BY name;")
[ "$schema_a" = "$schema_b" ] || fail "schema differs after restore"
[ "$(stat -c %a "$R/$DAY.db")" = 640 ] || fail "restored mode $(stat -c %a "$R/$DAY.db")"
ok "restore equal row-for-row (EXCEPT both ways), schema identical, 0640"

# Refuses to overwrite; --force 1 replaces (and drops a stale -wal).
set +e
out=$("$CTL" restore --data-root "$DATA" --day "$DAY" --out "$R/$DAY.db" 2>&1); rc=$?
set -e
[ "$rc" = 2 ] && grep -q "^FAIL dest_exists $R/$DAY.db" <<<"$out" || fail "overwrite not refused: $rc $out"
echo garbage >"$R/$DAY.db-wal"
"$CTL" restore --data-root "$DATA" --day "$DAY" --out "$R/$DAY.db" --force 1 >/dev/null
[ ! -e "$R/$DAY.db-wal" ] || fail "stale -wal kept"
[ "$(sqlite3 "file:$R/$DAY.db?mode=ro" "SELECT COUNT(*) FROM ticks;")" = 3000 ] || fail "forced restore count"
# Default destination is the data root: refused while the day file exists.
set +e
"$CTL" restore --data-root "$DATA" --day "$DAY" >/dev/null 2>&1; rc=$?
set -e
[ "$rc" = 2 ] || fail "restore over the live data root not refused ($rc)"
j=$("$CTL" restore --json --data-root "$DATA" --day "$DAY" --out "$T/j.db")
[ "$(echo "$j" | jq -r '.result + " " + (.rows|tostring) + " " + .manifest_check')" = "OK 3000 ok" ] ||
    fail "restore --json: $j"
ok "restore refuses overwrite; --force 1 replaces; --json"

# --- corruption and wrong checksum -----------------------------------------
cp "$A/$DAY.db.zst" "$T/good.zst"
cp "$A/$DAY.db.zst.sha256" "$T/good.sha256"
size=$(stat -c %s "$A/$DAY.db.zst")
# 1. a flipped byte: the checksum no longer matches.
off=$((size / 2))
orig=$(od -An -tu1 -j "$off" -N1 "$A/$DAY.db.zst" | tr -d ' ')
printf "$(printf '\\%03o' $(( (orig + 1) % 256 )))" |
    dd of="$A/$DAY.db.zst" bs=1 seek="$off" conv=notrunc 2>/dev/null
set +e
out=$("$CTL" restore --data-root "$DATA" --day "$DAY" --out "$T/bad1.db" 2>&1); rc=$?
set -e
[ "$rc" = 1 ] && grep -q "^FAIL checksum_mismatch $A/$DAY.db.zst expected=" <<<"$out" ||
    fail "flipped byte: rc=$rc $out"
[ ! -e "$T/bad1.db" ] || fail "output written for a corrupted archive"
(cd "$A" && ! sha256sum -c "$DAY.db.zst.sha256" >/dev/null 2>&1) || fail "sha256sum accepted corruption"
ok "flipped byte detected: checksum_mismatch (exit 1)"
# 2. the same corruption with a matching .sha256: the zstd frame check fails.
(cd "$A" && sha256sum "$DAY.db.zst" >"$DAY.db.zst.sha256")
set +e
out=$("$CTL" restore --data-root "$DATA" --day "$DAY" --out "$T/bad2.db" 2>&1); rc=$?
set -e
[ "$rc" = 1 ] && grep -Eq "^FAIL (decompress_failed|integrity_check_failed) " <<<"$out" ||
    fail "corrupt frame with matching checksum: rc=$rc $out"
[ -z "$(ls "$T" | grep 'bad2' || true)" ] || fail "temporary output left: $(ls "$T")"
ok "corrupt frame detected: $(echo "$out" | cut -d' ' -f2) (exit 1)"
# 3. truncated archive with a matching checksum.
head -c $((size - 7)) "$T/good.zst" >"$A/$DAY.db.zst"
(cd "$A" && sha256sum "$DAY.db.zst" >"$DAY.db.zst.sha256")
set +e
out=$("$CTL" restore --data-root "$DATA" --day "$DAY" --out "$T/bad3.db" 2>&1); rc=$?
set -e
[ "$rc" = 1 ] && grep -q "^FAIL decompress_failed .*truncated" <<<"$out" ||
    fail "truncated frame: rc=$rc $out"
ok "truncated frame detected (exit 1)"
# 4. a wrong checksum file for a good archive.
cp "$T/good.zst" "$A/$DAY.db.zst"
c0=$(head -c 1 "$T/good.sha256")
[ "$c0" = 0 ] && c1=1 || c1=0
sed "s/^./$c1/" "$T/good.sha256" >"$A/$DAY.db.zst.sha256"
cmp -s "$A/$DAY.db.zst.sha256" "$T/good.sha256" && fail "test bug: checksum unchanged"
set +e
out=$("$CTL" restore --data-root "$DATA" --day "$DAY" --out "$T/bad4.db" 2>&1); rc=$?
set -e
[ "$rc" = 1 ] && grep -q "^FAIL checksum_mismatch" <<<"$out" || fail "wrong checksum: rc=$rc $out"
ok "wrong checksum detected (exit 1)"
# 5. missing archive / checksum file.
rm -f "$A/$DAY.db.zst.sha256"
set +e
out=$("$CTL" restore --data-root "$DATA" --day "$DAY" --out "$T/bad5.db" 2>&1); rc=$?
[ "$rc" = 2 ] && grep -qx "FAIL checksum_not_found $A/$DAY.db.zst.sha256" <<<"$out" || fail "missing sha: $rc $out"
out=$("$CTL" restore --data-root "$DATA" --day 19990101 --out "$T/bad6.db" 2>&1); rc=$?
[ "$rc" = 2 ] && grep -qx "FAIL archive_not_found $A/19990101.db.zst" <<<"$out" || fail "missing zst: $rc $out"
set -e
ok "missing archive/checksum exit 2"
# 6. archive's own verify fails on a manifest/row mismatch: a manifest that
#    disagrees with the archive makes restore refuse (count_mismatch).
cp "$T/good.sha256" "$A/$DAY.db.zst.sha256"
cp "$A/manifest/$DAY.json" "$T/manifest.bak"
sed -i 's/"ticks_count": 3000/"ticks_count": 2999/' "$A/manifest/$DAY.json"
set +e
out=$("$CTL" restore --data-root "$DATA" --day "$DAY" --out "$T/bad7.db" 2>&1); rc=$?
set -e
[ "$rc" = 1 ] && grep -q "^FAIL count_mismatch rows=3000 manifest_rows=2999" <<<"$out" || fail "count mismatch: $rc $out"
cp "$T/manifest.bak" "$A/manifest/$DAY.json"
ok "manifest count mismatch detected (exit 1)"

# A file without the ticks table: FAIL ticks_table_missing (2).
sqlite3 "$DATA/20000101.db" "CREATE TABLE other(x);"
set +e
out=$("$CTL" archive --data-root "$DATA" --day 20000101 2>&1); rc=$?
set -e
[ "$rc" = 2 ] && grep -q "^FAIL ticks_table_missing" <<<"$out" || fail "ticks_table_missing: $rc $out"
ok "ticks_table_missing exit 2"
