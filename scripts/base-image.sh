#!/usr/bin/env bash
# Makes the base image drkit's Dockerfiles build on (debian:bookworm-slim by default) available to
# the Docker engine: pulled when a registry answers, otherwise built from Debian's packages with
# debootstrap and imported under the same tag. Usage: base-image.sh [TAG]
set -euo pipefail

tag=${1:-debian:bookworm-slim}
mirror=${DRKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
log() { printf '==> %s\n' "$*"; }
die() { printf 'base-image: FAILED: %s\n' "$*" >&2; exit 1; }

if docker image inspect "${tag}" >/dev/null 2>&1; then
  log "base image ${tag} is present"
  exit 0
fi
if timeout 60 docker pull -q "${tag}" >/dev/null 2>&1; then
  log "pulled base image ${tag}"
  exit 0
fi

command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing (apt-get install debootstrap)"
log "no registry answers: building ${tag} from Debian bookworm packages (debootstrap, a few minutes)"
root=$(mktemp -d /tmp/drkit-base-XXXXXX)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "${root}" "${mirror}" >"${root}.log" 2>&1 \
  || { tail -n 20 "${root}.log" >&2; rm -f "${root}.log"; die "debootstrap of bookworm from ${mirror} failed (log above)"; }
rm -f "${root}.log"
# The same package sources as the official debian:bookworm-slim image: security fixes included.
rm -f "${root}/etc/apt/sources.list"
cat >"${root}/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: ${mirror}
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
rm -rf "${root}"/var/lib/apt/lists/* "${root}"/var/cache/apt/archives/*.deb
tar -C "${root}" -c . | docker import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' - "${tag}" >/dev/null \
  || die "docker import of the bootstrapped tree failed"
log "built base image ${tag}"
