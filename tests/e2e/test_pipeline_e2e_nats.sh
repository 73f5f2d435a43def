#!/usr/bin/env bash
# The whole chain, simulator to cold, under: steady flow; NATS stopped for
# 20 s and restarted; kill -9 of the collector, restarted; a poison
# message injected into the stream. After each, with the simulator
# paused and everything caught up: the day files equal the simulator's
# truth, the stream and marketprism_hot.ticks FINAL equal the day files
# (every column, no duplicates, none missing), marketprism_cold.ticks
# FINAL equals hot FINAL.
# ctest-cost: 57
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_pipeline.sh"
pipe_init

pipe_start 41
wait_generated 3000 60
pipe_check "steady flow"
simctl resume >/dev/null

# --- NATS stopped for 20 s --------------------------------------------------
stop_nats
wait_log "nats_disconnected url=$NATS_URL" 15
before=$(db_rows)
sleep 20 # the outage itself
after=$(db_rows)
[ "$after" -gt "$before" ] || fail "ingest stalled while NATS was down ($before -> $after)"
[ "$(hot_metric hot_nats_connected)" = 0 ] || fail "hot_nats_connected not 0 while NATS is down"
ok "NATS down 20 s: rows kept landing in the day files ($before -> $after)"
start_nats
for _ in $(seq 1 300); do
    [ "$(grep -c "nats_connected url=" "$T/collector.log")" -ge 2 ] &&
        [ "$(hot_metric hot_nats_connected)" = 1 ] && break
    sleep 0.1
done
[ "$(grep -c "nats_connected url=" "$T/collector.log")" -ge 2 ] || fail "collector did not reconnect"
[ "$(hot_metric hot_nats_connected)" = 1 ] || fail "hot-store did not reconnect"
pipe_check "NATS stopped 20 s and restarted"
simctl resume >/dev/null

# --- kill -9 of the collector -------------------------------------------------
g=$(simctl stats | sed -n 's/.*generated=\([0-9]*\).*/\1/p')
kill -9 "$COL_PID"
wait "$COL_PID" 2>/dev/null || true
wait_generated $((g + 600)) 30 # ticks generated while it is down
start_collector_pub
pipe_check "kill -9 of the collector, restarted"
simctl resume >/dev/null

# --- a poison message in the stream -------------------------------------------
wait_generated $(($(truth_rows) + 600)) 30
publish_file --raw hk.tick.00700 'not a protobuf \xff garbage'
PIPE_STREAM=0 # the stream now holds one message that is no row
for _ in $(seq 1 150); do
    [ "$(hot_metric hot_poison_total)" = 1 ] && break
    sleep 0.2
done
[ "$(hot_metric hot_poison_total)" = 1 ] || fail "hot_poison_total $(hot_metric hot_poison_total)"
poisoned=$SECONDS
grep -Eq 'hot_poison stream_seq=[0-9]+ delivered=1 subject=hk.tick.00700 bytes=27 reason=decode' \
    "$T/hot.log" || fail "no hot_poison line"
wait_generated $(($(truth_rows) + 600)) 30 # rows after it flow on
pipe_check "a poison message injected into the stream"
# Past HOT_ACK_WAIT_SEC (6): a poison message left unacked would be back.
[ $((SECONDS - poisoned)) -ge 8 ] || sleep $((8 - (SECONDS - poisoned)))
[ "$(grep -c hot_poison "$T/hot.log")" = 1 ] || fail "poison message logged more than once"
[ "$(hot_metric hot_poison_total)" = 1 ] || fail "poison counted again"
[ "$(hot_metric hot_consumer_ack_pending)" = 0 ] || fail "messages still unacked"
ok "poison terminated once, counted in hot_poison_total, every row around it stored"
pipe_stop
