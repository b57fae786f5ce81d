#!/usr/bin/env bash
# drkit Redis restore-on-bootstrap for a dr/drill stack's empty volume. Usage: restore.sh fetch | seed
#   fetch  downloads the newest complete snapshot from the source and verifies its checksum
#          (aws-cli image);
#   seed   checks it with redis-check-rdb and turns it into the AOF that Redis will load, in a
#          staging directory moved into place only when complete (redis image).
# A volume that already holds data is left alone. No snapshot: fail, unless IF_MISSING is
# start-empty. A snapshot that fails its checksum or redis-check-rdb: always fail.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
: "${DATA:?}" "${WORK:?}" "${IF_MISSING:?}" "${WAIT_SECONDS:?}"

SCRIPT=drkit-redis-restore
. lib/log.sh
. lib/s3.sh
. lib/snapshots.sh

has_data() { [[ -e "${DATA}/appendonlydir" ]] || [[ -e "${DATA}/dump.rdb" ]]; }

missing() {
  if [[ "${IF_MISSING}" = start-empty ]]; then
    log "WARNING: $1; starting empty (ifMissing: start-empty)"
    exit 0
  fi
  die "$1 (set drkit:redis.restoreFrom.ifMissing to start-empty only for data that can be rebuilt)"
}

fetch() {
  if has_data; then log "the volume holds data: nothing to restore"; return; fi
  local newest name
  newest=$(complete_snapshots | head -n 1)
  [[ -n "${newest}" ]] || missing "no complete snapshot under s3://${BUCKET}/${PREFIX}"
  name=${newest##*/}
  rm -f "${WORK}/${name}" "${WORK}/${name}.sha256" "${WORK}/restore.rdb"
  s3 s3 cp --only-show-errors "s3://${BUCKET}/${newest}" "${WORK}/${name}" || die "download of s3://${BUCKET}/${newest} failed"
  s3 s3 cp --only-show-errors "s3://${BUCKET}/${newest}.sha256" "${WORK}/${name}.sha256" || die "download of the checksum of ${newest} failed"
  (cd "${WORK}" && sha256sum --check --status "${name}.sha256") || die "snapshot s3://${BUCKET}/${newest} does not match its checksum: refusing to restore it"
  mv "${WORK}/${name}" "${WORK}/restore.rdb"
  log "fetched ${newest}"
}

seed() {
  if has_data; then log "the volume holds data: nothing to seed"; return; fi
  if [[ ! -s "${WORK}/restore.rdb" ]]; then missing "no fetched snapshot in ${WORK}"; fi
  redis-check-rdb "${WORK}/restore.rdb" >"${WORK}/check.log" 2>&1 || die "the snapshot does not pass redis-check-rdb: $(tail -n 3 "${WORK}/check.log")"
  local staging="${DATA}/.drkit-seed" socket="${WORK}/seed.sock" pid deadline status keys
  rm -rf "${staging}"
  mkdir -p "${staging}"
  cp "${WORK}/restore.rdb" "${staging}/dump.rdb"
  # Redis 7 ignores dump.rdb when AOF is on and has no AOF yet: load the RDB with AOF off,
  # then switch AOF on, which writes the RDB's data as the AOF base.
  redis-server --port 0 --unixsocket "${socket}" --dir "${staging}" --dbfilename dump.rdb --appendonly no \
    --appenddirname appendonlydir --save '' --daemonize no >"${WORK}/seed.log" 2>&1 &
  pid=$!
  deadline=$((SECONDS + WAIT_SECONDS))
  until [[ "$(redis-cli -s "${socket}" ping 2>/dev/null)" = PONG ]]; do
    kill -0 "${pid}" 2>/dev/null || die "Redis could not load the snapshot: $(tail -n 5 "${WORK}/seed.log")"
    [[ "${SECONDS}" -lt "${deadline}" ]] || { kill "${pid}"; die "Redis did not load the snapshot within ${WAIT_SECONDS} s"; }
    sleep 0.2
  done
  redis-cli -s "${socket}" config set appendonly yes >/dev/null || die "could not switch AOF on"
  until [[ -e "${staging}/appendonlydir/appendonly.aof.manifest" ]] \
    && redis-cli -s "${socket}" info persistence | tr -d '\r' | grep -qx 'aof_rewrite_in_progress:0'; do
    [[ "${SECONDS}" -lt "${deadline}" ]] || { kill "${pid}"; die "the AOF was not written within ${WAIT_SECONDS} s"; }
    sleep 0.2
  done
  status=$(redis-cli -s "${socket}" info persistence | tr -d '\r' | grep '^aof_last_bgrewrite_status:' | cut -d: -f2)
  [[ "${status}" = ok ]] || { kill "${pid}"; die "writing the AOF failed (${status})"; }
  keys=$(redis-cli -s "${socket}" dbsize)
  redis-cli -s "${socket}" shutdown nosave >/dev/null 2>&1 || true
  wait "${pid}" || true
  mv "${staging}/appendonlydir" "${DATA}/appendonlydir"
  rm -rf "${staging}"
  log "seeded ${keys} keys"
}

case "${1:-}" in
  fetch) fetch ;;
  seed) seed ;;
  *) die "usage: restore.sh fetch | seed" ;;
esac
