#!/usr/bin/env bash
# Hostile upstream (issue 8 items 2 and 3): opend-sim `inject` pushes
# crafted Tickers next to the normal flow. Every bad row lands in
# DATA_ROOT/_quarantine/<today>.db with its reason and raw values, /metrics
# counts them exactly by reason, no day file but today's exists, the symbol
# table takes no configured slot for the 2,000 unsolicited names, and the
# normal flow still matches the simulator's truth exactly.
source "$(dirname "$0")/lib.sh"
e2e_init

start_sim --symbols HK.00700,HK.00005 --rate 200 --max-ticks 1500 --seed 11
start_collector FUTU_SYMBOLS=HK.00700,HK.00005 HTTP_PORT=-1
wait_log "futu_connected host=127.0.0.1 port=$PORT"
wait_log "http_listening host=127.0.0.1 port=[0-9]+"
HP=$(grep -o 'http_listening host=127.0.0.1 port=[0-9]*' "$T/collector.log" | grep -o '[0-9]*$')
U="http://127.0.0.1:$HP"

inj() { simctl inject "$@" | gq '^OK injected=' || fail "inject $*"; }
now=$(($(date +%s) * 1000))
inj HK.00700 price=nan
inj HK.00700 price=inf
inj HK.00700 price=-inf
inj HK.00700 price=-5
inj HK.00700 price=0
inj HK.00700 price=1e308
inj HK.00700 volume=-100
inj HK.00700 volume=9223372036854775807
inj HK.00700 seq=0
inj HK.00700 seq=-1
inj HK.00700 seq=-7
inj HK. price=2
inj HK.00700 market=99
inj "HK.0');DROP_TABLE_ticks;--"
inj HK.N count=2000 each=symbol
inj HK.00700 ts_ms=1000
inj HK.00700 ts_ms=4102444800000
inj HK.00700 ts_ms=$((now - 15 * 86400000)) count=3000 each=day
ok "injected 5,016 hostile ticks"

wait_rows 1500 60
Q="$DATA/_quarantine/$(TZ=Asia/Hong_Kong date +%Y%m%d).db"
want="price_not_finite|3
price_not_positive|2
price_above_max|1
volume_negative|1
volume_above_max|1
seq_not_positive|3
symbol_malformed|3
symbol_not_subscribed|2000
trading_day_too_old|3001
trading_day_too_new|1"
sql="SELECT reason || '|' || count(*) FROM quarantine GROUP BY reason ORDER BY min(rowid);"
end=$((SECONDS + 30))
while [ $SECONDS -lt $end ]; do
    got=$(sqlite3 "file:$Q?mode=ro" "$sql" 2>/dev/null || true)
    [ "$got" = "$want" ] && break
    sleep 0.3
done
[ "$got" = "$want" ] || fail "quarantine by reason: $got"
ok "quarantine holds exactly the 5,016 bad rows by reason"

q() { sqlite3 "file:$Q?mode=ro" "$1"; }
[ "$(q "SELECT group_concat(price_text, ',') FROM (SELECT price_text FROM quarantine WHERE reason IN ('price_not_finite','price_above_max') ORDER BY rowid)")" = "nan,inf,-inf,1e+308" ] ||
    fail "price_text"
[ "$(q "SELECT group_concat(symbol, ',') FROM (SELECT symbol FROM quarantine WHERE reason = 'symbol_malformed' ORDER BY rowid)")" = "HK.,N/A.00700,HK.0');DROP_TABLE_ticks;--" ] ||
    fail "malformed symbols as received: $(q "SELECT symbol FROM quarantine WHERE reason='symbol_malformed'")"
[ "$(q "SELECT group_concat(seq, ',') FROM (SELECT seq FROM quarantine WHERE reason = 'seq_not_positive' ORDER BY rowid)")" = "0,-1,-7" ] ||
    fail "seq values"
[ "$(q "SELECT volume FROM quarantine WHERE reason = 'volume_above_max'")" = 9223372036854775807 ] ||
    fail "volume 2^63-1"
[ "$(q "SELECT count(DISTINCT symbol) FROM quarantine WHERE reason = 'symbol_not_subscribed' AND symbol LIKE 'HK.N0%' AND push_type = 'push'")" = 2000 ] ||
    fail "2000 unsolicited names"
ok "raw values kept (nan/inf text, names as received, seq, volume)"

days=$(cd "$DATA" && ls -- *.db)
[ "$days" = "$(TZ=Asia/Hong_Kong date +%Y%m%d).db" ] || fail "day files: $days"
ok "no day file but today's"

curl -sf "$U/metrics" >"$T/m.txt"
while IFS='|' read -r r n; do
    grep -qx "hk_rows_quarantined_total{reason=\"$r\"} $n" "$T/m.txt" ||
        fail "metric $r: $(grep "reason=\"$r\"" "$T/m.txt")"
done <<<"$want"
grep -qx 'hk_rows_quarantined_total{reason="symbol_not_subscribed_overflow"} 0' "$T/m.txt" ||
    fail "overflow metric"
grep -qx 'hk_spool_records_quarantined_total 0' "$T/m.txt" || fail "spool metric"
curl -sf "$U/status" >"$T/s.json"
[ "$(jq -r '.rows_quarantined.symbol_not_subscribed' "$T/s.json")" = 2000 ] ||
    fail "/status rows_quarantined"
ok "/metrics and /status count exactly by reason"

grep -Eq "row_quarantined reason=price_not_finite symbol=HK.00700 count=[0-9]+ path=$Q" "$T/collector.log" ||
    fail "row_quarantined line"
n=$(grep -c "row_quarantined reason=symbol_not_subscribed " "$T/collector.log")
[ "$n" = 1 ] || fail "row_quarantined not rate-limited: $n lines"
ok "row_quarantined logged at once, then rate-limited"

stop_collector TERM
[ "$COL_RC" = 0 ] || fail "collector exit code $COL_RC"
compare_truth

# hk-tickctl quarantine: counts by reason and the first rows.
out=$("$CTL" --data-root "$DATA" quarantine --limit 2)
grep -qx "reason=trading_day_too_old rows=3001" <<<"$out" || fail "ctl reasons: $out"
grep -qx "rows=5016" <<<"$out" || fail "ctl total: $out"
grep -q '^row reason=price_not_finite symbol="HK.00700" ts_ms=[0-9]* price=nan volume=100 ' <<<"$out" ||
    fail "ctl first row: $out"
[ "$(echo "$out" | grep -c '^row ')" = 2 ] || fail "ctl --limit 2"
j=$("$CTL" --data-root "$DATA" quarantine --json --limit 14)
[ "$(echo "$j" | jq -r '.by_reason.symbol_not_subscribed')" = 2000 ] || fail "ctl json by_reason"
[ "$(echo "$j" | jq -r '.first_rows[13].symbol')" = "HK.0');DROP_TABLE_ticks;--" ] || fail "ctl json symbol: $j"
[ "$(echo "$j" | jq -r '.first_rows[2].price_text')" = "-inf" ] || fail "ctl json price_text"
out=$("$CTL" --data-root "$DATA" quarantine --day 20200101)
[ "$(echo "$out" | tail -n 1)" = "rows=0" ] || fail "ctl missing day: $out"
set +e
"$CTL" --data-root "$DATA" quarantine --limit x >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || fail "ctl bad --limit exit $rc"
ok "hk-tickctl quarantine lists counts by reason and first rows"
