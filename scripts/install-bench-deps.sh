#!/usr/bin/env bash
# Installs what the benchmarks need besides the build (scripts/install-deps.sh does that):
#   - wrk, the HTTP load generator, from Debian;
#   - libzbar-dev, the zbar QR decoder that bench/scanner_bench compares the scanner with;
#   - (Node.js 20+ and npm come with the machine; Debian 12's own nodejs is 18, too old for
#     better-sqlite3 12, so this script checks for them and says so rather than installing it);
#   - the npm packages of the scan-capture peer (bench/scan_capture: fastify, better-sqlite3),
#     with `npm ci` from its package-lock.json.
# better-sqlite3 is a native addon. Its install step first tries to download a prebuilt binary,
# which fails where only the npm registry is reachable, and then builds from source with
# node-gyp; that needs python3, make, g++ and the Node headers. Debian's and NodeSource's nodejs
# packages ship the headers in /usr/include/node, so node-gyp is pointed there (nodedir=/usr)
# instead of downloading them.
# Idempotent: installs only what is missing. Needs root (or sudo) for apt.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
peer_dir="$repo/bench/scan_capture"

# shellcheck source=scripts/lib/apt.sh
source "$repo/scripts/lib/apt.sh"
apt_install_missing install-bench-deps wrk make g++ python3 sqlite3 libzbar-dev

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-bench-deps: node and npm are needed (Node.js 20 or later, with its headers)" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "install-bench-deps: Node.js $(node --version) is too old; better-sqlite3 12 needs 20+" >&2
  exit 1
fi

# The Node headers node-gyp compiles better-sqlite3 against.
node_prefix="$(dirname "$(dirname "$(command -v node)")")"
nodedir=""
for candidate in "$node_prefix" /usr /usr/local; do
  if [ -f "$candidate/include/node/node_api.h" ] || [ -f "$candidate/include/node/node.h" ]; then
    nodedir="$candidate"
    break
  fi
done
if [ -z "$nodedir" ]; then
  echo "install-bench-deps: no Node headers (include/node/node.h) next to $(command -v node);" \
    "install a nodejs package that ships them (NodeSource's does; Debian's: libnode-dev)" >&2
  exit 1
fi

# npm ci only when node_modules does not match the lock file already: `npm ci` deletes and
# rebuilds node_modules, which costs a minute for better-sqlite3's native build.
stamp="$peer_dir/node_modules/.kiosk-edge-lock.sha256"
want="$(cat "$peer_dir/package-lock.json" <(node --version) | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
  (cd "$peer_dir" && node -e "new (require('better-sqlite3'))(':memory:').close(); require('fastify')") \
    >/dev/null 2>&1; then
  echo "install-bench-deps: bench/scan_capture/node_modules is up to date" >&2
  exit 0
fi

echo "install-bench-deps: npm ci in bench/scan_capture (builds better-sqlite3 from source," \
  "about a minute)" >&2
(
  cd "$peer_dir"
  # node-gyp reads npm_config_nodedir from its environment.
  npm_config_nodedir="$nodedir" npm ci --no-audit --no-fund --update-notifier=false --loglevel=error
  # Fail here, not in the middle of a benchmark, if the addon did not build.
  node -e "new (require('better-sqlite3'))(':memory:').close(); require('fastify')"
)
echo "$want" >"$stamp"
echo "install-bench-deps: bench/scan_capture/node_modules installed" >&2
