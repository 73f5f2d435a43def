#!/usr/bin/env bash
# bench/lib_day.sh - a synthetic day file for the benchmarks, sourced by
# bench/ctl_status.sh and bench/qte.sh.
#
# bench_day_file DB DAY ROWS SYMBOLS : DB gets the compat schema (ticks,
# its indexes, gaps, daily_quality, hk_symbol_totals filled, user_version
# 4, WAL) with ROWS rows of trading day DAY (YYYYMMDD) over SYMBOLS
# symbols HK.00000.., round-robin, spread over 6.5 h from HK 09:30,
# prices cycling over 97 steps. Built with the sqlite3 CLI.
bench_day_file() {
    local DB=$1 DAY=$2 ROWS=$3 SYMBOLS=$4 BASE
    # HK 09:30 on DAY, in UTC ms.
    BASE=$(sqlite3 :memory: "SELECT (strftime('%s','${DAY:0:4}-${DAY:4:2}-${DAY:6:2} 01:30:00')) * 1000;")
    sqlite3 "$DB" >/dev/null <<SQL
PRAGMA journal_mode=OFF;
PRAGMA synchronous=OFF;
PRAGMA cache_size=-400000;
PRAGMA temp_store=MEMORY;
CREATE TABLE ticks (
  market TEXT NOT NULL,
  symbol TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  price REAL,
  volume INTEGER,
  turnover REAL,
  direction TEXT,
  seq INTEGER,
  tick_type TEXT,
  push_type TEXT,
  provider TEXT,
  trading_day TEXT NOT NULL,
  recv_ts_ms INTEGER NOT NULL,
  inserted_at_ms INTEGER NOT NULL
);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS - 1)
INSERT INTO ticks
SELECT 'HK', printf('HK.%05d', i % $SYMBOLS), $BASE + (i * 23400000) / $ROWS,
       300.0 + (i % 97) * 0.2, 100 * (1 + i % 7), (300.0 + (i % 97) * 0.2) * 100 * (1 + i % 7),
       'BUY', i, 'AUTO_MATCH', 'push', 'futu', '$DAY',
       $BASE + (i * 23400000) / $ROWS, $BASE + (i * 23400000) / $ROWS
FROM n;
CREATE INDEX idx_ticks_symbol_day_ts ON ticks(symbol, trading_day, ts_ms);
CREATE INDEX idx_ticks_symbol_seq ON ticks(symbol, seq);
CREATE UNIQUE INDEX uniq_ticks_symbol_seq ON ticks(symbol, seq) WHERE seq IS NOT NULL;
CREATE UNIQUE INDEX uniq_ticks_symbol_ts_price_vol_turnover
  ON ticks(symbol, ts_ms, price, volume, turnover) WHERE seq IS NULL;
CREATE TABLE IF NOT EXISTS gaps (
  trading_day TEXT NOT NULL,
  symbol TEXT NOT NULL,
  gap_start_ts_ms INTEGER NOT NULL,
  gap_end_ts_ms INTEGER NOT NULL,
  gap_sec REAL NOT NULL,
  detected_at_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  meta_json TEXT NOT NULL,
  PRIMARY KEY (symbol, gap_start_ts_ms, gap_end_ts_ms)
);
CREATE INDEX IF NOT EXISTS idx_gaps_day_symbol ON gaps(trading_day, symbol);
CREATE TABLE IF NOT EXISTS daily_quality (
  trading_day TEXT PRIMARY KEY,
  created_at_ms INTEGER NOT NULL,
  host TEXT,
  symbols_json TEXT NOT NULL,
  summary_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS hk_symbol_totals (
  trading_day TEXT NOT NULL,
  symbol TEXT NOT NULL,
  rows INTEGER NOT NULL,
  min_ts_ms INTEGER,
  max_ts_ms INTEGER,
  max_seq INTEGER,
  last_inserted_at_ms INTEGER,
  PRIMARY KEY (trading_day, symbol)
);
INSERT INTO hk_symbol_totals SELECT trading_day, symbol, COUNT(*), MIN(ts_ms),
  MAX(ts_ms), MAX(seq), MAX(inserted_at_ms) FROM ticks GROUP BY trading_day, symbol;
PRAGMA user_version = 4;
PRAGMA journal_mode=WAL;
SQL
}
