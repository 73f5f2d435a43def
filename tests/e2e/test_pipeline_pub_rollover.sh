#!/usr/bin/env bash
# A run across HK midnight: the publisher finishes the first day file, moves
# its cursor to the next one (nats_day_done) and the stream holds the rows
# of both days exactly once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_nats.sh"
need_nats
e2e_init

start_nats
start_sim --symbols HK.00700,HK.00005 --rate 200 --seed 23 \
    --clock-start "2026-03-02 23:59:55" --clock-speed 1 --max-ticks 1400
start_collector FUTU_SYMBOLS=HK.00700,HK.00005 NATS_URL="$NATS_URL" ACCEPT_DAYS_BACK=36500 \
    HTTP_PORT=-1 NATS_CURSOR_SAVE_MS=100
wait_rows 1400 30
wait_log "nats_day_done day=20260302 rowid=[0-9]+ next_day=20260303" 15
# Every row of both days acknowledged (the lag gauges describe only the
# cursor's day, so they alone cannot tell that the next day is done).
end=$((SECONDS + 30))
while [ "$(collector_metric hk_nats_acked_total || echo 0)" -lt 1400 ]; do
    [ $SECONDS -lt $end ] || fail "acked $(collector_metric hk_nats_acked_total) of 1400"
    sleep 0.3
done
wait_published 20
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
grep -q '^{"day":20260303,' "$DATA/_pipeline/cursor.json" ||
    fail "cursor not on 20260303: $(cat "$DATA/_pipeline/cursor.json")"
a=$(sqlite3 "file:$DATA/20260302.db?mode=ro" "SELECT COUNT(*) FROM ticks;")
b=$(sqlite3 "file:$DATA/20260303.db?mode=ro" "SELECT COUNT(*) FROM ticks;")
[ "$a" -gt 0 ] && [ "$b" -gt 0 ] || fail "rows on one day only ($a, $b)"
compare_truth
compare_stream
ok "rollover: $a rows of 20260302 and $b of 20260303 published once each"
