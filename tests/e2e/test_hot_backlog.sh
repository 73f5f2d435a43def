#!/usr/bin/env bash
# hot-store drains a backlog of 150000 messages published before it
# starts, with HOT_BATCH_MS=2: nearly every batch is due while its pull
# request is still delivering, so the rest of that request's messages
# (late deliveries) are taken into the next batch (hot_pull_carry in the
# debug log). Every row lands in ticks FINAL exactly once and equal to
# what was published, nothing is redelivered, nothing is poison, every
# message is acked.
# libnats' natsSubscription_Fetch corrupted its heap in this situation;
# run it under `make test-asan` to see no heap error.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_clickhouse.sh"
source "$(dirname "$0")/lib_hot.sh"
hot_init

N=150000
start_clickhouse
start_nats
gen_rows "$N" >"$T/rows.tsv"
publish_file --async "$T/rows.tsv"
grep -q "published $N" "$T/pub.log" || fail "publish: $(tail -n 2 "$T/pub.log")"

start_hot HOT_BATCH_ROWS=1500 HOT_BATCH_MS=2 LOG_LEVEL=debug
wait_hot_count "$N" 240
compare_hot "$T/rows.tsv"
ok "$N backlog rows in ticks FINAL equal the published rows"

[ "$(hot_count '')" = "$N" ] || fail "rows inserted twice: $(hot_count '') without FINAL"
for _ in $(seq 1 50); do
    [ "$(hot_metric hot_acked_total)" = "$N" ] &&
        [ "$(hot_metric hot_consumer_ack_pending)" = 0 ] &&
        [ "$(hot_metric hot_consumer_pending)" = 0 ] && break
    sleep 0.2
done
[ "$(hot_metric hot_rows_inserted_total)" = "$N" ] ||
    fail "hot_rows_inserted_total $(hot_metric hot_rows_inserted_total)"
[ "$(hot_metric hot_acked_total)" = "$N" ] || fail "acked $(hot_metric hot_acked_total)"
[ "$(hot_metric hot_redeliveries_total)" = 0 ] ||
    fail "redeliveries $(hot_metric hot_redeliveries_total)"
[ "$(hot_metric hot_poison_total)" = 0 ] || fail "poison $(hot_metric hot_poison_total)"
[ "$(hot_metric hot_consumer_pending)" = 0 ] || fail "consumer pending"
[ "$(hot_metric hot_consumer_ack_pending)" = 0 ] || fail "consumer ack pending"
ok "acked $N, no redelivery, no poison, consumer pending and ack pending 0"

carried=$(grep -Ec 'hot_pull_carry owed=[1-9]' "$T/hot.log" || true)
[ "$carried" -ge 1 ] || fail "no batch was due with deliveries in flight"
! grep -q hot_fetch_failed "$T/hot.log" || fail "$(grep -m1 hot_fetch_failed "$T/hot.log")"
ok "$carried batches due with deliveries in flight, taken into the next"

stop_hot
[ "$HOT_RC" = 0 ] || fail "exit code $HOT_RC after SIGTERM"
grep -q "hot_exit code=0 reason=signal rows_inserted=$N poison=0" "$T/hot.log" ||
    fail "no hot_exit line"
ok "SIGTERM exit 0"
