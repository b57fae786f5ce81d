import type { DrSpec, RedisSpec, Role } from "../config";
import { bucketStore, type S3Substitute } from "../workloads/endpoints";
import type { SnapshotStore } from "./layout";
import { credentialKind, type S3CredentialKind } from "../workloads/webIdentity";

/** What Redis's configuration files depend on: the store's settings and two facts of the stack (a `DrSpec` has them). */
export interface RedisContext {
  /** The stack's name: configuration comments, pod labels. */
  stack: string;
  /** `primary` starts an empty volume empty; `dr` and `drill` seed it from the source's newest snapshot. */
  role: Role;
  /** The store's settings: `drkit:redis`, parsed. */
  redis: RedisSpec;
}

/** Everything a Redis server's workload plan is made from. */
export interface RedisInput extends RedisContext {
  /** Time zone of the snapshot schedule (an IANA name, `drkit:timeZone`). */
  timeZone: string;
  /** Where this server's snapshots go: required unless `redis.snapshots.enabled` is false. */
  snapshots?: SnapshotStore;
  /** The snapshots a `dr` or `drill` stack seeds from: required for them unless snapshots are off. */
  source?: SnapshotStore;
  /** The copy of the snapshots (`drkit:storage.copy`) and how many it keeps. */
  snapshotsCopy?: { store: SnapshotStore; keep: number };
  /** How the workloads authenticate to the bucket. @default "static-keys" */
  credentials?: S3CredentialKind;
}

/** A stack spec's Redis input: its snapshot stores at their cloud endpoints, or all at one local endpoint (`s3`). */
export function redisInput(spec: DrSpec, s3?: S3Substitute): RedisInput {
  const on = spec.redis.snapshots.enabled;
  const copy = spec.storage.copy;
  const from = spec.role === "primary" || !on ? undefined : spec.redis.restoreFrom;
  return {
    stack: spec.stack,
    role: spec.role,
    redis: spec.redis,
    timeZone: spec.timeZone,
    ...(on ? { snapshots: bucketStore(spec.storage.provider, spec.storage.bucket, spec.region, spec.storage.endpoint, spec.redis.snapshots.prefix, s3) } : {}),
    ...(from ? { source: bucketStore(from.provider, from.bucket, from.region, from.endpoint, from.prefix, s3) } : {}),
    ...(on && copy ? { snapshotsCopy: { store: bucketStore("s3-compatible", copy.bucket, copy.region, copy.endpoint, spec.redis.snapshots.prefix, s3), keep: copy.redisKeep } } : {}),
    credentials: credentialKind(spec),
  };
}
