import * as pulumi from "@pulumi/pulumi";
import type { S3EndpointSpec, StorageProvider, StorageSpec } from "../config";
import { BackupBucket, type BucketAdmins } from "./BackupBucket";
import type { S3CredentialKind } from "../workloads/webIdentity";
import { BucketIdentity, type S3Credentials, type S3Grant } from "./BucketIdentity";
import { bucketArn, s3Address, type DataPath, type S3Address } from "./paths";
import { SpacesBackupBucket, SpacesIdentity } from "./SpacesBackupBucket";
import { CompatibleBucket } from "./CompatibleBucket";
import { copyLifecycleRules, renderLifecycleRules } from "./lifecycle";

/** Where a workload reads or writes: an S3-compatible bucket and how to reach it. */
export interface S3Location {
  provider: StorageProvider;
  /** The bucket's name (drkit names buckets from the stack file, so it is known before they exist). */
  bucket: string;
  region: string;
  /** How its S3 API is reached, e.g. `s3.eu-central-1.amazonaws.com` over verified TLS. */
  endpoint: S3Address;
  /** The key prefix (ending in `/`) this access is scoped to. */
  prefix: string;
}

/** A location with what may be done there: a static key scoped to it, or the grant a workload's role gets. */
export interface S3Access {
  location: S3Location;
  /** An access key of an identity scoped to the location: with `static-keys` only. */
  credentials?: S3Credentials;
  /** The location's scope as IAM grants it (on AWS): what a role of a pod that uses it is allowed. */
  grant?: S3Grant;
}

/** Backups in another stack's bucket that a `dr` or `drill` stack restores from. */
export interface RestoreSourceLocation {
  provider: StorageProvider;
  bucket: string;
  region: string;
  /** The key prefix of the backups, ending in `/` (`pgbackrest/prod/`, `redis/prod/`). */
  prefix: string;
  /** The S3 API of an `s3-compatible` source. */
  endpoint?: S3EndpointSpec;
}

export interface BackupStorageArgs {
  /** The bucket's settings: `drkit:storage` parsed (provider, name, lifecycle, Object Lock, replication, access logs). */
  storage: StorageSpec;
  /** The region of the bucket and the identities (`drkit:region`). */
  region: string;
  /**
   * The data paths this stack writes and the key prefix of each (`dataPathPrefixes(spec)`):
   * each gets an identity that may write under its prefix only (`pgbackrest` unless the stack has no PostgreSQL).
   */
  dataPaths: Partial<Record<DataPath, string>>;
  /** Backups a `dr` or `drill` stack restores from: each gets a read-only identity. @default none */
  restoreSources?: { postgres?: RestoreSourceLocation; redis?: RestoreSourceLocation; media?: RestoreSourceLocation };
  /** A drill's storage: deleted with the stack, not protected. @default false */
  disposable?: boolean;
  /** See BackupBucketArgs.admins. @default history: `drkit:storage.adminRoleArn`; rules: it and the identity running `pulumi up` */
  admins?: BucketAdmins;
  /** See BackupBucketArgs.tags. @default none */
  tags?: Record<string, string>;
  /**
   * `web-identity`: no IAM user or key is created; each access carries only its grant, which the
   * workloads' roles get (`drkit:cluster.workloadIdentity` irsa). @default "static-keys"
   */
  credentials?: S3CredentialKind;
  /**
   * The key pairs of S3-compatible stores, where drkit cannot create keys: the bucket's
   * (`storage.provider: s3-compatible`), the copy's (`storage.copy`), an S3-compatible source's.
   * Each is required where its store is used. @default none
   */
  keys?: { storage?: S3Credentials; copy?: S3Credentials; restore?: S3Credentials };
}

/**
 * The stack's backup bucket (S3 or Spaces) with one least-privilege identity per data path that
 * writes to it, and, in dr and drill stacks, read-only identities for the sources to restore
 * from. This is what the PostgreSQL, Redis and backup-job components take.
 */
export class BackupStorage extends pulumi.ComponentResource {
  /** The bucket's name. */
  public readonly bucketName: pulumi.Output<string>;
  /** Write access per data path this stack runs (pgbackrest, dumps, redis). */
  public readonly writers: Partial<Record<DataPath, S3Access>>;
  /** Read-only access to this stack's own pgBackRest repository: what restore verification needs. None without PostgreSQL. */
  public readonly repositoryReader?: S3Access;
  /** Read-only access to the backups a dr/drill stack restores from. */
  public readonly restore: { postgres?: S3Access; redis?: S3Access; media?: S3Access };
  /** The SNS topics of the bucket's (and replica's) events, on AWS; none on Spaces, which has no notifications. */
  public readonly eventTopicArns: pulumi.Output<string[]>;
  /** The replica bucket, when the bucket replicates (AWS). */
  public readonly replicaBucketName: pulumi.Output<string | undefined>;
  /**
   * Read-only access to the replica of this stack's pgBackRest repository, when the bucket
   * replicates: the archive check measures how far the replica's WAL lags behind.
   */
  public readonly replicaRepositoryReader?: S3Access;
  /** Write access per data path to the copy of the backups (`storage.copy`), and the copy's bucket. */
  public readonly copy?: { bucketName: pulumi.Output<string>; writers: Partial<Record<DataPath, S3Access>> };

  constructor(name: string, args: BackupStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:storage:BackupStorage", name, {}, opts);
    const { storage, region } = args;
    const disposable = args.disposable ?? false;
    const aws = storage.provider === "aws";
    const required = <T>(value: T | undefined, what: string): T => {
      if (value === undefined) throw new Error(`BackupStorage '${name}' needs ${what}`);
      return value;
    };
    const key = (store: "storage" | "copy" | "restore", setting: string) => required(args.keys?.[store], `keys.${store}: the key pair of an S3-compatible store (${setting})`);
    const endpoint = s3Address(storage.provider, region, storage.endpoint);

    let ownBucketArn: pulumi.Output<string> | undefined;
    let kmsKeyArn: pulumi.Output<string> | undefined;
    let replica: BackupBucket["replica"];
    if (aws) {
      const bucket = new BackupBucket(`${name}-bucket`, { storage, region, disposable, ...(args.admins ? { admins: args.admins } : {}), ...(args.tags ? { tags: args.tags } : {}) }, { parent: this });
      this.bucketName = bucket.bucketName;
      this.replicaBucketName = bucket.replicaBucketName;
      ownBucketArn = bucket.bucketArn;
      kmsKeyArn = bucket.kmsKeyArn;
      replica = bucket.replica;
      this.eventTopicArns = bucket.eventTopicArns;
    } else if (storage.provider === "s3-compatible") {
      const bucket = new CompatibleBucket(
        `${name}-bucket`,
        { bucket: storage.bucket, region, endpoint: required(storage.endpoint, "drkit:storage.endpoint"), credentials: key("storage", "drkit:storageCredentials"), lifecycleRules: renderLifecycleRules(storage), disposable },
        { parent: this },
      );
      this.bucketName = bucket.bucketName;
      this.replicaBucketName = pulumi.output(undefined);
      this.eventTopicArns = pulumi.output([]);
    } else {
      const bucket = new SpacesBackupBucket(`${name}-bucket`, { storage, region, disposable }, { parent: this });
      this.bucketName = bucket.bucketName;
      this.replicaBucketName = pulumi.output(undefined);
      this.eventTopicArns = pulumi.output([]);
    }

    // The bucket an identity is scoped to, as resources: an identity of this stack's own bucket
    // then waits for the bucket (Spaces grants name it, IAM policies its ARN).
    interface BucketRef {
      name: pulumi.Input<string>;
      arn: pulumi.Input<string>;
      kmsKeyArn?: pulumi.Input<string> | undefined;
    }
    const own: BucketRef = { name: this.bucketName, arn: ownBucketArn ?? bucketArn(storage.bucket, region), kmsKeyArn };
    const roles = args.credentials === "web-identity";
    // An access to a location: its grant (on AWS), and a key scoped to it unless the workloads
    // assume roles, which hold the grant instead (no IAM user, no key).
    const access = (identityName: string, location: S3Location, mode: "write" | "read", bucket: BucketRef, store: "storage" | "copy" | "restore" = "storage"): S3Access => {
      if (location.provider === "s3-compatible") {
        // The deployer's key pair for the store, with roles or without (IAM does not reach it;
        // the review refuses roles for a bucket there): its scope is what the store's policies give it.
        return { location, credentials: key(store, `drkit:${store}Credentials`) };
      }
      if (location.provider !== "aws") {
        if (roles) throw new Error(`BackupStorage '${name}': s3://${location.bucket} is on Spaces, which IAM roles cannot reach (credentials: web-identity)`);
        return { location, credentials: new SpacesIdentity(identityName, { bucket: bucket.name, access: mode }, { parent: this }) };
      }
      const grant: S3Grant = { bucketArn: bucket.arn, prefixes: [location.prefix], access: mode, region: location.region, ...(bucket.kmsKeyArn ? { kmsKeyArn: bucket.kmsKeyArn } : {}) };
      return { location, grant, ...(roles ? {} : { credentials: new BucketIdentity(identityName, grant, { parent: this }) }) };
    };

    this.writers = {};
    for (const [path, prefix] of Object.entries(args.dataPaths) as [DataPath, string][]) {
      const location: S3Location = { provider: storage.provider, bucket: storage.bucket, region, endpoint, prefix };
      this.writers[path] = access(`${name}-${path}-writer`, location, "write", own);
    }

    const repository = this.writers.pgbackrest?.location;
    if (repository) this.repositoryReader = access(`${name}-pgbackrest-reader`, repository, "read", own);

    const target = storage.replication;
    if (replica && target && repository) {
      const location: S3Location = { provider: "aws", bucket: target.bucket, region: target.region, endpoint: s3Address("aws", target.region), prefix: repository.prefix };
      this.replicaRepositoryReader = access(`${name}-replica-pgbackrest-reader`, location, "read", { name: target.bucket, arn: replica.bucketArn, kmsKeyArn: replica.kmsKeyArn });
    }

    const copy = storage.copy;
    if (copy) {
      const copyBucket = new CompatibleBucket(
        `${name}-copy`,
        { bucket: copy.bucket, region: copy.region, endpoint: copy.endpoint, credentials: key("copy", "drkit:copyCredentials"), lifecycleRules: copyLifecycleRules(storage, copy.endpoint.versioning), disposable },
        { parent: this },
      );
      const endpointOfCopy = s3Address("s3-compatible", copy.region, copy.endpoint);
      const writers: Partial<Record<DataPath, S3Access>> = {};
      for (const [path, prefix] of Object.entries(args.dataPaths) as [DataPath, string][]) {
        const location: S3Location = { provider: "s3-compatible", bucket: copy.bucket, region: copy.region, endpoint: endpointOfCopy, prefix };
        writers[path] = access(`${name}-copy-${path}-writer`, location, "write", { name: copyBucket.bucketName, arn: "" }, "copy");
      }
      this.copy = { bucketName: copyBucket.bucketName, writers };
    }

    this.restore = {};
    for (const [store, source] of Object.entries(args.restoreSources ?? {}) as ["postgres" | "redis" | "media", RestoreSourceLocation | undefined][]) {
      if (!source) continue;
      const location: S3Location = { ...source, endpoint: s3Address(source.provider, source.region, source.endpoint) };
      this.restore[store] = access(`${name}-restore-${store}`, location, "read", { name: source.bucket, arn: bucketArn(source.bucket, source.region) }, "restore");
    }
    this.registerOutputs({ bucketName: this.bucketName, replicaBucketName: this.replicaBucketName });
  }
}
