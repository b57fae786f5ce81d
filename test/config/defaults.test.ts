import { describe, expect, it } from "vitest";
import { parseSpec } from "../../components/config";
import { IRSA, merge, minimalDrill, minimalPrimary, specOf } from "./fixtures";

const DAY = 86_400;
const GI = 2 ** 30;

describe("defaults of a minimal primary", () => {
  const spec = specOf(minimalPrimary(), "prod");

  it("keeps what was given and the stack name", () => {
    expect(spec.stack).toBe("prod");
    expect(spec.role).toBe("primary");
    expect(spec.region).toBe("eu-central-1");
    expect(spec.storage.bucket).toBe("acme-dr-prod");
  });

  it("defaults the top-level keys", () => {
    expect(spec.timeZone).toBe("UTC");
    expect(spec.tags).toEqual({});
  });

  it("defaults the objectives, with no media objective without a media class", () => {
    expect(spec.objectives).toEqual({ postgres: { rpo: 300, rto: 3600 }, redis: { rpo: 3600, rto: 1800 } });
  });

  it("defaults the storage section for AWS", () => {
    const { lifecycle, ...rest } = spec.storage;
    expect(rest).toEqual({ provider: "aws", bucket: "acme-dr-prod", accessLogs: true });
    const untouched = { expiredObjectDeleteMarker: false, noncurrentTransitions: [], abortIncompleteMultipartUpload: 7 * DAY };
    expect(lifecycle.pgbackrest).toEqual({ prefix: "pgbackrest/", transitions: [], noncurrentExpiration: 30 * DAY, ...untouched });
    expect(lifecycle.dumps).toEqual({
      prefix: "dumps/",
      transitions: [
        { after: 30 * DAY, storageClass: "GLACIER_IR" },
        { after: 120 * DAY, storageClass: "DEEP_ARCHIVE" },
      ],
      minObjectSize: 128 * 1024,
      noncurrentExpiration: 30 * DAY,
      ...untouched,
    });
    expect(lifecycle.redis).toEqual({ prefix: "redis/", transitions: [], noncurrentExpiration: 30 * DAY, ...untouched });
    expect(lifecycle.media).toBeUndefined();
  });

  it("defaults the postgres section", () => {
    expect(spec.postgres).toEqual({
      enabled: true,
      version: 15,
      databases: [{ name: "app", owner: "app" }],
      storage: { size: 20 * GI },
      resources: { cpu: 1000, memory: 2 * GI },
      restoreEstimate: { throughput: 100 * 1024 * 1024 },
      maxConnections: 100,
      backups: {
        repoPath: "pgbackrest/prod",
        stanza: "main",
        full: "0 1 * * 0",
        diff: "0 1 * * 1-6",
        incr: null,
        archiveCheck: "*/10 * * * *",
        pitrWindow: 7 * DAY,
        encrypt: true,
      },
      dumps: { enabled: true, schedule: "30 2 * * *", format: "custom", jobs: 2, retention: 365 * DAY, keepLast: 7 },
      verification: { schedule: "0 6 * * 1", tables: [] },
    });
  });

  it("defaults the redis section, deriving maxmemory and the snapshot interval", () => {
    expect(spec.redis).toEqual({
      enabled: true,
      appendfsync: "everysec",
      maxmemory: GI / 2,
      maxmemoryPolicy: "noeviction",
      storage: { size: 10 * GI },
      resources: { cpu: 500, memory: GI },
      restoreEstimate: { throughput: 100 * 1024 * 1024 },
      // An hour's RPO pages at 48 min: every 20 minutes keeps the newest snapshot under 35 min, 30 would not.
      snapshots: { enabled: true, interval: 1200, schedule: "*/20 * * * *", keep: 48, prefix: "redis/prod/" },
      allowDangerousCommands: false,
      tls: true,
    });
  });

  it("defaults the alerts section", () => {
    expect(spec.alerts).toEqual({
      namespace: "monitoring",
      ruleLabels: { release: "kube-prometheus-stack" },
      runbookBaseUrl: "README.md",
      api: {
        selector: 'job="api"',
        latencyMetric: "http_request_duration_seconds",
        requestsMetric: "http_requests_total",
        errorSelector: 'code=~"5.."',
        latencyP99: 1,
        errorRate: 0.1,
      },
    });
  });

  it("defaults the cluster to the ambient one", () => {
    expect(spec.cluster).toEqual({ provider: "existing", namespace: "drkit", clientNamespaces: [], workloadIdentity: IRSA });
  });
});

describe("defaults of a Docker host stack", () => {
  // AWS storage, no workload identity and no registry: what a host needs neither of.
  const raw = { ...merge(minimalPrimary(), { target: "docker", images: { registry: undefined } }), cluster: undefined };
  const spec = specOf(raw, "Shop_1");

  it("runs on this machine's engine under the project drkit-<stack>, published on the host only", () => {
    expect(spec.target).toBe("docker");
    expect(spec.host).toEqual({ docker: "unix:///var/run/docker.sock", project: "drkit-shop-1", publishAddress: "127.0.0.1" });
  });

  it("needs no workload identity with AWS storage and no registry: keys are its only way, and it builds its images", () => {
    expect(spec.storage.provider).toBe("aws");
    expect(spec.cluster.workloadIdentity).toBeUndefined();
    expect(spec.images.registry).toBeUndefined();
  });

  it("is the one thing a Kubernetes stack is not: the same keys on the default target ask for both", () => {
    const problems = parseSpec({ ...raw, target: undefined }, { stack: "shop" });
    expect(problems.ok ? [] : problems.problems.map((p) => p.path)).toEqual(expect.arrayContaining(["drkit:cluster.workloadIdentity", "drkit:images.postgres"]));
  });
});

describe("derived defaults", () => {
  it("uses the default stack name 'dev' when none is given", () => {
    const result = parseSpec(minimalPrimary());
    expect(result.ok && result.spec.postgres.backups.repoPath).toBe("pgbackrest/dev");
  });

  it("puts the repository and snapshots under the configured class prefixes", () => {
    const spec = specOf(merge(minimalPrimary(), { storage: { lifecycle: { pgbackrest: { prefix: "pg/" }, redis: { prefix: "cache/" } } } }), "prod");
    expect(spec.postgres.backups.repoPath).toBe("pg/prod");
    expect(spec.redis.snapshots.prefix).toBe("cache/prod/");
  });

  it.each([
    ["5m", 120, "*/2 * * * *"],
    ["7m", 180, "*/3 * * * *"],
    ["45m", 1200, "*/20 * * * *"],
    ["10h", 4 * 3600, "0 */4 * * *"],
    ["3d", 86_400, "0 0 * * *"],
  ])("snapshots Redis for an RPO of %s every %d s: the newest snapshot, late and slow, is younger than the age that pages", (rpo, interval, schedule) => {
    const spec = specOf(merge(minimalPrimary(), { objectives: { redis: { rpo } } }));
    expect(spec.redis.snapshots).toMatchObject({ interval, schedule });
  });

  it("keeps noncurrent versions at least as long as the Object Lock retention", () => {
    const spec = specOf(merge(minimalPrimary(), { storage: { objectLock: { mode: "GOVERNANCE", retention: "45d" } } }));
    expect(spec.storage.lifecycle.pgbackrest.noncurrentExpiration).toBe(45 * DAY);
    expect(spec.storage.lifecycle.dumps.noncurrentExpiration).toBe(45 * DAY);
  });

  it("lets null turn a default noncurrent expiration off", () => {
    const spec = specOf(merge(minimalPrimary(), { storage: { lifecycle: { redis: { noncurrentExpiration: null } } } }));
    expect(spec.storage.lifecycle.redis.noncurrentExpiration).toBeUndefined();
  });

  it("gives a media class its own defaults and a media objective", () => {
    const spec = specOf(merge(minimalPrimary(), { storage: { lifecycle: { media: {} } } }));
    expect(spec.storage.lifecycle.media).toMatchObject({ prefix: "media/", transitions: [], noncurrentExpiration: 90 * DAY });
    expect(spec.objectives.media).toEqual({ rpo: 86_400, rto: 4 * 3600 });
  });

  it("does not transition dumps on DigitalOcean by default, and logs access there too", () => {
    const spec = specOf(merge(minimalPrimary(), { region: "fra1", storage: { provider: "digitalocean" }, cluster: { workloadIdentity: undefined } }));
    expect(spec.storage.lifecycle.dumps.transitions).toEqual([]);
    expect(spec.storage.accessLogs).toBe(true);
  });

  it.each([
    ["15m", "30 */6 * * *"],
    ["30m", "30 */12 * * *"],
    ["1h", null],
    ["4h", null],
  ])("adds incremental backups for an RTO of %s only when daily backups leave too much WAL: %s", (rto, incr) => {
    const spec = specOf(merge(minimalPrimary(), { objectives: { postgres: { rto } } }));
    expect(spec.postgres.backups.incr).toBe(incr);
  });

  it("takes a drill's Redis source bucket, region and provider from the postgres source", () => {
    const spec = specOf(minimalDrill(), "staging");
    expect(spec.postgres.restoreFrom).toEqual({
      bucket: "acme-dr-prod-replica",
      region: "eu-west-1",
      provider: "aws",
      repoPath: "pgbackrest/prod",
      stanza: "main",
      target: "latest",
      encrypted: true,
      stackReference: "acme/drkit/prod",
    });
    expect(spec.redis.restoreFrom).toEqual({ bucket: "acme-dr-prod-replica", region: "eu-west-1", provider: "aws", prefix: "redis/prod/", ifMissing: "fail" });
    expect(spec.postgres.backups.repoPath).toBe("pgbackrest/staging");
  });

  it("owns each database by a role of its name unless told otherwise", () => {
    const spec = specOf(merge(minimalPrimary(), { postgres: { databases: [{ name: "orders" }, { name: "auth", owner: "auth_owner" }] } }));
    expect(spec.postgres.databases).toEqual([
      { name: "orders", owner: "orders" },
      { name: "auth", owner: "auth_owner" },
    ]);
  });

  it("names and places a DigitalOcean cluster after the stack and region", () => {
    const spec = specOf(merge(minimalPrimary(), { region: "fra1", storage: { provider: "digitalocean" }, cluster: { provider: "digitalocean", workloadIdentity: undefined } }), "prod");
    expect(spec.cluster).toEqual({
      provider: "digitalocean",
      namespace: "drkit",
      clientNamespaces: [],
      name: "drkit-prod",
      region: "fra1",
      versionPrefix: "",
      ha: false,
      nodePool: { size: "s-4vcpu-8gb", count: 3 },
    });
  });
});

describe("defaults of a bucket in an S3-compatible store, with a copy", () => {
  const MINIO = { provider: "s3-compatible", endpoint: { url: "https://minio.internal:9000" } };
  const spec = specOf(
    merge(minimalPrimary(), {
      storage: { ...MINIO, copy: { bucket: "acme-dr-copy", endpoint: { url: "https://minio.backup-site:9000", versioning: false }, dumps: { keepLast: 3 } } },
      postgres: { backups: { pitrWindow: "14d" }, dumps: { retention: "90d" } },
      redis: { snapshots: { keep: 20 } },
      storageCredentials: "[secret]",
      copyCredentials: "[secret]",
      cluster: { workloadIdentity: { type: "static-keys", oidcProviderArn: undefined } },
    }),
    "prod",
  );

  it("asks the store for path-style requests over verified TLS, versions and lifecycle rules, and no access logs", () => {
    expect(spec.storage.endpoint).toEqual({ url: "https://minio.internal:9000", pathStyle: true, verifyTls: true, versioning: true, lifecycle: true });
    expect(spec.storage.accessLogs).toBe(false);
  });

  it("transitions nothing (storage classes are AWS's) and expires replaced versions after 30 days", () => {
    for (const rule of [spec.storage.lifecycle.pgbackrest, spec.storage.lifecycle.dumps, spec.storage.lifecycle.redis]) {
      expect(rule.transitions).toEqual([]);
      expect(rule.minObjectSize).toBeUndefined();
      expect(rule.noncurrentExpiration).toBe(30 * DAY);
    }
  });

  it("keeps the copy for the bucket's windows unless told otherwise", () => {
    expect(spec.storage.copy).toEqual({
      bucket: "acme-dr-copy",
      region: "us-east-1",
      endpoint: { url: "https://minio.backup-site:9000", pathStyle: true, verifyTls: true, versioning: false, lifecycle: true },
      pitrWindow: 14 * DAY,
      dumps: { retention: 90 * DAY, keepLast: 3 },
      redisKeep: 20,
    });
  });

  it("expires no replaced versions where the store keeps none", () => {
    const unversioned = specOf(merge(minimalPrimary(), { storage: { ...MINIO, endpoint: { ...MINIO.endpoint, versioning: false } }, storageCredentials: "[secret]", cluster: { workloadIdentity: { type: "static-keys", oidcProviderArn: undefined } } }), "prod");
    expect(unversioned.storage.lifecycle.dumps.noncurrentExpiration).toBeUndefined();
  });

  it("gives a source in the copy's store the endpoint it names, and Redis the same source", () => {
    const drill = specOf(
      merge(minimalDrill(), {
        postgres: { restoreFrom: { provider: "s3-compatible", bucket: "acme-dr-copy", region: "us-east-1", endpoint: { url: "https://minio.backup-site:9000", verifyTls: false } } },
        restoreCredentials: "[secret]",
        cluster: { workloadIdentity: { type: "static-keys", oidcProviderArn: undefined } },
      }),
      "drill",
    );
    expect(drill.postgres.restoreFrom?.endpoint).toEqual({ url: "https://minio.backup-site:9000", pathStyle: true, verifyTls: false });
    expect(drill.redis.restoreFrom).toMatchObject({ provider: "s3-compatible", bucket: "acme-dr-copy", endpoint: { url: "https://minio.backup-site:9000", verifyTls: false } });
  });
});
