#!/usr/bin/env bash
# build_packages.sh BUILD_DIR OUT_DIR: makes the .deb packages with CPack from an already built
# BUILD_DIR, then unpacks each into OUT_DIR/root-<package> (files, dpkg-deb -x) and
# OUT_DIR/control-<package> (control files, dpkg-deb -e), for the other packaging tests.
set -euo pipefail
build=$1
out=$2
for tool in cpack dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (run scripts/install-deps.sh)" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out/debs"
cpack --config "$build/CPackConfig.cmake" -B "$out/cpack" >"$out/cpack.log" 2>&1 ||
  { cat "$out/cpack.log" >&2; echo "FAIL: cpack" >&2; exit 1; }
mv "$out"/cpack/*.deb "$out/debs/"
for package in kiosk-agent profile-store; do
  debs=("$out"/debs/"${package}"_*.deb)
  [ -f "${debs[0]}" ] || { echo "FAIL: no ${package}_*.deb made; cpack said:" >&2; cat "$out/cpack.log" >&2; exit 1; }
  dpkg-deb -x "${debs[0]}" "$out/root-$package"
  dpkg-deb -e "${debs[0]}" "$out/control-$package"
  echo "$package: $(basename "${debs[0]}"), $(stat -c %s "${debs[0]}") bytes"
done
