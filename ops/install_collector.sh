#!/usr/bin/env bash
# install_collector.sh - runbook entry point for the collector installer:
#   sudo APP_DIR=/opt/futu_tick_downloader ENV_FILE=/opt/futu_tick_downloader/.env ops/install_collector.sh
# Same parameters and behaviour as deploy/scripts/install.sh (it runs it).
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
exec bash "$here/../deploy/scripts/install.sh" "$@"
