#!/usr/bin/env bash
# test_sim_cli.sh - opend-sim command line: --help documents every flag,
# bad values exit 2 naming the flag, `ctl` exit codes, and a short real
# run (port file, truth file, control commands, clean SIGTERM exit).
set -u
BIN=${HK_BIN:-build/bin}
SIM="$BIN/opend-sim"
TMP=$(mktemp -d /tmp/test_sim_cli.XXXXXX)
PID=
cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# --help: exit 0 and every flag documented.
"$SIM" --help >"$TMP/help" 2>&1 || fail "--help exit $?"
for f in listen port-file symbols symbol-count rate ticks-per-push \
         burst-factor seed duration max-ticks truth replay speed \
         keepalive-sec quota unsub-min-sec deny control rsa-key \
         clock-start clock-speed sessions time-offset-sec idle-close \
         not-subscribed-msg silent dup withhold connstatus-flap dribble \
         paused log-level help version; do
    grep -q -- "--$f\b" "$TMP/help" || fail "--help does not mention --$f"
done
for c in "close all|<conn_id>" "silent on|off" "dup on|off" withhold \
         badsha1 oversize dribble quota deny connstatus-flap pause resume \
         rate truth stats stop; do
    grep -q -- "$c" "$TMP/help" || fail "--help does not mention $c"
done

# Bad values: exit 2 and the flag named on stderr.
bad() {
    local flag=$1; shift
    "$SIM" "$@" >/dev/null 2>"$TMP/err"
    local rc=$?
    [ "$rc" -eq 2 ] || fail "$* exited $rc, want 2"
    grep -q -- "$flag" "$TMP/err" || fail "$* error does not name $flag: $(cat "$TMP/err")"
}
bad --rate --rate abc
bad --rate --rate -1
bad --listen --listen nohostport
bad --listen --listen 127.0.0.1:70000
bad --ticks-per-push --ticks-per-push 0
bad --ticks-per-push --ticks-per-push 1001
bad --keepalive-sec --keepalive-sec 0
bad --quota --quota x
bad --seed --seed 1.5
bad --clock-start --clock-start "yesterday"
bad --clock-speed --clock-speed 0
bad --withhold --withhold HK.00700
bad --withhold --withhold HK.00700:abc
bad --connstatus-flap --connstatus-flap 5
bad --symbols --symbols "00700"
bad --symbol-count --symbol-count 0
bad --log-level --log-level LOUD
bad --burst-factor --burst-factor 0.5
bad --rsa-key --rsa-key "$TMP/missing.pem" --listen 127.0.0.1:0
bad --replay --replay "$TMP/missing.db" --listen 127.0.0.1:0
bad --withhold --withhold HK.09999:3 --listen 127.0.0.1:0
bad --bogus --bogus
"$SIM" --symbols HK.00700 --symbol-count 3 >/dev/null 2>&1
[ $? -eq 2 ] || fail "--symbols with --symbol-count not exit 2"

# ctl: missing socket -> 2; no command -> 2.
"$SIM" ctl "$TMP/nope.sock" stats >/dev/null 2>&1
[ $? -eq 2 ] || fail "ctl to a missing socket did not exit 2"
"$SIM" ctl "$TMP/nope.sock" >/dev/null 2>&1
[ $? -eq 2 ] || fail "ctl without a command did not exit 2"

# A short run: port file, control channel, truth, SIGTERM -> exit 0.
"$SIM" --listen 127.0.0.1:0 --port-file "$TMP/port" --control "$TMP/c.sock" \
    --truth "$TMP/truth.csv" --rate 500 --symbol-count 3 --seed 9 \
    2>"$TMP/log" &
PID=$!
for _ in $(seq 100); do [ -s "$TMP/port" ] && [ -S "$TMP/c.sock" ] && break; sleep 0.05; done
port=$(cat "$TMP/port" 2>/dev/null)
[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -gt 0 ] || fail "bad port file: '$port'"
out=$("$SIM" ctl "$TMP/c.sock" stats); rc=$?
[ $rc -eq 0 ] || fail "ctl stats exit $rc"
[[ "$out" == OK\ generated=* ]] || fail "stats reply: $out"
[[ "$out" == *" clients=0 "* ]] || fail "stats lacks clients=0: $out"
out=$("$SIM" ctl "$TMP/c.sock" frobnicate); rc=$?
[ $rc -eq 1 ] || fail "unknown command exit $rc"
[[ "$out" == ERR* ]] || fail "unknown command reply: $out"
out=$("$SIM" ctl "$TMP/c.sock" withhold HK.00002 1)
[ "$out" = "OK withhold=HK.00002 sec=1" ] || fail "withhold reply: $out"
out=$("$SIM" ctl "$TMP/c.sock" withhold HK.77777 1); rc=$?
[ $rc -eq 1 ] || fail "withhold unknown symbol exit $rc ($out)"
"$SIM" ctl "$TMP/c.sock" silent maybe >/dev/null; [ $? -eq 1 ] || fail "silent maybe accepted"
"$SIM" ctl "$TMP/c.sock" pause >/dev/null || fail "pause"
sleep 0.2
"$SIM" ctl "$TMP/c.sock" truth "$TMP/copy.csv" >/dev/null || fail "truth copy"
g1=$("$SIM" ctl "$TMP/c.sock" stats | sed 's/.*generated=\([0-9]*\).*/\1/')
sleep 0.3
g2=$("$SIM" ctl "$TMP/c.sock" stats | sed 's/.*generated=\([0-9]*\).*/\1/')
[ "$g1" = "$g2" ] || fail "generation continued while paused ($g1 -> $g2)"
[ "$g1" -gt 0 ] || fail "nothing generated"
rows=$(($(wc -l <"$TMP/copy.csv") - 1))
[ "$rows" -eq "$g1" ] || fail "truth copy has $rows rows, generated $g1"
head -1 "$TMP/copy.csv" | grep -qx 'symbol,seq,time,ts_ms,price,volume,turnover,direction,tick_type' \
    || fail "truth header"
"$SIM" ctl "$TMP/c.sock" resume >/dev/null || fail "resume"
"$SIM" ctl "$TMP/c.sock" rate 50 | grep -qx 'OK rate=50' || fail "rate"
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
[ $rc -eq 0 ] || fail "SIGTERM exit $rc"
grep -q 'sim_started' "$TMP/log" || fail "no sim_started log line"
[ ! -e "$TMP/c.sock" ] || fail "control socket left behind"
total=$(($(wc -l <"$TMP/truth.csv") - 1))
[ "$total" -ge "$g1" ] || fail "final truth has $total rows < $g1"

# --duration exits 0 by itself; `stop` too; same seed -> same ticks.
for run in 1 2; do
    "$SIM" --listen 127.0.0.1:0 --truth "$TMP/d$run.csv" --rate 5000 \
        --max-ticks 500 --seed 77 --clock-start "2024-03-01 10:00:00" \
        --duration 0.5 2>/dev/null
    rc=$?; [ $rc -eq 0 ] || fail "--duration run exit $rc"
done
cmp -s "$TMP/d1.csv" "$TMP/d2.csv" || fail "same seed gave different truth"
[ "$(($(wc -l <"$TMP/d1.csv") - 1))" -eq 500 ] || fail "--max-ticks not honoured"
"$SIM" --listen 127.0.0.1:0 --control "$TMP/s.sock" 2>/dev/null &
PID=$!
for _ in $(seq 100); do [ -S "$TMP/s.sock" ] && break; sleep 0.05; done
"$SIM" ctl "$TMP/s.sock" stop | grep -q '^OK' || fail "stop reply"
wait "$PID"; rc=$?; PID=
[ $rc -eq 0 ] || fail "stop exit $rc"

# --replay serves a day file's rows (paced by --speed) as ground truth.
if command -v sqlite3 >/dev/null; then
    sqlite3 "$TMP/20240301.db" <<'SQL'
CREATE TABLE ticks (market TEXT NOT NULL, symbol TEXT NOT NULL,
  ts_ms INTEGER NOT NULL, price REAL, volume INTEGER, turnover REAL,
  direction TEXT, seq INTEGER, tick_type TEXT, push_type TEXT,
  provider TEXT, trading_day TEXT NOT NULL, recv_ts_ms INTEGER NOT NULL,
  inserted_at_ms INTEGER NOT NULL);
INSERT INTO ticks VALUES
 ('HK','HK.00700',1709258400123,380.2,100,38020.0,'BUY',5,'AUTO_MATCH','push','futu','20240301',0,0),
 ('HK','HK.00981',1709258400500,20.1,500,10050.0,'SELL',3,'ODD_LOT','push','futu','20240301',0,0),
 ('HK','HK.00700',1709258400900,380.4,200,76080.0,'NEUTRAL',9,'AUCTION','push','futu','20240301',0,0);
SQL
    "$SIM" --listen 127.0.0.1:0 --replay "$TMP/20240301.db" --speed 10 \
        --truth "$TMP/replay.csv" --duration 0.6 2>/dev/null
    rc=$?; [ $rc -eq 0 ] || fail "--replay run exit $rc"
    cat >"$TMP/replay.want" <<'CSV'
symbol,seq,time,ts_ms,price,volume,turnover,direction,tick_type
HK.00700,5,2024-03-01 10:00:00.123,1709258400123,380.19999999999999,100,38020,BUY,AUTO_MATCH
HK.00981,3,2024-03-01 10:00:00.500,1709258400500,20.100000000000001,500,10050,SELL,ODD_LOT
HK.00700,9,2024-03-01 10:00:00.900,1709258400900,380.39999999999998,200,76080,NEUTRAL,AUCTION
CSV
    diff "$TMP/replay.want" "$TMP/replay.csv" >/dev/null \
        || fail "replay truth differs: $(diff "$TMP/replay.want" "$TMP/replay.csv")"
    "$SIM" --replay "$TMP/20240301.db" --symbols HK.00700 >/dev/null 2>&1
    [ $? -eq 2 ] || fail "--replay with --symbols not exit 2"
fi

if [ "$fails" -ne 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "all opend-sim CLI checks passed"
