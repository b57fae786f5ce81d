import { describe, expect, it } from "vitest";
import { parseSpec } from "../../components/config";
import { IRSA, merge, minimalDrill, minimalPrimary, paths, problemsOf } from "./fixtures";

/**
 * Every rule across keys, accepting and rejecting. Each case lists the exact error and warning
 * paths expected, so a rule that fires where it should not fails the test too.
 */
type Case = { name: string; base: "primary" | "drill"; patch: Record<string, any>; errors?: string[]; warnings?: string[] };

// Spaces has no IAM: its stacks keep the default, static keys.
const spaces = { region: "fra1", storage: { provider: "digitalocean" }, cluster: { workloadIdentity: undefined } };
const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`tag${i}`, "x"]));

const CASES: Case[] = [
  // restoreFrom follows the role
  { name: "a primary without restoreFrom", base: "primary", patch: {} },
  { name: "a dr stack with restoreFrom", base: "drill", patch: { role: "dr" } },
  { name: "a dr stack without restoreFrom", base: "drill", patch: { role: "dr", postgres: { restoreFrom: undefined }, redis: { enabled: false } }, errors: ["drkit:postgres.restoreFrom"] },
  { name: "a drill without Redis needs no Redis source", base: "drill", patch: { redis: { enabled: false, restoreFrom: undefined } } },
  { name: "a primary with a Redis source", base: "primary", patch: { redis: { restoreFrom: { bucket: "acme-old", region: "eu-central-1", prefix: "redis/old/" } } }, errors: ["drkit:redis.restoreFrom"] },
  // Redis inherits PostgreSQL's source: its absence is one error, on PostgreSQL's key.
  { name: "a Redis source with no bucket to inherit", base: "drill", patch: { role: "dr", postgres: { restoreFrom: undefined } }, errors: ["drkit:postgres.restoreFrom"] },
  { name: "a Redis source whose PostgreSQL section fails to parse", base: "drill", patch: { postgres: { version: "fifteen" } }, errors: ["drkit:postgres.version"] },

  // the passphrase of an encrypted source repository
  { name: "an encrypted source without a passphrase", base: "drill", patch: { postgres: { restoreFrom: { stackReference: undefined } } }, errors: ["drkit:postgres.restoreFrom.stackReference"] },
  { name: "an encrypted source with a secret passphrase", base: "drill", patch: { postgres: { restoreFrom: { stackReference: undefined } }, restoreCipherPassphrase: "[secret]" } },
  { name: "an unencrypted source", base: "drill", patch: { postgres: { restoreFrom: { stackReference: undefined, encrypted: false } } } },
  { name: "two sources for the passphrase", base: "drill", patch: { restoreCipherPassphrase: "[secret]" }, errors: ["drkit:restoreCipherPassphrase"] },

  // a restored cluster never writes where it restored from
  { name: "restoring from another stack's path in the same bucket", base: "drill", patch: { storage: { bucket: "acme-dr-prod-replica" } } },
  { name: "restoring from a parent of the own repository", base: "drill", patch: { storage: { bucket: "acme-dr-prod-replica" }, postgres: { restoreFrom: { repoPath: "pgbackrest" } } }, errors: ["drkit:postgres.restoreFrom.repoPath"] },
  { name: "the same paths in different buckets", base: "drill", patch: { postgres: { restoreFrom: { repoPath: "pgbackrest/test" } }, redis: { restoreFrom: { prefix: "redis/test/" } } } },
  { name: "Redis restoring from its own snapshots", base: "drill", patch: { storage: { bucket: "acme-dr-prod-replica" }, redis: { restoreFrom: { prefix: "redis/" } } }, errors: ["drkit:redis.restoreFrom.prefix"] },

  // data stays inside its class's prefix, classes do not overlap
  { name: "custom prefixes that stay apart", base: "primary", patch: { storage: { lifecycle: { pgbackrest: { prefix: "db/wal/" }, dumps: { prefix: "db/dumps/" } } }, postgres: { backups: { repoPath: "db/wal/prod" } } } },
  { name: "snapshots outside the Redis prefix", base: "primary", patch: { redis: { snapshots: { prefix: "snapshots/prod/" } } }, errors: ["drkit:redis.snapshots.prefix"] },
  { name: "media inside dumps", base: "primary", patch: { storage: { lifecycle: { media: { prefix: "dumps/media/" } } } }, errors: ["drkit:storage.lifecycle.media.prefix"] },

  // how the workloads reach the bucket
  { name: "AWS storage with no workload identity chosen", base: "primary", patch: { cluster: { workloadIdentity: undefined } }, errors: ["drkit:cluster.workloadIdentity"] },
  { name: "static keys chosen explicitly", base: "primary", patch: { cluster: { workloadIdentity: { type: "static-keys", oidcProviderArn: undefined } } } },
  { name: "roles for service accounts with a Spaces bucket", base: "primary", patch: merge(spaces, { cluster: { workloadIdentity: IRSA } }), errors: ["drkit:storage.provider"] },
  { name: "roles for service accounts with a restore source on Spaces", base: "drill", patch: { postgres: { restoreFrom: { provider: "digitalocean", region: "ams3" } } }, errors: ["drkit:postgres.restoreFrom.provider"] },

  // Redis whose snapshots are off (a task queue) never restores
  { name: "Redis snapshots off on a drill that names a source", base: "drill", patch: { redis: { snapshots: { enabled: false } } }, errors: ["drkit:redis.restoreFrom"] },
  { name: "Redis snapshots off on a drill without a source", base: "drill", patch: { redis: { snapshots: { enabled: false }, restoreFrom: undefined } } },
  { name: "Redis snapshots off, with an interval no RPO would allow", base: "primary", patch: { objectives: { redis: { rpo: "5m", rto: "10m" } }, redis: { snapshots: { enabled: false, interval: "1h", keep: 1 } } } },

  // stacks without PostgreSQL (Redis alone)
  { name: "a primary without PostgreSQL, whose other PostgreSQL keys no rule reads", base: "primary", patch: { postgres: { enabled: false, restoreFrom: { bucket: "x-y-z", region: "eu-west-1", repoPath: "elsewhere/prod" } } } },
  { name: "a drill without PostgreSQL, Redis naming its source", base: "drill", patch: { postgres: { enabled: false }, redis: { restoreFrom: { bucket: "acme-dr-prod-replica", region: "eu-west-1" } } } },
  { name: "a drill without PostgreSQL, Redis naming no bucket", base: "drill", patch: { postgres: { enabled: false } }, errors: ["drkit:redis.restoreFrom.bucket", "drkit:redis.restoreFrom.region"] },
  { name: "neither PostgreSQL nor Redis", base: "primary", patch: { postgres: { enabled: false }, redis: { enabled: false } }, errors: ["drkit:postgres.enabled"] },

  // regions match their provider
  { name: "a Spaces stack in a DigitalOcean region", base: "primary", patch: spaces },
  { name: "a Spaces stack in an AWS region", base: "primary", patch: merge(spaces, { region: "eu-central-1" }), errors: ["drkit:region"] },
  { name: "an AWS stack in a DigitalOcean region", base: "primary", patch: { region: "fra1" }, errors: ["drkit:region"] },
  { name: "a restore source in a made-up region", base: "drill", patch: { postgres: { restoreFrom: { region: "europe" } } }, errors: ["drkit:postgres.restoreFrom.region"] },
  { name: "a Redis source in its own made-up region", base: "drill", patch: { redis: { restoreFrom: { region: "europe" } } }, errors: ["drkit:redis.restoreFrom.region"] },
  { name: "a restore source on Spaces", base: "drill", patch: { postgres: { restoreFrom: { provider: "digitalocean", region: "ams3" } }, cluster: { workloadIdentity: { type: "static-keys", oidcProviderArn: undefined } } } },
  { name: "a DigitalOcean cluster in its region", base: "primary", patch: { cluster: { provider: "digitalocean", region: "fra1", workloadIdentity: { type: "static-keys", oidcProviderArn: undefined } } } },

  // replication
  { name: "replication to another region", base: "primary", patch: { storage: { replication: { region: "eu-west-1", bucket: "acme-replica" } } } },
  { name: "replication onto itself", base: "primary", patch: { storage: { replication: { region: "eu-west-1", bucket: "acme-dr-prod" } } }, errors: ["drkit:storage.replication.bucket"] },

  // what Spaces lacks is refused by name
  { name: "Spaces with versioning and expiration", base: "primary", patch: merge(spaces, { storage: { lifecycle: { dumps: { expiration: "90d", noncurrentExpiration: "7d" } } } }) },
  { name: "Spaces with access logs", base: "primary", patch: merge(spaces, { storage: { accessLogs: true } }) },
  { name: "Spaces with an admin role", base: "primary", patch: merge(spaces, { storage: { adminRoleArn: "arn:aws:iam::123456789012:role/admin" } }), errors: ["drkit:storage.adminRoleArn"] },
  { name: "Spaces with replication", base: "primary", patch: merge(spaces, { storage: { replication: { region: "ams3", bucket: "acme-replica" } } }), errors: ["drkit:storage.replication"] },
  { name: "Spaces with noncurrent transitions and filters", base: "primary", patch: merge(spaces, { storage: { lifecycle: { redis: { noncurrentTransitions: [{ after: "30d", storageClass: "STANDARD_IA" }], minObjectSize: "128Ki", keepNoncurrentVersions: 3 } } } }), errors: ["drkit:storage.lifecycle.redis.keepNoncurrentVersions", "drkit:storage.lifecycle.redis.minObjectSize", "drkit:storage.lifecycle.redis.noncurrentTransitions"] },

  // Object Lock on a disposable stack
  { name: "a drill with GOVERNANCE lock", base: "drill", patch: { storage: { objectLock: { mode: "GOVERNANCE", retention: "1d" } } }, warnings: ["drkit:storage.objectLock"] },
  { name: "a drill with COMPLIANCE lock", base: "drill", patch: { storage: { objectLock: { mode: "COMPLIANCE", retention: "1d" } } }, errors: ["drkit:storage.objectLock.mode"] },
  { name: "a primary with COMPLIANCE lock", base: "primary", patch: { storage: { objectLock: { mode: "COMPLIANCE", retention: "30d" } } } },

  // Redis snapshots within the RPO
  { name: "snapshots that page before the RPO", base: "primary", patch: { objectives: { redis: { rpo: "15m" } }, redis: { snapshots: { interval: "5m" } } } },
  { name: "snapshots exactly at the RPO page only after it", base: "primary", patch: { objectives: { redis: { rpo: "15m" } }, redis: { snapshots: { interval: "15m" } } }, errors: ["drkit:redis.snapshots.interval"] },
  { name: "an RPO no snapshot interval can keep", base: "primary", patch: { objectives: { redis: { rpo: "1m" } } }, errors: ["drkit:redis.snapshots.interval"] },
  { name: "a cache that may start empty", base: "drill", patch: { redis: { restoreFrom: { ifMissing: "start-empty" } } }, warnings: ["drkit:redis.restoreFrom.ifMissing"] },
  { name: "a single kept snapshot", base: "primary", patch: { redis: { snapshots: { keep: 1 } } }, warnings: ["drkit:redis.snapshots.keep"] },
  { name: "a disabled Redis is not checked", base: "primary", patch: { objectives: { redis: { rpo: "5m" } }, redis: { enabled: false, snapshots: { interval: "1h" } } } },

  // Ready images: by digest, or a warning that a push changes what runs
  { name: "ready images by digest", base: "primary", patch: { images: { postgres: "ghcr.io/acme/pg@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", jobs: "ghcr.io/acme/jobs@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", redis: "ghcr.io/acme/redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" } } },
  { name: "ready images by tag", base: "primary", patch: { images: { postgres: "registry.local:5000/acme/pg:15", jobs: "ghcr.io/acme/jobs@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" } }, warnings: ["drkit:images.postgres"] },
  { name: "a Redis image by tag, Redis off", base: "primary", patch: { redis: { enabled: false }, images: { redis: "ghcr.io/acme/redis:7" } } },

  // Redis memory headroom
  { name: "maxmemory at half the container", base: "primary", patch: { redis: { maxmemory: "1Gi", resources: { memory: "2Gi" } } } },
  { name: "maxmemory at 90 % of the container", base: "primary", patch: { redis: { maxmemory: "900Mi", resources: { memory: "1000Mi" } } }, warnings: ["drkit:redis.maxmemory"] },

  // databases and verification
  { name: "the superuser owning a database", base: "primary", patch: { postgres: { databases: [{ name: "app", owner: "postgres" }] } }, errors: ["drkit:postgres.databases[0].owner"] },
  { name: "checks on listed databases", base: "primary", patch: { postgres: { verification: { tables: [{ database: "app", table: "public.orders", minRows: 10 }], freshness: { database: "app", table: "orders", column: "created_at" } } } } },
  { name: "freshness on an unlisted database", base: "primary", patch: { postgres: { verification: { freshness: { database: "billing", table: "orders", column: "created_at" } } } }, errors: ["drkit:postgres.verification.freshness.database"] },

  // retention windows nest
  { name: "dumps kept exactly the PITR window", base: "primary", patch: { postgres: { backups: { pitrWindow: "14d" }, dumps: { retention: "14d", keepLast: 14 } } } },
  { name: "disabled dumps are not checked", base: "primary", patch: { postgres: { dumps: { enabled: false, retention: "1d" } } } },
  { name: "keepLast outlasting retention", base: "primary", patch: { postgres: { dumps: { retention: "14d", keepLast: 30 } } }, warnings: ["drkit:postgres.dumps.keepLast"] },
  { name: "a diff rarer than the full", base: "primary", patch: { postgres: { backups: { full: "0 1 * * *", diff: "0 3 * * 0" } } }, warnings: ["drkit:postgres.backups.diff"] },
  { name: "incrementals between daily fulls", base: "primary", patch: { postgres: { backups: { full: "0 1 * * *", diff: null, incr: "0 */4 * * *" } } } },

  // the WAL a restore replays must fit the RTO
  { name: "daily backups within a 1 h RTO", base: "primary", patch: {} },
  { name: "daily backups and no incrementals within a 15 min RTO", base: "primary", patch: { objectives: { postgres: { rto: "15m" } }, postgres: { backups: { incr: null } } }, errors: ["drkit:postgres.backups"] },
  { name: "6-hourly incrementals within a 15 min RTO", base: "primary", patch: { objectives: { postgres: { rto: "15m" } }, postgres: { backups: { incr: "30 */6 * * *" } } } },
  { name: "a weekly full alone within a 1 h RTO", base: "primary", patch: { postgres: { backups: { diff: null, incr: null } } }, errors: ["drkit:postgres.backups"] },

  // media objective and class
  { name: "a media objective without a media class", base: "primary", patch: { objectives: { media: { rpo: "1h", rto: "1h" } } }, warnings: ["drkit:objectives.media"] },

  // objectives against what a restore can physically do, each on the objective's own key
  { name: "a PostgreSQL RTO of a second", base: "primary", patch: { objectives: { postgres: { rto: "1s" } } }, errors: ["drkit:objectives.postgres.rto"] },
  { name: "a Redis RTO of a second", base: "primary", patch: { objectives: { redis: { rto: "1s" } } }, errors: ["drkit:objectives.redis.rto"] },
  { name: "a Redis RTO of a second with Redis disabled", base: "primary", patch: { objectives: { redis: { rto: "1s" } }, redis: { enabled: false } } },
  { name: "an RTO the volume's size cannot meet", base: "primary", patch: { objectives: { postgres: { rto: "15m" } }, postgres: { storage: { size: "100Gi" } } }, warnings: ["drkit:objectives.postgres.rto"] },
  { name: "the same RTO for the data declared", base: "primary", patch: { objectives: { postgres: { rto: "15m" } }, postgres: { storage: { size: "100Gi" }, restoreEstimate: { dataSize: "30Gi" } } } },
  { name: "the same RTO at a measured throughput", base: "primary", patch: { objectives: { postgres: { rto: "15m" } }, postgres: { storage: { size: "100Gi" }, restoreEstimate: { throughput: "400Mi/s" } } } },
  { name: "a throughput without a unit per second", base: "primary", patch: { postgres: { restoreEstimate: { throughput: "400Mi" } } }, errors: ["drkit:postgres.restoreEstimate.throughput"] },
  { name: "a Redis RTO its maxmemory cannot meet", base: "primary", patch: { objectives: { redis: { rto: "1m" } }, redis: { resources: { memory: "16Gi" }, maxmemory: "8Gi" } }, warnings: ["drkit:objectives.redis.rto"] },
  { name: "an hourly incremental for a 15m RTO", base: "primary", patch: { objectives: { postgres: { rto: "15m" } }, postgres: { backups: { incr: "15 * * * *" } } } },
  { name: "a daily incremental for a 15m RTO", base: "primary", patch: { objectives: { postgres: { rto: "15m" } }, postgres: { backups: { incr: "15 3 * * *" } } }, errors: ["drkit:postgres.backups"] },
  // a database named like a built-in one is one error, not a second about the owner it defaults
  { name: "a database named postgres", base: "primary", patch: { postgres: { databases: [{ name: "postgres" }] } }, errors: ["drkit:postgres.databases[0].name"] },
  { name: "a database owned by the superuser", base: "primary", patch: { postgres: { databases: [{ name: "app", owner: "postgres" }] } }, errors: ["drkit:postgres.databases[0].owner"] },

  // tags AWS accepts
  { name: "50 tags", base: "primary", patch: { tags: tags(50) } },
  { name: "51 tags", base: "primary", patch: { tags: tags(51) }, errors: ["drkit:tags"] },
  { name: "a reserved tag key", base: "primary", patch: { tags: { "aws:owner": "x" } }, errors: ["drkit:tags.aws:owner"] },
];

describe("rules across keys", () => {
  it.each(CASES)("$name", ({ base, patch, errors = [], warnings = [] }) => {
    const problems = problemsOf(merge(base === "drill" ? minimalDrill() : minimalPrimary(), patch));
    expect(paths(problems, "error")).toEqual(errors);
    expect(paths(problems, "warning")).toEqual(warnings);
  });

  it("skips rules whose sections failed to parse instead of guessing", () => {
    // redis fails to parse, so the snapshot-interval-vs-RPO rule cannot run; only the parse error shows.
    const problems = problemsOf(merge(minimalPrimary(), { objectives: { redis: { rpo: "5m" } }, redis: { appendfsync: "x", snapshots: { interval: "1h" } } }));
    expect(paths(problems)).toEqual(["drkit:redis.appendfsync"]);
  });

  it("returns warnings next to a valid spec", () => {
    const result = parseSpec(merge(minimalPrimary(), { redis: { snapshots: { keep: 1 } } }));
    expect(result.ok).toBe(true);
    expect(result.ok && result.warnings.map((w) => w.path)).toEqual(["drkit:redis.snapshots.keep"]);
  });
});

describe("a ready image given by tag", () => {
  it("names the repository to pin, also behind a registry port", () => {
    const problem = problemsOf(merge(minimalPrimary(), { images: { postgres: "registry.local:5000/acme/pg:15" } })).find((p) => p.path === "drkit:images.postgres")!;
    expect(problem.hint).toBe("give the image by digest, e.g. 'registry.local:5000/acme/pg@sha256:<digest>'");
  });
});
