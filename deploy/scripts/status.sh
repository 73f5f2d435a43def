#!/usr/bin/env bash
# status.sh - one-screen status (compat.md §10.3):
#   == HK Tick 一鍵狀態 ==
#   [服務] <unit>: <is-active>          (collector and OpenD)
#   [磁碟] + df -h of DATA_ROOT (2 lines)
#   [資料庫] <db> + rows, latest_utc, drift_sec   (or [資料庫] 找不到 <db>)
#   [近期告警] + last 20 journal lines of the past 20 min matching
#              WATCHDOG|ALERT|telegram_send_failed|sqlite_busy|ERROR
# Environment: SERVICE_NAME, FUTU_SERVICE_NAME, DATA_ROOT, DB_PATH, DAY,
# ENV_FILE (sourced when readable; DATA_ROOT from it unless set).
set -euo pipefail

ENV_FILE=${ENV_FILE:-/etc/hk-tick-collector.env}
if [ -z "${DATA_ROOT:-}" ] && [ -r "$ENV_FILE" ]; then
    DATA_ROOT=$(sed -n 's/^[[:space:]]*\(export[[:space:]]\+\)\?DATA_ROOT=["'"'"']\?\([^"'"'"']*\).*/\2/p' "$ENV_FILE" | tail -n 1)
fi
SERVICE_NAME=${SERVICE_NAME:-hk-tick-collector}
FUTU_SERVICE_NAME=${FUTU_SERVICE_NAME:-futu-opend}
DATA_ROOT=${DATA_ROOT:-/data/sqlite/HK}
DAY=${DAY:-$(TZ=Asia/Hong_Kong date +%Y%m%d)}
DB_PATH=${DB_PATH:-${DATA_ROOT}/${DAY}.db}

state() {
    local s
    if command -v systemctl >/dev/null 2>&1; then
        s=$(systemctl is-active "$1" 2>/dev/null || true)
        echo "${s:-unknown}"
    else
        echo "n/a"
    fi
}

echo "== HK Tick 一鍵狀態 =="
echo "[服務] ${SERVICE_NAME}: $(state "$SERVICE_NAME")"
echo "[服務] ${FUTU_SERVICE_NAME}: $(state "$FUTU_SERVICE_NAME")"
echo "[磁碟]"
df -h "$DATA_ROOT" 2>/dev/null | head -n 2 || df -h / | head -n 2
if [ -f "$DB_PATH" ] && command -v sqlite3 >/dev/null 2>&1; then
    echo "[資料庫] ${DB_PATH}"
    sqlite3 -cmd ".timeout 5000" "file:${DB_PATH}?mode=ro" \
        "SELECT 'rows=' || COUNT(*), 'latest_utc=' || COALESCE(datetime(MAX(ts_ms)/1000,'unixepoch'),'n/a'), 'drift_sec=' || COALESCE(ROUND(strftime('%s','now') - MAX(ts_ms)/1000.0, 3),'n/a') FROM ticks;" |
        tr '|' '\n'
else
    echo "[資料庫] 找不到 ${DB_PATH}"
fi
echo "[近期告警]"
if command -v journalctl >/dev/null 2>&1; then
    journalctl -u "$SERVICE_NAME" --since "20 minutes ago" --no-pager 2>/dev/null |
        grep -E "WATCHDOG|ALERT|telegram_send_failed|sqlite_busy|ERROR" | tail -n 20 || true
fi
