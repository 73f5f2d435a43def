#!/usr/bin/env bash
# backup.sh - runbook 003's `deployment/scripts/backup.sh backup` (cron:
# daily at 02:00): a thin wrapper over `qte-engine backup`, which writes
# /opt/qte/backups/qte-backup-YYYYMMDDTHHMMSSZ.tar.gz (database dump or
# SQLite copy, config, keys, MANIFEST.sha256) and prints its path.
#   backup.sh backup          make one
#   backup.sh list            newest first
#   backup.sh verify FILE     check the manifest's checksums (tar + sha256sum)
#   backup.sh prune [DAYS]    delete backups older than DAYS (default 30)
# Binary and config as in qte_cli.py ($QTE_BIN, $QTE_CONFIG, $QTE_PREFIX).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
P=${QTE_PREFIX:-}
BIN=${QTE_BIN:-}
for c in "$BIN" "$P/opt/qte/bin/qte-engine" "$here/../../build/bin/qte-engine"; do
    if [ -n "$c" ] && [ -x "$c" ]; then BIN=$c; break; fi
done
[ -x "$BIN" ] || { echo "backup.sh: qte-engine not found (QTE_BIN)" >&2; exit 1; }
CONF=${QTE_CONFIG:-$P/opt/qte/config/qte.env}
args=()
[ -f "$CONF" ] && args=(--config "$CONF")
DIR=${QTE_BACKUP_DIR:-$P/opt/qte/backups}

case "${1:-}" in
backup) exec "$BIN" backup "${args[@]}" ;;
list) ls -t "$DIR"/qte-backup-*.tar.gz 2>/dev/null || true ;;
verify)
    f=${2:?usage: backup.sh verify FILE}
    t=$(mktemp -d)
    trap 'rm -rf "$t"' EXIT
    tar -xzf "$f" -C "$t"
    (cd "$t" && sha256sum --quiet -c MANIFEST.sha256) && echo "ok $f"
    ;;
prune)
    find "$DIR" -maxdepth 1 -name 'qte-backup-*.tar.gz' -mtime +"${2:-30}" -print -delete
    ;;
*)
    echo "usage: backup.sh backup | list | verify FILE | prune [DAYS]" >&2
    exit 2
    ;;
esac
