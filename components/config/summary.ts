import type { DrSpec } from "./types";
import { restoreSeconds } from "./replay";
import { formatDuration, formatSize } from "./units";

/**
 * A human-readable digest of a DrSpec: what `drkit review` prints above its findings and what
 * the stack exports, so a reader sees the derived values (paths, schedules) in units.
 */
export function summarizeSpec(spec: DrSpec) {
  const { postgres, redis, storage, objectives } = spec;
  return {
    stack: spec.stack,
    role: spec.role,
    region: spec.region,
    // A disabled Redis has no objectives to meet.
    objectives: Object.fromEntries(
      Object.entries(objectives)
        .filter(([store]) => store !== "redis" || redis.enabled)
        .map(([store, o]) => [store, { rpo: formatDuration(o.rpo), rto: formatDuration(o.rto) }]),
    ),
    storage: {
      provider: storage.provider,
      bucket: storage.bucket,
      replication: storage.replication ? `${storage.replication.bucket} (${storage.replication.region})` : "none",
      objectLock: storage.objectLock ? `${storage.objectLock.mode} ${formatDuration(storage.objectLock.retention)}` : "none",
    },
    postgres: {
      version: postgres.version,
      databases: postgres.databases.map((db) => db.name),
      volume: formatSize(postgres.storage.size),
      restoreEstimate: `about ${formatDuration(restoreSeconds(postgres.restoreEstimate.dataSize ?? postgres.storage.size, postgres.restoreEstimate.throughput))} for ${formatSize(postgres.restoreEstimate.dataSize ?? postgres.storage.size)} at ${formatSize(postgres.restoreEstimate.throughput)}/s, before WAL replay`,
      repository: `s3://${storage.bucket}/${postgres.backups.repoPath} (stanza ${postgres.backups.stanza})`,
      schedules: { full: postgres.backups.full, diff: postgres.backups.diff ?? "none", incr: postgres.backups.incr ?? "none", archiveCheck: postgres.backups.archiveCheck },
      pitrWindow: formatDuration(postgres.backups.pitrWindow),
      dumps: postgres.dumps.enabled ? `${postgres.dumps.schedule}, kept ${formatDuration(postgres.dumps.retention)} (at least ${postgres.dumps.keepLast})` : "disabled",
      verification: postgres.verification.schedule,
      restoreFrom: postgres.restoreFrom
        ? `s3://${postgres.restoreFrom.bucket}/${postgres.restoreFrom.repoPath} (${postgres.restoreFrom.region}), target ${postgres.restoreFrom.target}`
        : "none",
    },
    redis: redis.enabled
      ? {
          appendfsync: redis.appendfsync,
          maxmemory: formatSize(redis.maxmemory),
          snapshots: `every ${formatDuration(redis.snapshots.interval)} ('${redis.snapshots.schedule}') to s3://${storage.bucket}/${redis.snapshots.prefix}, keep ${redis.snapshots.keep}`,
          restoreFrom: redis.restoreFrom ? `s3://${redis.restoreFrom.bucket}/${redis.restoreFrom.prefix} (if missing: ${redis.restoreFrom.ifMissing})` : "none",
        }
      : "disabled",
    cluster: spec.cluster.provider === "digitalocean" ? `DigitalOcean Kubernetes '${spec.cluster.name}' in ${spec.cluster.region}` : "existing cluster (kubeconfig)",
    namespace: spec.cluster.namespace,
  };
}
