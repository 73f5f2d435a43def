#!/usr/bin/env bash
# upgrade.sh - fast-forward APP_DIR to origin/$BRANCH, rebuild, install the
# binaries into APP_DIR/bin and restart the collector (compat.md §10.2).
# Prints before=<sha> after=<sha>. Parameters: APP_DIR, BRANCH (main),
# SERVICE_NAME, NO_SYSTEMCTL=1 (skip the restart).
set -euo pipefail
APP_DIR=${APP_DIR:-/opt/futu_tick_downloader}
BRANCH=${BRANCH:-main}
SERVICE_NAME=${SERVICE_NAME:-hk-tick-collector}
cd "$APP_DIR" || { echo "[FAIL] APP_DIR not found: $APP_DIR" >&2; exit 1; }
before=$(git rev-parse --short HEAD)
git fetch --quiet origin "$BRANCH"
git merge --ff-only "origin/$BRANCH"
after=$(git rev-parse --short HEAD)
make build
install -d -m 0755 bin
install -m 0755 build/bin/hk-tick-collector build/bin/hk-tickctl bin/
if [ "${NO_SYSTEMCTL:-0}" != 1 ]; then
    systemctl restart "$SERVICE_NAME"
    systemctl is-active "$SERVICE_NAME"
fi
echo "before=$before"
echo "after=$after"
