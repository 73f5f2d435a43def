#!/usr/bin/env bash
# A day file corrupted while the collector writes it: with the simulator
# paused, the WAL is checkpointed into the file, the root page of
# uniq_ticks_symbol_seq is overwritten with noise, and another connection
# commits (so the collector's page cache is dropped). The next insert meets
# the damage: the file is set aside once, collection goes on in a fresh
# file, and after `hk-tickctl salvage` every simulator tick is stored
# exactly once with its exact values.
source "$(dirname "$0")/lib.sh"
e2e_init
unset DATA_ROOT || true

start_sim --symbols HK.00700,HK.00005 --rate 400 --max-ticks 3000 --seed 23
start_collector FUTU_SYMBOLS=HK.00700,HK.00005
wait_log "futu_connected host=127.0.0.1 port=$PORT"
wait_rows 600 30
simctl pause >/dev/null
DB=$(ls "$DATA"/[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9].db)
# Quiet: the row count stops moving.
prev=-1
for _ in $(seq 1 50); do
    now=$(db_rows)
    [ "$now" = "$prev" ] && break
    prev=$now
    sleep 0.3
done
before=$(db_rows)
ck=$(sqlite3 "$DB" ".timeout 5000" "PRAGMA wal_checkpoint(TRUNCATE);")
[ "${ck%%|*}" = 0 ] || fail "checkpoint: $ck"
root=$(sqlite3 "file:$DB?mode=ro" "SELECT rootpage FROM sqlite_master WHERE name = 'uniq_ticks_symbol_seq';")
psz=$(sqlite3 "file:$DB?mode=ro" "PRAGMA page_size;")
head -c "$psz" /dev/urandom | dd of="$DB" bs="$psz" seek=$((root - 1)) conv=notrunc status=none
sqlite3 "$DB" ".timeout 5000" "PRAGMA user_version = 4;" >/dev/null
ok "corrupted $DB with $before rows while running"
simctl resume >/dev/null

wait_log "day_file_set_aside day=[0-9]{8} path=$DB set_aside=.* reason=corrupt " 30
[ "$(grep -c "day_file_set_aside" "$T/collector.log")" = 1 ] || fail "set aside more than once"
ASIDE=$(grep "day_file_set_aside" "$T/collector.log" | sed 's/.* set_aside=\([^ ]*\) .*/\1/')
n_aside=$(sqlite3 "file:$ASIDE?mode=ro" "SELECT COUNT(*) FROM ticks NOT INDEXED;")
[ "$n_aside" = "$before" ] || fail "set-aside file has $n_aside rows, had $before"
ok "set aside once with its $before rows"

wait_generated 3000 40
wait_rows $((3000 - before)) 40
out=$("$CTL" --data-root "$DATA" salvage "$ASIDE") || fail "salvage: $out"
grep -qx "inserted=$before" <<<"$out" || fail "salvage: $out"
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "collector exit code $COL_RC, want 0"
compare_truth
