#!/usr/bin/env bash
# drkit logical dumps of every database, the long-term portable tier. Usage: dump.sh dump | upload
#   dump    pg_dump (-Fc, or -Fd -j N) of each database as its owner, with a SHA256SUMS file;
#           any failure stops the job before anything is uploaded;
#   upload  puts each dump under <prefix><db>/<UTC timestamp>/, then a COMPLETE marker, last;
#           then prunes: the newest KEEP_LAST complete dumps stay whatever their age, older
#           complete dumps go after the retention, incomplete ones older than the newest complete
#           one go. The newest complete dump is never deleted.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
: "${DATABASES:?}" "${FORMAT:?}" "${JOBS:?}" "${PG_HOST:?}" "${PG_PORT:?}" "${WORK:?}" "${KEEP_LAST:?}" "${RETENTION_DAYS:?}" "${PASSWORD_PREFIX:?}" "${PREFIX?}"

SCRIPT=drkit-dump
. lib/log.sh
. lib/s3.sh

dump() {
  local entry db owner password_variable out
  rm -rf "${WORK}/dumps"
  date -u +%Y%m%dT%H%M%SZ >"${WORK}/stamp"
  for entry in ${DATABASES}; do
    db=${entry%%:*}
    owner=${entry#*:}
    password_variable="${PASSWORD_PREFIX}${owner}"
    [[ -n "${!password_variable:-}" ]] || die "${password_variable} (the password of ${owner}) is not set"
    out="${WORK}/dumps/${db}"
    mkdir -p "${out}"
    if [[ "${FORMAT}" = directory ]]; then
      PGPASSWORD=${!password_variable} pg_dump -h "${PG_HOST}" -p "${PG_PORT}" -U "${owner}" -d "${db}" -Fd -j "${JOBS}" -f "${out}/dump" \
        || die "pg_dump of ${db} failed: nothing is uploaded"
    else
      PGPASSWORD=${!password_variable} pg_dump -h "${PG_HOST}" -p "${PG_PORT}" -U "${owner}" -d "${db}" -Fc -f "${out}/${db}.dump" \
        || die "pg_dump of ${db} failed: nothing is uploaded"
    fi
    # Checksums go next to the dump, written through a temporary name so they never list themselves.
    (cd "${out}" && find . -type f -print0 | sort -z | xargs -0 sha256sum >"${WORK}/SHA256SUMS.tmp") || die "checksums of ${db} failed"
    mv "${WORK}/SHA256SUMS.tmp" "${out}/SHA256SUMS"
    log "dumped ${db} ($(du -sh "${out}" | cut -f1))"
  done
}

upload() {
  local stamp dir db target marker
  if [[ ! -s "${WORK}/stamp" ]] || [[ ! -d "${WORK}/dumps" ]]; then die "no dump in ${WORK} to upload (did 'dump' succeed?)"; fi
  stamp=$(cat "${WORK}/stamp")
  # A marker file of its own: the copy's upload (drkit:storage.copy) runs beside this one in WORK.
  marker=$(mktemp "${WORK}/COMPLETE.XXXXXX") || die "cannot write in ${WORK}"
  for dir in "${WORK}"/dumps/*/; do
    db=$(basename "${dir}")
    target="s3://${BUCKET}/${PREFIX}${db}/${stamp}"
    s3 s3 cp --recursive --only-show-errors "${dir}" "${target}/" || die "upload of ${db} to ${target} failed: it stays incomplete"
    printf 'drkit dump of %s at %s, format %s\n' "${db}" "${stamp}" "${FORMAT}" >"${marker}"
    s3 s3 cp --only-show-errors "${marker}" "${target}/COMPLETE" || die "upload of the completion marker of ${target} failed"
    log "uploaded ${target}"
    prune "${db}"
  done
  rm -f "${marker}"
}

# Timestamps (YYYYMMDDTHHMMSSZ) of a database's dumps and the file names under them, complete or not.
stamps() {
  list_keys "${PREFIX}$1/" | sed -n "s#^${PREFIX}$1/\([0-9TZ]*\)/\(.*\)\$#\1 \2#p"
}

remove() {
  # The marker goes first: a half-removed dump is incomplete, never complete and broken.
  s3 s3 rm --only-show-errors "s3://${BUCKET}/${PREFIX}$1/$2/COMPLETE" || die "could not delete the marker of ${PREFIX}$1/$2"
  s3 s3 rm --recursive --only-show-errors "s3://${BUCKET}/${PREFIX}$1/$2/" || die "could not delete ${PREFIX}$1/$2"
  log "pruned ${PREFIX}$1/$2 ($3)"
}

prune() {
  local db=$1 listing complete all newest cutoff count=0 stamp
  listing=$(stamps "${db}")
  complete=$(awk '$2 == "COMPLETE" { print $1 }' <<<"${listing}" | sort -ru)
  all=$(awk '{ print $1 }' <<<"${listing}" | sort -ru)
  newest=$(head -n 1 <<<"${complete}")
  [[ -n "${newest}" ]] || die "no complete dump of ${db} after an upload"
  cutoff=$(date -u -d "-${RETENTION_DAYS} days" +%Y%m%dT%H%M%SZ)
  while IFS= read -r stamp; do
    [[ -n "${stamp}" ]] || continue
    count=$((count + 1))
    if [[ "${count}" -gt "${KEEP_LAST}" ]] && [[ "${stamp}" < "${cutoff}" ]]; then remove "${db}" "${stamp}" "older than ${RETENTION_DAYS} days"; fi
  done <<<"${complete}"
  while IFS= read -r stamp; do
    [[ -n "${stamp}" ]] || continue
    if ! grep -qx "${stamp}" <<<"${complete}" && [[ "${stamp}" < "${newest}" ]]; then remove "${db}" "${stamp}" "incomplete"; fi
  done <<<"${all}"
}

case "${1:-}" in
  dump) dump ;;
  upload) upload ;;
  *) die "usage: dump.sh dump | upload" ;;
esac
