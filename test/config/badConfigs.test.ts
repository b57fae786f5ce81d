import { describe, expect, it } from "vitest";
import { merge, minimalDrill, minimalPrimary, problemsOf } from "./fixtures";

/**
 * Bad configurations a user could write, each with the exact key path the problem must name.
 * `drill` marks cases built on the minimal drill instead of the minimal primary.
 */
/** A primary whose bucket is in a MinIO: static keys (IAM does not reach it), its key pair set. */
const MINIO = { storage: { provider: "s3-compatible", endpoint: { url: "https://minio.internal:9000" } }, storageCredentials: "[secret]", cluster: { workloadIdentity: { type: "static-keys", oidcProviderArn: undefined } } };
const onMinio = (patch: Record<string, any>) => merge(MINIO, patch);
const COPY = { bucket: "acme-dr-copy", endpoint: { url: "https://minio.backup-site:9000" } };
/** A drill restoring from a copy in a MinIO. */
const FROM_COPY = { postgres: { restoreFrom: { provider: "s3-compatible", endpoint: { url: "https://minio.backup-site:9000" } } }, restoreCredentials: "[secret]", cluster: { workloadIdentity: { type: "static-keys", oidcProviderArn: undefined } } };

const CASES: { name: string; patch: Record<string, any>; path: string; message: RegExp; hint?: RegExp; drill?: boolean; remove?: string[] }[] = [
  { name: "role misspelt", patch: { role: "primery" }, path: "drkit:role", message: /must be one of 'primary', 'dr', 'drill'/ },
  { name: "role missing", patch: { role: undefined }, path: "drkit:role", message: /is required/ },
  { name: "region missing", patch: { region: undefined }, path: "drkit:region", message: /is required/ },
  { name: "unknown top-level key", patch: { postgress: {} }, path: "drkit:postgress", message: /not a known setting/ },
  { name: "time zone unknown", patch: { timeZone: "Mars/Olympus" }, path: "drkit:timeZone", message: /not a time zone/ },
  { name: "objective without unit", patch: { objectives: { postgres: { rpo: 5 } } }, path: "drkit:objectives.postgres.rpo", message: /bare number/ },
  { name: "objective typo", patch: { objectives: { redis: { rpoo: "5m" } } }, path: "drkit:objectives.redis.rpoo", message: /not a known setting/ },
  { name: "bucket missing", patch: { storage: { bucket: undefined } }, path: "drkit:storage.bucket", message: /is required/ },
  { name: "bucket with capitals", patch: { storage: { bucket: "Acme_DR" } }, path: "drkit:storage.bucket", message: /not a valid bucket name/ },
  { name: "provider unknown", patch: { storage: { provider: "gcp" } }, path: "drkit:storage.provider", message: /must be one of 'aws', 'digitalocean', 's3-compatible'/ },
  { name: "Object Lock mode unknown", patch: { storage: { objectLock: { mode: "STRICT", retention: "14d" } } }, path: "drkit:storage.objectLock.mode", message: /GOVERNANCE/ },
  { name: "vault without a break-glass role", patch: { storage: { replication: { region: "eu-west-1", bucket: "acme-vault", vault: { deployRoleArn: "arn:aws:iam::210987654321:role/d", retention: "14d" } } } }, path: "drkit:storage.replication.vault.breakGlassRoleArn", message: /is required/, hint: /break-glass/ },
  { name: "vault reader not an account id", patch: { storage: { replication: { region: "eu-west-1", bucket: "acme-vault", vault: { deployRoleArn: "arn:aws:iam::210987654321:role/d", breakGlassRoleArn: "arn:aws:iam::210987654321:role/b", retention: "14d", readerAccounts: ["prod"] } } } }, path: "drkit:storage.replication.vault.readerAccounts[0]", message: /12 digits/ },
  { name: "Object Lock in hours", patch: { storage: { objectLock: { mode: "GOVERNANCE", retention: "36h" } } }, path: "drkit:storage.objectLock.retention", message: /whole days/ },
  { name: "replication into its own region", patch: { storage: { replication: { region: "eu-central-1", bucket: "acme-replica" } } }, path: "drkit:storage.replication.region", message: /own region/ },
  { name: "replication region misspelt", patch: { storage: { replication: { region: "eu-west", bucket: "acme-replica" } } }, path: "drkit:storage.replication.region", message: /not an AWS region/ },
  { name: "transition to an unknown class", patch: { storage: { lifecycle: { dumps: { transitions: [{ after: "30d", storageClass: "COLD" }] } } } }, path: "drkit:storage.lifecycle.dumps.transitions[0].storageClass", message: /must be one of/ },
  { name: "transition in hours", patch: { storage: { lifecycle: { dumps: { transitions: [{ after: "12h", storageClass: "GLACIER" }] } } } }, path: "drkit:storage.lifecycle.dumps.transitions[0].after", message: /whole days/ },
  { name: "prefix without slash", patch: { storage: { lifecycle: { dumps: { prefix: "dumps" } } } }, path: "drkit:storage.lifecycle.dumps.prefix", message: /not a key prefix/ },
  { name: "dumps under pgBackRest's prefix", patch: { storage: { lifecycle: { dumps: { prefix: "pgbackrest/dumps/" } } } }, path: "drkit:storage.lifecycle.dumps.prefix", message: /overlaps the pgbackrest prefix/ },
  { name: "postgres version unsupported", patch: { postgres: { version: 12 } }, path: "drkit:postgres.version", message: /not a supported PostgreSQL major version/ },
  { name: "postgres version as a string", patch: { postgres: { version: "15" } }, path: "drkit:postgres.version", message: /must be a number, got '15'/ },
  { name: "no registry and no jobs image", patch: { images: { registry: undefined, postgres: "ghcr.io/acme/drkit-postgres:15", redis: "ghcr.io/acme/drkit-redis:7" } }, path: "drkit:images.jobs", message: /is required when drkit:images.registry is not set/ },
  { name: "no registry and no Redis image", patch: { images: { registry: undefined, postgres: "ghcr.io/acme/drkit-postgres:15", jobs: "ghcr.io/acme/drkit-jobs:15" } }, path: "drkit:images.redis", message: /is required/ },
  // a Docker host: each unsupported combination named with its key
  { name: "target unknown", patch: { target: "nomad" }, path: "drkit:target", message: /must be one of 'kubernetes', 'docker'/ },
  { name: "a cluster section on a Docker host", patch: { target: "docker" }, path: "drkit:cluster", message: /drkit:target is docker/, hint: /remove drkit:cluster/ },
  { name: "a host section on Kubernetes", patch: { host: { docker: "ssh://deploy@203.0.113.10" } }, path: "drkit:host", message: /drkit:target is kubernetes/, hint: /drkit:target: docker/ },
  { name: "an engine address that is not one", patch: { target: "docker", cluster: undefined, host: { docker: "203.0.113.10:2375" } }, path: "drkit:host.docker", message: /not a Docker engine address/, hint: /ssh:\/\/deploy@/ },
  { name: "a publish address that is a name", patch: { target: "docker", cluster: undefined, host: { publishAddress: "droplet.internal" } }, path: "drkit:host.publishAddress", message: /not an IPv4 address/ },
  { name: "a host key misspelt", patch: { target: "docker", cluster: undefined, host: { engine: "ssh://deploy@h" } }, path: "drkit:host.engine", message: /not a known setting|Unrecognized/i },
  { name: "a created host and an existing one", patch: { target: "docker", cluster: undefined, host: { docker: "ssh://deploy@h", provision: { provider: "digitalocean", region: "fra1", sshKeys: ["1"], sshFrom: ["198.51.100.0/24"] } } }, path: "drkit:host.docker", message: /together with drkit:host.provision/, hint: /remove drkit:host.docker/ },
  { name: "a publish address for a host not yet created", patch: { target: "docker", cluster: undefined, host: { publishAddress: "10.0.0.5", provision: { provider: "digitalocean", region: "fra1", sshKeys: ["1"], sshFrom: ["198.51.100.0/24"] } } }, path: "drkit:host.publishAddress", message: /not known before it exists/, hint: /allowFrom/ },
  { name: "a droplet in an AWS region", patch: { target: "docker", cluster: undefined, host: { provision: { provider: "digitalocean", sshKeys: ["1"], sshFrom: ["198.51.100.0/24"] } } }, path: "drkit:host.provision.region", message: /not a DigitalOcean region: 'eu-central-1'/ },
  { name: "a droplet without the deployer's key", patch: { target: "docker", cluster: undefined, host: { provision: { provider: "digitalocean", region: "fra1", sshKeys: [], sshFrom: ["198.51.100.0/24"] } } }, path: "drkit:host.provision.sshKeys", message: /at least 1/ },
  { name: "ssh from an address without a prefix", patch: { target: "docker", cluster: undefined, host: { provision: { provider: "digitalocean", region: "fra1", sshKeys: ["1"], sshFrom: ["198.51.100.7"] } } }, path: "drkit:host.provision.sshFrom[0]", message: /not an IPv4 CIDR block/, hint: /\/32/ },
  { name: "an EC2 host for Spaces backups", patch: { target: "docker", cluster: undefined, region: "fra1", storage: { provider: "digitalocean" }, host: { provision: { provider: "aws", subnetId: "subnet-0a1b2c3d", keyName: "k", sshFrom: ["198.51.100.0/24"] } } }, path: "drkit:host.provision.provider", message: /backups are in DigitalOcean Spaces/ },
  { name: "an EC2 host in no subnet", patch: { target: "docker", cluster: undefined, host: { provision: { provider: "aws", subnetId: "default", keyName: "k", sshFrom: ["198.51.100.0/24"] } } }, path: "drkit:host.provision.subnetId", message: /not a subnet id/ },
  { name: "an old postgres.image key", patch: { postgres: { image: "ghcr.io/acme/pg:15" } }, path: "drkit:postgres.image", message: /unknown|not a known|Unrecognized|not allowed/i },
  { name: "database name not an identifier", patch: { postgres: { databases: [{ name: "my-app" }] } }, path: "drkit:postgres.databases[0].name", message: /not a plain PostgreSQL identifier/ },
  { name: "database listed twice", patch: { postgres: { databases: [{ name: "app" }, { name: "app" }] } }, path: "drkit:postgres.databases[1].name", message: /listed twice/ },
  { name: "database named postgres", patch: { postgres: { databases: [{ name: "postgres" }] } }, path: "drkit:postgres.databases[0].name", message: /PostgreSQL creates itself/ },
  { name: "empty database list", patch: { postgres: { databases: [] } }, path: "drkit:postgres.databases", message: /at least 1 entry/ },
  { name: "full schedule in words", patch: { postgres: { backups: { full: "every sunday" } } }, path: "drkit:postgres.backups.full", message: /a Kubernetes schedule has 5/ },
  { name: "diff schedule out of range", patch: { postgres: { backups: { diff: "0 24 * * 1-6" } } }, path: "drkit:postgres.backups.diff", message: /not a cron expression/ },
  // bounds no real setting reaches: a unit typo is caught before the cloud API sees it
  { name: "a volume of a petabyte", patch: { postgres: { storage: { size: "1Pi" } } }, path: "drkit:postgres.storage.size", message: /1Pi is more than 64Ti/, hint: /check the unit/ },
  { name: "a thousand terabytes of memory", patch: { redis: { resources: { memory: "1000Ti" } } }, path: "drkit:redis.resources.memory", message: /is more than 32Ti/ },
  { name: "a million cores", patch: { postgres: { resources: { cpu: "1000000" } } }, path: "drkit:postgres.resources.cpu", message: /1000000 is more than 1024/ },
  { name: "a transition threshold over S3's largest object", patch: { storage: { lifecycle: { dumps: { minObjectSize: "6Ti" } } } }, path: "drkit:storage.lifecycle.dumps.minObjectSize", message: /is more than/, hint: /5 TB/ },
  { name: "a restore throughput of a terabyte a second", patch: { postgres: { restoreEstimate: { throughput: "1Ti/s" } } }, path: "drkit:postgres.restoreEstimate.throughput", message: /1Ti\/s is more than 100Gi\/s/ },
  { name: "declared data larger than its volume", patch: { postgres: { storage: { size: "20Gi" }, restoreEstimate: { dataSize: "30Gi" } } }, path: "drkit:postgres.restoreEstimate.dataSize", message: /30Gi does not fit the 20Gi volume/ },
  { name: "PITR window not a duration", patch: { postgres: { backups: { pitrWindow: "a week" } } }, path: "drkit:postgres.backups.pitrWindow", message: /not a duration/, hint: /whole days, e.g. '30d'/ },
  { name: "PITR window in hours", patch: { postgres: { backups: { pitrWindow: "36h" } } }, path: "drkit:postgres.backups.pitrWindow", message: /whole days/ },
  { name: "repository outside its class", patch: { postgres: { backups: { repoPath: "backups/prod" } } }, path: "drkit:postgres.backups.repoPath", message: /outside the pgBackRest data class prefix/ },
  { name: "repository path with a trailing slash", patch: { postgres: { backups: { repoPath: "pgbackrest/prod/" } } }, path: "drkit:postgres.backups.repoPath", message: /not a repository path/ },
  { name: "dumps shorter than the PITR window", patch: { postgres: { dumps: { retention: "3d" } } }, path: "drkit:postgres.dumps.retention", message: /shorter than the PITR window 7d/ },
  { name: "dump format unknown", patch: { postgres: { dumps: { format: "plain" } } }, path: "drkit:postgres.dumps.format", message: /'custom', 'directory'/ },
  { name: "zero parallel dump jobs", patch: { postgres: { dumps: { jobs: 0 } } }, path: "drkit:postgres.dumps.jobs", message: /from 1 to 64, got 0/ },
  { name: "verification of an unknown database", patch: { postgres: { verification: { tables: [{ database: "billing", table: "invoices" }] } } }, path: "drkit:postgres.verification.tables[0].database", message: /not in drkit:postgres.databases/ },
  { name: "freshness column not an identifier", patch: { postgres: { verification: { freshness: { database: "app", table: "orders", column: "Created At" } } } }, path: "drkit:postgres.verification.freshness.column", message: /not a plain PostgreSQL identifier/ },
  { name: "storage size in gigabytes", patch: { postgres: { storage: { size: "100GB" } } }, path: "drkit:postgres.storage.size", message: /unknown unit 'GB'/ },
  { name: "cpu in words", patch: { postgres: { resources: { cpu: "two" } } }, path: "drkit:postgres.resources.cpu", message: /not a CPU quantity/ },
  { name: "restoreFrom on a primary", patch: { postgres: { restoreFrom: { bucket: "acme-old", region: "eu-central-1", repoPath: "pgbackrest/old" } } }, path: "drkit:postgres.restoreFrom", message: /must not be set on a primary stack/ },
  { name: "drill without restoreFrom", drill: true, patch: { postgres: { restoreFrom: undefined } }, path: "drkit:postgres.restoreFrom", message: /is required for a drill stack/ },
  { name: "restore target without a zone", drill: true, patch: { postgres: { restoreFrom: { target: "2026-11-20 14:30:00" } } }, path: "drkit:postgres.restoreFrom.target", message: /with a zone/ },
  { name: "restore target in the future", drill: true, patch: { postgres: { restoreFrom: { target: "2999-01-01T00:00:00Z" } } }, path: "drkit:postgres.restoreFrom.target", message: /is in the future/ },
  { name: "snapshots kept beyond any bound", patch: { redis: { snapshots: { keep: 1e23 } } }, path: "drkit:redis.snapshots.keep", message: /from 1 to 100000, got 1e\+23/ },
  { name: "dumps kept beyond any bound", patch: { postgres: { dumps: { keepLast: 1e9 } } }, path: "drkit:postgres.dumps.keepLast", message: /from 1 to 100000/ },
  { name: "more dump jobs than pg_dump can use", patch: { postgres: { dumps: { jobs: 500 } } }, path: "drkit:postgres.dumps.jobs", message: /from 1 to 64/ },
  { name: "restore target in words", drill: true, patch: { postgres: { restoreFrom: { target: "yesterday" } } }, path: "drkit:postgres.restoreFrom.target", message: /neither 'latest'/ },
  { name: "restore into its own repository", drill: true, patch: { storage: { bucket: "acme-dr-prod-replica" }, postgres: { backups: { repoPath: "pgbackrest/staging" }, restoreFrom: { repoPath: "pgbackrest/staging" } } }, path: "drkit:postgres.restoreFrom.repoPath", message: /overlaps this stack's own repository/ },
  { name: "drill with replication", drill: true, patch: { storage: { replication: { region: "eu-central-1", bucket: "acme-replica" } } }, path: "drkit:storage.replication", message: /must not be set on a drill stack/ },
  { name: "drill with Redis but no source", drill: true, patch: { redis: { restoreFrom: undefined } }, path: "drkit:redis.restoreFrom", message: /is required for a drill stack/ },
  { name: "appendfsync misspelt", patch: { redis: { appendfsync: "everysecond" } }, path: "drkit:redis.appendfsync", message: /got 'everysecond'/ },
  { name: "snapshots rarer than the RPO", patch: { objectives: { redis: { rpo: "5m" } }, redis: { snapshots: { interval: "10m" } } }, path: "drkit:redis.snapshots.interval", message: /RedisSnapshotTooOld pages at 4m, before the 5m RPO/ },
  { name: "snapshot interval cron cannot run", patch: { redis: { snapshots: { interval: "7m" } } }, path: "drkit:redis.snapshots.interval", message: /cannot be run by cron/ },
  { name: "maxmemory above the container", patch: { redis: { maxmemory: "2Gi", resources: { memory: "1Gi" } } }, path: "drkit:redis.maxmemory", message: /not below the container memory/ },
  { name: "alert label key invalid", patch: { alerts: { ruleLabels: { "bad key": "x" } } }, path: "drkit:alerts.ruleLabels.bad key", message: /not a valid Kubernetes label key/ },
  { name: "API selector not PromQL", patch: { alerts: { api: { selector: "job=api" } } }, path: "drkit:alerts.api.selector", message: /not a list of PromQL label matchers/ },
  { name: "error rate as a bare number", patch: { alerts: { api: { errorRate: 0.1 } } }, path: "drkit:alerts.api.errorRate", message: /bare number/ },
  { name: "an OIDC issuer URL where the provider's ARN belongs", patch: { cluster: { workloadIdentity: { oidcProviderArn: "https://oidc.eks.eu-central-1.amazonaws.com/id/ABC" } } }, path: "drkit:cluster.workloadIdentity.oidcProviderArn", message: /not an IAM OIDC provider ARN/ },
  { name: "workload identity of an unknown type", patch: { cluster: { workloadIdentity: { type: "pod-identity" } } }, path: "drkit:cluster.workloadIdentity.type", message: /irsa/ },
  { name: "no workload identity chosen for S3", patch: { cluster: { workloadIdentity: undefined } }, path: "drkit:cluster.workloadIdentity", message: /required with AWS storage/ },
  { name: "cluster provider misspelt", patch: { cluster: { provider: "digitalocen" } }, path: "drkit:cluster.provider", message: /must be one of 'existing', 'digitalocean'/ },
  { name: "DigitalOcean cluster in an AWS region", patch: { cluster: { provider: "digitalocean", workloadIdentity: { type: "static-keys", oidcProviderArn: undefined } } }, path: "drkit:cluster.region", message: /not a DigitalOcean region/ },
  { name: "cluster key typo", patch: { cluster: { namspace: "shop" } }, path: "drkit:cluster.namspace", message: /not a known setting/ },
  { name: "namespace with capitals", patch: { cluster: { namespace: "Trading" } }, path: "drkit:cluster.namespace", message: /not a valid Kubernetes namespace/ },
  { name: "Object Lock on Spaces", patch: { region: "fra1", storage: { provider: "digitalocean", objectLock: { mode: "GOVERNANCE", retention: "7d" } } }, path: "drkit:storage.objectLock", message: /not supported by DigitalOcean Spaces/ },
  { name: "Glacier on Spaces", patch: { region: "fra1", storage: { provider: "digitalocean", lifecycle: { dumps: { transitions: [{ after: "30d", storageClass: "GLACIER" }] } } } }, path: "drkit:storage.lifecycle.dumps.transitions", message: /not supported by DigitalOcean Spaces/ },
  // an S3-compatible store: what it cannot do, and what drkit cannot make there, named by key
  { name: "an S3-compatible bucket without its endpoint", patch: onMinio({ storage: { endpoint: undefined } }), path: "drkit:storage.endpoint", message: /is required: storage.provider is 's3-compatible'/, hint: /https:\/\/host:port/ },
  { name: "an endpoint for an AWS bucket", patch: { storage: { endpoint: { url: "https://minio.internal:9000" } } }, path: "drkit:storage.endpoint", message: /is set, and storage.provider is 'aws'/, hint: /s3-compatible/ },
  { name: "an endpoint with a path", patch: onMinio({ storage: { endpoint: { url: "https://minio.internal:9000/backups" } } }), path: "drkit:storage.endpoint.url", message: /not an S3 endpoint/, hint: /without a path/ },
  { name: "plain http for pgBackRest", patch: onMinio({ storage: { endpoint: { url: "http://minio.internal:9000" } } }), path: "drkit:storage.endpoint.url", message: /plain http, and pgBackRest reaches S3 over TLS only/ },
  { name: "Glacier on an S3-compatible store", patch: onMinio({ storage: { lifecycle: { dumps: { transitions: [{ after: "30d", storageClass: "GLACIER" }] } } } }), path: "drkit:storage.lifecycle.dumps.transitions", message: /not supported on an S3-compatible store \(storage classes are AWS's\)/ },
  { name: "Object Lock on an S3-compatible store", patch: onMinio({ storage: { objectLock: { mode: "GOVERNANCE", retention: "7d" } } }), path: "drkit:storage.objectLock", message: /not supported on an S3-compatible store/ },
  { name: "replication on an S3-compatible store", patch: onMinio({ storage: { replication: { region: "eu-west-1", bucket: "acme-replica" } } }), path: "drkit:storage.replication", message: /not supported on an S3-compatible store/, hint: /storage.copy/ },
  { name: "access logs on an S3-compatible store", patch: onMinio({ storage: { accessLogs: true } }), path: "drkit:storage.accessLogs", message: /no S3 server access logs/ },
  { name: "noncurrent expiration where the store keeps no versions", patch: onMinio({ storage: { endpoint: { versioning: false }, lifecycle: { redis: { noncurrentExpiration: "7d" } } } }), path: "drkit:storage.lifecycle.redis.noncurrentExpiration", message: /storage.endpoint.versioning is false/ },
  { name: "expiration where the store runs no lifecycle rules", patch: onMinio({ storage: { endpoint: { lifecycle: false }, lifecycle: { dumps: { expiration: "400d" } } } }), path: "drkit:storage.lifecycle.dumps.expiration", message: /storage.endpoint.lifecycle is false/ },
  { name: "an S3-compatible bucket without its key pair", patch: onMinio({ storageCredentials: undefined }), path: "drkit:storageCredentials", message: /is required: drkit:storage.provider is 's3-compatible'/, hint: /pulumi config set --secret drkit:storageCredentials/ },
  { name: "a key pair that is not one", patch: onMinio({ storageCredentials: { accessKeyId: "minio" } }), path: "drkit:storageCredentials", message: /is not a key pair/, hint: /accessKeyId/ },
  { name: "roles for an S3-compatible bucket", patch: onMinio({ cluster: { workloadIdentity: { type: "irsa", oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B7" } } }), path: "drkit:storage.provider", message: /an S3-compatible store, which IAM roles cannot reach/ },
  { name: "an EC2 host for backups in MinIO", patch: onMinio({ target: "docker", cluster: undefined, host: { provision: { provider: "aws", subnetId: "subnet-0a1b2c3d", keyName: "k", sshFrom: ["198.51.100.0/24"] } } }), path: "drkit:host.provision.provider", message: /on an S3-compatible store/ },
  { name: "a copy without its key pair", patch: { storage: { copy: COPY } }, path: "drkit:copyCredentials", message: /drkit:storage.copy is set/ },
  { name: "a copy over plain http", patch: { storage: { copy: { ...COPY, endpoint: { url: "http://minio.backup-site:9000" } } }, copyCredentials: "[secret]" }, path: "drkit:storage.copy.endpoint.url", message: /plain http/ },
  { name: "a copy in the backup bucket itself", patch: onMinio({ storage: { bucket: "acme-dr-copy", copy: { ...COPY, endpoint: { url: "https://minio.internal:9000" } } }, copyCredentials: "[secret]" }), path: "drkit:storage.copy.bucket", message: /the backup bucket itself/ },
  { name: "a copy on a drill", patch: { storage: { copy: COPY }, copyCredentials: "[secret]" }, path: "drkit:storage.copy", message: /must not be set on a drill stack/, drill: true },
  { name: "a source in MinIO without its endpoint", patch: { ...FROM_COPY, postgres: { restoreFrom: { provider: "s3-compatible" } } }, path: "drkit:postgres.restoreFrom.endpoint", message: /is required: postgres.restoreFrom.provider is 's3-compatible' and there is no endpoint/, drill: true },
  { name: "an endpoint for a source in S3", patch: { postgres: { restoreFrom: { endpoint: { url: "https://minio.backup-site:9000" } } } }, path: "drkit:postgres.restoreFrom.endpoint", message: /is set, and postgres.restoreFrom.provider is 'aws'/, drill: true },
  { name: "a source in MinIO without a key pair to read it", patch: { ...FROM_COPY, restoreCredentials: undefined }, path: "drkit:restoreCredentials", message: /the source to restore from is 's3-compatible'/, drill: true },
  // the media mirror
  { name: "a media mirror without a media class", patch: { media: { bucket: "acme-media" }, mediaCredentials: "[secret]" }, path: "drkit:media", message: /the backup bucket has no media class/, hint: /storage.lifecycle.media/ },
  { name: "a media mirror too rare for its RPO", patch: { media: { bucket: "acme-media", schedule: "0 * * * *" }, mediaCredentials: "[secret]", storage: { lifecycle: { media: {} } }, objectives: { media: { rpo: "1h" } } }, path: "drkit:media.schedule", message: /up to 1h45m old .* beyond the 1h media RPO/ },
  { name: "a media bucket without its key pair", patch: { media: { bucket: "acme-media" }, storage: { lifecycle: { media: {} } } }, path: "drkit:mediaCredentials", message: /drkit:media is set/ },
  { name: "a media bucket in MinIO without its endpoint", patch: { media: { bucket: "acme-media", provider: "s3-compatible" }, mediaCredentials: "[secret]", storage: { lifecycle: { media: {} } } }, path: "drkit:media.endpoint", message: /is required: media.provider is 's3-compatible'/ },
  { name: "media copied back on a primary", patch: { media: { bucket: "acme-media", restoreFrom: { bucket: "acme-old" } }, mediaCredentials: "[secret]", storage: { lifecycle: { media: {} } } }, path: "drkit:media.restoreFrom", message: /is set on a primary stack/ },
  { name: "a removal limit of zero", patch: { media: { bucket: "acme-media", maxDelete: 0 }, mediaCredentials: "[secret]", storage: { lifecycle: { media: {} } } }, path: "drkit:media.maxDelete", message: /whole number/ },
  { name: "a list where a map belongs", patch: { postgres: { backups: ["0 1 * * 0"] } }, path: "drkit:postgres.backups", message: /must be a map of settings, got a list/ },
];

describe("bad configurations", () => {
  it("has at least 25 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
  });

  it.each(CASES)("$name -> $path", ({ patch, path, message, hint, drill }) => {
    const problems = problemsOf(merge(drill ? minimalDrill() : minimalPrimary(), patch));
    const errors = problems.filter((p) => p.severity === "error");
    expect(errors.map((p) => p.path)).toContain(path);
    const problem = errors.find((p) => p.path === path)!;
    expect(problem.message).toMatch(message);
    if (hint) expect(problem.hint).toMatch(hint);
  });

  it("warns, without refusing, where an S3-compatible store protects less: no versions, no lifecycle rules, an unverified certificate", () => {
    const problems = problemsOf(merge(minimalPrimary(), onMinio({ storage: { endpoint: { versioning: false, lifecycle: false, verifyTls: false } } })));
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(problems.map((p) => p.path).sort()).toEqual(["drkit:storage.endpoint.lifecycle", "drkit:storage.endpoint.verifyTls", "drkit:storage.endpoint.versioning"]);
  });

  it("gives every error a fix", () => {
    for (const { patch, drill } of CASES) {
      const problems = problemsOf(merge(drill ? minimalDrill() : minimalPrimary(), patch));
      for (const problem of problems) expect(problem.hint?.length ?? 0, `${problem.path} ${problem.message}`).toBeGreaterThan(0);
    }
  });

  it("reports problems in several sections at once", () => {
    const problems = problemsOf(
      merge(minimalPrimary(), {
        role: "primery",
        storage: { bucket: "Bad_Bucket" },
        postgres: { backups: { full: "weekly" } },
        redis: { appendfsync: "sometimes" },
        alerts: { api: { errorRate: "200%" } },
      }),
    );
    expect(problems.map((p) => p.path)).toEqual([
      "drkit:alerts.api.errorRate",
      "drkit:postgres.backups.full",
      "drkit:redis.appendfsync",
      "drkit:role",
      "drkit:storage.bucket",
    ]);
  });

  it("suggests the key a typo meant", () => {
    const [problem] = problemsOf(merge(minimalPrimary(), { storage: { lifecycle: { dumps: { transitons: [] } } } }));
    expect(problem).toEqual({
      path: "drkit:storage.lifecycle.dumps.transitons",
      message: "is not a known setting",
      hint: "did you mean 'transitions'?",
      severity: "error",
    });
  });

  it("suggests keys inside the cluster union too", () => {
    const problem = problemsOf(merge(minimalPrimary(), { cluster: { provider: "digitalocean", region: "fra1", nodepool: {} } })).find((p) => p.path === "drkit:cluster.nodepool");
    expect(problem?.hint).toBe("did you mean 'nodePool'?");
  });

  it("refuses a configuration that is not a map", () => {
    for (const raw of [null, "primary", 42, ["role"]]) {
      expect(problemsOf(raw)).toEqual([expect.objectContaining({ path: "drkit:", severity: "error" })]);
    }
  });
});
