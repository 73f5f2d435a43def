#!/usr/bin/env bash
# The status page in a real browser (Debian's headless Chromium) against a
# collector fed by the simulator: the rendered DOM shows the health state,
# a symbol the simulator withholds highlighted as stale (FUTU_POLL_STALE_SEC
# with FUTU_POLL_TRADING_ONLY=0, so staleness counts outside trading hours
# too, as in test_collector_withhold.sh; the poll fallback is off so nothing
# refreshes the withheld symbol), the JSON refresh applied by the page's
# script, and "rows today" equal to the day file's row count. A screenshot
# is kept: $T/status-page.png, copied to build/test-artifacts/.
source "$(dirname "$0")/lib.sh"
CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || skip "chromium not installed (scripts/install-deps.sh --test)"
e2e_init
ART="$HK_BIN/../test-artifacts"

browse() { # browse OUT ARGS... : run headless Chromium, DOM or screenshot
    local out=$1
    shift
    timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d "$T/chrome.XXXXXX")" "$@" \
        >"$out" 2>>"$T/chrome.log"
}

SYMS=HK.00700,HK.00005,HK.00388,HK.00001
start_sim --symbols $SYMS --rate 80 --seed 21
start_collector FUTU_SYMBOLS=$SYMS HTTP_PORT=-1 FUTU_POLL_TRADING_ONLY=0 \
    FUTU_POLL_ENABLED=0 FUTU_POLL_STALE_SEC=2
wait_log "http_listening host=127.0.0.1 port=[0-9]+"
HP=$(grep -o 'http_listening host=127.0.0.1 port=[0-9]*' "$T/collector.log" | grep -o '[0-9]*$')
U="http://127.0.0.1:$HP"
wait_log "futu_connected"
sleep 2
simctl withhold HK.00388 120 >/dev/null
sleep 4

# JavaScript on, 7 s of virtual time: the page refreshes from page.json.
browse "$T/dom1.html" --virtual-time-budget=7000 --dump-dom "$U/"
grep -q '<span id="health-state" class="badge ok">healthy</span>' "$T/dom1.html" ||
    fail "health state not shown: $(grep -o 'id="health-state"[^<]*' "$T/dom1.html")"
ok "DOM: health state healthy"
grep -q '<tr class="stale"><td>HK.00388</td>' "$T/dom1.html" ||
    fail "withheld HK.00388 not highlighted: $(grep -o '<tr[^>]*><td>HK.00388</td>' "$T/dom1.html")"
for s in HK.00700 HK.00005; do
    grep -q "<tr><td>$s</td>" "$T/dom1.html" || fail "$s highlighted or missing"
done
ok "DOM: withheld HK.00388 highlighted stale, HK.00700 and HK.00005 not"
grep -Eq '<body [^>]*data-refreshed="[1-9]' "$T/dom1.html" ||
    fail "no JSON refresh applied: $(grep -o '<body[^>]*>' "$T/dom1.html")"
ok "DOM: the script refreshed the page from /status/page.json"
browse "$T/shot.log" --screenshot="$T/status-page.png" --window-size=1280,900 "$U/"
[ -s "$T/status-page.png" ] || fail "no screenshot"
mkdir -p "$ART" && cp "$T/status-page.png" "$ART/status-page.png"
ok "screenshot $(wc -c <"$T/status-page.png") bytes -> test-artifacts/status-page.png"

# Rows today = the day file's count. (Headless --dump-dom needs script to
# dump at all; the page without script is test_collector_page.sh's.)
simctl pause >/dev/null
prev=-1
for _ in $(seq 1 50); do
    n=$(db_rows)
    [ "$n" = "$prev" ] && break
    prev=$n
    sleep 0.5
done
sleep 2.5
browse "$T/dom2.html" --dump-dom "$U/"
day=$(ls "$DATA"/[0-9]*.db | head -n1)
want=$(sqlite3 "file:$day?mode=ro" "SELECT COUNT(*) FROM ticks;")
got=$(sed -n 's/.*id="rows-today" data-v="\([0-9]*\)".*/\1/p' "$T/dom2.html")
[ "$want" -gt 0 ] || fail "no rows stored"
[ "$got" = "$want" ] || fail "DOM rows today '$got', day file $want"
ok "DOM: rows today $got = day file count"
stop_collector TERM
[ "$COL_RC" = 0 ] || fail "exit $COL_RC"
