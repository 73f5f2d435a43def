#!/usr/bin/env bash
# install.sh - install hk-tick-collector as a systemd service
# (compat.md §10.2). ops/install_collector.sh runs this same script.
#
#   sudo APP_DIR=/opt/futu_tick_downloader ENV_FILE=/etc/hk-tick-collector.env \
#        deploy/scripts/install.sh
#
# Parameters (environment, defaults):
#   APP_DIR=/opt/futu_tick_downloader  repository checkout; binaries in bin/
#   ENV_FILE=/etc/hk-tick-collector.env  rendered into EnvironmentFile=-…
#   RUN_USER=hkcollector RUN_GROUP=hkcollector
#   DATA_ROOT=/data/sqlite/HK          created 0750 RUN_USER:RUN_GROUP
#   SERVICE_NAME=hk-tick-collector FUTU_SERVICE_NAME=futu-opend
#   PYTHON_BIN, INSTALL_DEPS           accepted and ignored (C build)
# Switches for packaging and tests (all default off / empty):
#   DESTDIR=DIR        prefix every path written (units, env file, DATA_ROOT)
#   SYSTEMD_DIR=DIR    where units go (default $DESTDIR/etc/systemd/system)
#   NO_SYSTEMCTL=1     do not run systemctl (daemon-reload, enable --now)
#   SKIP_USER=1        do not create the user/group; chown only to existing ones
#   SKIP_ROOT_CHECK=1  allow running as non-root (packaging into DESTDIR)
# Idempotent: re-running re-renders the unit and never overwrites an
# existing ENV_FILE or an existing OpenD unit.
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
repo=$(cd "$here/../.." && pwd)

APP_DIR=${APP_DIR:-/opt/futu_tick_downloader}
ENV_FILE=${ENV_FILE:-/etc/hk-tick-collector.env}
RUN_USER=${RUN_USER:-hkcollector}
RUN_GROUP=${RUN_GROUP:-hkcollector}
DATA_ROOT=${DATA_ROOT:-/data/sqlite/HK}
SERVICE_NAME=${SERVICE_NAME:-hk-tick-collector}
FUTU_SERVICE_NAME=${FUTU_SERVICE_NAME:-futu-opend}
DESTDIR=${DESTDIR:-}
SYSTEMD_DIR=${SYSTEMD_DIR:-${DESTDIR}/etc/systemd/system}
NO_SYSTEMCTL=${NO_SYSTEMCTL:-0}
SKIP_USER=${SKIP_USER:-0}

fail() { echo "[FAIL] $*" >&2; exit 1; }
info() { echo "[INFO] $*"; }

if [ "$(id -u)" -ne 0 ] && [ "${SKIP_ROOT_CHECK:-0}" != 1 ]; then
    fail "please run as root"
fi
for v in APP_DIR ENV_FILE DATA_ROOT; do
    case "${!v}" in
    /*) ;;
    *) fail "$v must be an absolute path: ${!v}" ;;
    esac
done
for v in SERVICE_NAME FUTU_SERVICE_NAME RUN_USER RUN_GROUP; do
    [[ "${!v}" =~ ^[A-Za-z0-9_.@-]+$ ]] || fail "invalid $v: ${!v}"
done
[ -d "$APP_DIR" ] || fail "APP_DIR not found: $APP_DIR (clone the repository there first)"

# 1. Binaries: APP_DIR/bin, built with `make build` when missing.
if [ ! -x "$APP_DIR/bin/hk-tick-collector" ] || [ ! -x "$APP_DIR/bin/hk-tickctl" ]; then
    if [ ! -x "$APP_DIR/build/bin/hk-tick-collector" ] || [ ! -x "$APP_DIR/build/bin/hk-tickctl" ]; then
        [ -f "$APP_DIR/Makefile" ] || fail "no binaries in $APP_DIR/bin and no Makefile to build them"
        info "building binaries in $APP_DIR (make build)"
        make -C "$APP_DIR" build
    fi
    install -d -m 0755 "$APP_DIR/bin"
    install -m 0755 "$APP_DIR/build/bin/hk-tick-collector" "$APP_DIR/build/bin/hk-tickctl" "$APP_DIR/bin/"
fi
info "collector=$APP_DIR/bin/hk-tick-collector"

# 2. System group and user (home APP_DIR, no login shell).
if [ "$SKIP_USER" != 1 ]; then
    getent group "$RUN_GROUP" >/dev/null || groupadd --system "$RUN_GROUP"
    if ! id -u "$RUN_USER" >/dev/null 2>&1; then
        useradd --system --gid "$RUN_GROUP" --home-dir "$APP_DIR" \
            --no-create-home --shell /usr/sbin/nologin "$RUN_USER"
    fi
fi
own=()
grp=()
if id -u "$RUN_USER" >/dev/null 2>&1; then own=(-o "$RUN_USER"); fi
if getent group "$RUN_GROUP" >/dev/null; then grp=(-g "$RUN_GROUP"); fi

# 3. DATA_ROOT 0750 RUN_USER:RUN_GROUP.
install -d -m 0750 "${own[@]}" "${grp[@]}" "${DESTDIR}${DATA_ROOT}"
info "data_root=${DATA_ROOT}"

# 4. ENV_FILE from .env.example when missing (0640 root:RUN_GROUP), with
#    DATA_ROOT set to the directory the unit may write.
env_path="${DESTDIR}${ENV_FILE}"
if [ ! -e "$env_path" ]; then
    example="$APP_DIR/.env.example"
    [ -f "$example" ] || example="$repo/.env.example"
    [ -f "$example" ] || fail "no .env.example in $APP_DIR or $repo"
    install -d -m 0755 "$(dirname "$env_path")"
    tmp=$(mktemp "$env_path.XXXXXX")
    sed -e "s#^DATA_ROOT=.*#DATA_ROOT=${DATA_ROOT}#" "$example" >"$tmp"
    install -m 0640 "${grp[@]}" "$tmp" "$env_path"
    rm -f "$tmp"
    info "created $ENV_FILE from $(basename "$example"); set FUTU_SYMBOLS there"
else
    info "keeping existing $ENV_FILE"
fi
stop_flush=$(sed -n 's/^[[:space:]]*\(export[[:space:]]\+\)\?STOP_FLUSH_TIMEOUT_SEC=["'"'"']\?\([0-9.]*\).*/\2/p' "$env_path" | tail -n 1)
if [ -n "$stop_flush" ] && awk -v s="$stop_flush" 'BEGIN { exit !(s >= 120) }'; then
    echo "[WARN] STOP_FLUSH_TIMEOUT_SEC=$stop_flush >= TimeoutStopSec=120 in $ENV_FILE" >&2
fi

# 5. Render the unit from the parameters.
render_collector_unit() {
    sed -e "s#^User=.*#User=${RUN_USER}#" \
        -e "s#^Group=.*#Group=${RUN_GROUP}#" \
        -e "s#^EnvironmentFile=.*#EnvironmentFile=-${ENV_FILE}#" \
        -e "s#^ReadWritePaths=.*#ReadWritePaths=${DATA_ROOT}#" \
        -e "s#futu-opend\\.service#${FUTU_SERVICE_NAME}.service#g" \
        -e "s#/opt/futu_tick_downloader#${APP_DIR}#g" \
        "$repo/deploy/systemd/hk-tick-collector.service"
}
install -d -m 0755 "$SYSTEMD_DIR"
unit="$SYSTEMD_DIR/${SERVICE_NAME}.service"
tmp=$(mktemp "$unit.XXXXXX")
render_collector_unit >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$unit"
info "unit=$unit"

# 6. The OpenD unit, unless one is installed already.
opend_unit="$SYSTEMD_DIR/${FUTU_SERVICE_NAME}.service"
if [ ! -e "$opend_unit" ] && [ ! -e "/etc/systemd/system/${FUTU_SERVICE_NAME}.service" ] &&
    [ -f "$repo/deploy/systemd/futu-opend.service" ]; then
    install -m 0644 "$repo/deploy/systemd/futu-opend.service" "$opend_unit"
    info "installed $opend_unit (check ExecStart paths for your OpenD package)"
fi

# 7. systemd.
if [ "$NO_SYSTEMCTL" != 1 ]; then
    systemctl daemon-reload
    if command -v systemd-analyze >/dev/null 2>&1; then
        systemd-analyze verify "$unit" || echo "[WARN] systemd-analyze verify reported problems in $unit" >&2
    fi
    systemctl enable --now "${SERVICE_NAME}.service"
else
    info "NO_SYSTEMCTL=1: skipped daemon-reload and enable --now"
fi
echo "[OK] installed ${SERVICE_NAME}.service"
echo "[INFO] env_file=${ENV_FILE}"
