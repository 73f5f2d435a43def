#!/usr/bin/env bash
# A crash of `qte-engine serve` mid-run with the PostgreSQL store (kill -9)
# leaves the database consistent (the last snapshot's fills and orders
# equal the trades and orders rows: a committed prefix), and a restart
# reports `start=resumed` and finishes with exactly the rows of an
# uninterrupted run of the same inputs.
# ctest-cost: 29
source "$(dirname "$0")/lib.sh"
e2e_init
source "$(dirname "$0")/lib_qte_ops.sh"
qte_need_binary
pg_start
pg_sql "SELECT 1" >/dev/null
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE DATABASE ref" >/dev/null

qte_make_day "$T/data" 4000
QTE_MODE=accelerated qte_env
read -r QTE_HTTP_PORT QTE_ADMIN_PORT <<<"$(free_ports 2)"
export QTE_HTTP_PORT QTE_ADMIN_PORT QTE_SPEED=400 QTE_COMMIT_EVENTS=100
URL=$QTE_DATABASE_URL
q() { psql -qtAX -F'|' -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$1" -c "$2"; }
rows() {
    q "$1" "SELECT * FROM trades ORDER BY run_id, id" | cut -d'|' -f1-18
    q "$1" "SELECT * FROM orders ORDER BY run_id, id"
    q "$1" "SELECT * FROM positions ORDER BY run_id, symbol"
}

# Reference: the same inputs, uninterrupted.
export QTE_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/ref"
qte_start
qte_wait_done
qte_stop
ref=$(rows ref | sha256sum)
nref=$(q ref "SELECT count(*) FROM trades")
[ "$nref" -gt 0 ] || fail "reference run made no trades"

export QTE_DATABASE_URL=$URL
qte_start
for _ in $(seq 1 300); do
    n=$(curl -s "http://127.0.0.1:$QTE_HTTP_PORT/metrics" | awk '$1 == "qte_trades_total" {print $2}')
    [ "${n:-0}" -ge $((nref / 3)) ] && break
    sleep 0.05
done
kill -9 "$QTE_PID"
wait "$QTE_PID" 2>/dev/null || true
fills=$(q qte "SELECT fills FROM snapshots ORDER BY seq DESC LIMIT 1")
orders=$(q qte "SELECT orders FROM snapshots ORDER BY seq DESC LIMIT 1")
ntr=$(q qte "SELECT count(*) FROM trades")
nor=$(q qte "SELECT count(*) FROM orders")
[ -n "$fills" ] || fail "no snapshot committed before the kill"
[ "$fills" = "$ntr" ] || fail "after kill -9: snapshot fills=$fills, trades rows=$ntr"
[ "$orders" = "$nor" ] || fail "after kill -9: snapshot orders=$orders, order rows=$nor"
[ "$ntr" -lt "$nref" ] || fail "killed too late: $ntr of $nref trades already"
ok "kill -9 mid-run: consistent prefix ($ntr of $nref trades, $nor orders)"

qte_start
grep -qE "qte_serve_started .* start=resumed checkpoint_events=[1-9][0-9]* .* store=postgres" "$T/qte.log" ||
    fail "restart did not report a resume: $(grep qte_serve_started "$T/qte.log" | tail -n 1)"
qte_wait_done
qte_stop
[ "$(rows qte | sha256sum)" = "$ref" ] || fail "resumed run differs from the uninterrupted one"
ok "restart: start=resumed, final rows identical to the uninterrupted run ($nref trades)"
