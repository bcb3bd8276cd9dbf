#!/usr/bin/env bash
# Installs the real servers the remote-cache and SLURM tests start on localhost (DESIGN.md
# decisions 9, 10): nginx (WebDAV PUT is in the core dav module), slurm-wlm and munge.
# Idempotent: installs only what is missing, so CI can run it on every job.
set -euo pipefail

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

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "install-servers: installing ${need[*]}"
$SUDO apt-get update -q
# nginx-light was dropped from newer Debian releases; fall back to plain nginx.
if ! $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"; then
  fallback=("${need[@]/nginx-light/nginx}")
  $SUDO apt-get install -y -q --no-install-recommends "${fallback[@]}"
fi
# The Debian packages start services through systemd where it exists; the tests run their own
# instances on free ports with their own keys, so nothing else is configured here.
# (`sbatch --version` needs a slurm.conf, so report package versions instead.)
dpkg-query -W -f='install-servers: ${Package} ${Version}\n' nginx-light nginx slurm-wlm munge 2>/dev/null || true
