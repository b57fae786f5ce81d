import type { RedisContext } from "./input";
import { objectStoreVariables, renderScript } from "../shell/render";
import type { RedisLayout, SnapshotStore } from "./layout";

/** How long a step may wait on Redis (a load, a rewrite) before it fails. */
const REDIS_WAIT_SECONDS = 600;

/**
 * The off-site snapshot job, rendered for one stack:
 *   `snapshot.sh dump`   takes a consistent RDB over the replication protocol (redis-cli --rdb,
 *                        Redis's documented way to copy a running instance) and checks it;
 *   `snapshot.sh upload` uploads it to `<prefix><UTC timestamp>.rdb`, then its sha256 marker
 *                        (written last: a snapshot without it is incomplete), then keeps the
 *                        newest `keep` complete snapshots. The newest good one is never deleted.
 * In a pod the two steps run in two containers (redis image, aws-cli image) sharing `workDir`.
 */
export function renderSnapshotScript(spec: RedisContext, layout: RedisLayout, store: SnapshotStore, redisHost: string, keep: number = spec.redis.snapshots.keep): string {
  return renderScript("redis-snapshot.sh", `stack '${spec.stack}'`, {
    REDIS_HOST: redisHost,
    REDIS_PORT: layout.port,
    REDIS_CA: spec.redis.tls ? `${layout.tlsDir}/ca.crt` : "",
    WORK: layout.workDir,
    KEEP: keep,
    ...objectStoreVariables(store),
  });
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
export function renderRestoreScript(spec: RedisContext, layout: RedisLayout, source: SnapshotStore): string {
  return renderScript("redis-restore.sh", `stack '${spec.stack}' (role ${spec.role})`, {
    DATA: layout.dataDir,
    WORK: layout.workDir,
    IF_MISSING: spec.redis.restoreFrom?.ifMissing ?? "fail",
    WAIT_SECONDS: REDIS_WAIT_SECONDS,
    ...objectStoreVariables(source),
  });
}
