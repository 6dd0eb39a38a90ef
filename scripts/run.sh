#!/usr/bin/env bash
# Installs what is missing, builds, and starts the demo on the embedded defaults:
#   - profile-store (HQ) on https://127.0.0.1:8443, SQLite in ./state/profile-store, its CA and
#     keys made on first run;
#   - kiosk-agent on http://127.0.0.1:8470 (journal in ./state/kiosk-agent), enrolled with that
#     profile-store on first run (a one-time token, a certificate for its device key), syncing
#     its events to it.
# Ctrl-C stops both. Extra arguments go to kiosk-agent, e.g. scripts/run.sh --port 0
set -euo pipefail
cd "$(dirname "$0")/.."
# Ninja for a new build folder; an existing one keeps the generator it was made with.
generator() { [ -f "$1/CMakeCache.txt" ] || echo "-G Ninja"; }

scripts/install-deps.sh
cmake -S . -B build $(generator build) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target kiosk-agent kioskctl profile-store

hq_state=state/profile-store
kiosk_state=state/kiosk-agent
hq_port=8443
mkdir -p state
mkdir -p -m 700 "$kiosk_state"  # kioskctl id writes the kiosk id here before the agent first runs
hq_log=state/profile-store.log

build/bin/profile-store --state-dir "$hq_state" --port "$hq_port" >"$hq_log.out" 2>"$hq_log" &
hq_pid=$!
trap 'kill "$hq_pid" 2>/dev/null; wait "$hq_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q "sync URL" "$hq_log.out" 2>/dev/null && break
  kill -0 "$hq_pid" 2>/dev/null || { cat "$hq_log" >&2; echo "run.sh: profile-store did not start" >&2; exit 1; }
  sleep 0.1
done
sed 's/^/[hq] /' "$hq_log.out"

if [ ! -f "$kiosk_state/hq.json" ]; then
  kiosk_id="$(build/bin/kioskctl --state-dir "$kiosk_state" id)"
  token="$(build/bin/profile-store --state-dir "$hq_state" enroll-token --kiosk "$kiosk_id")"
  build/bin/kioskctl --state-dir "$kiosk_state" enroll --hq "https://127.0.0.1:$hq_port" \
    --token "$token" --ca "$hq_state/ca.pem"
fi
echo "[hq] log: $hq_log; sync status per kiosk: build/bin/profile-store --state-dir $hq_state kiosks"
build/bin/kiosk-agent --state-dir "$kiosk_state" "$@"
