#!/usr/bin/env bash
# Install the Debian 12 packages this project builds and runs with; with
# --test also what the test suite uses (clang for the fuzzers, promtool,
# curl, zstd and jq CLIs, systemd-analyze, gcovr for `make coverage`,
# chromium for the status page's browser test, clickhouse-server and
# nats-server for the pipeline tests; postgresql, redis-server and nginx
# for qte-engine's tests, which start their own instances; sysstat and
# htop for the runbook-003 test's monitoring commands).
# Idempotent: only missing packages are installed, and `apt-get update` runs
# only when something is missing. Needs root (or sudo) when it installs.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config
  protobuf-c-compiler libprotobuf-c-dev
  libsqlite3-dev sqlite3 libssl-dev libuv1-dev libmicrohttpd-dev
  libzstd-dev libsystemd-dev libjansson-dev libcmocka-dev zlib1g-dev
  libcurl4-openssl-dev libnats-dev libpq-dev libhiredis-dev
)
# --servers: only what scripts/manage_all.sh runs (the pipeline's servers).
if [ "${1:-}" = "--servers" ]; then
  pkgs=(nats-server clickhouse-server curl iproute2 util-linux procps)
fi
if [ "${1:-}" = "--test" ]; then
  pkgs+=(clang clang-format libclang-rt-14-dev curl prometheus zstd jq systemd git
    gcovr nats-server clickhouse-server chromium python3
    postgresql redis-server nginx sysstat htop)
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Packages like prometheus ship a service; we only need their tools
# (promtool), so keep apt from starting daemons while installing.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  created_policy=1
fi
cleanup() {
  if [ "$created_policy" = 1 ]; then $SUDO rm -f "$policy"; fi
}
trap cleanup EXIT
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
