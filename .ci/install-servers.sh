#!/usr/bin/env bash
# Installs the real servers the remote-cache and SLURM tests start on localhost (DESIGN.md
# decisions 9, 10): nginx (WebDAV PUT is in the core dav module), slurm-wlm and munge.
# Idempotent: installs only what is missing; `npm test` (test/util/prereqs.ts) runs it before the
# suites that start these servers. Exit 3: something is missing and root is not available.
set -euo pipefail
# The daemons live in sbin, which a non-root user's PATH often lacks.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

need=()
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
command -v sbatch >/dev/null 2>&1 && command -v slurmctld >/dev/null 2>&1 \
  && command -v slurmd >/dev/null 2>&1 || need+=(slurm-wlm)
command -v munged >/dev/null 2>&1 && command -v mungekey >/dev/null 2>&1 || need+=(munge)
command -v curl >/dev/null 2>&1 || need+=(curl)   # bench/remote.ts compares against curl

if [ ${#need[@]} -eq 0 ]; then
  echo "install-servers: nginx, slurm-wlm and munge already present"
  exit 0
fi

# shellcheck source=lib/apt.sh
source "$(dirname "$0")/lib/apt.sh"
apt_install_or_exit install-servers "${need[@]}"
# nginx-light was dropped from newer Debian releases; fall back to plain nginx.
if ! $SUDO "${APT[@]}" install -y --no-install-recommends "${need[@]}"; then
  fallback=("${need[@]/nginx-light/nginx}")
  $SUDO "${APT[@]}" install -y --no-install-recommends "${fallback[@]}"
fi
# The Debian packages start services through systemd where it exists; the tests run their own
# instances on free ports with their own keys, so nothing else is configured here.
# (`sbatch --version` needs a slurm.conf, so report package versions instead.)
dpkg-query -W -f='install-servers: ${Package} ${Version}\n' nginx-light nginx slurm-wlm munge 2>/dev/null || true
