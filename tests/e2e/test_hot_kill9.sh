#!/usr/bin/env bash
# hot-store killed with SIGKILL while it holds a batch, then restarted:
# what was fetched but not acked is redelivered (AckWait) and every row
# ends in ticks FINAL exactly once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_clickhouse.sh"
source "$(dirname "$0")/lib_hot.sh"
hot_init

start_clickhouse
start_nats
gen_rows 6000 >"$T/rows.tsv"
head -n 3000 "$T/rows.tsv" >"$T/a.tsv"
tail -n 3000 "$T/rows.tsv" >"$T/b.tsv"
publish_file --async "$T/a.tsv"
# Large batches that take long to fill: SIGKILL lands while rows are held.
start_hot HOT_BATCH_ROWS=1000 HOT_BATCH_MS=3000 HOT_ACK_WAIT_SEC=5
publish_file "$T/b.tsv" &
PUB=$!
for _ in $(seq 1 200); do
    n=$(hot_metric hot_rows_inserted_total)
    h=$(hot_metric hot_batch_rows)
    # A full batch (1000) may be in its insert already: catch a partial one.
    [ "${n:-0}" -ge 1000 ] && [ "${h:-0}" -gt 0 ] && [ "${h:-0}" -lt 1000 ] &&
        break
    sleep 0.05
done
[ "${h:-0}" -gt 0 ] && [ "${h:-0}" -lt 1000 ] ||
    fail "never caught hot-store holding a partial batch"
kill -9 "$HOT_PID"
wait "$HOT_PID" 2>/dev/null || true
ok "killed with $n rows inserted and $h held"
wait "$PUB" || fail "publisher failed"

start_hot HOT_BATCH_ROWS=1000 HOT_BATCH_MS=200 HOT_ACK_WAIT_SEC=5
wait_hot_count 6000 90
compare_hot "$T/rows.tsv"
ok "after restart: 6000 rows exactly once in ticks FINAL"
for _ in $(seq 1 50); do
    [ "$(hot_metric hot_consumer_ack_pending)" = 0 ] &&
        [ "$(hot_metric hot_consumer_pending)" = 0 ] && break
    sleep 0.2
done
[ "$(hot_metric hot_consumer_ack_pending)" = 0 ] || fail "ack pending"
[ "$(hot_metric hot_redeliveries_total)" -ge "$h" ] ||
    fail "redeliveries $(hot_metric hot_redeliveries_total) < held $h"
ok "held rows were redelivered ($(hot_metric hot_redeliveries_total)) and acked"
stop_hot
[ "$HOT_RC" = 0 ] || fail "exit $HOT_RC"
