#!/usr/bin/env bash
# check_packages.sh OUT_DIR: checks the packages unpacked by build_packages.sh: the layout, the
# control files and maintainer scripts, the users, that the binaries run (--help, --version)
# from the scratch root, and that each man page renders and documents every option of --help.
set -uo pipefail
out=$1
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

check_files() {  # ROOT FILE...: each FILE exists under ROOT
  local root=$1
  shift
  for file in "$@"; do [ -e "$root$file" ] || fail "$(basename "$root"): $file missing"; done
}

check_package() {  # PACKAGE USER CONFIG UNIT...
  local package=$1 user=$2 config=$3
  shift 3
  local control=$out/control-$package root=$out/root-$package
  check_files "$control" /control /postinst /prerm /postrm /conffiles
  grep -qx "Package: $package" "$control/control" || fail "$package: control names another package"
  grep -q '^Depends:.*libc6' "$control/control" || fail "$package: Depends not computed (dpkg-shlibdeps)"
  grep -q '^Depends:.*adduser' "$control/control" || fail "$package: Depends lacks adduser"
  if grep -q '^ExecReload=/usr/bin/kill' "$root"/lib/systemd/system/*.service; then
    grep -q '^Depends:.*procps' "$control/control" || fail "$package: ExecReload needs procps in Depends"
  fi
  grep -qx "$config" "$control/conffiles" || fail "$package: $config is not a conffile"
  for script in postinst prerm postrm; do
    [ -x "$control/$script" ] || fail "$package: $script not executable"
    sh -n "$control/$script" || fail "$package: $script is not valid sh"
    grep -q '@[A-Z_]*@' "$control/$script" && fail "$package: $script has an unreplaced @VARIABLE@"
  done
  # daemon-reload and starting units only where systemd runs: installing into a chroot works.
  grep -q '\[ -d /run/systemd/system \]' "$control/postinst" || fail "$package: postinst unguarded"
  grep -q "systemd-sysusers $package.conf" "$control/postinst" || fail "$package: postinst makes no users"
  check_files "$root" "$config" "/usr/lib/sysusers.d/$package.conf"
  for unit in "$@"; do check_files "$root" "/lib/systemd/system/$unit"; done
  local sysroot
  sysroot=$(mktemp -d)
  mkdir -p "$sysroot/etc"
  local made
  made=$(systemd-sysusers --dry-run --root="$sysroot" "$root/usr/lib/sysusers.d/$package.conf" 2>&1)
  grep -q "Creating user '$user'" <<<"$made" || fail "$package: sysusers.d does not create $user: $made"
  rm -rf "$sysroot"
  find "$root/var" "$root/home" -mindepth 1 2>/dev/null | grep -q . &&
    fail "$package: ships files under /var or /home (state belongs to StateDirectory=)"
}

check_binary() {  # PACKAGE /PATH/BINARY MAN-PAGE: runs from the scratch root; the man page covers --help
  local root=$out/root-$1 binary page=$out/root-$1$3
  local help
  binary=$(basename "$2")
  check_files "$root" "$2" "$3"
  help=$("$root$2" --help) || fail "$binary --help exited non-zero"
  grep -q "^usage: $binary" <<<"$help" || fail "$binary --help prints no usage line"
  [ -f "$page" ] || return
  local rendered warnings
  warnings=$(MANWIDTH=200 man --warnings -l "$page" 2>&1 >/dev/null)
  [ -z "$warnings" ] || fail "$3 renders with warnings: $warnings"
  rendered=$(MANWIDTH=200 man -l "$page" 2>/dev/null | sed 's/\xe2\x80\x90/-/g')
  for option in $(grep -o -- '--[a-z][a-z-]*' <<<"$help" | sort -u); do
    grep -q -- "$option" <<<"$rendered" || fail "$3 does not document $option of $binary --help"
  done
  for command in $(grep -oE '^  [a-z][a-z-]+' <<<"$help" | sort -u); do
    grep -q -- "$command" <<<"$rendered" || fail "$3 does not document command $command"
  done
}

check_package kiosk-agent kiosk-agent /etc/kiosk-edge/kiosk-agent.toml \
  kiosk-agent.service kiosk-browser.service
check_package profile-store profile-store /etc/kiosk-edge/profile-store.toml profile-store.service
grep -q '^Recommends:.*chromium' "$out/control-kiosk-agent/control" || fail "kiosk-agent: chromium not recommended"
[ -e "$out/root-profile-store/usr/bin/kiosk-agent" ] && fail "profile-store ships kiosk-agent"
[ -e "$out/root-kiosk-agent/usr/bin/profile-store" ] && fail "kiosk-agent ships profile-store"

check_binary kiosk-agent /usr/bin/kiosk-agent /usr/share/man/man8/kiosk-agent.8.gz
check_binary kiosk-agent /usr/bin/kioskctl /usr/share/man/man1/kioskctl.1.gz
check_binary kiosk-agent /usr/sbin/kiosk-agent-camera /usr/share/man/man8/kiosk-agent-camera.8.gz
check_binary profile-store /usr/bin/profile-store /usr/share/man/man8/profile-store.8.gz
for binary in kiosk-agent profile-store; do
  root=$out/root-$binary
  "$root/usr/bin/$binary" --version | grep -q "^$binary [0-9]" || fail "$binary --version"
done
# The packaged configs load (a bad key, type or value would stop both with exit status 2).
"$out/root-kiosk-agent/usr/bin/kioskctl" --config "$out/root-kiosk-agent/etc/kiosk-edge/kiosk-agent.toml" \
  staff hash-pin <<<"123456" >/dev/null || fail "kioskctl cannot load the packaged kiosk-agent.toml"
state=$(mktemp -d)
said=$("$out/root-profile-store/usr/bin/profile-store" kiosks --state-dir "$state" \
  --config "$out/root-profile-store/etc/kiosk-edge/profile-store.toml" 2>&1) ||
  fail "profile-store cannot run on the packaged profile-store.toml: $said"
rm -rf "$state"

if ((failures > 0)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "packages: layout, control files, users, binaries and man pages OK"
