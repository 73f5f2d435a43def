#!/usr/bin/env bash
# The pipeline end to end (BENCHMARKS.md §9), real servers on free loopback
# ports, everything under one temp dir:
#
#   opend-sim --rate R (100 symbols, no bursts) -> hk-tick-collector
#   (NATS_URL set) -> nats-server -js -> hot-store -> clickhouse-server
#
# For each rate R in RATES and each of RUNS repetitions, alternating:
#   off  the collector alone, publishing off: run_e2e of bench/run.sh
#        (the collector's SQLite rows/s, CPU/row, push->commit, recv->insert)
#   pub  the collector publishing into a fresh nats-server, nothing
#        consuming: run_e2e with NATS_URL set (separates the publisher's
#        own cost from the CPU the rest of the pipeline takes)
#   on   the whole pipeline (pipe_run): after WARM_SEC, a window of
#        PIPE_SEC seconds gives
#        - rows/s into hot: count() FINAL at the window's ends;
#        - CPU µs per tick per process (utime+stime from /proc/PID/stat
#          over the window) divided by that stage's own rows in the window
#          (collector: rows committed to SQLite; hot-store, nats-server,
#          clickhouse-server: rows into hot), RSS (VmRSS at the end, VmHWM);
#        - the collector's own figures, as run_e2e measures them;
#        then the simulator stops and the bench waits until hot holds
#        every committed row (drain_sec) with every message acked by
#        JetStream (publisher) and by hot-store.
#   push -> visible in ClickHouse: a sampler asks ClickHouse for
#   count() every SAMPLE_MS (100) ms and notes the wall-clock time of each
#   answer. hot-store inserts batches in stream order and one at a time,
#   and the stream holds the rows in the day file's rowid order (the
#   publisher reads by rowid), so what is visible is always a prefix of
#   the rowid order: row i (0-based) became visible by the first answer
#   with count > i. Its latency is that time minus its ts_ms (the
#   simulator's generation time, when it pushes the tick; same host
#   clock). Only rows pushed inside the window count. The answer time is
#   an upper bound: the figure reads up to SAMPLE_MS + one query high.
#   recv->visible (minus recv_ts_ms, the collector's arrival time) is
#   printed too.
# Then the raw ceilings in the same run (ceilings): bench/nats.sh ceiling
# (libnats async publish with Msg-Id) and bench/hot_store.sh (ClickHouse
# RowBinary insert ceiling, libnats async publish, hot-store from a full
# stream).
#
# Usage: bash bench/pipeline.sh [all|pipeline|ceilings]   (after make build)
#   RATES ("1000 10000 50000"), RUNS (3), PIPE_SEC (15), WARM_SEC (3),
#   SAMPLE_MS (100), DRAIN_SEC (240: longest wait for hot to catch up).
# Each measurement prints one line "bench ..."; medians at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export HK_BIN=${HK_BIN:-$ROOT/build/bin}
WHAT=${1:-all}
RATES=${RATES:-1000 10000 50000}
RUNS=${RUNS:-3}
PIPE_SEC=${PIPE_SEC:-15}
WARM_SEC=${WARM_SEC:-3}
SAMPLE_MS=${SAMPLE_MS:-100}
DRAIN_SEC=${DRAIN_SEC:-240}
NSYM=100
# shellcheck source=/dev/null
source tests/e2e/lib.sh
# shellcheck source=/dev/null
source tests/e2e/lib_clickhouse.sh
# shellcheck source=/dev/null
source tests/e2e/lib_hot.sh
hot_init
W=$T/off
BIN=$HK_BIN
E2E_SEC=$PIPE_SEC
mkdir -p "$W"
# run_e2e and its helpers, as bench/ab.sh takes them.
# shellcheck source=/dev/null
source <(sed -n '/^backlog()/,/^}/p;/^proc_cpu_sec()/,/^}/p;/^rows_now()/,/^}/p;/^run_e2e()/,/^}/p' bench/run.sh)

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }
now_ms() { date +%s%3N; }
rss_kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }

# The sampler: "answer_ms count" lines until killed.
cat >"$T/sampler.py" <<'PY'
import sys, time, urllib.request
url, table, period = sys.argv[1], sys.argv[2], int(sys.argv[3]) / 1000.0
q = ("SELECT count() FROM %s" % table).encode()
nxt = time.time()
while True:
    try:
        with urllib.request.urlopen(url + "/", data=q, timeout=5) as r:
            n = int(r.read().strip() or 0)
        print("%d %d" % (int(time.time() * 1000), n), flush=True)
    except Exception:
        pass
    nxt += period
    time.sleep(max(0.0, nxt - time.time()))
PY

# latency DB SAMPLES T0 T1 : push->visible and recv->visible p50/p99 (ms)
# of the rows with T0 <= ts_ms < T1, from the day file's rowid order and
# the sampler's answers.
cat >"$T/latency.py" <<'PY'
import bisect, sqlite3, sys
db, samples, t0, t1 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ts, cnt = [], []
for line in open(samples):
    a = line.split()
    if len(a) == 2:
        ts.append(int(a[0])); cnt.append(int(a[1]))
for i in range(1, len(cnt)):          # a count never goes back
    cnt[i] = max(cnt[i], cnt[i - 1])
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
push, recv, lost = [], [], 0
for i, (t, r) in enumerate(con.execute("SELECT ts_ms, recv_ts_ms FROM ticks ORDER BY rowid")):
    if not (t0 <= t < t1):
        continue
    k = bisect.bisect_right(cnt, i)   # first answer with count > i
    if k == len(cnt):
        lost += 1
        continue
    push.append(ts[k] - t); recv.append(ts[k] - r)
def q(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else -1
print("push_to_visible_ms_p50=%d push_to_visible_ms_p99=%d recv_to_visible_ms_p50=%d recv_to_visible_ms_p99=%d latency_rows=%d never_seen=%d" %
      (q(push, .5), q(push, .99), q(recv, .5), q(recv, .99), len(push), lost))
PY

col_metric() {
    curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null | awk -v n="$2" '$1 == n { print $2 }'
}

# cpu_all : "collector hot nats ch sim" CPU seconds, one line.
cpu_all() {
    local p out=""
    for p in "$COL" "$HOT_PID" "$NATS_PID" "$CH_PID" "$SIMP"; do
        out+="$(proc_cpu_sec "$p") "
    done
    echo "$out"
}

# fresh_nats : (re)start nats-server with an empty JetStream store.
fresh_nats() {
    [ -z "${NATS_PID:-}" ] || stop_nats
    rm -rf "$T/nats/store"
    start_nats
}

# pipe_run NAME RATE : one run of the whole pipeline at RATE ticks/s.
pipe_run() {
    local name=$1 rate=$2 d="$T/$1" db="pipe_$1"
    mkdir -p "$d"
    fresh_nats
    "$HK_BIN/opend-sim" --listen 127.0.0.1:0 --port-file "$d/port" \
        --symbol-count "$NSYM" --rate "$rate" --burst-factor 1 --seed 1 \
        --ticks-per-push 1 --log-level WARNING >"$d/sim.log" 2>&1 &
    SIMP=$!
    E2E_PIDS+=("$SIMP")
    for _ in $(seq 1 100); do [ -s "$d/port" ] && break; sleep 0.05; done
    HOT_DB=$db
    HOT_PORT=
    start_hot HOT_DATABASE="$db"
    ch_query "SELECT 1" >/dev/null
    python3 "$T/sampler.py" "$CLICKHOUSE_URL" "$db.ticks" "$SAMPLE_MS" \
        >"$d/samples.txt" 2>/dev/null &
    local sampler=$!
    E2E_PIDS+=("$sampler")
    FUTU_PORT=$(cat "$d/port") FUTU_SYMBOLS=$(seq -f "HK.%05g" 1 "$NSYM" | paste -sd, -) \
        DATA_ROOT="$d/data" BACKFILL_N=0 FUTU_POLL_ENABLED=0 HTTP_PORT=-1 \
        NATS_URL="$NATS_URL" "$HK_BIN/hk-tick-collector" >"$d/col.log" 2>&1 &
    COL=$!
    E2E_PIDS+=("$COL")
    sleep "$WARM_SEC"
    local hp c0 c1 r0 r1 h0 h1 t0 t1 p
    hp=$(grep -o 'http_listening host=127.0.0.1 port=[0-9]*' "$d/col.log" | grep -o '[0-9]*$')
    t0=$(now_ms); c0=$(cpu_all); r0=$(rows_now "$d/data"); h0=$(hot_count)
    sleep "$PIPE_SEC"
    t1=$(now_ms); c1=$(cpu_all); r1=$(rows_now "$d/data"); h1=$(hot_count)
    for p in "$COL" "$HOT_PID" "$NATS_PID" "$CH_PID" "$SIMP"; do
        kill -0 "$p" 2>/dev/null || fail "$name: PID $p died (hot-store $HOT_PID, collector $COL)"
    done
    local rss="" hwm=""
    for p in "$COL" "$HOT_PID" "$NATS_PID" "$CH_PID"; do
        rss+="$(($(rss_kib "$p" VmRSS) / 1024)) "
        hwm+="$(($(rss_kib "$p" VmHWM) / 1024)) "
    done
    kill -TERM "$SIMP"
    wait "$SIMP" || true
    # Drain: the collector's backlog committed, every committed row in hot,
    # every message acked by JetStream (publisher) and by hot-store.
    local ts=$SECONDS rows=0 got=-1 packed=0 hacked=0 pend=1 bl=1
    while [ $((SECONDS - ts)) -lt "$DRAIN_SEC" ]; do
        bl=$(backlog "$hp")
        rows=$(rows_now "$d/data")
        got=$(hot_count '')
        packed=$(col_metric "$hp" hk_nats_acked_total)
        hacked=$(hot_metric hot_acked_total)
        pend=$(hot_metric hot_batch_rows)
        [ "${bl:-1}" = 0 ] && [ "$got" = "$rows" ] && [ "${packed:-0}" = "$rows" ] &&
            [ "${hacked:-0}" = "$rows" ] && [ "${pend:-1}" = 0 ] && break
        sleep 0.2
    done
    local drain=$((SECONDS - ts))
    got=$(hot_count) # FINAL: no duplicates either
    local ptc50 ptc99 q50 q99 f
    ptc50=$(grep -o 'push_to_commit_ms_p50=[0-9.]*' "$d/col.log" | tail -n1 | cut -d= -f2)
    ptc99=$(grep -o 'push_to_commit_ms_p99=[0-9.]*' "$d/col.log" | tail -n1 | cut -d= -f2)
    kill -TERM "$COL"
    wait "$COL" || true
    stop_hot
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    f=$(ls "$d/data"/[0-9]*.db | head -n 1)
    q50=$(sqlite3 "file:$f?mode=ro" "SELECT inserted_at_ms - recv_ts_ms AS l FROM ticks ORDER BY l LIMIT 1 OFFSET (SELECT COUNT(*) * 50 / 100 FROM ticks);")
    q99=$(sqlite3 "file:$f?mode=ro" "SELECT inserted_at_ms - recv_ts_ms AS l FROM ticks ORDER BY l LIMIT 1 OFFSET (SELECT COUNT(*) * 99 / 100 FROM ticks);")
    local lat
    lat=$(python3 "$T/latency.py" "$f" "$d/samples.txt" "$t0" "$t1")
    # Nothing of this run may merge in the background of the next one.
    ch_query "DROP DATABASE $db" >/dev/null
    rm -rf "$d/data"
    awk -v n="$name" -v r="$rate" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" \
        -v r0="$r0" -v r1="$r1" -v h0="$h0" -v h1="$h1" -v rss="$rss" -v hwm="$hwm" \
        -v rows="$rows" -v got="$got" -v pa="${packed:-0}" -v ha="${hacked:-0}" \
        -v drain="$drain" -v ptc50="$ptc50" -v ptc99="$ptc99" -v q50="$q50" \
        -v q99="$q99" -v lat="$lat" 'BEGIN {
        split(c0, a, " "); split(c1, b, " "); split(rss, s, " "); split(hwm, m, " ")
        dt = (t1 - t0) / 1000; dr = r1 - r0; dh = h1 - h0
        us_c = dr > 0 ? (b[1] - a[1]) * 1e6 / dr : 0
        us_h = dh > 0 ? (b[2] - a[2]) * 1e6 / dh : 0
        us_n = dh > 0 ? (b[3] - a[3]) * 1e6 / dh : 0
        us_k = dh > 0 ? (b[4] - a[4]) * 1e6 / dh : 0
        us_s = dr > 0 ? (b[5] - a[5]) * 1e6 / dr : 0
        printf "bench %s rate=%s sec=%.1f sqlite_rows_per_sec=%.0f hot_rows_per_sec=%.0f %s cpu_us_per_tick_collector=%.2f cpu_us_per_tick_hot=%.2f cpu_us_per_tick_nats=%.2f cpu_us_per_tick_clickhouse=%.2f cpu_us_per_tick_sim=%.2f rss_mib_collector=%s rss_mib_hot=%s rss_mib_nats=%s rss_mib_clickhouse=%s hwm_mib_collector=%s hwm_mib_hot=%s hwm_mib_nats=%s hwm_mib_clickhouse=%s rows=%d hot_rows=%d pub_acked=%d hot_acked=%d drain_sec=%d push_to_commit_ms_p50=%s push_to_commit_ms_p99=%s recv_to_insert_ms_p50=%s recv_to_insert_ms_p99=%s\n",
            n, r, dt, dr / dt, dh / dt, lat, us_c, us_h, us_n, us_k, us_s,
            s[1], s[2], s[3], s[4], m[1], m[2], m[3], m[4],
            rows, got, pa, ha, drain, ptc50, ptc99, q50, q99 }' | tee -a "$T/results.txt"
}

# summary : medians per rate of the on/off lines.
summary() {
    local r k m
    for r in $RATES; do
        for k in hot_rows_per_sec sqlite_rows_per_sec push_to_visible_ms_p50 \
            push_to_visible_ms_p99 recv_to_visible_ms_p50 recv_to_visible_ms_p99 \
            cpu_us_per_tick_collector cpu_us_per_tick_hot cpu_us_per_tick_nats \
            cpu_us_per_tick_clickhouse drain_sec push_to_commit_ms_p50 \
            push_to_commit_ms_p99 recv_to_insert_ms_p50 recv_to_insert_ms_p99; do
            printf 'bench median on_%s %s=%s\n' "$r" "$k" "$(grep "^bench on_${r}_" "$T/results.txt" |
                grep -o " $k=[-0-9.]*" | cut -d= -f2 | median)"
        done
        for k in rows_per_sec cpu_us_per_row push_to_commit_ms_p50 \
            push_to_commit_ms_p99 recv_to_insert_ms_p50 recv_to_insert_ms_p99; do
            for m in off pub; do
                printf 'bench median %s_%s %s=%s\n' "$m" "$r" "$k" "$(grep "^bench ${m}_${r}_" "$T/results.txt" |
                    grep -o " $k=[-0-9.]*" | cut -d= -f2 | median)"
            done
        done
    done
}

pipeline() {
    start_clickhouse
    local r i
    for r in $RATES; do
        for i in $(seq 1 "$RUNS"); do
            # start_nats exported NATS_URL: the off run must not see it.
            (unset NATS_URL && run_e2e "off_${r}_$i" "$NSYM" "$r") | tee -a "$T/results.txt"
            fresh_nats
            NATS_URL=$NATS_URL run_e2e "pub_${r}_$i" "$NSYM" "$r" | tee -a "$T/results.txt"
            pipe_run "on_${r}_$i" "$r"
        done
    done
    stop_nats
    stop_clickhouse
    summary
}

ceilings() {
    RUNS=$RUNS bash bench/nats.sh ceiling
    bash bench/hot_store.sh "${HOT_ROWS:-200000}" "$RUNS"
}

echo "bench machine $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
case $WHAT in
pipeline) pipeline ;;
ceilings) ceilings ;;
all)
    pipeline
    ceilings
    ;;
*)
    echo "usage: $0 [all|pipeline|ceilings]" >&2
    exit 2
    ;;
esac
echo "bench done load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
