#!/usr/bin/env bash
# The status page over plain HTTP, with 1,000 symbols: `/` and /index.html
# answer 200 text/html; charset=utf-8 (GET and HEAD), the page is
# well-formed HTML loading nothing from elsewhere, lists every symbol, and
# stays under PAGE_BOUND bytes; /status/page.json carries every section;
# the page's "rows today" equals the day file's row count; the page is
# read-only (POST is refused).
source "$(dirname "$0")/lib.sh"
e2e_init
here=$(cd "$(dirname "$0")" && pwd)
PAGE_BOUND=$((256 * 1024))

start_sim --symbol-count 1000 --rate 400 --seed 12
SYMS=$(seq -f 'HK.%05g' 1 1000 | paste -sd, -)
start_collector FUTU_SYMBOLS="$SYMS" HTTP_PORT=-1
wait_log "http_listening host=127.0.0.1 port=[0-9]+"
HP=$(grep -o 'http_listening host=127.0.0.1 port=[0-9]*' "$T/collector.log" | grep -o '[0-9]*$')
U="http://127.0.0.1:$HP"
wait_log "futu_connected"
sleep 3

for path in / /index.html; do
    code=$(curl -s -D "$T/hdr" -o "$T/page.html" -w '%{http_code}' "$U$path")
    [ "$code" = 200 ] || fail "GET $path: $code"
    ctype=$(tr -d '\r' <"$T/hdr" | sed -n 's/^Content-Type: //Ip')
    [ "$ctype" = "text/html; charset=utf-8" ] || fail "GET $path content type '$ctype'"
done
ok "GET / and /index.html: 200 text/html; charset=utf-8"
code=$(curl -s -I -o "$T/head" -w '%{http_code}' "$U/")
[ "$code" = 200 ] || fail "HEAD /: $code"
grep -qi '^Content-Type: text/html; charset=utf-8' "$T/head" || fail "HEAD / headers: $(cat "$T/head")"
ok "HEAD / 200"

python3 "$here/page_check.py" "$T/page.html" || fail "page is not well-formed"
ok "page is well-formed HTML, self-contained"
size=$(wc -c <"$T/page.html")
[ "$size" -lt "$PAGE_BOUND" ] || fail "page with 1000 symbols is $size bytes (bound $PAGE_BOUND)"
secs=$(curl -s -o /dev/null -w '%{time_total}' "$U/")
ok "page with 1000 symbols: $size bytes (< $PAGE_BOUND), served in ${secs}s"
rows=$(sed -n 's:.*<tbody>\(.*\)</tbody>.*:\1:p' "$T/page.html" | grep -o '<tr' | wc -l)
[ "$rows" = 1000 ] || fail "symbol table has $rows rows, want 1000"
grep -q '<td>HK.00001</td>' "$T/page.html" || fail "HK.00001 not listed"
grep -q '<td>HK.01000</td>' "$T/page.html" || fail "HK.01000 not listed"
ok "symbol table lists all 1000 symbols"
for id in health-state rows-today session queue spool symtab; do
    grep -q "id=\"$id\"" "$T/page.html" || fail "page lacks #$id"
done
grep -q '<svg class="chart"' "$T/page.html" || fail "no chart"
grep -q 'HKT 20[0-9-]* [0-9:]* &middot; UTC 20' "$T/page.html" || fail "no HKT/UTC time"
ok "page has health, facts, chart, HKT and UTC times"

code=$(curl -s -o "$T/page.json" -w '%{http_code}' "$U/status/page.json")
[ "$code" = 200 ] || fail "/status/page.json: $code"
python3 - "$T/page.json" "$T" <<'PY' || fail "page.json: $(head -c 300 "$T/page.json")"
import json, sys
o = json.load(open(sys.argv[1]))
assert sorted(o) == ["chart", "checks", "facts", "head", "syms"], sorted(o)
for k, v in o.items():
    open("%s/sec-%s.html" % (sys.argv[2], k), "w").write(
        "<!DOCTYPE html><html><body>%s</body></html>" % v)
PY
for s in chart checks facts head syms; do
    python3 "$here/page_check.py" "$T/sec-$s.html" || fail "section $s not well-formed"
done
ok "/status/page.json: every section, each well-formed"

code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$U/")
[ "$code" = 404 ] || [ "$code" = 405 ] || fail "POST /: $code"
ok "POST / refused ($code)"

# Rows today equals the day file's count once the simulator pauses and
# the writer and the totals cache (PAGE_TOTALS_TTL_MS) have caught up.
simctl pause >/dev/null
prev=-1
for _ in $(seq 1 50); do
    n=$(db_rows)
    [ "$n" = "$prev" ] && break
    prev=$n
    sleep 0.5
done
sleep 2.5
curl -sf "$U/" >"$T/page2.html"
day=$(ls "$DATA"/[0-9]*.db | head -n1)
want=$(sqlite3 "file:$day?mode=ro" "SELECT COUNT(*) FROM ticks;")
got=$(sed -n 's/.*id="rows-today" data-v="\([0-9]*\)".*/\1/p' "$T/page2.html")
[ "$want" -gt 0 ] || fail "no rows stored"
[ "$got" = "$want" ] || fail "page rows today $got, day file $want"
ok "rows today $got = day file count"
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
