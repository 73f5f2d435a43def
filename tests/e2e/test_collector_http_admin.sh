#!/usr/bin/env bash
# Admin endpoints under issue 8 items 5 and 8:
# - the Bearer scheme name is case-insensitive (bearer, BEARER accepted);
# - a refused request's path is logged quoted, so spaces, '=' or a newline
#   in it cannot forge fields or records in the log;
# - /admin/flush answers the truth: 200 ok:true once nothing is queued,
#   spooled or being committed; 503 ok:false with the rows still queued
#   when the writer cannot commit within 5 s; and while it waits, /health
#   keeps answering at once (the wait is off the server thread).
source "$(dirname "$0")/lib.sh"
e2e_init

start_sim --symbols HK.00700,HK.00005 --rate 100 --seed 11
echo -n "s3cret-key" >"$T/key"
start_collector FUTU_SYMBOLS=HK.00700,HK.00005 HTTP_PORT=-1 \
    API_KEY_FILE="$T/key" HEALTH_STARTUP_GRACE_SEC=0 \
    PERSIST_RETRY_BACKOFF_SEC=0.05 PERSIST_RETRY_BACKOFF_MAX_SEC=0.2
wait_log "http_listening host=127.0.0.1 port=[0-9]+ admin=on"
HP=$(grep -o 'http_listening host=127.0.0.1 port=[0-9]*' "$T/collector.log" | grep -o '[0-9]*$')
U="http://127.0.0.1:$HP"
wait_log "futu_connected"
wait_rows 50 20

post() { # post PATH [AUTH-HEADER] -> code in $code, body in $T/b.json
    local path=$1
    shift
    code=$(curl -s -o "$T/b.json" -w '%{http_code}' --max-time 10 -X POST "$@" "$U$path")
}
jget() { sqlite3 :memory: "SELECT json_extract(readfile('$T/b.json'), '\$.$1');"; }

# Scheme case (RFC 7235): all three spellings work, the key itself does not
# fold case, and another scheme is refused.
for scheme in Bearer bearer BEARER; do
    post /admin/flush -H "Authorization: $scheme s3cret-key"
    [ "$code" = 200 ] || fail "'$scheme' flush: $code $(cat "$T/b.json")"
done
post /admin/reload -H "Authorization: bEaReR s3cret-key"
[ "$code" = 202 ] || fail "mixed-case scheme reload: $code"
post /admin/flush -H "Authorization: Bearer S3CRET-KEY"
[ "$code" = 401 ] || fail "key case must matter: $code"
post /admin/flush -H "Authorization: Basic s3cret-key"
[ "$code" = 401 ] || fail "Basic scheme must be 401: $code"
ok "Bearer scheme in any case accepted; key case and other schemes refused"

# A forged path: spaces, key=value and an encoded newline.
post "/admin/x%20reason=ok%20user=root%0A2026-01-01%20INFO%20evil=1"
[ "$code" = 401 ] || fail "forged path: $code"
grep -F 'http_admin_denied path="/admin/x reason=ok user=root\n2026-01-01 INFO evil=1"' \
    "$T/collector.log" >/dev/null || fail "denied path not quoted: $(grep http_admin_denied "$T/collector.log")"
! grep -q '^2026-01-01 INFO evil=1' "$T/collector.log" || fail "a forged record reached the log"
[ "$(grep -c 'http_admin_denied' "$T/collector.log")" = 3 ] || fail "want 3 denied lines"
ok "refused path logged as one quoted value"

# Flush with a healthy writer: ok, nothing left.
post /admin/flush -H "Authorization: Bearer s3cret-key"
[ "$code" = 200 ] || fail "flush $code"
[ "$(jget ok)" = 1 ] && [ "$(jget queue)" = 0 ] && [ "$(jget spool_rows)" = 0 ] ||
    fail "flush body: $(cat "$T/b.json")"
[ "$(jget waited_ms)" -lt 2000 ] || fail "flush waited: $(cat "$T/b.json")"
ok "flush with a healthy writer: 200 $(cat "$T/b.json")"

# Flush with the writer blocked by another process's lock: the answer says
# rows are still queued, and /health answers meanwhile.
day=$(ls "$DATA" | grep -E '^[0-9]{8}\.db$' | head -1)
# Like lib.sh's lock_db, but waiting for the lock (the writer may hold it
# at that instant) and confirming it is held before going on.
rm -f "$T/lf"
mkfifo "$T/lf"
sqlite3 "$DATA/$day" <"$T/lf" >"$T/locker.out" 2>&1 &
LOCKER=$!
E2E_PIDS+=("$LOCKER")
exec 7>"$T/lf"
printf '.timeout 5000\nBEGIN IMMEDIATE;\nSELECT '"'"'held'"'"';\n' >&7
for _ in $(seq 1 100); do
    grep -q held "$T/locker.out" && break
    sleep 0.05
done
grep -q held "$T/locker.out" || fail "could not lock $day: $(cat "$T/locker.out")"
sleep 0.3
curl -s -o "$T/b.json" -w '%{http_code}\n' --max-time 10 -X POST \
    -H "Authorization: Bearer s3cret-key" "$U/admin/flush" >"$T/code1" &
FL=$!
sleep 1
for i in 1 2 3; do
    t0=$(date +%s%N)
    c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$U/health" || true)
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ "$c" = 200 ] || [ "$c" = 503 ] || fail "/health while flush waits: '$c' after ${ms} ms"
    sleep 0.5
done
wait "$FL"
[ "$(cat "$T/code1")" = 503 ] && [ "$(jget ok)" = 0 ] ||
    fail "flush with a locked file must answer 503 ok:false: $(cat "$T/code1") $(cat "$T/b.json")"
q=$(jget queue)
[ "$q" -gt 0 ] || fail "flush must report the queued rows: $(cat "$T/b.json")"
[ "$(jget waited_ms)" -ge 4900 ] || fail "flush gave up early: $(cat "$T/b.json")"
ok "flush with a locked day file: ok:false queue=$q after $(jget waited_ms) ms; /health answered meanwhile"
curl -s -o "$T/b2.json" -w '%{http_code}\n' --max-time 10 -X POST \
    -H "Authorization: Bearer s3cret-key" "$U/admin/flush" >"$T/code2" &
FL2=$!
sleep 0.3
echo "ROLLBACK;" >&7
exec 7>&-
wait "$LOCKER" 2>/dev/null || true
wait "$FL2"
[ "$(cat "$T/code2")" = 200 ] || fail "flush after unlock: $(cat "$T/code2") $(cat "$T/b2.json")"
[ "$(sqlite3 :memory: "SELECT json_extract(readfile('$T/b2.json'), '\$.committed_rows') > 0;")" = 1 ] ||
    fail "flush after unlock committed nothing: $(cat "$T/b2.json")"
ok "flush after unlock: 200 $(cat "$T/b2.json")"

stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
! grep -q "s3cret-key" "$T/collector.log" || fail "API key leaked into the log"
