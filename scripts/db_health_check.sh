#!/usr/bin/env bash
# db_health_check.sh - read-only health snapshot of one day file
# (compat.md §10.3; runbook "30 秒健康检查": bash scripts/db_health_check.sh "$DB").
#
#   scripts/db_health_check.sh [DB]
#
# DB = the argument, else $DB_PATH, else <DATA_ROOT>/<DAY>.db with
# DATA_ROOT=/data/sqlite/HK and DAY = today in Hong Kong. TOP_N (20) limits
# the per-symbol section to the symbols with the worst lag. Every query opens
# the file with mode=ro, so running it as root never leaves root-owned
# -wal/-shm files behind. Exit 1 with "[FAIL] …" on stderr when sqlite3 or
# the file is missing.
set -euo pipefail

if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "[FAIL] sqlite3 not found" >&2
    exit 1
fi
DATA_ROOT=${DATA_ROOT:-/data/sqlite/HK}
if [[ -z "${1:-}" && -z "${DB_PATH:-}" ]]; then
    DAY=${DAY:-$(TZ=Asia/Hong_Kong date +%Y%m%d)}
fi
DB_PATH=${1:-${DB_PATH:-${DATA_ROOT}/${DAY:-}.db}}
TOP_N=${TOP_N:-20}
if [[ ! -f "${DB_PATH}" ]]; then
    echo "[FAIL] db not found: ${DB_PATH}" >&2
    exit 1
fi
if [[ ! "${TOP_N}" =~ ^[0-9]+$ ]]; then
    echo "[FAIL] invalid TOP_N: ${TOP_N}" >&2
    exit 1
fi

# URI-escape what SQLite's URI parser treats specially in a path.
uri_path=${DB_PATH//%/%25}
uri_path=${uri_path//\?/%3f}
uri_path=${uri_path//#/%23}
URI="file:${uri_path}?mode=ro"

q() {
    sqlite3 -bail -cmd ".headers on" -cmd ".mode column" -cmd ".timeout 5000" "$URI"
}

echo "[INFO] db=${DB_PATH}"

echo
echo "== Global freshness =="
q <<'SQL'
SELECT
  datetime(strftime('%s','now'),'unixepoch') AS now_utc,
  datetime(MAX(ts_ms)/1000,'unixepoch') AS max_ts_utc,
  ROUND(strftime('%s','now') - MAX(ts_ms)/1000.0, 3) AS lag_sec,
  COUNT(*) AS rows
FROM ticks;
SQL

echo
echo "== Symbol freshness =="
q <<SQL
SELECT
  symbol,
  COUNT(*) AS rows,
  MAX(seq) AS max_seq,
  datetime(MAX(ts_ms)/1000,'unixepoch') AS latest_ts_utc,
  ROUND(strftime('%s','now') - MAX(ts_ms)/1000.0, 3) AS lag_sec
FROM ticks
GROUP BY symbol
ORDER BY lag_sec DESC, symbol
LIMIT ${TOP_N};
SQL

echo
echo "== Duplicate checks =="
q <<'SQL'
SELECT 'dup_symbol_seq' AS check_name, COUNT(*) AS duplicate_groups
FROM (SELECT symbol, seq FROM ticks WHERE seq IS NOT NULL
      GROUP BY symbol, seq HAVING COUNT(*) > 1)
UNION ALL
SELECT 'dup_composite_when_seq_null' AS check_name, COUNT(*) AS duplicate_groups
FROM (SELECT symbol, ts_ms, price, volume, turnover FROM ticks
      WHERE seq IS NULL
      GROUP BY symbol, ts_ms, price, volume, turnover HAVING COUNT(*) > 1);
SQL

echo
echo "== PRAGMA snapshot =="
q <<'SQL'
PRAGMA journal_mode;
PRAGMA synchronous;
PRAGMA wal_autocheckpoint;
SQL
