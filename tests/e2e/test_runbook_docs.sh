#!/usr/bin/env bash
# docs/runbook.md: every ```bash block preceded by <!-- runbook-test --> is
# run as written (only /data/sqlite/HK -> the scratch data root) against a
# data root filled by a real collector run; each block must exit 0 and print
# something. HK_TICKCTL_NOW_MS moves hk-tickctl's clock one day ahead so the
# just-written day counts as a finished day for `archive` (the runbook shows
# the after-the-close procedure); every hk-tickctl line passes --day.
source "$(dirname "$0")/lib.sh"
e2e_init
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DOC="$ROOT/docs/runbook.md"

SYMS=HK.00700,HK.00981
start_sim --symbols $SYMS --rate 600 --max-ticks 1500 --seed 17
start_collector FUTU_SYMBOLS=$SYMS
wait_rows 1500 40
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "collector exit $COL_RC"
# The runbook's DAY is the HK date; make sure that file exists.
DAY=$(TZ=Asia/Hong_Kong date +%Y%m%d)
[ -f "$DATA/$DAY.db" ] || fail "no $DAY.db (date rolled over during the test?)"

# Extract the marked blocks into files.
mkdir -p "$T/blocks"
awk -v dir="$T/blocks" '
    /^<!-- runbook-test -->$/ { mark = 1; next }
    mark && /^```bash$/ { n++; file = sprintf("%s/%02d.sh", dir, n); inb = 1; mark = 0; next }
    inb && /^```$/ { inb = 0; close(file); next }
    inb { print > file; next }
    { if ($0 != "") mark = 0 }
' "$DOC"
nblocks=$(ls "$T/blocks" | wc -l)
[ "$nblocks" -ge 7 ] || fail "only $nblocks marked blocks in $DOC"

export HK_TICKCTL_NOW_MS=$(( ($(date +%s) + 86400) * 1000 ))
export PATH="$ROOT/scripts:$PATH"
for b in "$T"/blocks/*.sh; do
    sed -i "s#/data/sqlite/HK#$DATA#g" "$b"
    # Use the binary under test (HK_BIN) for hk-tickctl lines.
    sed -i "s#scripts/hk-tickctl#$CTL#g" "$b"
    set +e
    out=$(cd "$ROOT" && bash -eo pipefail "$b" 2>&1)
    rc=$?
    set -e
    [ "$rc" = 0 ] || fail "runbook block $(basename "$b") exit $rc:
$(cat "$b")
--- output ---
$out"
    [ -n "$out" ] || fail "runbook block $(basename "$b") printed nothing"
    ok "runbook block $(basename "$b" .sh): $(head -n 2 "$b" | tail -n 1 | cut -c1-70)"
done
[ -f "$DATA/_archive/$DAY.db.zst" ] || fail "runbook archive block did not archive"
[ "$(sqlite3 "file:$DATA/restore-check/$DAY.db?mode=ro" "SELECT COUNT(*) FROM ticks;")" = 1500 ] ||
    fail "runbook restore block did not restore 1500 rows"
ok "all $nblocks tested runbook blocks pass"
