#!/usr/bin/env bash
# qte-engine backtest: kill -9 mid-run leaves the SQLite store consistent
# (every committed trade and order row belongs to the last snapshot, the
# database passes integrity_check); the same command then resumes from
# that checkpoint, says so, and ends with the report and rows of an
# uninterrupted run, byte for byte. A finished run says already_complete;
# SIGTERM commits a checkpoint and exits 130; changed inputs are a new run.
source "$(dirname "$0")/lib.sh"
e2e_init

QTE="$HK_BIN/qte-engine"
MA="$HK_BIN/../strategies/ma_cross.so"
[ -x "$QTE" ] && [ -f "$MA" ] || fail "qte-engine or ma_cross.so not built"

# A day of 3 symbols, 400k rows, written by the collector's own store code.
mkdir -p "$DATA"
"$HK_BIN/bench-ceiling" "$DATA" 400000 20000 3 >/dev/null 2>&1
DB_DAY=$(ls "$DATA"/*.db | head -n1)
DAY=$(basename "$DB_DAY" .db)
SYMS=HK.00001,HK.00002,HK.00003

bt() { # bt OUTDIR [extra args...]; in the background its PID is the engine's
    local out=$1
    shift
    QTE_COMMIT_EVENTS=${CE:-5000} exec "$QTE" backtest --data-root "$DATA" --days "$DAY" \
        --symbols "$SYMS" --strategy "$MA" --param fast=8 --param slow=21 \
        --report-dir "$out" "$@"
}

q() { sqlite3 "file:$1?mode=ro" "$2"; }

# Each committed snapshot's counts must match the committed rows.
consistent() {
    local db=$1 fills orders trades norders ic
    ic=$(q "$db" "PRAGMA integrity_check;")
    [ "$ic" = ok ] || fail "integrity_check: $ic"
    fills=$(q "$db" "SELECT fills FROM snapshots ORDER BY seq DESC LIMIT 1;")
    orders=$(q "$db" "SELECT orders FROM snapshots ORDER BY seq DESC LIMIT 1;")
    trades=$(q "$db" "SELECT count(*) FROM trades;")
    norders=$(q "$db" "SELECT count(*) FROM orders;")
    [ "$fills" = "$trades" ] || fail "snapshot fills=$fills, trades rows=$trades"
    [ "$orders" = "$norders" ] || fail "snapshot orders=$orders, order rows=$norders"
    # A position row equals the sum of its trades.
    local bad
    bad=$(q "$db" "SELECT count(*) FROM positions p WHERE qty != (SELECT \
        COALESCE(SUM(CASE side WHEN 'buy' THEN qty ELSE -qty END), 0) FROM \
        trades t WHERE t.symbol = p.symbol AND t.run_id = p.run_id);")
    [ "$bad" = 0 ] || fail "positions disagree with trades"
}

dump() {
    q "$1" "SELECT * FROM trades ORDER BY id; SELECT * FROM orders ORDER BY \
        id; SELECT * FROM positions ORDER BY symbol; SELECT seq, events, \
        fills, orders, cash_milli, equity_milli FROM snapshots WHERE seq > 0 \
        ORDER BY seq DESC LIMIT 1; SELECT run_id, status, events FROM qte_runs;"
}

# 1. The reference: one uninterrupted run.
(bt "$T/ref") >"$T/ref.out" 2>&1 || fail "reference run: $(cat "$T/ref.out")"
grep -q "^run [0-9a-f]\{32\} fresh$" "$T/ref.out" || fail "no fresh line"
grep -q "^result trades=[1-9]" "$T/ref.out" || fail "reference made no trades"
RUN=$(awk '/^run /{print $2}' "$T/ref.out")
[ "$(q "$T/ref/qte.db" "SELECT status FROM qte_runs;")" = done ] ||
    fail "reference run not done"
consistent "$T/ref/qte.db"

# 2. kill -9 after a few checkpoints, while still running.
bt "$T/crash" >"$T/crash1.out" 2>&1 &
PID=$!
E2E_PIDS+=("$PID")
killed=0
for _ in $(seq 1 400); do
    n=$(q "$T/crash/qte.db" "SELECT COALESCE(MAX(events),0) FROM snapshots;" \
        2>/dev/null || echo 0)
    if [ "${n:-0}" -ge 20000 ]; then
        kill -9 "$PID" && killed=1
        break
    fi
    sleep 0.02
done
wait "$PID" 2>/dev/null || true
[ "$killed" = 1 ] || fail "the run ended before it could be killed"
[ "$(q "$T/crash/qte.db" "SELECT status FROM qte_runs;")" = running ] ||
    fail "killed run is not 'running' in qte_runs"
consistent "$T/crash/qte.db"
AT=$(q "$T/crash/qte.db" "SELECT events FROM snapshots ORDER BY seq DESC LIMIT 1;")
[ "$AT" -gt 0 ] || fail "no checkpoint committed before the kill"

# 3. The same command resumes from the checkpoint and ends like the reference.
(bt "$T/crash") >"$T/crash2.out" 2>&1 || fail "resume: $(cat "$T/crash2.out")"
grep -qx "run $RUN resume checkpoint_events=$AT" "$T/crash2.out" ||
    fail "expected 'run $RUN resume checkpoint_events=$AT', got: $(head -n1 "$T/crash2.out")"
cmp "$T/ref/report.json" "$T/crash/report.json" || fail "report.json differs"
cmp "$T/ref/report.html" "$T/crash/report.html" || fail "report.html differs"
[ "$(grep '^result' "$T/ref.out")" = "$(grep '^result' "$T/crash2.out")" ] ||
    fail "result line differs"
consistent "$T/crash/qte.db"
dump "$T/ref/qte.db" >"$T/ref.dump"
dump "$T/crash/qte.db" >"$T/crash.dump"
cmp "$T/ref.dump" "$T/crash.dump" || fail "store rows differ after resume"

# 4. Again: already complete, same report, nothing written.
before=$(q "$T/crash/qte.db" "SELECT count(*) FROM snapshots;")
(bt "$T/crash") >"$T/crash3.out" 2>&1 || fail "rerun: $(cat "$T/crash3.out")"
grep -qx "run $RUN already_complete checkpoint_events=[0-9]*" "$T/crash3.out" ||
    fail "expected already_complete, got: $(head -n1 "$T/crash3.out")"
cmp "$T/ref/report.json" "$T/crash/report.json" || fail "rewritten report differs"
[ "$(q "$T/crash/qte.db" "SELECT count(*) FROM snapshots;")" = "$before" ] ||
    fail "an already complete run wrote snapshots"

# 5. SIGTERM: checkpoint, exit 130, then resume to the same end.
bt "$T/term" >"$T/term1.out" 2>&1 &
PID=$!
E2E_PIDS+=("$PID")
for _ in $(seq 1 400); do
    n=$(q "$T/term/qte.db" "SELECT COALESCE(MAX(events),0) FROM snapshots;" \
        2>/dev/null || echo 0)
    [ "${n:-0}" -ge 10000 ] && break
    sleep 0.02
done
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
[ "$rc" = 130 ] || fail "SIGTERM exit code $rc, want 130"
grep -q "^stopped events=[0-9]* (run the same command to resume)$" \
    "$T/term1.out" || fail "no stopped line: $(cat "$T/term1.out")"
consistent "$T/term/qte.db"
(bt "$T/term") >"$T/term2.out" 2>&1 || fail "resume after TERM"
grep -q "^run $RUN resume checkpoint_events=" "$T/term2.out" || fail "no resume line"
cmp "$T/ref/report.json" "$T/term/report.json" || fail "report after TERM differs"

# 6. Other inputs are another run in the same store.
(bt "$T/crash" --param lots=2) >"$T/other.out" 2>&1 || fail "other run"
grep -q "^run [0-9a-f]\{32\} fresh$" "$T/other.out" || fail "other inputs not fresh"
[ "$(q "$T/crash/qte.db" "SELECT count(*) FROM qte_runs;")" = 2 ] ||
    fail "expected two runs in the store"
# 7. Killed before any periodic checkpoint (only the start's, at event 0):
# resumes from 0 and still ends like the reference.
CE=0 bt "$T/zero" >"$T/zero1.out" 2>&1 &
PID=$!
E2E_PIDS+=("$PID")
for _ in $(seq 1 400); do
    n=$(q "$T/zero/qte.db" "SELECT count(*) FROM snapshots;" 2>/dev/null ||
        echo 0)
    [ "${n:-0}" -ge 1 ] && break
    sleep 0.01
done
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
if [ "$(q "$T/zero/qte.db" "SELECT status FROM qte_runs;")" = running ]; then
    consistent "$T/zero/qte.db"
    (CE=0 bt "$T/zero") >"$T/zero2.out" 2>&1 || fail "resume from 0: $(cat "$T/zero2.out")"
    grep -qx "run $RUN resume checkpoint_events=0" "$T/zero2.out" ||
        fail "expected resume from 0: $(head -n1 "$T/zero2.out")"
    cmp "$T/ref/report.json" "$T/zero/report.json" || fail "report after resume from 0"
    echo "resumed from event 0: identical report"
fi
ok "qte-engine: kill -9 consistent, resume identical, TERM 130, already_complete"
