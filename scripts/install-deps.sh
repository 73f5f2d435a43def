#!/usr/bin/env bash
# Install the Debian 12 packages this project builds, tests and runs with.
# Idempotent: only missing packages are installed, and `apt-get update` runs
# only when something is missing. Needs root (or sudo) when it installs.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  protobuf-c-compiler libprotobuf-c-dev
  libsqlite3-dev sqlite3 libssl-dev libuv1-dev libmicrohttpd-dev
  libzstd-dev libsystemd-dev libjansson-dev libcmocka-dev
)

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
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
