#!/usr/bin/env bash
# drkit Redis snapshot: a consistent RDB off-site every run. Usage: snapshot.sh dump | upload
#   dump    takes a consistent RDB over the replication protocol (redis-cli --rdb, Redis's
#           documented way to copy a running instance) and checks it;
#   upload  uploads it to <prefix><UTC timestamp>.rdb, then its sha256 marker (written last: a
#           snapshot without it is incomplete), then keeps the newest KEEP complete snapshots.
#           The newest good one is never deleted.
# In a pod the two steps run in two containers (redis image, aws-cli image) sharing WORK.
# Rendered by drkit from redis-snapshot.sh for stack 'events'.
set -euo pipefail

REDIS_HOST='redis'
REDIS_PORT=6379
REDIS_CA='/etc/drkit-redis-tls/ca.crt'
WORK='/work'
KEEP=480
BUCKET='events-backups-copy'
PREFIX='redis/events/'
REGION='us-east-1'
ENDPOINT_URL='https://minio.dc2.events.internal:9000'
VERIFY_TLS='yes'
: "${REDIS_HOST:?}" "${REDIS_PORT:?}" "${WORK:?}" "${KEEP:?}"
# The CA to verify Redis's certificate against; empty when the stack's Redis has no TLS.
: "${REDIS_CA?}"

SCRIPT=drkit-redis-snapshot
# One line per event on stderr, prefixed with the script's name (SCRIPT): what a pod's log and
# a job's failure message show.
: "${SCRIPT:?}"
log() { printf '%s: %s\n' "${SCRIPT}" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
# The object store through aws-cli, at the endpoint and region of the data path.
: "${ENDPOINT_URL:?}" "${REGION:?}" "${VERIFY_TLS:?}" "${BUCKET:?}"
s3() {
  local tls=()
  if [[ "${VERIFY_TLS}" = no ]]; then tls=(--no-verify-ssl); fi
  # ${a[@]+...}: an empty array under set -u is an unbound variable in bash before 4.4 (the
  # aws-cli image's bash).
  aws --endpoint-url "${ENDPOINT_URL}" --region "${REGION}" ${tls[@]+"${tls[@]}"} "$@"
}
# list_keys PREFIX: every key under PREFIX in BUCKET, one per line, sorted (timestamps sort in
# time order).
list_keys() {
  local out
  out=$(s3 s3api list-objects-v2 --bucket "${BUCKET}" --prefix "$1" --query 'Contents[].Key' --output text 2>&1) \
    || die "cannot list s3://${BUCKET}/$1: ${out}"
  printf '%s\n' "${out}" | tr '\t' '\n' | grep -v -e '^None$' -e '^$' | sort || true
}
# Redis snapshots under PREFIX: <UTC timestamp>.rdb, complete once its .sha256 marker (written
# last) exists.
: "${PREFIX:?}"
# Snapshots whose checksum marker exists, newest first.
complete_snapshots() {
  local keys key
  keys=$(list_keys "${PREFIX}")
  while IFS= read -r key; do
    case "${key}" in
      *.rdb) if grep -qxF "${key}.sha256" <<<"${keys}"; then printf '%s\n' "${key}"; fi ;;
      *) ;;
    esac
  done <<<"${keys}" | sort -r
}

dump() {
  [[ -n "${REDISCLI_AUTH:-}" ]] || die "REDISCLI_AUTH (the Redis password) is not set"
  rm -f "${WORK}/snapshot.rdb" "${WORK}/snapshot.partial" "${WORK}/snapshot.time"
  local tls=()
  if [[ -n "${REDIS_CA}" ]]; then tls=(--tls --cacert "${REDIS_CA}"); fi
  redis-cli -h "${REDIS_HOST}" -p "${REDIS_PORT}" "${tls[@]}" --no-auth-warning --rdb "${WORK}/snapshot.partial" >/dev/null 2>"${WORK}/dump.err" \
    || die "could not take an RDB from ${REDIS_HOST}:${REDIS_PORT}: $(tail -n 3 "${WORK}/dump.err")"
  redis-check-rdb "${WORK}/snapshot.partial" >/dev/null || die "the RDB taken from Redis does not pass redis-check-rdb"
  date -u +%Y%m%dT%H%M%SZ >"${WORK}/snapshot.time"
  mv "${WORK}/snapshot.partial" "${WORK}/snapshot.rdb"
  log "took $(wc -c <"${WORK}/snapshot.rdb") bytes"
}

upload() {
  if [[ ! -s "${WORK}/snapshot.rdb" ]] || [[ ! -s "${WORK}/snapshot.time" ]]; then
    die "no snapshot in ${WORK} to upload (did 'dump' succeed?)"
  fi
  local stamp key sum marker
  stamp=$(cat "${WORK}/snapshot.time")
  key="${PREFIX}${stamp}.rdb"
  sum=$(sha256sum "${WORK}/snapshot.rdb" | cut -d' ' -f1)
  # A marker file of its own: the copy's upload (drkit:storage.copy) runs beside this one in WORK.
  marker=$(mktemp "${WORK}/snapshot.sha256.XXXXXX") || die "cannot write in ${WORK}"
  printf '%s  %s\n' "${sum}" "${stamp}.rdb" >"${marker}"
  s3 s3 cp --only-show-errors "${WORK}/snapshot.rdb" "s3://${BUCKET}/${key}" || die "upload of s3://${BUCKET}/${key} failed"
  s3 s3 cp --only-show-errors "${marker}" "s3://${BUCKET}/${key}.sha256" || die "upload of the checksum of s3://${BUCKET}/${key} failed"
  rm -f "${marker}"
  log "uploaded s3://${BUCKET}/${key}"
  prune
}

prune() {
  local complete newest count=0 key keys
  complete=$(complete_snapshots)
  newest=$(head -n 1 <<<"${complete}")
  [[ -n "${newest}" ]] || die "no complete snapshot under s3://${BUCKET}/${PREFIX} after an upload"
  while IFS= read -r key; do
    [[ -n "${key}" ]] || continue
    count=$((count + 1))
    if [[ "${count}" -gt "${KEEP}" ]]; then
      # The marker goes first: a half-deleted snapshot is incomplete, never complete and broken.
      s3 s3 rm --only-show-errors "s3://${BUCKET}/${key}.sha256" || die "could not delete s3://${BUCKET}/${key}.sha256"
      s3 s3 rm --only-show-errors "s3://${BUCKET}/${key}" || die "could not delete s3://${BUCKET}/${key}"
      log "pruned ${key}"
    fi
  done <<<"${complete}"
  # Uploads that failed before their marker, older than the newest good snapshot.
  keys=$(list_keys "${PREFIX}")
  while IFS= read -r key; do
    case "${key}" in
      *.rdb)
        if ! grep -qxF "${key}.sha256" <<<"${keys}" && [[ "${key}" < "${newest}" ]]; then
          s3 s3 rm --only-show-errors "s3://${BUCKET}/${key}" || die "could not delete s3://${BUCKET}/${key}"
          log "removed incomplete ${key}"
        fi
        ;;
      *) ;;
    esac
  done <<<"${keys}"
}

case "${1:-}" in
  dump) dump ;;
  upload) upload ;;
  *) die "usage: snapshot.sh dump | upload" ;;
esac
