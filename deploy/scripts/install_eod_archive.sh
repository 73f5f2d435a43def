#!/usr/bin/env bash
# install_eod_archive.sh - install the end-of-day archive timer
# (compat.md §10.2): hk-tick-eod-archive.service + .timer rendered from the
# parameters, env file /etc/hk-tick-eod-archive.env (0640 root:RUN_GROUP,
# created when missing), timer enabled.
# Parameters: APP_DIR RUN_USER RUN_GROUP DATA_ROOT ARCHIVE_DIR RAW_KEEP_DAYS
# EOD_ENV_FILE (/etc/hk-tick-eod-archive.env); test switches as in
# install.sh: DESTDIR SYSTEMD_DIR NO_SYSTEMCTL=1 SKIP_ROOT_CHECK=1.
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
repo=$(cd "$here/../.." && pwd)
APP_DIR=${APP_DIR:-/opt/futu_tick_downloader}
RUN_USER=${RUN_USER:-hkcollector}
RUN_GROUP=${RUN_GROUP:-hkcollector}
DATA_ROOT=${DATA_ROOT:-/data/sqlite/HK}
ARCHIVE_DIR=${ARCHIVE_DIR:-${DATA_ROOT}/_archive}
RAW_KEEP_DAYS=${RAW_KEEP_DAYS:-3}
EOD_ENV_FILE=${EOD_ENV_FILE:-/etc/hk-tick-eod-archive.env}
DESTDIR=${DESTDIR:-}
SYSTEMD_DIR=${SYSTEMD_DIR:-${DESTDIR}/etc/systemd/system}
NO_SYSTEMCTL=${NO_SYSTEMCTL:-0}

fail() { echo "[FAIL] $*" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ] && [ "${SKIP_ROOT_CHECK:-0}" != 1 ]; then
    fail "please run as root"
fi
[[ "$RAW_KEEP_DAYS" =~ ^[0-9]+$ ]] || fail "invalid RAW_KEEP_DAYS: $RAW_KEEP_DAYS"
[ -x "$APP_DIR/scripts/hk-tickctl" ] || echo "[WARN] $APP_DIR/scripts/hk-tickctl missing: the unit's ConditionPathExists will skip runs" >&2

grp=()
if getent group "$RUN_GROUP" >/dev/null; then grp=(-g "$RUN_GROUP"); fi
env_path="${DESTDIR}${EOD_ENV_FILE}"
if [ ! -e "$env_path" ]; then
    install -d -m 0755 "$(dirname "$env_path")"
    tmp=$(mktemp "$env_path.XXXXXX")
    cat >"$tmp" <<ENV
# hk-tick-eod-archive.env - read by hk-tick-eod-archive.service
REPO_ROOT=${APP_DIR}
DATA_ROOT=${DATA_ROOT}
ARCHIVE_DIR=${ARCHIVE_DIR}
RAW_KEEP_DAYS=${RAW_KEEP_DAYS}
# zstd level and worker threads used by hk-tickctl archive
ARCHIVE_ZSTD_LEVEL=19
ARCHIVE_ZSTD_THREADS=1
ENV
    install -m 0640 "${grp[@]}" "$tmp" "$env_path"
    rm -f "$tmp"
    echo "[INFO] created $EOD_ENV_FILE"
fi

rw="$DATA_ROOT /tmp"
case "$ARCHIVE_DIR" in
"$DATA_ROOT"/*) ;;
*) rw="$DATA_ROOT $ARCHIVE_DIR /tmp" ;;
esac
install -d -m 0755 "$SYSTEMD_DIR"
sed -e "s#^User=.*#User=${RUN_USER}#" \
    -e "s#^Group=.*#Group=${RUN_GROUP}#" \
    -e "s#^EnvironmentFile=.*#EnvironmentFile=-${EOD_ENV_FILE}#" \
    -e "s#^ReadWritePaths=.*#ReadWritePaths=${rw}#" \
    -e "s#/opt/futu_tick_downloader#${APP_DIR}#g" \
    "$repo/deploy/systemd/hk-tick-eod-archive.service" >"$SYSTEMD_DIR/hk-tick-eod-archive.service"
install -m 0644 "$repo/deploy/systemd/hk-tick-eod-archive.timer" "$SYSTEMD_DIR/hk-tick-eod-archive.timer"
chmod 0644 "$SYSTEMD_DIR/hk-tick-eod-archive.service"

if [ "$NO_SYSTEMCTL" != 1 ]; then
    systemctl daemon-reload
    systemctl enable --now hk-tick-eod-archive.timer
    systemctl list-timers hk-tick-eod-archive.timer --no-pager || true
fi
echo "[OK] installed hk-tick-eod-archive.timer"
echo "[INFO] env_file=${EOD_ENV_FILE}"
