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

# shellcheck source=lib/apt.sh
source "$(dirname "$0")/lib/apt.sh"
apt_install_or_exit install-browser chromium fonts-dejavu-core
$SUDO "${APT[@]}" install -y --no-install-recommends chromium fonts-dejavu-core
dpkg-query -W -f='install-browser: ${Package} ${Version}\n' chromium 2>/dev/null || true
