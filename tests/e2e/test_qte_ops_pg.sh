#!/usr/bin/env bash
# The PostgreSQL store against a real PostgreSQL started by the test: the
# same backtest run once into SQLite (QTE_SQLITE_PATH) and once into
# PostgreSQL (QTE_DATABASE_URL) leaves identical orders, trades and
# positions; the runbook's indexes exist and its maintenance SQL runs;
# healthcheck sees the database; backup then rollback restores the tables
# exactly (checksums of the ordered table dumps).
source "$(dirname "$0")/lib.sh"
e2e_init
source "$(dirname "$0")/lib_qte_ops.sh"
qte_need_binary
command -v sqlite3 >/dev/null || skip "sqlite3 CLI missing"
pg_start

qte_make_day "$T/data" 4000
QTE_MODE=backtest qte_env
read -r QTE_HTTP_PORT QTE_ADMIN_PORT <<<"$(free_ports 2)"
export QTE_HTTP_PORT QTE_ADMIN_PORT
PGURL=$QTE_DATABASE_URL
"$QTE" keys generate admin >/dev/null 2>&1 || fail "keys generate"

# 1. SQLite
unset QTE_DATABASE_URL
export QTE_SQLITE_PATH="$T/qte.db"
qte_start
qte_wait_done
qte_stop
[ "$QTE_RC" = 0 ] || fail "sqlite run exit $QTE_RC"
# 2. PostgreSQL
export QTE_SQLITE_PATH= QTE_DATABASE_URL=$PGURL
qte_start
qte_wait_done
qte_stop
[ "$QTE_RC" = 0 ] || fail "postgres run exit $QTE_RC"
grep -q 'qte_serve_started .* store=postgres' "$T/qte.log" || fail "no store=postgres start line"

OCOLS="run_id,id,symbol,side,type,tif,qty,filled,limit_milli,status,reason,created_ts_ms,updated_ts_ms,manual"
TCOLS="run_id,id,order_id,symbol,side,qty,price_milli,value_milli,commission_milli,stamp_milli,sfc_milli,afrc_milli,trading_fee_milli,settlement_milli,fees_milli,cash_after_milli,realized_milli,ts_ms"
PCOLS="run_id,symbol,qty,cost_milli,realized_milli,last_milli,updated_ts_ms"
for t in "orders:$OCOLS:run_id,id" "trades:$TCOLS:run_id,id" "positions:$PCOLS:run_id,symbol"; do
    IFS=: read -r tab cols key <<<"$t"
    sqlite3 -separator '|' "$T/qte.db" "SELECT $cols FROM $tab ORDER BY $key" >"$T/s_$tab.txt"
    psql -qtAX -F'|' -h 127.0.0.1 -p "$PG_PORT" -U postgres -d qte \
        -c "SELECT $cols FROM $tab ORDER BY $key" >"$T/p_$tab.txt"
    cmp -s "$T/s_$tab.txt" "$T/p_$tab.txt" ||
        fail "$tab differ: $(diff "$T/s_$tab.txt" "$T/p_$tab.txt" | head -n 6)"
done
nt=$(wc -l <"$T/p_trades.txt")
no=$(wc -l <"$T/p_orders.txt")
np=$(wc -l <"$T/p_positions.txt")
[ "$nt" -gt 0 ] || fail "the backtest made no trades (nothing compared)"
ok "SQLite and PostgreSQL hold identical rows: $no orders, $nt trades, $np positions"

idx=$(pg_sql "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'idx_%' ORDER BY 1" | tr '\n' ' ')
[ "$idx" = "idx_positions_symbol idx_trades_created_at idx_trades_symbol " ] || fail "indexes: $idx"
[ "$(pg_sql "SELECT count(*) FROM trades WHERE created_at <> to_timestamp(ts_ms / 1000.0)")" = 0 ] ||
    fail "created_at is not the trade time"
# Runbook 003's maintenance SQL (数据库优化): the indexes exist already,
# so its CREATE INDEX lines report so; the rest runs as written.
for q in "CREATE INDEX CONCURRENTLY idx_trades_created_at ON trades(created_at);" \
    "CREATE INDEX CONCURRENTLY idx_trades_symbol ON trades(symbol);" \
    "CREATE INDEX CONCURRENTLY idx_positions_symbol ON positions(symbol);"; do
    out=$(pg_sql "$q" 2>&1) && fail "expected 'already exists': $q"
    grep -q 'already exists' <<<"$out" || fail "$q: $out"
done
pg_sql "ANALYZE;" >/dev/null
pg_sql "DELETE FROM trades WHERE created_at < NOW() - INTERVAL '1 year';" >/dev/null
pg_sql "VACUUM ANALYZE trades;" >/dev/null
ok "runbook indexes present; its ANALYZE / DELETE by created_at / VACUUM run"

# Trades of 2024 are older than a year: the DELETE above removed them.
# Run the backtest again (resume of a done run rewrites nothing), so make
# a fresh PostgreSQL state first.
pg_sql "TRUNCATE qte_runs, orders, trades, positions, snapshots" >/dev/null
qte_start
qte_wait_done
out=$("$QTE" healthcheck) || fail "healthcheck: $out"
grep -qE '^OK   database  postgres: 5 of 5 tables$' <<<"$out" || fail "healthcheck db line: $out"
qte_stop

dump() {
    for tab in qte_runs orders trades positions snapshots; do
        pg_sql "COPY (SELECT * FROM $tab ORDER BY 1, 2) TO STDOUT"
    done | sha256sum
}
before=$(dump)
[ "$(pg_sql "SELECT count(*) FROM trades")" = "$nt" ] || fail "rerun trades"
arc=$("$QTE" backup) || fail "backup failed"
[ -f "$arc" ] || fail "no archive $arc"
tar -tzf "$arc" | sort >"$T/members"
grep -qx 'db/trades.copy' "$T/members" && grep -qx 'MANIFEST.sha256' "$T/members" && grep -qx 'keys/keys' "$T/members" ||
    fail "members: $(cat "$T/members")"
keys_sum=$(sha256sum <"$T/keys")
pg_sql "DELETE FROM trades WHERE id % 2 = 0; UPDATE positions SET qty = qty + 1" >/dev/null
sleep 1
"$QTE" keys generate admin >/dev/null 2>&1 # rotated after the backup
[ "$(dump)" != "$before" ] || fail "the change did not change the dump"
"$QTE" rollback "$arc" >"$T/rb.txt" || fail "rollback: $(cat "$T/rb.txt")"
[ "$(dump)" = "$before" ] || fail "rollback did not restore the tables exactly"
[ "$(sha256sum <"$T/keys")" = "$keys_sum" ] || fail "rollback did not restore the keys file"
grep -q '^restored db/' "$T/rb.txt" || fail "rollback output: $(cat "$T/rb.txt")"
ok "backup -> change -> rollback: PostgreSQL tables and keys identical to the backup ($(echo "$before" | cut -c1-12))"

# `qte-engine backtest` writes to PostgreSQL too when QTE_DATABASE_URL is
# set (the same store rule as serve): the same rows as the SQLite run.
pg_sql "TRUNCATE qte_runs, orders, trades, positions, snapshots" >/dev/null
"$QTE" backtest --report-dir "$T/bt" >"$T/bt.out" 2>&1 || fail "backtest into postgres: $(cat "$T/bt.out")"
[ ! -e "$T/bt/qte.db" ] || fail "backtest wrote SQLite although QTE_DATABASE_URL is set"
for t in "orders:$OCOLS:run_id,id" "trades:$TCOLS:run_id,id" "positions:$PCOLS:run_id,symbol"; do
    IFS=: read -r tab cols key <<<"$t"
    psql -qtAX -F'|' -h 127.0.0.1 -p "$PG_PORT" -U postgres -d qte \
        -c "SELECT $cols FROM $tab ORDER BY $key" >"$T/b_$tab.txt"
    cmp -s "$T/s_$tab.txt" "$T/b_$tab.txt" ||
        fail "backtest $tab differ: $(diff "$T/s_$tab.txt" "$T/b_$tab.txt" | head -n 6)"
done
[ "$(pg_sql "SELECT status FROM qte_runs")" = done ] || fail "backtest run not done in postgres"
ok "qte-engine backtest with QTE_DATABASE_URL: PostgreSQL holds the SQLite run's $nt trades, $no orders, $np positions"
