#!/usr/bin/env bash
# Installs what is missing, builds, and starts kiosk-agent on the embedded defaults
# (SQLite journal in ./state/kiosk-agent, HTTP on 127.0.0.1:8470). Ctrl-C stops it.
# Extra arguments go to kiosk-agent, e.g. scripts/run.sh --port 0
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target kiosk-agent
exec build/bin/kiosk-agent "$@"
