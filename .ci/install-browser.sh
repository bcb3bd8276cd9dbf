#!/usr/bin/env bash
# Installs Debian's chromium, the headless browser the `bevbuild ui` suites drive through the
# DevTools protocol (puppeteer-core pointed at /usr/bin/chromium; no browser download).
# Idempotent: does nothing when chromium is present; `npm test` (test/util/prereqs.ts) runs it
# before the suites that launch the browser. Exit 3: chromium is missing and root is not available.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  echo "install-browser: chromium already present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "install-browser: chromium missing; installing needs root or passwordless sudo" >&2
    exit 3
  fi
fi
echo "install-browser: installing chromium"
# Wait for another apt/dpkg (install-servers.sh, a second test run) instead of failing.
APT=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300)
$SUDO "${APT[@]}" update
$SUDO "${APT[@]}" install -y --no-install-recommends chromium fonts-dejavu-core
dpkg-query -W -f='install-browser: ${Package} ${Version}\n' chromium 2>/dev/null || true
