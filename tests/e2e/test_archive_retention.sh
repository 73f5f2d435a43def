#!/usr/bin/env bash
# Retention of `hk-tickctl archive --delete-original 1` (compat.md §9.1 step
# 8 with the Δ safeguards) and the EOD script deploy/scripts/eod_archive.sh
# (§9.2 lines and exit codes), on a day file written by the real collector.
source "$(dirname "$0")/lib.sh"
e2e_init
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

SYMS=HK.00700,HK.00005
start_sim --symbols $SYMS --rate 800 --max-ticks 1500 --seed 5
start_collector FUTU_SYMBOLS=$SYMS
wait_rows 1500 40
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "collector exit $COL_RC"
LIVE=$(ls "$DATA"/[0-9]*.db | head -n 1)
TODAY=$(basename "$LIVE" .db)

# Older days: copies of the real file, last modified long ago.
for d in 20260105 20260106 20260107 20260108; do
    cp "$LIVE" "$DATA/$d.db"
    touch -d '2026-01-09 00:00:00' "$DATA/$d.db"
done
# Things retention must never touch.
cp "$LIVE" "$DATA/20260101.snapshot.db"
cp "$LIVE" "$DATA/20260102.backup.db"
mkdir -p "$DATA/20260103.db.d"
touch -d '2026-01-09 00:00:00' "$DATA/20260101.snapshot.db" "$DATA/20260102.backup.db"

A="$DATA/_archive"
# 20260105: archived without verification -> never deleted.
"$CTL" archive --data-root "$DATA" --day 20260105 --verify 0 | gq -x "verified=0" || fail "verify 0"
[ "$(jq -r .verify_ok "$A/manifest/20260105.json")" = false ] || fail "verify_ok must be false with --verify 0"
[ "$(jq -c .verify_details "$A/manifest/20260105.json")" = "{}" ] || fail "verify_details must be {}"
# 20260106: archived and verified, then changed -> spared (row count differs).
"$CTL" archive --data-root "$DATA" --day 20260106 >/dev/null
sqlite3 "$DATA/20260106.db" "INSERT INTO ticks (market,symbol,ts_ms,price,volume,turnover,direction,seq,tick_type,push_type,provider,trading_day,recv_ts_ms,inserted_at_ms) VALUES ('HK','HK.09999',1,1.0,1,1.0,'BUY',1,'AUTO_MATCH','push','futu','20260106',1,1);"
touch -d '2026-01-09 00:00:00' "$DATA/20260106.db"
# 20260107: archived and verified -> deleted when outside the keep window.
"$CTL" archive --data-root "$DATA" --day 20260107 >/dev/null
# 20260108 archived now with --delete-original 1 --keep-days 1: the newest
# file (TODAY) is kept; 20260108 and 20260107 go; 20260106 (changed) and
# 20260105 (unverified) stay.
touch "$DATA/$TODAY.db"   # as if the collector just wrote it
set +e
out=$("$CTL" archive --data-root "$DATA" --day 20260108 --keep-days 1 --delete-original 1 2>"$T/ret.err")
rc=$?
set -e
[ "$rc" = 0 ] || fail "archive with retention exit $rc: $out $(cat "$T/ret.err")"
grep -qx "deleted_original=1" <<<"$out" || fail "deleted_original: $out"
[ ! -e "$DATA/20260108.db" ] && [ ! -e "$DATA/20260107.db" ] || fail "verified old days not deleted"
[ -e "$DATA/20260106.db" ] || fail "changed day deleted"
[ -e "$DATA/20260105.db" ] || fail "unverified day deleted"
[ -e "$LIVE" ] || fail "newest day deleted"
grep -q "retention_skip day=20260106 reason=changed_since_archive" "$T/ret.err" || fail "no changed_since_archive skip: $(cat "$T/ret.err")"
grep -q "retention_skip day=20260105 reason=not_verified" "$T/ret.err" || fail "no not_verified skip"
[ -e "$DATA/20260101.snapshot.db" ] && [ -e "$DATA/20260102.backup.db" ] && [ -d "$DATA/20260103.db.d" ] ||
    fail "non-day files touched"
for d in 20260107 20260108; do
    [ -e "$A/$d.db.zst" ] && [ -e "$A/$d.db.zst.sha256" ] || fail "archive of $d missing"
done
ok "retention: verified old days deleted; unverified, changed, newest and non-day files kept"

# keep-days 0 keeps none, but never the current HK day or a file modified in
# the last 10 minutes.
"$CTL" archive --data-root "$DATA" --day 20260105 >/dev/null   # now verified
HK_TICKCTL_NOW_MS=$(( ($(date +%s) + 86400) * 1000 )) \
    "$CTL" archive --data-root "$DATA" --day "$TODAY" >/dev/null
touch "$LIVE"
out=$("$CTL" archive --data-root "$DATA" --day 20260105 --keep-days 0 --delete-original 1 2>"$T/ret2.err")
grep -qx "deleted_original=1" <<<"$out" || fail "20260105 not deleted: $out"
[ -e "$LIVE" ] || fail "current day deleted with --keep-days 0"
grep -Eq "retention_skip day=$TODAY reason=(current_day|recently_modified)" "$T/ret2.err" || fail "no skip for today: $(cat "$T/ret2.err")"
# The same, seen from the next day but with a fresh mtime: still spared.
HK_TICKCTL_NOW_MS=$(( ($(date +%s) + 86400) * 1000 )) \
    "$CTL" archive --data-root "$DATA" --day 20260106 --keep-days 0 --delete-original 1 >/dev/null 2>"$T/ret3.err" || true
[ -e "$LIVE" ] || fail "recently modified day deleted"
ok "keep-days 0 spares the current day and recently modified files"

# --- eod_archive.sh -----------------------------------------------------------
REPO="$T/repo"
mkdir -p "$REPO/scripts"
printf '#!/usr/bin/env bash\nexec "%s" "$@"\n' "$CTL" >"$REPO/scripts/hk-tickctl"
chmod +x "$REPO/scripts/hk-tickctl"
EOD="$ROOT/deploy/scripts/eod_archive.sh"
export REPO_ROOT="$REPO" DATA_ROOT="$DATA" LOCK_FILE="$T/eod.lock" RAW_KEEP_DAYS=3

set +e
out=$(bash "$EOD" --day 2026-01-01 2>&1); rc=$?
[ "$rc" = 2 ] && [ "$out" = "Invalid --day: 2026-01-01 (expected YYYYMMDD)" ] || fail "invalid day: $rc $out"
out=$(RAW_KEEP_DAYS=x bash "$EOD" --day 20260101 2>&1); rc=$?
[ "$rc" = 2 ] && [ "$out" = "Invalid RAW_KEEP_DAYS: x" ] || fail "invalid keep: $rc $out"
out=$(REPO_ROOT=/nonexistent bash "$EOD" --day 20260101 2>&1); rc=$?
[ "$rc" = 1 ] && [ "$out" = "hk-tickctl not found or not executable: /nonexistent/scripts/hk-tickctl" ] || fail "no ctl: $rc $out"
out=$(bash "$EOD" --day 19990101 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$out" = "SKIP day=19990101 reason=db_not_found db_path=$DATA/19990101.db" ] || fail "skip: $rc $out"
set -e
ok "eod_archive.sh: Invalid --day / RAW_KEEP_DAYS (2), missing hk-tickctl (1), SKIP db_not_found (0)"

cp "$LIVE" "$DATA/20260110.db"
touch -d '2026-01-11 00:00:00' "$DATA/20260110.db"
exec 8>"$T/eod.lock"
flock -n 8
out=$(bash "$EOD" --day 20260110)
[ "$out" = "SKIP day=20260110 reason=lock_busy lock_file=$T/eod.lock" ] || fail "lock_busy: $out"
exec 8>&-
ok "eod_archive.sh: SKIP lock_busy (0)"

out=$(bash "$EOD" --day 20260110)
first=$(echo "$out" | head -n 1)
last=$(echo "$out" | tail -n 1)
[ "$first" = "RUN day=20260110 data_root=$DATA archive_dir=$DATA/_archive raw_keep_days=3" ] || fail "RUN line: $first"
[ "$last" = "DONE day=20260110" ] || fail "DONE line: $last"
grep -qx "ARCHIVE OK" <<<"$out" || fail "no ARCHIVE OK: $out"
grep -qx "verified=1" <<<"$out" || fail "not verified: $out"
[ -e "$DATA/_archive/20260110.db.zst" ] || fail "EOD archive missing"
[ -e "$DATA/20260110.db" ] || fail "EOD deleted a day inside RAW_KEEP_DAYS"
ok "eod_archive.sh: RUN / ARCHIVE OK / DONE"

# Today with the default --day (TZ_NAME), refused only while writes are
# recent: the script passes hk-tickctl's exit code through.
touch "$LIVE"
set +e
out=$(bash "$EOD" 2>&1); rc=$?
set -e
[ "$rc" = 2 ] && grep -q "^FAIL day_in_progress day=$TODAY" <<<"$out" || fail "EOD on a fresh live day: $rc $out"
ok "eod_archive.sh on a freshly written current day: FAIL day_in_progress (2)"

# The collector's advisory lock: while it is held, the current day is
# refused before the close (16:10 HKT) even without recent writes, and
# archived after the close once the file has been idle for 10 minutes.
touch -d '2 hours ago' "$LIVE"
rm -f "$LIVE-wal" "$LIVE-shm"
# Hold the lock from this shell (fd 8), as the collector would.
exec 8>"$DATA/.hk-tick-collector.lock"
flock -x 8
d="${TODAY:0:4}-${TODAY:4:2}-${TODAY:6:2}"
set +e
out=$(HK_TICKCTL_NOW_MS=$(date -d "$d 10:00:00 +0800" +%s)000 "$CTL" archive --data-root "$DATA" --day "$TODAY" 2>&1); rc=$?
set -e
[ "$rc" = 2 ] && grep -q "^FAIL day_in_progress day=$TODAY reason=collector_running" <<<"$out" ||
    fail "locked live day before the close: $rc $out"
out=$(HK_TICKCTL_NOW_MS=$(date -d "$d 16:30:00 +0800" +%s)000 "$CTL" archive --data-root "$DATA" --day "$TODAY")
grep -qx "ARCHIVE OK" <<<"$out" || fail "after the close: $out"
exec 8>&-
ok "collector lock: refused at 10:00 HKT (collector_running, 2), archived at 16:30 HKT"
