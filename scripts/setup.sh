#!/usr/bin/env bash
# Everything drkit needs on a Debian machine with Node.js 20.19+: the Debian packages the drill
# and the integration tests run (installed only when missing), a running Docker engine, the base
# image, `npm ci` (which builds) and drkit's images built into the engine.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

# --- Debian packages the integration tests run for real ------------------------------------
# postgresql (15), pgbackrest, redis-server, promtool (package prometheus), shellcheck, the aws
# CLI and openssl (the local S3 endpoint's TLS certificate); a Docker engine (docker.io) and
# debootstrap (drkit's base image when no registry answers).
# A binary counts only where every user finds it: PostgreSQL and pgBackRest run as the postgres
# user, which does not see root's PATH (a pyenv shim for `aws`, say).
system_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
have() { env -i PATH="$system_path" sh -c 'command -v "$1"' sh "$1" >/dev/null 2>&1; }
need=()
have pg_ctl || [ -x /usr/lib/postgresql/15/bin/pg_ctl ] || need+=(postgresql postgresql-contrib)
have pgbackrest || need+=(pgbackrest)
have redis-server || need+=(redis-server)
have redis-cli || need+=(redis-tools)
have promtool || need+=(prometheus)
have shellcheck || need+=(shellcheck)
have aws || need+=(awscli)
have openssl || need+=(openssl)
have debootstrap || need+=(debootstrap)
if ! docker info >/dev/null 2>&1 && ! have dockerd; then need+=(docker.io iptables); fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
if [ "${#need[@]}" -gt 0 ]; then
  log "installing Debian packages: ${need[*]}"
  # Packages must not start their daemons here: the tests start their own on free ports.
  # policy-rc.d exit 101 is Debian's documented "do not start services" switch.
  policy=/usr/sbin/policy-rc.d
  made_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    made_policy=1
  fi
  trap 'if [ -n "$made_policy" ]; then $sudo rm -f "$policy"; fi' EXIT
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- a Docker engine ----------------------------------------------------------------------------
# The integration tests and the drill run drkit's images in it, as a cluster would.
if ! docker info >/dev/null 2>&1; then
  log "starting the Docker engine"
  if [ -d /run/systemd/system ] && $sudo systemctl start docker 2>/dev/null; then
    :
  else
    $sudo sh -c 'nohup dockerd >/var/log/drkit-dockerd.log 2>&1 &'
  fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { $sudo tail -n 20 /var/log/drkit-dockerd.log >&2 || true; echo "the Docker engine did not start (log above)" >&2; exit 1; }
fi

# --- drkit's images -------------------------------------------------------------------------------
# The base (pulled, or built from Debian packages when no registry answers), then drkit's own.
bash scripts/base-image.sh "${DRKIT_BASE_IMAGE:-debian:bookworm-slim}"

# --- Node.js ----------------------------------------------------------------------------------
node_version=$(node -p 'process.versions.node')
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "drkit needs Node.js 20.19 or newer, found $node_version" >&2
  exit 1
fi

log "npm ci (node $node_version)"
npm ci --no-audit --no-fund

log "building drkit's images (postgres, redis, jobs) into the local engine"
node dist/cli/main.js images
