#!/usr/bin/env bash
# qte-engine backup / rollback with the SQLite store: the archive holds
# MANIFEST.sha256 (sha256sum -c accepts it), the database copy, the config
# file and the keys; rollback refuses while the daemon holds its lock,
# refuses a tampered archive without changing anything, and otherwise
# restores the database, config and keys exactly (checksums).
source "$(dirname "$0")/lib.sh"
e2e_init
source "$(dirname "$0")/lib_qte_ops.sh"
qte_need_binary
command -v sqlite3 >/dev/null || skip "sqlite3 CLI missing"

qte_make_day "$T/data" 4000
QTE_MODE=backtest qte_env
read -r QTE_HTTP_PORT QTE_ADMIN_PORT <<<"$(free_ports 2)"
export QTE_HTTP_PORT QTE_ADMIN_PORT QTE_SQLITE_PATH="$T/qte.db"
echo "QTE_SLOW_MS=50" >"$T/qte.conf"
CONF=(--config "$T/qte.conf")
"$QTE" keys generate admin "${CONF[@]}" >/dev/null 2>&1 || fail "keys generate"

qte_start "${CONF[@]}"
qte_wait_done
dbsum() { sqlite3 "$T/qte.db" .dump | sha256sum; }
# While serving: a backup works (online copy), a rollback is refused.
arc=$("$QTE" backup "${CONF[@]}") || fail "backup"
[[ $arc == "$T/backups/qte-backup-"*Z.tar.gz ]] || fail "archive name: $arc"
out=$("$QTE" rollback "$arc" "${CONF[@]}" 2>&1) && fail "rollback while serving succeeded"
grep -q 'qte-engine serve is running (lock' <<<"$out" || fail "refusal: $out"
qte_stop
ok "backup while serving: $(basename "$arc"); rollback refused while the lock is held"

before_db=$(dbsum)
before_keys=$(sha256sum <"$T/keys")
before_conf=$(sha256sum <"$T/qte.conf")
mkdir "$T/x"
tar -xzf "$arc" -C "$T/x"
(cd "$T/x" && sha256sum --quiet -c MANIFEST.sha256) || fail "sha256sum -c MANIFEST.sha256"
members=$(cd "$T/x" && find . -type f | sort | tr '\n' ' ')
[ "$members" = "./MANIFEST.sha256 ./config/qte.conf ./db/qte.sqlite ./keys/keys ./meta.json " ] || fail "members: $members"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["store"]=="sqlite" and d["sources"]["db/qte.sqlite"]==sys.argv[2], d' \
    "$T/x/meta.json" "$T/qte.db" || fail "meta.json: $(cat "$T/x/meta.json")"
[ "$(sqlite3 "$T/x/db/qte.sqlite" .dump | sha256sum)" = "$before_db" ] || fail "the copy differs from the database"
QTE_BIN=$QTE QTE_BACKUP_DIR=$T/backups bash "$HK_SRC/deployment/scripts/backup.sh" verify "$arc" | gq "^ok " ||
    fail "backup.sh verify"
ok "archive: $members, manifest verified"

# Change everything, then restore.
sqlite3 "$T/qte.db" "DELETE FROM snapshots; UPDATE qte_runs SET status='running'; INSERT INTO positions VALUES ('x','HK.99999',1,1,1,1,1)"
sleep 1
"$QTE" keys generate admin "${CONF[@]}" >/dev/null 2>&1
echo "QTE_SLOW_MS=99" >"$T/qte.conf"
[ "$(dbsum)" != "$before_db" ] || fail "db unchanged"

# A tampered archive is refused and nothing is touched.
mkdir "$T/t"
tar -xzf "$arc" -C "$T/t"
echo "tampered" >>"$T/t/keys/keys"
(cd "$T/t" && tar -czf "$T/tampered.tar.gz" MANIFEST.sha256 meta.json db config keys)
after_change=$(dbsum)
out=$("$QTE" rollback "$T/tampered.tar.gz" "${CONF[@]}" 2>&1) && fail "tampered archive restored"
grep -q 'refused: checksum mismatch: keys/keys' <<<"$out" || fail "tamper message: $out"
[ "$(dbsum)" = "$after_change" ] || fail "a refused rollback changed the database"
ok "tampered archive refused: $(tail -n 1 <<<"$out")"

"$QTE" rollback "$arc" "${CONF[@]}" >"$T/rb.txt" || fail "rollback: $(cat "$T/rb.txt")"
[ "$(dbsum)" = "$before_db" ] || fail "database not restored exactly"
[ "$(sha256sum <"$T/keys")" = "$before_keys" ] || fail "keys not restored"
[ "$(sha256sum <"$T/qte.conf")" = "$before_conf" ] || fail "config not restored"
grep -q '^verified 4 files of ' "$T/rb.txt" || fail "rb output: $(cat "$T/rb.txt")"
ok "rollback: database, keys and config identical to the backup"

# The restored database serves again (resume of a done run).
qte_start "${CONF[@]}"
qte_wait_done
qte_stop
[ "$QTE_RC" = 0 ] || fail "restart after rollback: exit $QTE_RC"
ok "serve starts on the restored database"
