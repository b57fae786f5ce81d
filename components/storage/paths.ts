import type { DrSpec, StorageProvider } from "../config";
import { credentialKind } from "../workloads/webIdentity";
import type { BackupStorageArgs } from "./BackupStorage";

/** The workloads that write to the backup bucket, each with its own identity. */
export type DataPath = "pgbackrest" | "dumps" | "redis";

/**
 * The key prefix each data path writes under, for the data paths this stack runs. Derived from
 * the spec's own paths (docs/architecture.md §1: one source of truth).
 */
export function dataPathPrefixes(spec: DrSpec): Partial<Record<DataPath, string>> {
  return {
    ...(spec.postgres.enabled ? { pgbackrest: `${spec.postgres.backups.repoPath}/` } : {}),
    ...(spec.postgres.enabled && spec.postgres.dumps.enabled ? { dumps: spec.storage.lifecycle.dumps.prefix } : {}),
    ...(spec.redis.enabled && spec.redis.snapshots.enabled ? { redis: spec.redis.snapshots.prefix } : {}),
  };
}

/**
 * Replication Time Control's SLA (99.99 % of objects within 15 minutes), the metrics threshold
 * that goes with it, and the lag ReplicationLagging pages at: past it the DR region's copy is
 * older than the replication objective, with or without RTC.
 */
export const REPLICATION_TIME_MINUTES = 15;

/** The S3 API endpoint of a bucket's region: what pgBackRest and the jobs talk to. */
export function s3Endpoint(provider: StorageProvider, region: string): string {
  return provider === "aws" ? `s3.${region}.amazonaws.com` : `${region}.digitaloceanspaces.com`;
}

/** An S3 bucket's ARN; the partition follows the region (China and GovCloud differ). */
export function bucketArn(bucket: string, region: string): string {
  const partition = region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
  return `arn:${partition}:s3:::${bucket}`;
}

/** The backup storage of a stack spec: `BackupStorage`'s args from `drkit:storage`, the data paths and the sources to restore. */
export function backupStorageArgs(spec: DrSpec): Omit<BackupStorageArgs, "admins"> {
  const restoring = spec.role !== "primary";
  const pg = restoring && spec.postgres.enabled ? spec.postgres.restoreFrom : undefined;
  const redis = restoring && spec.redis.enabled && spec.redis.snapshots.enabled ? spec.redis.restoreFrom : undefined;
  return {
    storage: spec.storage,
    region: spec.region,
    dataPaths: dataPathPrefixes(spec),
    restoreSources: {
      ...(pg ? { postgres: { provider: pg.provider, bucket: pg.bucket, region: pg.region, prefix: `${pg.repoPath}/` } } : {}),
      ...(redis ? { redis: { provider: redis.provider, bucket: redis.bucket, region: redis.region, prefix: redis.prefix } } : {}),
    },
    disposable: spec.role === "drill",
    tags: { ...spec.tags, "drkit:stack": spec.stack, "drkit:role": spec.role },
    credentials: credentialKind(spec),
  };
}
