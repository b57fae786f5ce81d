#!/usr/bin/env bash
# drkit media mirror (rclone). Usage: media.sh mirror | restore
#   mirror   makes the mirror (the backup bucket's media prefix, and the copy's when the stack
#            keeps one: each attempted, the run failing if either failed) hold what the application's media
#            bucket holds: new and changed files are copied, files gone from the bucket are removed
#            from the mirror, where the backup bucket's versioning keeps them for the media rule's
#            noncurrent expiration. A run that would remove more than MAX_DELETE files stops and
#            fails: a wiped or misconfigured bucket never empties the mirror in one run.
#   restore  copies the source's mirrored media (a dr or drill stack's reverse copy) into the
#            application's new bucket; it never deletes there.
# Keys come from the environment (RCLONE_CONFIG_<REMOTE>_ACCESS_KEY_ID and _SECRET_ACCESS_KEY),
# or, for the mirror's remote where the pod assumes a role, from the web identity variables.
# Rendered by drkit from media-mirror.sh for stack 'events'.
set -euo pipefail

APP_URL='https://minio.dc1.events.internal:9000'
APP_REGION='us-east-1'
APP_PATH_STYLE='true'
APP_BUCKET='events-media'
APP_PREFIX=''
MIRROR_URL='https://minio.dc1.events.internal:9000'
MIRROR_REGION='us-east-1'
MIRROR_PATH_STYLE='true'
MIRROR_BUCKET='events-backups'
MIRROR_PREFIX='media/'
SOURCE_URL=''
SOURCE_REGION=''
SOURCE_PATH_STYLE=''
SOURCE_BUCKET=''
SOURCE_PREFIX=''
COPY_URL='https://minio.dc2.events.internal:9000'
COPY_REGION='us-east-1'
COPY_PATH_STYLE='true'
COPY_BUCKET='events-backups-copy'
COPY_PREFIX='media/'
VERIFY_TLS='yes'
MAX_DELETE=500
: "${APP_URL:?}" "${APP_REGION:?}" "${APP_PATH_STYLE:?}" "${APP_BUCKET:?}" "${APP_PREFIX?}"
: "${MIRROR_URL:?}" "${MIRROR_REGION:?}" "${MIRROR_PATH_STYLE:?}" "${MIRROR_BUCKET:?}" "${MIRROR_PREFIX:?}"
: "${SOURCE_URL?}" "${SOURCE_REGION?}" "${SOURCE_PATH_STYLE?}" "${SOURCE_BUCKET?}" "${SOURCE_PREFIX?}"
: "${COPY_URL?}" "${COPY_REGION?}" "${COPY_PATH_STYLE?}" "${COPY_BUCKET?}" "${COPY_PREFIX?}"
: "${VERIFY_TLS:?}" "${MAX_DELETE:?}"

SCRIPT=drkit-media
# One line per event on stderr, prefixed with the script's name (SCRIPT): what a pod's log and
# a job's failure message show.
: "${SCRIPT:?}"
log() { printf '%s: %s\n' "${SCRIPT}" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# remote NAME URL REGION PATH_STYLE: an S3 remote of rclone, configured through its variables.
remote() {
  local name=$1
  export "RCLONE_CONFIG_${name}_TYPE=s3" "RCLONE_CONFIG_${name}_PROVIDER=Other" "RCLONE_CONFIG_${name}_ENDPOINT=$2" \
    "RCLONE_CONFIG_${name}_REGION=$3" "RCLONE_CONFIG_${name}_FORCE_PATH_STYLE=$4" \
    "RCLONE_CONFIG_${name}_ENV_AUTH=true" "RCLONE_CONFIG_${name}_NO_CHECK_BUCKET=true"
}
# The path of a bucket and a prefix as rclone names it: no trailing slash.
at() {
  local path="$1/$2"
  printf '%s' "${path%/}"
}

# --fast-list: the bucket is listed in one pass (fewer requests, about 1 KiB of memory per object),
# not directory by directory.
flags=(--checksum --fast-list --stats 0 --log-level INFO)
if [[ "${VERIFY_TLS}" = no ]]; then flags+=(--no-check-certificate); fi
remote APP "${APP_URL}" "${APP_REGION}" "${APP_PATH_STYLE}"
remote MIRROR "${MIRROR_URL}" "${MIRROR_REGION}" "${MIRROR_PATH_STYLE}"

case "${1:-}" in
  mirror)
    failed=""
    targets=(MIRROR)
    if [[ -n "${COPY_BUCKET}" ]]; then
      remote COPY "${COPY_URL}" "${COPY_REGION}" "${COPY_PATH_STYLE}"
      targets+=(COPY)
    fi
    for target in "${targets[@]}"; do
      bucket_var="${target}_BUCKET" prefix_var="${target}_PREFIX"
      destination="s3://${!bucket_var}/${!prefix_var}"
      if rclone sync "APP:$(at "${APP_BUCKET}" "${APP_PREFIX}")" "${target}:$(at "${!bucket_var}" "${!prefix_var}")" "${flags[@]}" --max-delete "${MAX_DELETE}"; then
        log "mirrored s3://${APP_BUCKET}/${APP_PREFIX} into ${destination}"
      else
        log "ERROR: the mirror into ${destination} failed (rclone's log is above; more than ${MAX_DELETE} removals stop it)"
        failed+=" ${destination}"
      fi
    done
    [[ -z "${failed}" ]] || die "the media mirror failed for${failed}"
    ;;
  restore)
    [[ -n "${SOURCE_BUCKET}" ]] || die "no source to restore media from"
    remote SOURCE "${SOURCE_URL}" "${SOURCE_REGION}" "${SOURCE_PATH_STYLE}"
    rclone copy "SOURCE:$(at "${SOURCE_BUCKET}" "${SOURCE_PREFIX}")" "APP:$(at "${APP_BUCKET}" "${APP_PREFIX}")" "${flags[@]}" \
      || die "copying the media of s3://${SOURCE_BUCKET}/${SOURCE_PREFIX} into s3://${APP_BUCKET}/${APP_PREFIX} failed (rclone's log is above)"
    log "restored the media of s3://${SOURCE_BUCKET}/${SOURCE_PREFIX} into s3://${APP_BUCKET}/${APP_PREFIX}"
    ;;
  *) die "usage: media.sh mirror | restore" ;;
esac
