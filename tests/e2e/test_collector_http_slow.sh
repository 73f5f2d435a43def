#!/usr/bin/env bash
# Slow and many clients (issue 8 item 5): 200 connections from 127.0.0.1
# that send one header byte every 3 s (never finishing a request, reopened
# when the server drops them) must not starve /health or /metrics: during
# ~10 s of attack every probe answers 200 within 1 s. Afterwards the server
# still answers, and the collector stored every generated tick.
source "$(dirname "$0")/lib.sh"
e2e_init
here=$(cd "$(dirname "$0")" && pwd)

start_sim --symbols HK.00700 --rate 50 --max-ticks 500 --seed 7
start_collector FUTU_SYMBOLS=HK.00700 HTTP_PORT=-1 HEALTH_STARTUP_GRACE_SEC=0
wait_log "http_listening host=127.0.0.1 port=[0-9]+"
HP=$(grep -o 'http_listening host=127.0.0.1 port=[0-9]*' "$T/collector.log" | grep -o '[0-9]*$')
U="http://127.0.0.1:$HP"
wait_log "futu_connected"
sleep 1

python3 "$here/slowloris.py" "$HP" 200 10 3 "$T/slow.stats" &
ATT=$!
E2E_PIDS+=("$ATT")
sleep 1.5 # let all 200 connect
probes=0 worst=0
# Probe while the attack lasts (the attacker exits after its 10 s); count
# only probes that started while it was still running.
while kill -0 "$ATT" 2>/dev/null; do
    out=$(curl -s -o "$T/h.json" -w '%{http_code} %{time_total}' --max-time 1 "$U/health" || true)
    code=${out%% *}
    ms=$(awk -v t="${out##* }" 'BEGIN { printf "%d", t * 1000 }')
    [ "$ms" -gt "$worst" ] && worst=$ms
    [ "$code" = 200 ] || fail "/health answered '$out' during the attack (probe $probes)"
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$U/metrics" || true)
    [ "$code" = 200 ] || fail "/metrics answered '$code' during the attack (probe $probes)"
    probes=$((probes + 1))
    sleep 0.3
done
wait "$ATT" || fail "attack script failed"
cat "$T/slow.stats"
grep -q 'max_open=200' "$T/slow.stats" || fail "the attack did not hold 200 connections: $(cat "$T/slow.stats")"
# Each probe takes <= 2.3 s even on a loaded machine, so >= 4 fit in 10 s.
[ "$probes" -ge 4 ] || fail "only $probes probes during the attack"
ok "200 slow connections: $probes /health + /metrics probes all 200 (worst /health ${worst} ms)"

code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$U/health")
[ "$code" = 200 ] || fail "/health after the attack: $code"
wait_rows 500 20
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
compare_truth
