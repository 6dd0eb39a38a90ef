#!/usr/bin/env bash
# Installs every Debian 12 package kiosk-edge needs to build, run and test, and the npm packages
# the browser tests use. Idempotent: installs only what is missing. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  libsqlite3-dev sqlite3 libssl-dev libtomlplusplus-dev
  libpq-dev postgresql  # profile-store's PostgreSQL backend; the tests start a throwaway server
  libqrencode-dev libzxing-dev libcairo2-dev zlib1g-dev libjpeg62-turbo-dev zbar-tools
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  clang-format
  clang-14 libclang-rt-14-dev  # scripts/fuzz.sh: clang, libFuzzer and the sanitizer runtimes
  systemd dpkg-dev man-db cage procps  # tests/packaging: systemd-analyze, dpkg-shlibdeps, man,
  # cage, kill (ExecReload)
)

# shellcheck source=scripts/lib/apt.sh
source "$(dirname "$0")/lib/apt.sh"
apt_install_missing install-deps "${packages[@]}"

# npm packages for the browser tests (playwright-core drives Debian's chromium).
"$(dirname "$0")/install-browser-deps.sh"
