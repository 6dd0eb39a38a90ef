#!/usr/bin/env bash
# Installs what is missing, builds, and starts kiosk-agent on the embedded defaults
# (SQLite journal in ./state/kiosk-agent, HTTP on 127.0.0.1:8470). Ctrl-C stops it.
# Extra arguments go to kiosk-agent, e.g. scripts/run.sh --port 0
set -euo pipefail
cd "$(dirname "$0")/.."
# Ninja for a new build folder; an existing one keeps the generator it was made with.
generator() { [ -f "$1/CMakeCache.txt" ] || echo "-G Ninja"; }

scripts/install-deps.sh
cmake -S . -B build $(generator build) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target kiosk-agent kioskctl
exec build/bin/kiosk-agent "$@"
