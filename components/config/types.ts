import type { Bytes, Fraction, Millicores, Seconds } from "./units";

/**
 * A stack's disaster-recovery specification: the `drkit:*` configuration of one Pulumi stack,
 * parsed, validated and fully defaulted. Every later step (review, renderers, components, the
 * drill) reads this object and nothing else.
 *
 * Units: durations are seconds, sizes bytes, CPU millicores, percentages fractions (0..1).
 * In the stack file they are written for humans: `5m`, `50Gi`, `500m`, `10%`.
 */
export interface DrSpec {
  /** The Pulumi stack name; part of every repository path this stack writes (`pgbackrest/<stack>`). */
  stack: string;
  /**
   * What `pulumi up` does with this stack (docs/architecture.md §3): `primary` serves and backs up;
   * `dr` restores from replicated backups in a new region; `drill` is a disposable `dr`.
   */
  role: Role;
  /** The cloud region of this stack's bucket and cluster (`eu-central-1`, or `fra1` on DigitalOcean). */
  region: string;
  /** Time zone of every schedule in this spec (IANA name). @default "UTC" */
  timeZone: string;
  /** Tags put on every cloud resource that takes them. @default {} */
  tags: Record<string, string>;
  objectives: Objectives;
  storage: StorageSpec;
  postgres: PostgresSpec;
  redis: RedisSpec;
  alerts: AlertsSpec;
  cluster: ClusterSpec;
  /**
   * Where the workloads run: `kubernetes` (the cluster of `drkit:cluster`) or `docker` (the
   * Docker host of `drkit:host`: one container per workload container, a scheduler for the
   * jobs). @default "kubernetes"
   */
  target: Target;
  /** The application's media bucket, mirrored into the backup bucket's media prefix. @default none */
  media?: MediaSpec;
  /** The Docker host (`target: docker`). Defaulted, and unused, on Kubernetes. */
  host: HostSpec;
  images: ImagesSpec;
}

export type Target = "kubernetes" | "docker";

/**
 * The application's media bucket (uploads, images: often a MinIO beside the application) and
 * its mirror into the backup bucket's media prefix (`storage.lifecycle.media.prefix`), where the
 * bucket's versioning keeps what the application overwrote or deleted for the media rule's
 * noncurrent expiration. A `dr` or `drill` stack first copies the source's mirrored media into
 * its own media bucket (the reverse copy), then mirrors that bucket like a primary.
 */
export interface MediaSpec {
  /** The application's media bucket. */
  bucket: string;
  /** @default `drkit:storage.provider` */
  provider: StorageProvider;
  /** @default `drkit:region` */
  region: string;
  /** The S3 API of an `s3-compatible` media bucket. @default `drkit:storage.endpoint` when the providers match */
  endpoint?: S3EndpointSpec;
  /** When the mirror runs (cron, `drkit:timeZone`). @default the longest even interval within half the media RPO */
  schedule: string;
  /**
   * A run that would delete more files from the mirror than this stops and fails (BackupJobFailed):
   * a wiped or misconfigured media bucket never empties the mirror in one go. @default 1000
   */
  maxDelete: number;
  /** Where a dr or drill stack's reverse copy reads the mirrored media. @default the PostgreSQL source's bucket, the media prefix */
  restoreFrom?: MediaRestoreSource;
}

export interface MediaRestoreSource {
  bucket: string;
  region: string;
  provider: StorageProvider;
  endpoint?: S3EndpointSpec;
  /** The source stack's media prefix in that bucket. @default `drkit:storage.lifecycle.media.prefix` */
  prefix: string;
}

/** One Docker host that runs a stack's workloads (docs/architecture.md §10). */
export interface HostSpec {
  /**
   * The Docker engine of an existing host: `unix:///var/run/docker.sock`, `ssh://user@host`,
   * `tcp://host:2376`. Undefined when drkit creates the host (`provision`): it is then
   * `ssh://<user>@<the new host's address>`. @default "unix:///var/run/docker.sock"
   */
  docker?: string;
  /** A host drkit creates and owns. @default none: the host exists */
  provision?: HostProvisionSpec;
  /** Prefix of every container, volume and network name. @default `drkit-<stack>` */
  project: string;
  /**
   * The host address PostgreSQL, Redis and the exporters publish their ports on: clients on
   * other machines and the team's Prometheus connect there. @default "127.0.0.1" (the host
   * only); on a host drkit creates, every address, with its firewall admitting `allowFrom` only
   */
  publishAddress: string;
}

/**
 * A host drkit creates: a DigitalOcean droplet or an EC2 instance running Debian 12, a block
 * volume that holds Docker's data (`/var/lib/docker`: every volume of the stack), and a firewall
 * (a DigitalOcean Cloud Firewall, a security group) that admits ssh from `sshFrom` and the
 * published ports from `allowFrom`, nothing else. Cloud-init installs Docker and mounts the volume.
 */
export type HostProvisionSpec =
  | {
      provider: "digitalocean";
      /** @default `drkit:region` */
      region: string;
      /** Droplet size slug. @default "s-2vcpu-4gb" */
      size: string;
      /** @default "debian-12-x64" */
      image: string;
      /** The data volume, bytes. @default 50Gi */
      volumeSize: number;
      /** SSH key ids or fingerprints of the DigitalOcean account: the deployer's, for Pulumi's Docker provider over ssh. */
      sshKeys: string[];
      /** CIDR blocks that may reach ssh (the deployer, CI). */
      sshFrom: string[];
      /** CIDR blocks that may reach the published ports (applications, Prometheus). @default [] */
      allowFrom: string[];
    }
  | {
      provider: "aws";
      /** @default "t3.medium" */
      instanceType: string;
      /** @default the newest official Debian 12 AMI of the region */
      ami?: string;
      /** The subnet (and so the VPC and availability zone) of the instance. */
      subnetId: string;
      /** The EC2 key pair the deployer's ssh agent holds. */
      keyName: string;
      /** @default 50Gi */
      volumeSize: number;
      sshFrom: string[];
      /** @default [] */
      allowFrom: string[];
    };

/**
 * drkit's images (images/<name>/Dockerfile, Debian bookworm packages at pinned versions): built
 * and pushed to `registry` as `<registry>/drkit-<name>`, or given ready. Every image a stack
 * runs is one of them, so every script runs in the shell and tools the tests ran it in.
 */
export interface ImagesSpec {
  /** Build drkit's images and push them here (docker must be logged in). Needed unless every image is given. */
  registry?: string;
  /**
   * The image drkit's Dockerfiles build on. A tag is resolved in its registry at deployment and
   * built by that digest (so a build is of the base recorded then); give it by digest to skip the
   * lookup, e.g. for a base that is in no registry the deployer reaches. @default "debian:bookworm-slim"
   */
  base: string;
  /** A ready PostgreSQL + pgBackRest + exporter image, instead of building one. @default built */
  postgres?: string;
  /** A ready Redis + exporter image. @default built */
  redis?: string;
  /** A ready jobs image (aws CLI, PostgreSQL client, redis-cli). @default built */
  jobs?: string;
}

export type Role = "primary" | "dr" | "drill";

/** How much data (RPO) and time (RTO) a disaster may cost a data store. */
export interface Objective {
  /** Recovery point objective: the newest writes that may be lost. */
  rpo: Seconds;
  /** Recovery time objective: from disaster to serving again. */
  rto: Seconds;
}

export interface Objectives {
  /** @default { rpo: 5m, rto: 1h } */
  postgres: Objective;
  /** @default { rpo: 1h, rto: 30m } */
  redis: Objective;
  /** Media files in the bucket. @default { rpo: 24h, rto: 4h } when `storage.lifecycle.media` is set, else absent */
  media?: Objective;
}

/**
 * Where a bucket is: AWS S3, DigitalOcean Spaces, or any other S3 API (MinIO, Ceph RGW,
 * Cloudflare R2, Backblaze B2, Wasabi) at the `endpoint` it names.
 */
export type StorageProvider = "aws" | "digitalocean" | "s3-compatible";

/** How clients reach an S3 API that is neither AWS nor Spaces. */
export interface S3EndpointSpec {
  /**
   * `https://host[:port]`, e.g. `https://minio.internal:9000` or
   * `https://<account>.r2.cloudflarestorage.com`. `http://` only for a store that pgBackRest never
   * reads (it speaks S3 over TLS only): a stack without PostgreSQL.
   */
  url: string;
  /** Path-style requests (`host/bucket/key`): what MinIO and Ceph serve without wildcard DNS. @default true */
  pathStyle: boolean;
  /** Verify the endpoint's certificate against the system's CAs; off only for a self-signed test store. @default true */
  verifyTls: boolean;
}

/** A bucket drkit manages at an S3-compatible endpoint, and what that store can do. */
export interface CompatibleStorageEndpoint extends S3EndpointSpec {
  /** The store keeps object versions (PutBucketVersioning): MinIO, Ceph, B2, Wasabi do; R2 does not. @default true */
  versioning: boolean;
  /** The store runs bucket lifecycle rules (PutBucketLifecycleConfiguration): expiration, noncurrent expiration. @default true */
  lifecycle: boolean;
}

/**
 * A second copy of the backups in another store (two teams keep one in MinIO): pgBackRest
 * archives every WAL segment to it as a second repository (repo3; repo2 is a dr stack's source)
 * and backs up to it after each backup of the bucket; the dump and snapshot jobs upload each
 * dump and snapshot to it too. Each copy keeps its own retention.
 */
export interface CopySpec {
  /** The copy's bucket at `endpoint` (drkit creates it, with versioning and lifecycle where the store has them). */
  bucket: string;
  /** The region the store signs requests for. @default "us-east-1" (MinIO's) */
  region: string;
  endpoint: CompatibleStorageEndpoint;
  /** pgBackRest retention of the copy: point-in-time recovery to any moment of this window. @default `postgres.backups.pitrWindow` */
  pitrWindow: Seconds;
  /** Dumps in the copy: the newest `keepLast` stay whatever their age, older ones go after `retention`. @default `postgres.dumps` retention and keepLast */
  dumps: { retention: Seconds; keepLast: number };
  /** Redis snapshots kept in the copy. @default `redis.snapshots.keep` */
  redisKeep: number;
}

/** S3 storage classes a lifecycle rule may transition to, in waterfall order. */
export const STORAGE_CLASSES = [
  "STANDARD_IA",
  "INTELLIGENT_TIERING",
  "ONEZONE_IA",
  "GLACIER_IR",
  "GLACIER",
  "DEEP_ARCHIVE",
] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];

/** The data classes of docs/architecture.md §4: one bucket prefix and one lifecycle rule each. */
export const DATA_CLASSES = ["pgbackrest", "dumps", "redis", "media"] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

export interface StorageSpec {
  /** Which object store holds the backups. @default "aws" */
  provider: StorageProvider;
  /** The backup bucket's name (S3 naming rules: 3–63 lowercase letters, digits, dots, hyphens). */
  bucket: string;
  /**
   * The IAM role that alone may delete object versions or change lifecycle and versioning
   * (the bucket policy denies everyone else). @default none: nobody but the account root
   */
  adminRoleArn?: string;
  /** Server access logs to a separate `<bucket>-logs` bucket. @default true */
  accessLogs: boolean;
  /** S3 Object Lock on the bucket. Cannot be turned off once the bucket exists. @default none */
  objectLock?: ObjectLockSpec;
  /** Cross-region replication of the whole bucket to the DR region. @default none */
  replication?: ReplicationSpec;
  /** The lifecycle rule of each data class. */
  lifecycle: LifecycleSpec;
  /** The S3 API of an `s3-compatible` bucket (required there, refused elsewhere). */
  endpoint?: CompatibleStorageEndpoint;
  /** A second copy of the backups in another store, with its own retention. @default none */
  copy?: CopySpec;
}

export interface ObjectLockSpec {
  /** `GOVERNANCE` can be bypassed by a privileged role; `COMPLIANCE` by nobody, not even root. */
  mode: "GOVERNANCE" | "COMPLIANCE";
  /** Default retention of every new object version (whole days). */
  retention: Seconds;
}

export interface ReplicationSpec {
  /** The DR region the replica bucket lives in; must differ from `drkit:region`. */
  region: string;
  /** The replica bucket's name. */
  bucket: string;
  /** S3 Replication Time Control (15-minute SLA) with replication metrics. @default false */
  replicationTimeControl: boolean;
  /** Storage class of the replicas. @default "STANDARD" */
  storageClass: "STANDARD" | "STANDARD_IA" | "ONEZONE_IA" | "GLACIER_IR";
  /**
   * The replica in a separate AWS account (an immutable vault): Object Lock in COMPLIANCE mode,
   * its own key that only a break-glass role there can delete. @default none: the replica is in
   * this stack's account
   */
  vault?: VaultSpec;
}

/** A replica bucket in its own AWS account, out of reach of anyone who holds the primary. */
export interface VaultSpec {
  /** The role in the vault account that `pulumi up` assumes to create and manage the replica. */
  deployRoleArn: string;
  /** The vault account's break-glass role: alone may delete or disable the key, or change its policy. */
  breakGlassRoleArn: string;
  /** COMPLIANCE retention of every replica (whole days): nobody, not even the vault's root, can delete it earlier. */
  retention: Seconds;
  /**
   * Accounts whose IAM may grant reading the vault (DR and drill stacks restoring from it, the
   * archive check watching replication), besides the primary's own. @default none
   */
  readerAccounts: string[];
}

export interface LifecycleSpec {
  /** @default prefix `pgbackrest/`, no transitions or expiration (pgBackRest owns retention) */
  pgbackrest: LifecycleRule;
  /** @default prefix `dumps/`; on AWS: Glacier Instant Retrieval at 30 d, Deep Archive at 120 d */
  dumps: LifecycleRule;
  /** @default prefix `redis/`, no transitions (snapshots are needed fast at restore) */
  redis: LifecycleRule;
  /** Application media files. @default absent: no media class */
  media?: LifecycleRule;
}

export interface Transition {
  /** Age (current objects) or time since becoming noncurrent, in whole days. */
  after: Seconds;
  storageClass: StorageClass;
}

export interface LifecycleRule {
  /** Key prefix this rule applies to; ends with `/`. @default `<class>/` */
  prefix: string;
  /** Storage-class transitions of current objects. @default [] (dumps: see LifecycleSpec) */
  transitions: Transition[];
  /** Expire current objects after this age (whole days). @default none */
  expiration?: Seconds;
  /** Remove delete markers with no noncurrent versions left. @default false */
  expiredObjectDeleteMarker: boolean;
  /** Storage-class transitions of noncurrent versions. @default [] */
  noncurrentTransitions: Transition[];
  /**
   * Delete noncurrent versions this long after they became noncurrent (whole days).
   * @default the longer of 30 days and the Object Lock retention (media: 90 days)
   */
  noncurrentExpiration?: Seconds;
  /** Keep this many newest noncurrent versions regardless of age. @default none */
  keepNoncurrentVersions?: number;
  /** Abort unfinished multipart uploads after (whole days). @default 7d */
  abortIncompleteMultipartUpload: Seconds;
  /** Only objects larger than this are transitioned (S3 skips < 128 KiB by default). @default 128Ki with the default dump transitions, else none */
  minObjectSize?: Bytes;
}

export interface PostgresSpec {
  /**
   * A stack without PostgreSQL (a team whose only store is Redis): no cluster, no backup jobs, no
   * repository, no PostgreSQL alerts; its other keys must still parse, and no rule reads them. @default true
   */
  enabled: boolean;
  /** PostgreSQL major version. @default 15 */
  version: number;
  /** Databases created (idempotently) with their owners. @default [{ name: "app", owner: "app" }] */
  databases: DatabaseSpec[];
  /** @default { size: 20Gi } */
  storage: VolumeSpec;
  /** Requests and limits of the postgres container. @default { cpu: 1, memory: 2Gi } */
  resources: ResourcesSpec;
  /**
   * What the review assumes a restore moves: it warns when fetching and writing `dataSize` at
   * `throughput` leaves less than half the RTO (the other half is for WAL replay).
   */
  restoreEstimate: {
    /** The data a restore fetches. @default the volume size (`storage.size`), the worst case */
    dataSize?: Bytes;
    /** Restore throughput, bytes per second; the verification job logs the measured one. @default 100Mi/s */
    throughput: Bytes;
  };
  /** `max_connections`. @default 100 */
  maxConnections: number;
  backups: PgBackupsSpec;
  dumps: DumpsSpec;
  verification: VerificationSpec;
  /** Where a `dr` or `drill` stack restores from. Required for them, refused for `primary`. */
  restoreFrom?: PgRestoreSource;
}

export interface DatabaseSpec {
  /** Database name (lowercase identifier). */
  name: string;
  /** Owning role, created with a generated password. @default the database name */
  owner: string;
}

export interface VolumeSpec {
  /** PersistentVolumeClaim size. */
  size: Bytes;
  /** StorageClass of the claim. @default the cluster's default class */
  storageClass?: string;
}

export interface ResourcesSpec {
  cpu: Millicores;
  memory: Bytes;
}

export interface PgBackupsSpec {
  /** pgBackRest repository path in the bucket. @default `<storage.lifecycle.pgbackrest.prefix><stack>`, e.g. `pgbackrest/prod` */
  repoPath: string;
  /** pgBackRest stanza name. @default "main" */
  stanza: string;
  /** Full backup schedule (cron, in `drkit:timeZone`). @default "0 1 * * 0" (Sundays 01:00) */
  full: string;
  /** Differential backup schedule, or null for none. @default "0 1 * * 1-6" (other days 01:00) */
  diff: string | null;
  /** Incremental backup schedule, or null for none. @default null */
  incr: string | null;
  /**
   * When the archive check lists the repository's WAL for gaps (segments dropped by
   * `archive-push-queue-max` during a long repository outage, or deleted) and, on a gap since the
   * newest backup, takes a full backup so point-in-time recovery works again from there.
   * @default "*\/10 * * * *" (every 10 minutes)
   */
  archiveCheck: string;
  /**
   * Point-in-time recovery window: any moment this far back can be restored. pgBackRest keeps
   * full backups by time (`repo1-retention-full-type=time`) and the WAL they need. @default 7d
   */
  pitrWindow: Seconds;
  /** Encrypt the repository (aes-256-cbc, generated passphrase). @default true */
  encrypt: boolean;
}

export interface DumpsSpec {
  /** Logical dumps for the long-term, portable tier. @default true */
  enabled: boolean;
  /** Dump schedule (cron). @default "30 2 * * *" (daily 02:30) */
  schedule: string;
  /** `custom` (`pg_dump -Fc`) or `directory` (`pg_dump -Fd -j N`). @default "custom" */
  format: "custom" | "directory";
  /** Parallel jobs for the directory format. @default 2 */
  jobs: number;
  /** Dumps older than this are pruned (never below `keepLast`). @default 365d */
  retention: Seconds;
  /** The newest complete dumps that pruning never deletes, whatever their age. @default 7 */
  keepLast: number;
}

export interface VerificationSpec {
  /** Restore verification schedule (cron). @default "0 6 * * 1" (Mondays 06:00) */
  schedule: string;
  /** Tables that must exist after a restore, with a minimum row count. @default [] */
  tables: TableCheck[];
  /**
   * A timestamp column written at least once per RPO (orders, a heartbeat): after the restore to
   * the latest archived WAL, its newest value must be within the RPO of the verification's start.
   * @default none
   */
  freshness?: FreshnessCheck;
}

export interface TableCheck {
  database: string;
  /** `schema.table` or `table` (schema `public`). */
  table: string;
  /** @default 0 (the table must exist) */
  minRows: number;
}

export interface FreshnessCheck {
  database: string;
  table: string;
  /** A `timestamptz` column, e.g. `created_at`. */
  column: string;
}

export interface PgRestoreSource {
  /** Bucket holding the source repository (on AWS, usually the replica bucket in this region). */
  bucket: string;
  /** Region of that bucket. */
  region: string;
  /** @default `drkit:storage.provider` */
  provider: StorageProvider;
  /** The S3 API of an `s3-compatible` source (a copy in MinIO, say). @default `drkit:storage.endpoint` when the providers match */
  endpoint?: S3EndpointSpec;
  /** The source stack's repository path, e.g. `pgbackrest/prod`. */
  repoPath: string;
  /** The source stanza. @default "main" */
  stanza: string;
  /** `latest`, or an ISO-8601 time with a zone to recover to (point in time). @default "latest" */
  target: "latest" | string;
  /**
   * Whether the source repository is encrypted (drkit encrypts its repositories by default).
   * Its passphrase comes from `stackReference`, or from the secret config key
   * `drkit:restoreCipherPassphrase`; it is never part of the spec. @default true
   */
  encrypted: boolean;
  /**
   * The source stack (`org/project/stack`), whose `repoCipherPassphrase` output decrypts the
   * repository. @default none: use `drkit:restoreCipherPassphrase`
   */
  stackReference?: string;
}

export interface RedisSpec {
  /** Whether this stack runs Redis at all. @default true */
  enabled: boolean;
  /** AOF fsync policy. @default "everysec" */
  appendfsync: "always" | "everysec" | "no";
  /** `maxmemory`. @default half of `resources.memory` (a fork for BGSAVE needs headroom) */
  maxmemory: Bytes;
  /** @default "noeviction" (queues and sessions must not silently vanish) */
  maxmemoryPolicy: "noeviction" | "allkeys-lru" | "allkeys-lfu" | "volatile-lru" | "volatile-lfu" | "allkeys-random" | "volatile-random" | "volatile-ttl";
  /** @default { size: 10Gi } */
  storage: VolumeSpec;
  /** @default { cpu: 500m, memory: 1Gi } */
  resources: ResourcesSpec;
  /** How fast a snapshot is fetched and loaded: with `maxmemory`, what the review checks the RTO against. */
  restoreEstimate: {
    /** Bytes per second. @default 100Mi/s */
    throughput: Bytes;
  };
  snapshots: RedisSnapshotsSpec;
  /** Keep FLUSHALL, FLUSHDB, DEBUG and CONFIG enabled. @default false */
  allowDangerousCommands: boolean;
  /**
   * Clients reach Redis over TLS only (the plaintext port is off), against a certificate issued
   * at deploy time for the Service's names; its CA is in the password's Secret as `ca.crt`.
   * Turn it off only for clients without TLS support. @default true
   */
  tls: boolean;
  /** Where a `dr`/`drill` stack's empty Redis volume is filled from. Required for them when enabled. */
  restoreFrom?: RedisRestoreSource;
}

export interface RedisSnapshotsSpec {
  /**
   * Off-site snapshots at all. Off for data that must never come back after a disaster (a task
   * queue: restoring it runs the tasks again): nothing is uploaded, and a dr or drill stack starts
   * Redis empty, by design, whatever the bucket holds. @default true
   */
  enabled: boolean;
  /** Off-site RDB snapshot interval; at most the Redis RPO. @default the longest cron-expressible interval within the RPO */
  interval: Seconds;
  /** The CronJob schedule for that interval (derived, not configurable). */
  schedule: string;
  /** Newest snapshots kept. @default 48 */
  keep: number;
  /** Key prefix of this stack's snapshots. @default `<storage.lifecycle.redis.prefix><stack>/` */
  prefix: string;
}

export interface RedisRestoreSource {
  /** @default `drkit:postgres.restoreFrom.bucket` */
  bucket: string;
  /** @default `drkit:postgres.restoreFrom.region` */
  region: string;
  /** @default `drkit:postgres.restoreFrom.provider` */
  provider: StorageProvider;
  /** @default `drkit:postgres.restoreFrom.endpoint` */
  endpoint?: S3EndpointSpec;
  /** The source stack's snapshot prefix, e.g. `redis/prod/`. */
  prefix: string;
  /** With no usable snapshot: `fail` (default) or `start-empty` (for caches). @default "fail" */
  ifMissing: "fail" | "start-empty";
}

export interface AlertsSpec {
  /** Namespace of the PrometheusRule and PodMonitors. @default "monitoring" */
  namespace: string;
  /** Labels the Prometheus rule selector matches. @default { release: "kube-prometheus-stack" } */
  ruleLabels: Record<string, string>;
  /** Base URL of the runbook (the README), alerts link `<base>#<alert>`. @default "README.md" */
  runbookBaseUrl: string;
  api: ApiAlertsSpec;
}

export interface ApiAlertsSpec {
  /** PromQL label matchers selecting the API's series. @default `job="api"` */
  selector: string;
  /** Histogram base name (without `_bucket`). @default "http_request_duration_seconds" */
  latencyMetric: string;
  /** Request counter. @default "http_requests_total" */
  requestsMetric: string;
  /** Matchers that mark an error response. @default `code=~"5.."` */
  errorSelector: string;
  /** p99 latency threshold. @default 1s */
  latencyP99: Seconds;
  /** Error-rate threshold. @default 10% */
  errorRate: Fraction;
}

export type ClusterSpec = ExistingClusterSpec | DigitalOceanClusterSpec;

/**
 * How drkit's workloads authenticate to the object store.
 * - `irsa`: IAM roles for service accounts. Every pod that reaches the bucket runs as a
 *   ServiceAccount of its own and assumes a role that trusts only that ServiceAccount, with a
 *   token the kubelet projects for the audience `sts.amazonaws.com`: no access key exists.
 * - `static-keys`: an IAM user (or a Spaces key) per data path, its access key in a Secret. For
 *   clusters and hosts with no OIDC issuer IAM trusts; the README says how to rotate them.
 */
export type WorkloadIdentitySpec =
  | {
      type: "irsa";
      /** The IAM OIDC provider of the cluster's ServiceAccount issuer (EKS: the cluster's OIDC provider). */
      oidcProviderArn: string;
    }
  | { type: "static-keys" };

export interface ExistingClusterSpec {
  provider: "existing";
  /** Namespace of every drkit workload. @default "drkit" */
  namespace: string;
  /**
   * Namespaces whose pods labelled as clients may reach PostgreSQL and Redis, besides `namespace`
   * itself; no other namespace is admitted. @default [] (the stack's namespace only)
   */
  clientNamespaces: string[];
  /** Kubeconfig contents (set it as a secret). @default the ambient kubeconfig / default provider */
  kubeconfig?: string;
  /** Kubeconfig context. @default the current context */
  context?: string;
  /** How the workloads reach the bucket. Required with AWS storage (`static-keys` only by choice). @default `static-keys` with Spaces */
  workloadIdentity?: WorkloadIdentitySpec;
}

export interface DigitalOceanClusterSpec {
  provider: "digitalocean";
  /** @default "drkit" */
  namespace: string;
  /** As for an existing cluster. @default [] */
  clientNamespaces: string[];
  /** @default `drkit-<stack>` */
  name: string;
  /** DigitalOcean region, e.g. `fra1`. @default `drkit:region` */
  region: string;
  /** Kubernetes version prefix, e.g. `1.31.`. @default "" (the latest DigitalOcean offers) */
  versionPrefix: string;
  /** Highly available control plane. @default false (true outside drill stacks is advised) */
  ha: boolean;
  /** Only static keys: DigitalOcean Kubernetes has no OIDC issuer IAM trusts. Required with AWS storage. */
  workloadIdentity?: { type: "static-keys" };
  nodePool: {
    /** Droplet size slug. @default "s-4vcpu-8gb" */
    size: string;
    /** @default 3 */
    count: number;
  };
}

/** What parsing produced so far: the sections that parsed, for the rules across sections. */
export type PartialSpec = Partial<DrSpec> & { stack: string };
