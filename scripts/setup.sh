#!/usr/bin/env bash
# Everything drkit needs on a Debian machine with Node.js 20.19+: the Debian packages the drill
# and the integration tests run (installed only when missing), then `npm ci` (which builds).
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

# --- Debian packages the integration tests run for real ------------------------------------
# postgresql (15), pgbackrest, redis-server, promtool (package prometheus), shellcheck, the aws
# CLI (Redis snapshot scripts) and openssl (the local S3 endpoint's TLS certificate).
need=()
command -v pg_ctl >/dev/null 2>&1 || [ -x /usr/lib/postgresql/15/bin/pg_ctl ] || need+=(postgresql postgresql-contrib)
command -v pgbackrest >/dev/null 2>&1 || need+=(pgbackrest)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v aws >/dev/null 2>&1 || need+=(awscli)
command -v openssl >/dev/null 2>&1 || need+=(openssl)

if [ "${#need[@]}" -gt 0 ]; then
  log "installing Debian packages: ${need[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
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

# --- Node.js ----------------------------------------------------------------------------------
node_version=$(node -p 'process.versions.node')
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "drkit needs Node.js 20.19 or newer, found $node_version" >&2
  exit 1
fi

log "npm ci (node $node_version)"
npm ci --no-audit --no-fund
