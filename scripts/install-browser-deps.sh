#!/usr/bin/env bash
# Installs what the browser tests (tests/browser/) need, and nothing else:
#   - Debian's chromium, which playwright-core drives (it never downloads a browser of its own),
#     and a small CJK font so screenshots of the Chinese pages show text, not boxes;
#   - openssl, which makes the signup scenario's certificate for kiosk-agent's [https];
#   - node and npm, only when missing (Debian's nodejs / npm packages);
#   - the npm packages pinned in tests/browser/package-lock.json, into tests/browser/node_modules,
#     only when node_modules is missing or older than the lockfile.
# Idempotent and quick when everything is present. Needs root (or sudo) only to install Debian
# packages. Called by scripts/install-deps.sh.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
browser_dir="$repo/tests/browser"

# shellcheck source=scripts/lib/apt.sh
source "$repo/scripts/lib/apt.sh"
packages=(chromium fonts-wqy-microhei openssl)  # openssl: a test certificate for [https]
# node and npm may come from elsewhere (NodeSource's nodejs bundles npm): look for the commands,
# and never install Debian's npm next to an npm that works.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
apt_install_missing install-browser-deps "${packages[@]}"

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if ((node_major < 18)); then
  echo "install-browser-deps: node $(node --version) is too old for playwright-core; need 18 or newer" >&2
  exit 1
fi

# node_modules is current when it was installed from exactly this package.json and lockfile by
# this node major version; a stamp inside node_modules records which.
stamp_file="$browser_dir/node_modules/.kiosk-edge-stamp"
current_stamp() {
  cat "$browser_dir/package.json" "$browser_dir/package-lock.json" 2>/dev/null |
    sha256sum | cut -d' ' -f1 | sed "s/\$/ node$node_major/"
}
if [ -f "$browser_dir/package-lock.json" ] && [ -f "$stamp_file" ] &&
  [ "$(cat "$stamp_file")" = "$(current_stamp)" ] &&
  [ -f "$browser_dir/node_modules/playwright-core/package.json" ]; then
  echo "install-browser-deps: tests/browser/node_modules is up to date" >&2
  exit 0
fi

cd "$browser_dir"
# playwright-core has no install scripts; --ignore-scripts keeps it that way for any package.
npm_flags=(--ignore-scripts --no-audit --no-fund --loglevel=error)
if [ -f package-lock.json ]; then
  echo "install-browser-deps: installing npm packages in tests/browser (npm ci)" >&2
  npm ci "${npm_flags[@]}"
else
  echo "install-browser-deps: no package-lock.json; npm install writes one (commit it)" >&2
  npm install "${npm_flags[@]}"
fi
current_stamp >"$stamp_file"
