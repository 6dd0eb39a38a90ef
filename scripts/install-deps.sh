#!/usr/bin/env bash
# Installs every Debian 12 package kiosk-edge needs to build, run and test, and the npm packages
# the browser tests use. Idempotent: installs only what is missing. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  libsqlite3-dev sqlite3 libssl-dev libtomlplusplus-dev
  libqrencode-dev libzxing-dev libcairo2-dev zlib1g-dev libjpeg62-turbo-dev zbar-tools
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  clang-format
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: all Debian packages present" >&2
fi

# npm packages for the browser tests (playwright-core drives Debian's chromium).
"$(dirname "$0")/install-browser-deps.sh"
