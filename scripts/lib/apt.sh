# Sourced by the install scripts. apt_install_missing WHO PKG...: installs, with apt-get (through
# sudo when not root), those of PKG... that are not installed yet; says what it does on stderr,
# prefixed with WHO. Installs nothing and is quick when everything is present.

apt_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_install_missing() {
  local who="$1"
  shift
  local missing=() package
  for package in "$@"; do
    apt_installed "$package" || missing+=("$package")
  done
  if ((${#missing[@]} == 0)); then
    echo "$who: Debian packages present: $*" >&2
    return 0
  fi
  echo "$who: installing ${missing[*]}" >&2
  local sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}
