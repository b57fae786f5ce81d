import { accountOf } from "./arn";
import type { DrSpec, S3EndpointSpec } from "./types";
import { restoreSeconds } from "./replay";
import { formatDuration, formatSize } from "./units";

/**
 * Who could destroy this stack's backups, in one line: what a compromised account, admin role,
 * deployer or workload key can do to them, given the provider, the Object Lock mode and where the
 * replica lives. Workload keys never can remove history (the bucket policy keeps versions for the
 * admin role); the admin role can, and so can the deployer, which may rewrite the bucket policy
 * first, except where COMPLIANCE retention holds, which no one can shorten. A vault in another
 * account is out of the primary's reach altogether.
 */
export function ransomwarePosture(spec: Pick<DrSpec, "role" | "storage">): string {
  const { storage } = spec;
  if (spec.role === "drill") return "a drill's bucket is disposable: it keeps nothing anyone relies on";
  const copy = storage.copy ? `; the copy in ${new URL(storage.copy.endpoint.url).host} is out of that key's reach (its own pair), unless the same person holds both` : "";
  if (storage.provider === "digitalocean") {
    return `a compromised account, or a Spaces key with write access to the bucket, can delete every backup: Spaces has no Object Lock and no policy that keeps history from a key holder${copy}`;
  }
  if (storage.provider === "s3-compatible") {
    const versions = storage.endpoint?.versioning ? "every version of every backup (the store keeps versions, and the pair may delete them unless the store's own policy forbids it)" : "every backup (the store keeps no versions)";
    return `a compromised store admin, or the key pair drkit's pulumi up and workloads share, can delete ${versions}${copy}`;
  }
  const vault = storage.replication?.vault;
  const lock = storage.objectLock;
  const sameAccountReplica = storage.replication && !vault;
  let primary: string;
  if (lock?.mode === "COMPLIANCE") {
    primary = `no one, the account's root included, can delete a backup version younger than ${formatDuration(lock.retention)} (Object Lock COMPLIANCE)${sameAccountReplica ? ", in the replica too" : ""}; older versions only the admin role can remove`;
  } else {
    const how = lock ? "bypass GOVERNANCE retention and delete" : "delete";
    primary = `a compromised admin role, or the identity running pulumi up (it may rewrite the bucket policy), can ${how} every backup${sameAccountReplica ? ", the replica too (it is in the same account)" : vault ? " in the primary bucket" : ""}; workload keys cannot remove history`;
  }
  if (vault) {
    return `${primary}; the vault in account ${accountOf(vault.deployRoleArn)} is out of the primary's reach: no one, its root included, can delete a replica younger than ${formatDuration(vault.retention)} (COMPLIANCE), and only its break-glass role can delete its key`;
  }
  if (lock?.mode === "COMPLIANCE") return `${primary}${copy}`;
  return `${primary}${copy}. Object Lock in COMPLIANCE mode, or a vault in another account (storage.replication.vault), would stop it`;
}

/** An S3-compatible endpoint in one phrase: its URL and what it is told. */
function endpointSummary(endpoint: S3EndpointSpec & { versioning?: boolean; lifecycle?: boolean }): string {
  const notes = [
    endpoint.pathStyle ? "path-style" : "virtual-hosted",
    ...(endpoint.verifyTls ? [] : ["TLS unverified"]),
    ...(endpoint.versioning === false ? ["no versioning"] : []),
    ...(endpoint.lifecycle === false ? ["no lifecycle rules"] : []),
  ];
  return `${endpoint.url} (${notes.join(", ")})`;
}

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
        .filter(([store]) => (store !== "redis" || redis.enabled) && (store !== "postgres" || postgres.enabled))
        // Without snapshots, Redis's recovery point is empty: only its RTO is a promise.
        .map(([store, o]) => [store, { rpo: store === "redis" && !redis.snapshots.enabled ? "none (snapshots off: starts empty)" : formatDuration(o.rpo), rto: formatDuration(o.rto) }]),
    ),
    storage: {
      provider: storage.provider,
      bucket: storage.bucket,
      ...(storage.endpoint ? { endpoint: endpointSummary(storage.endpoint) } : {}),
      copy: storage.copy
        ? `s3://${storage.copy.bucket} at ${endpointSummary(storage.copy.endpoint)}: WAL and backups (PITR ${formatDuration(storage.copy.pitrWindow)})${postgres.enabled && postgres.dumps.enabled ? `, dumps (kept ${formatDuration(storage.copy.dumps.retention)}, at least ${storage.copy.dumps.keepLast})` : ""}${redis.enabled && redis.snapshots.enabled ? `, Redis snapshots (keep ${storage.copy.redisKeep})` : ""}`
        : "none",
      replication: storage.replication
        ? `${storage.replication.bucket} (${storage.replication.region}${storage.replication.vault ? `, vault account ${accountOf(storage.replication.vault.deployRoleArn)}, COMPLIANCE ${formatDuration(storage.replication.vault.retention)}` : ""})`
        : "none",
      objectLock: storage.objectLock ? `${storage.objectLock.mode} ${formatDuration(storage.objectLock.retention)}` : "none",
      ransomware: ransomwarePosture(spec),
      credentials:
        storage.provider === "s3-compatible"
          ? `the store's key pair drkit:storageCredentials, ${spec.target === "docker" ? "in files on the host" : "in Secrets"}, for every data path (drkit cannot make keys there; scope it to the bucket with the store's policy)`
          : spec.cluster.workloadIdentity?.type === "irsa"
          ? "a role per ServiceAccount (IRSA), no access keys"
          : spec.target === "docker"
            ? "static access keys per data path, in files on the host, never in a container's configuration (rotate them: README)"
            : "static access keys per data path, in Secrets (rotate them: README)",
    },
    postgres: postgres.enabled
      ? {
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
            ? `s3://${postgres.restoreFrom.bucket}/${postgres.restoreFrom.repoPath}${postgres.restoreFrom.endpoint ? ` at ${endpointSummary(postgres.restoreFrom.endpoint)}` : ` (${postgres.restoreFrom.region})`}, target ${postgres.restoreFrom.target}`
            : "none",
        }
      : "disabled",
    redis: redis.enabled
      ? {
          appendfsync: redis.appendfsync,
          maxmemory: formatSize(redis.maxmemory),
          snapshots: redis.snapshots.enabled
            ? `every ${formatDuration(redis.snapshots.interval)} ('${redis.snapshots.schedule}') to s3://${storage.bucket}/${redis.snapshots.prefix}, keep ${redis.snapshots.keep}`
            : "off: never copied off-site; after a disaster Redis starts empty, by design",
          restoreFrom: redis.snapshots.enabled && redis.restoreFrom ? `s3://${redis.restoreFrom.bucket}/${redis.restoreFrom.prefix} (if missing: ${redis.restoreFrom.ifMissing})` : "none",
        }
      : "disabled",
    ...(spec.media
      ? {
          media: `s3://${spec.media.bucket}${spec.media.endpoint ? ` at ${endpointSummary(spec.media.endpoint)}` : ` (${spec.media.region})`} mirrored to s3://${storage.bucket}/${storage.lifecycle.media?.prefix ?? "media/"}${storage.copy ? " and the copy" : ""} at '${spec.media.schedule}', at most ${spec.media.maxDelete} removals a run${spec.media.restoreFrom ? `; first copied back from s3://${spec.media.restoreFrom.bucket}/${spec.media.restoreFrom.prefix}` : ""}`,
        }
      : {}),
    ...(spec.target === "docker"
      ? {
          host: spec.host.provision
            ? `a new ${spec.host.provision.provider === "digitalocean" ? `DigitalOcean droplet (${spec.host.provision.size}, ${spec.host.provision.region})` : `EC2 instance (${spec.host.provision.instanceType}, ${spec.host.provision.subnetId})`} with a ${formatSize(spec.host.provision.volumeSize)} volume for Docker's data; ssh from ${spec.host.provision.sshFrom.join(", ")}, published ports from ${spec.host.provision.allowFrom.join(", ") || "nowhere"}; containers '${spec.host.project}', jobs started by drkit's scheduler`
            : `Docker engine at ${spec.host.docker}: containers, volumes and network '${spec.host.project}', ports published on ${spec.host.publishAddress}, jobs started by drkit's scheduler`,
        }
      : {
          cluster: spec.cluster.provider === "digitalocean" ? `DigitalOcean Kubernetes '${spec.cluster.name}' in ${spec.cluster.region}` : "existing cluster (kubeconfig)",
          namespace: spec.cluster.namespace,
        }),
  };
}
