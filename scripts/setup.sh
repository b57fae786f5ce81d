#!/usr/bin/env bash
# Everything drkit needs on a Debian machine with Node.js 20.19+: the Debian packages the drill
# and the integration tests run (installed only when missing), a running Docker engine, the base
# image, `npm ci` (which builds) and drkit's images built into the engine.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

# --- Debian packages ---------------------------------------------------------------------------
# PostgreSQL, pgBackRest, Redis and the aws CLI run in drkit's images, never on this machine.
# Here: a Docker engine (docker.io), debootstrap (drkit's base image when no registry answers),
# openssl (the local S3 endpoint's and the pods' certificates), promtool (package prometheus),
# ShellCheck, and for the volume-full tests' block devices losetup (mount), findmnt
# (util-linux) and mkfs.ext4/resize2fs (e2fsprogs).
# A binary counts only where every user finds it, not on root's PATH alone (a pyenv shim).
system_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# shellcheck disable=SC2016 # $1 is the inner shell's argument
have() { env -i PATH="${system_path}" sh -c 'command -v "$1"' sh "$1" >/dev/null 2>&1; }
need=()
have promtool || need+=(prometheus)
have shellcheck || need+=(shellcheck)
have openssl || need+=(openssl)
have debootstrap || need+=(debootstrap)
have losetup || need+=(mount)
have findmnt || need+=(util-linux)
have resize2fs || need+=(e2fsprogs)
if ! docker info >/dev/null 2>&1 && ! have dockerd; then need+=(docker.io iptables); fi

sudo=""
if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
if [[ "${#need[@]}" -gt 0 ]]; then
  log "installing Debian packages: ${need[*]}"
  # Packages must not start their daemons here (Debian's prometheus would listen on :9090).
  # policy-rc.d exit 101 is Debian's documented "do not start services" switch.
  policy=/usr/sbin/policy-rc.d
  made_policy=""
  if [[ ! -e "${policy}" ]]; then
    printf '#!/bin/sh\nexit 101\n' | ${sudo} tee "${policy}" >/dev/null
    ${sudo} chmod +x "${policy}"
    made_policy=1
  fi
  trap 'if [ -n "$made_policy" ]; then $sudo rm -f "$policy"; fi' EXIT
  export DEBIAN_FRONTEND=noninteractive
  ${sudo} apt-get update -qq
  ${sudo} apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- a Docker engine ----------------------------------------------------------------------------
# The integration tests and the drill run drkit's images in it, as a cluster would.
if ! docker info >/dev/null 2>&1; then
  log "starting the Docker engine"
  if [[ -d /run/systemd/system ]] && ${sudo} systemctl start docker 2>/dev/null; then
    :
  else
    ${sudo} sh -c 'nohup dockerd >/var/log/drkit-dockerd.log 2>&1 &'
  fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { ${sudo} tail -n 20 /var/log/drkit-dockerd.log >&2 || true; echo "the Docker engine did not start (log above)" >&2; exit 1; }
fi

# --- drkit's images -------------------------------------------------------------------------------
# The base (pulled, or built from Debian packages when no registry answers), then drkit's own.
bash scripts/base-image.sh "${DRKIT_BASE_IMAGE:-debian:bookworm-slim}"

# --- Node.js ----------------------------------------------------------------------------------
node_version=$(node -p 'process.versions.node')
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "drkit needs Node.js 20.19 or newer, found ${node_version}" >&2
  exit 1
fi

log "npm ci (node ${node_version})"
npm ci --no-audit --no-fund

log "building drkit's images (postgres, redis, jobs) into the local engine"
node dist/cli/main.js images
