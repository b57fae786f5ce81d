import type { DrSpec, S3EndpointSpec, StorageProvider } from "../config";
import { credentialKind } from "../workloads/webIdentity";
import type { BackupStorageArgs } from "./BackupStorage";

/** The workloads that write to the backup bucket, each with its own identity. */
export type DataPath = "pgbackrest" | "dumps" | "redis" | "media";

/**
 * The key prefix each data path writes under, for the data paths this stack runs. Derived from
 * the spec's own paths (docs/architecture.md §1: one source of truth).
 */
export function dataPathPrefixes(spec: DrSpec): Partial<Record<DataPath, string>> {
  return {
    ...(spec.postgres.enabled ? { pgbackrest: `${spec.postgres.backups.repoPath}/` } : {}),
    ...(spec.postgres.enabled && spec.postgres.dumps.enabled ? { dumps: spec.storage.lifecycle.dumps.prefix } : {}),
    ...(spec.redis.enabled && spec.redis.snapshots.enabled ? { redis: spec.redis.snapshots.prefix } : {}),
    // The media mirror (drkit:media) writes under the media class's prefix.
    ...(spec.media && spec.storage.lifecycle.media ? { media: spec.storage.lifecycle.media.prefix } : {}),
  };
}

/**
 * Replication Time Control's SLA (99.99 % of objects within 15 minutes), the metrics threshold
 * that goes with it, and the lag ReplicationLagging pages at: past it the DR region's copy is
 * older than the replication objective, with or without RTC.
 */
export const REPLICATION_TIME_MINUTES = 15;

/** How a client reaches a bucket's S3 API: what pgBackRest's repo options and the aws CLI are given. */
export interface S3Address {
  /** Host name (or IP) of the API. */
  host: string;
  /** @default the scheme's (443, or 80 without TLS) */
  port?: number;
  /** https; plain http only for an S3-compatible store that no pgBackRest reads. */
  tls: boolean;
  /** `host` (bucket.host: AWS and Spaces) or `path` (host/bucket: MinIO, Ceph, a local endpoint). */
  uriStyle: "host" | "path";
  /** Verify the endpoint's certificate. */
  verifyTls: boolean;
}

/** The S3 API host of a bucket's region on AWS or Spaces. */
export function s3Endpoint(provider: Exclude<StorageProvider, "s3-compatible">, region: string): string {
  return provider === "aws" ? `s3.${region}.amazonaws.com` : `${region}.digitaloceanspaces.com`;
}

/** Where a bucket's API is: AWS's or Spaces' endpoint of its region, or the S3-compatible endpoint the spec names. */
export function s3Address(provider: StorageProvider, region: string, endpoint?: S3EndpointSpec): S3Address {
  if (provider !== "s3-compatible") return { host: s3Endpoint(provider, region), tls: true, uriStyle: "host", verifyTls: true };
  if (!endpoint) throw new Error("an s3-compatible bucket needs its endpoint (drkit:storage.endpoint, or restoreFrom.endpoint)");
  const url = new URL(endpoint.url);
  return {
    // URL keeps an IPv6 literal in brackets; pgBackRest and curl take it without.
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    ...(url.port ? { port: Number(url.port) } : {}),
    tls: url.protocol === "https:",
    uriStyle: endpoint.pathStyle ? "path" : "host",
    verifyTls: endpoint.verifyTls,
  };
}

/** The URL the aws CLI is given for an address. */
export function addressUrl(address: S3Address): string {
  return `${address.tls ? "https" : "http"}://${address.host.includes(":") ? `[${address.host}]` : address.host}${address.port !== undefined ? `:${address.port}` : ""}`;
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
  const media = restoring ? spec.media?.restoreFrom : undefined;
  return {
    storage: spec.storage,
    region: spec.region,
    dataPaths: dataPathPrefixes(spec),
    restoreSources: {
      ...(pg ? { postgres: { provider: pg.provider, bucket: pg.bucket, region: pg.region, prefix: `${pg.repoPath}/`, ...(pg.endpoint ? { endpoint: pg.endpoint } : {}) } } : {}),
      ...(redis ? { redis: { provider: redis.provider, bucket: redis.bucket, region: redis.region, prefix: redis.prefix, ...(redis.endpoint ? { endpoint: redis.endpoint } : {}) } } : {}),
      ...(media ? { media: { provider: media.provider, bucket: media.bucket, region: media.region, prefix: media.prefix, ...(media.endpoint ? { endpoint: media.endpoint } : {}) } } : {}),
    },
    disposable: spec.role === "drill",
    tags: { ...spec.tags, "drkit:stack": spec.stack, "drkit:role": spec.role },
    credentials: credentialKind(spec),
  };
}

/**
 * The TCP ports of every object store a stack's pods reach: the bucket's, the copy's, the sources'
 * a dr or drill stack restores from, the media bucket's. AWS and Spaces are 443; an S3-compatible
 * endpoint names its own (MinIO's 9000). The object-storage egress policy opens exactly these.
 */
export function objectStorePorts(spec: DrSpec): number[] {
  const port = (address: S3Address) => address.port ?? (address.tls ? 443 : 80);
  const restoring = spec.role !== "primary";
  const addresses = [
    s3Address(spec.storage.provider, spec.region, spec.storage.endpoint),
    ...(spec.storage.copy ? [s3Address("s3-compatible", spec.storage.copy.region, spec.storage.copy.endpoint)] : []),
    ...(spec.storage.replication ? [s3Address("aws", spec.storage.replication.region)] : []),
    ...(restoring && spec.postgres.enabled && spec.postgres.restoreFrom ? [s3Address(spec.postgres.restoreFrom.provider, spec.postgres.restoreFrom.region, spec.postgres.restoreFrom.endpoint)] : []),
    ...(restoring && spec.redis.enabled && spec.redis.snapshots.enabled && spec.redis.restoreFrom ? [s3Address(spec.redis.restoreFrom.provider, spec.redis.restoreFrom.region, spec.redis.restoreFrom.endpoint)] : []),
    ...(spec.media ? [s3Address(spec.media.provider, spec.media.region, spec.media.endpoint)] : []),
    ...(restoring && spec.media?.restoreFrom ? [s3Address(spec.media.restoreFrom.provider, spec.media.restoreFrom.region, spec.media.restoreFrom.endpoint)] : []),
  ];
  return [...new Set(addresses.map(port))].sort((a, b) => a - b);
}
