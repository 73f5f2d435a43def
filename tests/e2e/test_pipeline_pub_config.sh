#!/usr/bin/env bash
# NATS publisher settings: each bad value is one config_error naming the
# variable and exit 78 with nothing created; publishing off adds no
# hk_nats_* metric and no _pipeline directory; with NATS down the collector
# still stops at once (exit 0) and leaves no -wal/-shm beside its day file.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_nats.sh"
e2e_init

check_bad() {
    local var=$1
    shift
    set +e
    env -i PATH="$PATH" DATA_ROOT="$DATA" FUTU_SYMBOLS=HK.00700 "$@" "$COLLECTOR" >"$T/out.log" 2>&1
    local rc=$?
    set -e
    [ "$rc" = 78 ] || fail "$var: exit $rc, want 78"
    grep -q "config_error var=$var " "$T/out.log" || fail "$var: no config_error line: $(cat "$T/out.log")"
    [ ! -e "$DATA" ] || fail "$var: DATA_ROOT was created"
    ok "invalid $var ($*) -> 78, nothing created"
}

check_bad NATS_URL NATS_URL=http://127.0.0.1:4222
check_bad NATS_URL NATS_URL=127.0.0.1:4222
check_bad NATS_STREAM NATS_URL=nats://127.0.0.1:4222 NATS_STREAM=HK.TICKS
check_bad NATS_STREAM "NATS_STREAM=HK TICKS"
check_bad NATS_MAX_PENDING NATS_MAX_PENDING=0
check_bad NATS_MAX_PENDING NATS_MAX_PENDING=lots
check_bad NATS_DUPLICATE_WINDOW_SEC NATS_DUPLICATE_WINDOW_SEC=0
check_bad NATS_STREAM_MAX_BYTES NATS_STREAM_MAX_BYTES=-1
check_bad NATS_CURSOR_SAVE_MS NATS_CURSOR_SAVE_MS=5

SYMS=HK.00700,HK.00005
start_sim --symbols $SYMS --rate 100 --seed 5
start_collector FUTU_SYMBOLS=$SYMS HTTP_PORT=-1
wait_log "http_listening"
wait_rows 20 20
! curl -fsS "http://127.0.0.1:$(sed -n 's/.*http_listening .*port=\([0-9]*\).*/\1/p' "$T/collector.log")/metrics" |
    grep -q "^hk_nats_" || fail "hk_nats_ metrics with publishing off"
[ ! -e "$DATA/_pipeline" ] || fail "_pipeline created with publishing off"
grep -q "nats_" "$T/collector.log" && fail "nats_ log lines with publishing off"
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
ok "publishing off: no hk_nats_ metrics, no _pipeline, no nats_ events"

need_nats
start_nats
: >"$T/collector.log"
start_collector FUTU_SYMBOLS=$SYMS HTTP_PORT=-1 NATS_URL="$NATS_URL" NATS_MAX_PENDING=64
wait_log "nats_connected url=$NATS_URL stream=HK_TICKS"
sleep 2
stop_nats
wait_log "nats_disconnected" 10
sleep 1
t0=$(date +%s%N)
stop_collector TERM
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$COL_RC" = 0 ] || fail "exit $COL_RC with NATS down"
[ "$ms" -lt 4000 ] || fail "stop took $ms ms with NATS down"
ls "$DATA"/*.db-wal "$DATA"/*.db-shm >/dev/null 2>&1 && fail "-wal/-shm left after stop: $(ls "$DATA")"
[ -s "$DATA/_pipeline/cursor.json" ] || fail "no cursor.json"
grep -Eq '^\{"day":[0-9]{8},"rowid":[0-9]+,"inserted_at_ms":[0-9]+,"saved_at_ms":[0-9]+\}$' \
    "$DATA/_pipeline/cursor.json" || fail "cursor.json: $(cat "$DATA/_pipeline/cursor.json")"
ok "NATS down: stop in $ms ms, exit 0, no -wal/-shm, cursor saved"
