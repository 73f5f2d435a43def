#!/usr/bin/env bash
# A message that is not an HkTick (garbage bytes on a tick subject) is
# terminated, counted and logged with its stream sequence; it blocks
# nothing and is never redelivered.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_clickhouse.sh"
source "$(dirname "$0")/lib_hot.sh"
hot_init

start_clickhouse
start_nats
gen_rows 400 0 >"$T/a.tsv"
gen_rows 400 400 >"$T/b.tsv"
cat "$T/a.tsv" "$T/b.tsv" >"$T/rows.tsv"
publish_file "$T/a.tsv"
publish_file --raw hk.tick.00700 'not a protobuf \xff garbage'
publish_file "$T/b.tsv"
start_hot HOT_BATCH_ROWS=100 HOT_BATCH_MS=100 HOT_ACK_WAIT_SEC=5
wait_hot_count 800 60
compare_hot "$T/rows.tsv"
ok "800 good rows in, the poison message between them blocked nothing"
sleep 7 # past AckWait: a poison message left unacked would come back
[ "$(hot_metric hot_poison_total)" = 1 ] ||
    fail "hot_poison_total $(hot_metric hot_poison_total)"
grep -q 'hot_poison stream_seq=401 delivered=1 subject=hk.tick.00700 bytes=27 reason=decode' \
    "$T/hot.log" || fail "no hot_poison line"
[ "$(grep -c hot_poison "$T/hot.log")" = 1 ] || fail "poison logged twice"
[ "$(hot_metric hot_consumer_ack_pending)" = 0 ] || fail "ack pending"
[ "$(hot_metric hot_redeliveries_total)" = 0 ] || fail "redelivered"
ok "poison terminated once: counted, logged with stream_seq=401"
# Restarting does not see it again either; the restart changes
# HOT_BATCH_ROWS and HOT_ACK_WAIT_SEC, so the durable consumer is updated.
stop_hot
start_hot
gen_rows 10 800 >"$T/c.tsv"
cat "$T/c.tsv" >>"$T/rows.tsv"
publish_file "$T/c.tsv"
wait_hot_count 810 30
compare_hot "$T/rows.tsv"
[ "$(hot_metric hot_poison_total)" = 0 ] || fail "poison came back after restart"
[ "$(hot_count '')" = 810 ] || fail "rows after restart"
stop_hot
[ "$HOT_RC" = 0 ] || fail "exit $HOT_RC"
ok "after a restart the poison message stays terminated"
