#!/usr/bin/env bash
# Cloud-init user data of a Docker host drkit creates: Docker from Debian's packages, its data
# (every volume of the stack) on the attached block volume, which outlives the machine. A volume
# that holds a file system is mounted as it is, never formatted: a new machine for an old volume
# (a resized droplet, a replaced instance) finds its data where it was.
set -euo pipefail
: "${VOLUME_DEVICE:?}" "${DOCKER_USER:?}"

log() { printf 'drkit-host-init: %s\n' "$*" >&2; }

# The provider attaches the volume while the machine boots: wait for its device.
for _ in $(seq 1 120); do
  [[ -e "${VOLUME_DEVICE}" ]] && break
  sleep 5
done
[[ -e "${VOLUME_DEVICE}" ]] || { log "${VOLUME_DEVICE} did not appear in 10 minutes"; exit 1; }

# blkid -p: 0 a file system is there, 2 nothing is; anything else is a read error, never a reason to format.
found=0
blkid -p "${VOLUME_DEVICE}" >/dev/null || found=$?
case "${found}" in
  0) log "${VOLUME_DEVICE} holds a file system: mounting it as it is" ;;
  2) log "${VOLUME_DEVICE} is blank: formatting it"; mkfs.ext4 -q -L drkit-docker "${VOLUME_DEVICE}" ;;
  *) log "blkid could not read ${VOLUME_DEVICE} (exit ${found}): not touching it"; exit 1 ;;
esac

uuid=$(blkid -s UUID -o value "${VOLUME_DEVICE}")
mkdir -p /var/lib/docker
grep -q "UUID=${uuid} " /etc/fstab || printf 'UUID=%s /var/lib/docker ext4 defaults,nofail,discard 0 2\n' "${uuid}" >>/etc/fstab
mountpoint -q /var/lib/docker || mount /var/lib/docker

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends docker.io
systemctl enable --now docker.service
if [[ "${DOCKER_USER}" != root ]]; then
  usermod -aG docker "${DOCKER_USER}"
fi
log "ready: docker $(docker version --format '{{.Server.Version}}') on $(findmnt -n -o SOURCE /var/lib/docker)"
