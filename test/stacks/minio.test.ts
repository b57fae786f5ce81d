import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT, renderStack, type RecordedResource, type RenderedStack } from "../harness/renderStack";
import { secretLeaks } from "./leaks";

/**
 * examples/minio/Pulumi.events.yaml under mocks: a primary whose bucket is in the MinIO beside
 * it, with a copy in a second MinIO. The buckets are made through AWS providers pointed at each
 * store; every workload that writes a backup writes it to both stores, with the pair of each.
 */
const containers = (stack: RenderedStack) => stack.ofType("docker:index/container:Container");
const named = (stack: RenderedStack, name: string): RecordedResource => {
  const found = containers(stack).find((c) => c.inputs["name"] === name);
  if (!found) throw new Error(`no container ${name}: ${containers(stack).map((c) => String(c.inputs["name"])).join(", ")}`);
  return found;
};
const uploads = (stack: RenderedStack, prepare: string) => named(stack, prepare).inputs["uploads"] as { file: string; content: string; permissions?: string }[];
const uploaded = (stack: RenderedStack, prepare: string, file: string) => {
  const found = uploads(stack, prepare).find((u) => u.file === file);
  if (!found) throw new Error(`${prepare} uploads no ${file}: ${uploads(stack, prepare).map((u) => u.file).join(", ")}`);
  return found.content;
};

describe("a primary backed up to MinIO with a copy in a second MinIO, under mocks (examples/minio)", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("events", { stackFile: join(PROJECT_ROOT, "examples", "minio", "Pulumi.events.yaml") });
  });

  it("manages each store's bucket with an AWS provider at its endpoint, path-style, skipping AWS's account lookups", () => {
    const providers = stack.resources.filter((r) => r.type === "pulumi:providers:aws");
    expect(providers.map((p) => JSON.parse(String(p.inputs["endpoints"])) as unknown).sort()).toEqual([[{ s3: "https://minio.dc1.events.internal:9000" }], [{ s3: "https://minio.dc2.events.internal:9000" }]]);
    for (const provider of providers) {
      expect(provider.inputs).toMatchObject({ region: "us-east-1", s3UsePathStyle: "true", insecure: "false", skipCredentialsValidation: "true", skipRequestingAccountId: "true", skipMetadataApiCheck: "true", skipRegionValidation: "true" });
      // The store's key pair: the deployer's secret config, a Pulumi secret in the provider too.
      expect(provider.secretPaths).toEqual(expect.arrayContaining(["accessKey", "secretKey"]));
    }
    expect(stack.resources.filter((r) => r.type.startsWith("aws:iam") || r.type.startsWith("aws:kms") || r.type.startsWith("digitalocean:"))).toEqual([]);
  });

  it("creates both buckets protected and versioned, with replaced versions expiring and no transitions", () => {
    const buckets = stack.ofType("aws:s3/bucket:Bucket");
    expect(buckets.map((b) => b.inputs["bucket"]).sort()).toEqual(["events-backups", "events-backups-copy"]);
    for (const bucket of buckets) expect(bucket.protect && bucket.retainOnDelete).toBe(true);
    expect(stack.ofType("aws:s3/bucketVersioning:BucketVersioning").map((v) => v.inputs["versioningConfiguration"])).toEqual([{ status: "Enabled" }, { status: "Enabled" }]);
    const rules = stack.ofType("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").flatMap((l) => l.inputs["rules"] as Record<string, unknown>[]);
    // pgbackrest/, dumps/, redis/ and media/ in each bucket; replaced media are kept longest.
    expect(rules).toHaveLength(8);
    for (const rule of rules) {
      expect(rule["transitions"]).toBeUndefined();
      expect(rule["noncurrentVersionExpiration"]).toEqual({ noncurrentDays: (rule["filter"] as { prefix: string }).prefix === "media/" ? 90 : 30 });
    }
  });

  it("archives every WAL segment to the bucket and, by a pgBackRest of its own, to the copy; each kept for its own window", () => {
    const conf = uploaded(stack, "drkit-events-postgres-prepare", "/seed/config/pgbackrest.conf");
    for (const line of ["repo1-s3-endpoint=minio.dc1.events.internal", "repo1-s3-uri-style=path", "repo1-storage-port=9000", "repo1-retention-full=7"]) expect(conf).toContain(line);
    expect(conf).not.toContain("repo3-");
    const copy = uploaded(stack, "drkit-events-postgres-prepare", "/seed/config/pgbackrest-copy.conf");
    for (const line of ["repo3-s3-bucket=events-backups-copy", "repo3-s3-endpoint=minio.dc2.events.internal", "repo3-s3-uri-style=path", "repo3-storage-port=9000", "repo3-path=/pgbackrest/events", "repo3-cipher-type=aes-256-cbc", "spool-path=/var/lib/postgresql/data/pgbackrest-spool-copy", "lock-path=/tmp/pgbackrest-copy", "archive-timeout=5"]) {
      expect(copy).toContain(line);
    }
    expect(copy).not.toContain("repo1-");
    expect(`${conf}${copy}`).not.toContain("verify-tls=n");
    expect(uploaded(stack, "drkit-events-postgres-prepare", "/seed/config/postgresql.conf")).toContain("archive_command = 'bash /etc/drkit/pgbackrest-archive-push.sh %p'");
    const backups = uploaded(stack, "drkit-events-postgres-backup-full-prepare", "/seed/config/pgbackrest.conf");
    for (const line of ["repo1-retention-full=7", "repo3-s3-bucket=events-backups-copy", "repo3-retention-full-type=time", "repo3-retention-full=30"]) expect(backups).toContain(line);
    // PostgreSQL's archive-push holds the copy's pair and the same passphrase, as files.
    const files = uploads(stack, "drkit-events-postgres-prepare").map((u) => u.file);
    expect(files).toEqual(expect.arrayContaining(["/seed/env-postgres/PGBACKREST_REPO3_S3_KEY", "/seed/env-postgres/PGBACKREST_REPO3_S3_KEY_SECRET", "/seed/env-postgres/PGBACKREST_REPO3_CIPHER_PASS"]));
    expect(uploaded(stack, "drkit-events-postgres-prepare", "/seed/env-postgres/PGBACKREST_REPO3_S3_KEY_SECRET")).toBe("FAKE-SECRET-copyCredentials");
    expect(uploaded(stack, "drkit-events-postgres-prepare", "/seed/env-postgres/PGBACKREST_REPO1_S3_KEY_SECRET")).toBe("FAKE-SECRET-storageCredentials");
  });

  it("backs up to both repositories and uploads each dump and snapshot to both stores, beside each other", () => {
    expect(uploaded(stack, "drkit-events-postgres-backup-full-prepare", "/seed/config/backup.sh")).toContain("REPOS='1 3'");
    const jobs = JSON.parse(uploaded(stack, "drkit-events-scheduler-prepare", "/seed/config/jobs.json")) as { jobs: { name: string; containers: { name: string; kind: string }[] }[] };
    const mains = (job: string) => jobs.jobs.find((j) => j.name === job)!.containers.filter((c) => c.kind === "container").map((c) => c.name);
    expect(mains("postgres-dump")).toEqual(["drkit-events-postgres-dump-upload", "drkit-events-postgres-dump-upload-copy"]);
    expect(mains("redis-snapshot")).toEqual(["drkit-events-redis-snapshot-upload", "drkit-events-redis-snapshot-upload-copy"]);
    const dumpCopy = uploaded(stack, "drkit-events-postgres-dump-prepare", "/seed/config/dump-copy.sh");
    for (const line of ["BUCKET='events-backups-copy'", "ENDPOINT_URL='https://minio.dc2.events.internal:9000'", "RETENTION_DAYS=365", "KEEP_LAST=12"]) expect(dumpCopy).toContain(line);
    const snapshotCopy = uploaded(stack, "drkit-events-redis-snapshot-prepare", "/seed/config/snapshot-copy.sh");
    for (const line of ["BUCKET='events-backups-copy'", "PREFIX='redis/events/'", "KEEP=480"]) expect(snapshotCopy).toContain(line);
    expect(uploaded(stack, "drkit-events-redis-snapshot-prepare", "/seed/env-upload-copy/AWS_SECRET_ACCESS_KEY")).toBe("FAKE-SECRET-copyCredentials");
  });

  it("mirrors the media bucket into the bucket's and the copy's media prefix on the scheduler, with rclone and three pairs", () => {
    const jobs = JSON.parse(uploaded(stack, "drkit-events-scheduler-prepare", "/seed/config/jobs.json")) as { jobs: { name: string; schedule?: string; timeZone: string; containers: { name: string; kind: string }[] }[] };
    expect(jobs.jobs.find((j) => j.name === "media-mirror")).toMatchObject({ schedule: "*/30 * * * *", timeZone: "Europe/Moscow" });
    const script = uploaded(stack, "drkit-events-media-mirror-prepare", "/seed/config/media.sh");
    for (const line of [
      "APP_BUCKET='events-media'",
      "APP_URL='https://minio.dc1.events.internal:9000'",
      "APP_PATH_STYLE='true'",
      "MIRROR_BUCKET='events-backups'",
      "MIRROR_PREFIX='media/'",
      "COPY_BUCKET='events-backups-copy'",
      "COPY_URL='https://minio.dc2.events.internal:9000'",
      "MAX_DELETE=500",
      "VERIFY_TLS='yes'",
    ]) {
      expect(script).toContain(line);
    }
    expect(uploaded(stack, "drkit-events-media-mirror-prepare", "/seed/env-mirror/RCLONE_CONFIG_APP_SECRET_ACCESS_KEY")).toBe("FAKE-SECRET-mediaCredentials");
    expect(uploaded(stack, "drkit-events-media-mirror-prepare", "/seed/env-mirror/RCLONE_CONFIG_MIRROR_SECRET_ACCESS_KEY")).toBe("FAKE-SECRET-storageCredentials");
    expect(uploaded(stack, "drkit-events-media-mirror-prepare", "/seed/env-mirror/RCLONE_CONFIG_COPY_SECRET_ACCESS_KEY")).toBe("FAKE-SECRET-copyCredentials");
    // A failed or late mirror pages like a backup.
    const rules = String((stack.outputs["dockerHost"] as { monitoring: { ruleFile: string } }).monitoring.ruleFile);
    expect(rules).toMatch(/job_name="media-mirror"/);
  });

  it("keeps both key pairs secret everywhere and outputs the copy's bucket", () => {
    expect(secretLeaks(stack)).toEqual([]);
    expect(stack.outputs["backupStorage"]).toMatchObject({ bucket: "events-backups", copyBucket: "events-backups-copy" });
  });
});
