# Shared by the .ci/install-*.sh scripts: root-or-sudo detection and a lock-tolerant apt-get.
# Usage: source this file, then `apt_install_or_exit NAME pkg...` (NAME prefixes messages).
# Exit 3 (from the caller) when packages are missing and neither root nor passwordless sudo exists.

apt_install_or_exit() {
  local name="$1"; shift
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      echo "$name: $* missing; installing needs root or passwordless sudo" >&2
      exit 3
    fi
  fi
  echo "$name: installing $*"
  # Wait for another apt/dpkg (a second test run installing at the same time) instead of failing;
  # the variable is passed through env because sudo drops the caller's environment.
  APT=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300)
  SUDO="$sudo"
  $SUDO "${APT[@]}" update
}
