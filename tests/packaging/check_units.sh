#!/usr/bin/env bash
# check_units.sh OUT_DIR: checks the systemd units of the packages unpacked by
# build_packages.sh. `systemd-analyze verify` must print nothing for each unit (it checks the
# ExecStart binaries and Documentation= man pages too, so it runs against a scratch root holding
# both packages and this machine's own units); `systemd-analyze security --offline=yes` must rate
# kiosk-agent and profile-store at most 2.0, also with the camera drop-in.
set -uo pipefail
out=$1
max_exposure=2.0
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
for tool in systemd-analyze man cage chromium; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (run scripts/install-deps.sh)" >&2; exit 1; }
done

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/lib/systemd"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp -a "$out/root-kiosk-agent/." "$out/root-profile-store/." "$root/"
# The units' ExecReload runs this machine's kill (procps).
mkdir -p "$root/usr/bin" && cp -a /usr/bin/kill "$root/usr/bin/"
export MANPATH=$root/usr/share/man
units=$root/lib/systemd/system

verify() {  # LABEL ARGS...: systemd-analyze verify ARGS must succeed and say nothing
  local said
  said=$(systemd-analyze verify "${@:2}" 2>&1) || fail "$1: systemd-analyze verify failed: $said"
  [ -z "$said" ] || fail "$1: systemd-analyze verify: $said"
}

exposure() {  # UNIT LABEL: the offline exposure score must be at most $max_exposure
  local report score
  report=$(systemd-analyze security --offline=yes --root="$root" "$1" 2>&1)
  score=$(sed -n "s/.*Overall exposure level for $1: \([0-9.]*\).*/\1/p" <<<"$report")
  if [ -z "$score" ]; then
    fail "$2: no exposure level in: $report"
  elif awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s > m) }'; then
    fail "$2: exposure $score is above $max_exposure"
  else
    echo "$2: exposure $score (at most $max_exposure)"
  fi
  printf '%s\n' "$report" >"$out/security-$2.txt"
}

has_lines() {  # FILE LINE...: each LINE is a whole line of FILE
  local file=$1
  shift
  for line in "$@"; do grep -qxF -- "$line" "$file" || fail "$(basename "$file") lacks '$line'"; done
}

for unit in kiosk-agent profile-store; do
  has_lines "$units/$unit.service" Type=notify NotifyAccess=main WatchdogSec=30s \
    Restart=on-failure "StateDirectory=$unit" "User=$unit" ProtectSystem=strict ProtectHome=yes \
    PrivateTmp=yes PrivateDevices=yes DevicePolicy=closed NoNewPrivileges=yes \
    CapabilityBoundingSet= "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" \
    SystemCallFilter=@system-service MemoryDenyWriteExecute=yes
  grep -q '^DeviceAllow=' "$units/$unit.service" && fail "$unit.service allows a device by default"
  verify "$unit" --root="$root" "$unit.service"
  exposure "$unit.service" "$unit"
done

# The kiosk screen runs on this machine's chromium and cage, so it is verified here.
browser=$units/kiosk-browser.service
has_lines "$browser" Restart=always "Environment=KIOSK_URL=http://127.0.0.1:8470/kiosk" \
  User=kiosk PAMName=login TTYPath=/dev/tty1 WantedBy=graphical.target
# shellcheck disable=SC2016 # ${KIOSK_URL} is meant literally: systemd expands it
for flag in --kiosk --disable-background-networking --disable-component-update --disable-sync \
  --no-first-run --disable-default-apps --disable-features=Translate,MediaRouter '${KIOSK_URL}'; do
  grep -q -- "$flag" "$browser" || fail "kiosk-browser.service: chromium lacks $flag"
done
verify kiosk-browser "$browser"

# The camera: the drop-in allows exactly the configured device and keeps the score.
camera=$root/usr/sbin/kiosk-agent-camera
dropin=$root/etc/systemd/system/kiosk-agent.service.d/camera.conf
"$camera" --root "$root" /dev/video0 >/dev/null || fail "kiosk-agent-camera /dev/video0 failed"
has_lines "$dropin" "DeviceAllow=/dev/video0 rw" DevicePolicy=closed PrivateDevices=no \
  SupplementaryGroups=video
verify "kiosk-agent with camera" --root="$root" kiosk-agent.service
exposure kiosk-agent.service kiosk-agent-camera
grep -q 'DeviceAllow=.*/dev/video0:rw' "$out/security-kiosk-agent-camera.txt" ||
  fail "the camera drop-in does not reach the unit"
grep -q 'DeviceAllow=.*/dev/video0' "$out/security-kiosk-agent.txt" &&
  fail "the unit without the drop-in allows the camera"
for bad in "/dev/video0 rw" "/tmp/video0" "/dev/../sda" "/dev/video%i" $'/dev/video0\nDeviceAllow=/dev/sda'; do
  "$camera" --root "$root" "$bad" >/dev/null 2>&1 && fail "kiosk-agent-camera accepted '$bad'"
done
grep -qx "DeviceAllow=/dev/video0 rw" "$dropin" || fail "a refused device changed the drop-in"
printf '[counter]\ncamera_device = "/dev/v4l/by-id/usb-cam-video-index0"\n' >"$root/agent.toml"
"$camera" --root "$root" --config "$root/agent.toml" >/dev/null || fail "kiosk-agent-camera --config failed"
has_lines "$dropin" "DeviceAllow=/dev/v4l/by-id/usb-cam-video-index0 rw"
"$camera" --root "$root" --config "$root/etc/kiosk-edge/kiosk-agent.toml" >/dev/null ||
  fail "kiosk-agent-camera --config (packaged default) failed"
[ -e "$dropin" ] && fail "the default config (no camera) left a camera drop-in"

if ((failures > 0)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "units: verify clean, exposure at most $max_exposure, camera only through its drop-in"
