import type { DrSpec } from "../config";
import { shellQuote as q } from "../postgres/bootstrap";
import type { RedisLayout, SnapshotStore } from "./layout";

/** How long a step may wait on Redis (a load, a rewrite) before it fails. */
const REDIS_WAIT_SECONDS = 600;

function storeVariables(store: SnapshotStore): string {
  return [
    `BUCKET=${q(store.bucket)}`,
    `PREFIX=${q(store.prefix)}`,
    `REGION=${q(store.region)}`,
    `ENDPOINT_URL=${q(store.endpointUrl)}`,
    `VERIFY_TLS=${store.verifyTls ? "yes" : "no"}`,
  ].join("\n");
}

/** Shell helpers shared by the snapshot and restore scripts. */
const COMMON = `log() { printf '%s: %s\\n' "$SCRIPT" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
s3() {
  local tls=()
  if [ "$VERIFY_TLS" = no ]; then tls=(--no-verify-ssl); fi
  # \${a[@]+...}: an empty array under set -u is an unbound variable in bash before 4.4.
  aws --endpoint-url "$ENDPOINT_URL" --region "$REGION" \${tls[@]+"\${tls[@]}"} "$@"
}
# Every key under the prefix, one per line, sorted (timestamps sort in time order).
list_keys() {
  local out
  out=$(s3 s3api list-objects-v2 --bucket "$BUCKET" --prefix "$PREFIX" --query 'Contents[].Key' --output text 2>&1) \\
    || die "cannot list s3://$BUCKET/$PREFIX: $out"
  printf '%s\\n' "$out" | tr '\\t' '\\n' | grep -v -e '^None$' -e '^$' | sort || true
}
# Snapshots whose checksum marker exists (the marker is written last), newest first.
complete_snapshots() {
  local keys key
  keys=$(list_keys)
  while IFS= read -r key; do
    case "$key" in
      *.rdb) if grep -qxF "$key.sha256" <<<"$keys"; then printf '%s\\n' "$key"; fi ;;
    esac
  done <<<"$keys" | sort -r
}`;

/**
 * The off-site snapshot job, rendered for one stack:
 *   `snapshot.sh dump`   takes a consistent RDB over the replication protocol (redis-cli --rdb,
 *                        Redis's documented way to copy a running instance) and checks it;
 *   `snapshot.sh upload` uploads it to `<prefix><UTC timestamp>.rdb`, then its sha256 marker
 *                        (written last: a snapshot without it is incomplete), then keeps the
 *                        newest `keep` complete snapshots. The newest good one is never deleted.
 * In a pod the two steps run in two containers (redis image, aws-cli image) sharing `workDir`.
 */
export function renderSnapshotScript(spec: DrSpec, layout: RedisLayout, store: SnapshotStore, redisHost: string): string {
  return `#!/usr/bin/env bash
# drkit Redis snapshot, rendered for stack '${spec.stack}': a consistent RDB off-site every run.
# Usage: snapshot.sh dump | upload
set -euo pipefail

SCRIPT=drkit-redis-snapshot
REDIS_HOST=${q(redisHost)}
REDIS_PORT=${layout.port}
WORK=${q(layout.workDir)}
KEEP=${spec.redis.snapshots.keep}
${storeVariables(store)}

${COMMON}

dump() {
  [ -n "\${REDISCLI_AUTH:-}" ] || die "REDISCLI_AUTH (the Redis password) is not set"
  rm -f "$WORK/snapshot.rdb" "$WORK/snapshot.partial" "$WORK/snapshot.time"
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --no-auth-warning --rdb "$WORK/snapshot.partial" >/dev/null 2>"$WORK/dump.err" \\
    || die "could not take an RDB from $REDIS_HOST:$REDIS_PORT: $(tail -n 3 "$WORK/dump.err")"
  redis-check-rdb "$WORK/snapshot.partial" >/dev/null || die "the RDB taken from Redis does not pass redis-check-rdb"
  date -u +%Y%m%dT%H%M%SZ >"$WORK/snapshot.time"
  mv "$WORK/snapshot.partial" "$WORK/snapshot.rdb"
  log "took $(wc -c <"$WORK/snapshot.rdb") bytes"
}

upload() {
  if [ ! -s "$WORK/snapshot.rdb" ] || [ ! -s "$WORK/snapshot.time" ]; then
    die "no snapshot in $WORK to upload (did 'dump' succeed?)"
  fi
  local stamp key sum
  stamp=$(cat "$WORK/snapshot.time")
  key="$PREFIX$stamp.rdb"
  sum=$(sha256sum "$WORK/snapshot.rdb" | cut -d' ' -f1)
  printf '%s  %s\\n' "$sum" "$stamp.rdb" >"$WORK/snapshot.sha256"
  s3 s3 cp --only-show-errors "$WORK/snapshot.rdb" "s3://$BUCKET/$key" || die "upload of s3://$BUCKET/$key failed"
  s3 s3 cp --only-show-errors "$WORK/snapshot.sha256" "s3://$BUCKET/$key.sha256" || die "upload of the checksum of s3://$BUCKET/$key failed"
  log "uploaded s3://$BUCKET/$key"
  prune
}

prune() {
  local complete newest count=0 key keys
  complete=$(complete_snapshots)
  newest=$(head -n 1 <<<"$complete")
  [ -n "$newest" ] || die "no complete snapshot under s3://$BUCKET/$PREFIX after an upload"
  while IFS= read -r key; do
    [ -n "$key" ] || continue
    count=$((count + 1))
    if [ "$count" -gt "$KEEP" ]; then
      # The marker goes first: a half-deleted snapshot is incomplete, never complete and broken.
      s3 s3 rm --only-show-errors "s3://$BUCKET/$key.sha256" || die "could not delete s3://$BUCKET/$key.sha256"
      s3 s3 rm --only-show-errors "s3://$BUCKET/$key" || die "could not delete s3://$BUCKET/$key"
      log "pruned $key"
    fi
  done <<<"$complete"
  # Uploads that failed before their marker, older than the newest good snapshot.
  keys=$(list_keys)
  while IFS= read -r key; do
    case "$key" in
      *.rdb)
        if ! grep -qxF "$key.sha256" <<<"$keys" && [[ "$key" < "$newest" ]]; then
          s3 s3 rm --only-show-errors "s3://$BUCKET/$key" || die "could not delete s3://$BUCKET/$key"
          log "removed incomplete $key"
        fi
        ;;
    esac
  done <<<"$keys"
}

case "\${1:-}" in
  dump) dump ;;
  upload) upload ;;
  *) die "usage: snapshot.sh dump | upload" ;;
esac
`;
}

/**
 * Restore-on-bootstrap for a dr/drill stack's empty Redis volume, rendered for one stack:
 *   `restore.sh fetch` downloads the newest complete snapshot from the source and verifies its
 *                      checksum (aws-cli image);
 *   `restore.sh seed`  checks it with redis-check-rdb and turns it into the AOF that Redis will
 *                      load, in a staging directory moved into place only when complete (redis image).
 * A volume that already holds data is left alone. No snapshot: fail, unless the spec says
 * `ifMissing: start-empty`. A snapshot that fails its checksum or redis-check-rdb: always fail.
 */
export function renderRestoreScript(spec: DrSpec, layout: RedisLayout, source: SnapshotStore): string {
  const ifMissing = spec.redis.restoreFrom?.ifMissing ?? "fail";
  return `#!/usr/bin/env bash
# drkit Redis restore, rendered for stack '${spec.stack}' (role ${spec.role}).
# Usage: restore.sh fetch | seed
set -euo pipefail

SCRIPT=drkit-redis-restore
DATA=${q(layout.dataDir)}
WORK=${q(layout.workDir)}
IF_MISSING=${q(ifMissing)}
WAIT_SECONDS=${REDIS_WAIT_SECONDS}
${storeVariables(source)}

${COMMON}

has_data() { [ -e "$DATA/appendonlydir" ] || [ -e "$DATA/dump.rdb" ]; }

missing() {
  if [ "$IF_MISSING" = start-empty ]; then
    log "WARNING: $1; starting empty (ifMissing: start-empty)"
    exit 0
  fi
  die "$1 (set drkit:redis.restoreFrom.ifMissing to start-empty only for data that can be rebuilt)"
}

fetch() {
  if has_data; then log "the volume holds data: nothing to restore"; return; fi
  local newest name
  newest=$(complete_snapshots | head -n 1)
  [ -n "$newest" ] || missing "no complete snapshot under s3://$BUCKET/$PREFIX"
  name=\${newest##*/}
  rm -f "$WORK/$name" "$WORK/$name.sha256" "$WORK/restore.rdb"
  s3 s3 cp --only-show-errors "s3://$BUCKET/$newest" "$WORK/$name" || die "download of s3://$BUCKET/$newest failed"
  s3 s3 cp --only-show-errors "s3://$BUCKET/$newest.sha256" "$WORK/$name.sha256" || die "download of the checksum of $newest failed"
  (cd "$WORK" && sha256sum --check --status "$name.sha256") || die "snapshot s3://$BUCKET/$newest does not match its checksum: refusing to restore it"
  mv "$WORK/$name" "$WORK/restore.rdb"
  log "fetched $newest"
}

seed() {
  if has_data; then log "the volume holds data: nothing to seed"; return; fi
  if [ ! -s "$WORK/restore.rdb" ]; then missing "no fetched snapshot in $WORK"; fi
  redis-check-rdb "$WORK/restore.rdb" >"$WORK/check.log" 2>&1 || die "the snapshot does not pass redis-check-rdb: $(tail -n 3 "$WORK/check.log")"
  local staging="$DATA/.drkit-seed" socket="$WORK/seed.sock" pid deadline status keys
  rm -rf "$staging"
  mkdir -p "$staging"
  cp "$WORK/restore.rdb" "$staging/dump.rdb"
  # Redis 7 ignores dump.rdb when AOF is on and has no AOF yet: load the RDB with AOF off,
  # then switch AOF on, which writes the RDB's data as the AOF base.
  redis-server --port 0 --unixsocket "$socket" --dir "$staging" --dbfilename dump.rdb --appendonly no \\
    --appenddirname appendonlydir --save '' --daemonize no >"$WORK/seed.log" 2>&1 &
  pid=$!
  deadline=$((SECONDS + WAIT_SECONDS))
  until [ "$(redis-cli -s "$socket" ping 2>/dev/null)" = PONG ]; do
    kill -0 "$pid" 2>/dev/null || die "Redis could not load the snapshot: $(tail -n 5 "$WORK/seed.log")"
    [ "$SECONDS" -lt "$deadline" ] || { kill "$pid"; die "Redis did not load the snapshot within $WAIT_SECONDS s"; }
    sleep 0.2
  done
  redis-cli -s "$socket" config set appendonly yes >/dev/null || die "could not switch AOF on"
  until [ -e "$staging/appendonlydir/appendonly.aof.manifest" ] \\
    && redis-cli -s "$socket" info persistence | tr -d '\\r' | grep -qx 'aof_rewrite_in_progress:0'; do
    [ "$SECONDS" -lt "$deadline" ] || { kill "$pid"; die "the AOF was not written within $WAIT_SECONDS s"; }
    sleep 0.2
  done
  status=$(redis-cli -s "$socket" info persistence | tr -d '\\r' | grep '^aof_last_bgrewrite_status:' | cut -d: -f2)
  [ "$status" = ok ] || { kill "$pid"; die "writing the AOF failed ($status)"; }
  keys=$(redis-cli -s "$socket" dbsize)
  redis-cli -s "$socket" shutdown nosave >/dev/null 2>&1 || true
  wait "$pid" || true
  mv "$staging/appendonlydir" "$DATA/appendonlydir"
  rm -rf "$staging"
  log "seeded $keys keys"
}

case "\${1:-}" in
  fetch) fetch ;;
  seed) seed ;;
  *) die "usage: restore.sh fetch | seed" ;;
esac
`;
}
