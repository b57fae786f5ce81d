import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startLocalS3, type LocalS3 } from "../../cli/containers/s3";
import { waitFor } from "../../cli/containers/wait";
import { checkConfig, rawSpecFromConfig, readStackFile, type DrSpec } from "../../components/config";
import { bucketKeys } from "./bucketKeys";
import { settleArchive, startCluster, switchAndWaitArchived, type Cluster, type StackRun } from "./harness";

// Containers: images start, restores replay, jobs run to completion.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 900_000 });

/**
 * The copy of the backups in a second S3-compatible store (examples/minio), run as configured:
 * two S3 endpoints (s3rver over TLS on ports of their own, standing in for the two MinIOs) are
 * the stacks' `storage.endpoint` and `storage.copy.endpoint`, so the plans reach them with the
 * endpoint, port, path-style and TLS settings the spec renders, not the drill's substitution.
 * The primary archives every WAL segment to both repositories, backs up, dumps and snapshots to
 * both stores; then its whole store is lost, and the dr stack restores from the copy alone.
 */

const EXAMPLES = resolve(__dirname, "..", "..", "examples", "minio");
const CIPHER = "events-cipher-passphrase";
const COPY_BUCKET = "events-backups-copy";

/** An example stack file with its stores moved to the local endpoints (their certificates are self-signed). */
function exampleSpec(stack: string, endpoints: (config: Record<string, any>) => void): DrSpec {
  const raw = rawSpecFromConfig(readStackFile(join(EXAMPLES, `Pulumi.${stack}.yaml`)).config) as Record<string, any>;
  endpoints(raw);
  const result = checkConfig(raw, { stack });
  if (!result.ok) throw new Error(`examples/minio/Pulumi.${stack}.yaml on the local endpoints has problems: ${JSON.stringify(result.problems)}`);
  return result.spec;
}

let cluster: Cluster;
let copyStore: LocalS3;
let copyRoot: string;
let primary: StackRun;
let primarySpec: DrSpec;
let rows = 0;
const local = (s3: LocalS3) => ({ url: `https://${s3.host}:${s3.port}`, verifyTls: false });
const copyKeys = (bucket: string, prefix: string) => bucketKeys(copyStore.directory, bucket, prefix);
/** As if the archive check ran minutes later: it reads only segments older than its settling time. */
const settle = () => {
  settleArchive(cluster, "events-backups", "pgbackrest/events");
  settleArchive({ ...cluster, s3Directory: copyStore.directory }, COPY_BUCKET, "pgbackrest/events");
};

beforeAll(async () => {
  // The images are the stacks' own; the first store is the cluster's endpoint (dc1's MinIO).
  const probe = exampleSpec("events", (c) => {
    c["storage"].endpoint = { url: "https://127.0.0.1:9000", verifyTls: false };
    c["storage"].copy.endpoint = { url: "https://127.0.0.1:9001", verifyTls: false };
  });
  cluster = await startCluster("copy", ["events-backups", "events-media"], probe);
  copyRoot = mkdtempSync(join(tmpdir(), "drkit-it-copy-store-"));
  // The backup site's MinIO: a second endpoint on its own port, holding the copy and the dr stack's bucket.
  copyStore = await startLocalS3(copyRoot, [COPY_BUCKET, "events-dr-backups", "events-media"], cluster.s3.host);
  primarySpec = exampleSpec("events", (c) => {
    c["storage"].endpoint = local(cluster.s3);
    c["storage"].copy.endpoint = local(copyStore);
    // A run may remove two files at most: the test wipes three.
    c["media"].maxDelete = 2;
  });
}, 900_000);

afterAll(async () => {
  await cluster?.destroy();
  await copyStore?.stop();
  if (copyRoot) rmSync(copyRoot, { recursive: true, force: true });
}, 300_000);

describe("a primary with a copy in a second S3-compatible store", () => {
  it("archives WAL and takes its backups to both repositories", async () => {
    primary = await cluster.stack(primarySpec, { own: CIPHER }, { endpoints: "configured" });
    await primary.runner.startServer("postgres");
    await primary.runner.startServer("redis");
    await primary.psql("CREATE TABLE events (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), note text); INSERT INTO events (note) SELECT 'before the backup' FROM generate_series(1, 500); ALTER TABLE events OWNER TO shared_services;", "shared_services");
    const full = await primary.runner.runJob("postgres-backup-full");
    expect(full.ok, full.output).toBe(true);
    expect(full.output).toMatch(/backup \S+F \(full\) to repo1 done/);
    expect(full.output).toMatch(/backup \S+F \(full\) to repo3 done/);
    for (const [directory, bucket] of [[cluster.s3.directory, "events-backups"], [copyStore.directory, COPY_BUCKET]] as const) {
      const backups = bucketKeys(directory, bucket, "pgbackrest/events/backup/main");
      expect(backups.some((k) => /\/\d{8}-\d{6}F\/backup\.manifest$/.test(k)), `${bucket}: ${backups.slice(0, 5).join(", ")}`).toBe(true);
    }
    await primary.psql("INSERT INTO events (note) SELECT 'after the backup' FROM generate_series(1, 700)", "shared_services");
    rows = Number(await primary.psql("SELECT count(*) FROM events", "shared_services"));
    await switchAndWaitArchived(primary);
    // The segment PostgreSQL last reported archived is in both repositories.
    const last = await primary.psql("SELECT last_archived_wal FROM pg_stat_archiver");
    for (const [directory, bucket] of [[cluster.s3.directory, "events-backups"], [copyStore.directory, COPY_BUCKET]] as const) {
      expect(bucketKeys(directory, bucket, "pgbackrest/events/archive/main").some((k) => k.includes(`/${last}-`)), `${last} in ${bucket}`).toBe(true);
    }
  });

  it("uploads each dump and each Redis snapshot to both stores, complete", async () => {
    const dump = await primary.runner.runJob("postgres-dump");
    expect(dump.ok, dump.output).toBe(true);
    for (const [directory, bucket] of [[cluster.s3.directory, "events-backups"], [copyStore.directory, COPY_BUCKET]] as const) {
      expect(bucketKeys(directory, bucket, "dumps/shared_services").filter((k) => k.endsWith("/COMPLETE")), bucket).toHaveLength(1);
    }
    for (let i = 0; i < 20; i++) await primary.redisCli(["SET", `session:${i}`, `user-${i}`]);
    const snapshot = await primary.runner.runJob("redis-snapshot");
    expect(snapshot.ok, snapshot.output).toBe(true);
    const snapshots = copyKeys(COPY_BUCKET, "redis/events/");
    expect(snapshots.filter((k) => k.endsWith(".rdb"))).toHaveLength(1);
    expect(snapshots.filter((k) => k.endsWith(".rdb.sha256"))).toHaveLength(1);
    expect(bucketKeys(cluster.s3.directory, "events-backups", "redis/events/").filter((k) => k.endsWith(".rdb.sha256"))).toHaveLength(1);
  });

  it("comes back when its PostgreSQL pod is re-created, archiving to both repositories again", async () => {
    await primary.runner.stopServer("postgres");
    await primary.runner.startServer("postgres");
    await primary.psql("INSERT INTO events (note) VALUES ('after the restart')", "shared_services");
    await switchAndWaitArchived(primary);
    const last = await primary.psql("SELECT last_archived_wal FROM pg_stat_archiver");
    for (const [directory, bucket] of [[cluster.s3.directory, "events-backups"], [copyStore.directory, COPY_BUCKET]] as const) {
      await waitFor(`${last} in ${bucket}`, async () => bucketKeys(directory, bucket, "pgbackrest/events/archive/main").some((k) => k.includes(`/${last.slice(0, 24)}-`)), 60_000, 250);
    }
  });

  it("keeps archiving to the bucket while the copy's store is down, and the copy is whole again after the archive check", async () => {
    await copyStore.stop();
    let missed: string;
    try {
      await primary.psql("INSERT INTO events (note) SELECT 'while the copy is down' FROM generate_series(1, 300)", "shared_services");
      const started = Date.now();
      await switchAndWaitArchived(primary);
      console.log(`copy down: the bucket's WAL archived ${((Date.now() - started) / 1000).toFixed(1)} s after the switch`);
      missed = await primary.psql("SELECT last_archived_wal FROM pg_stat_archiver");
      expect(bucketKeys(cluster.s3.directory, "events-backups", "pgbackrest/events/archive/main").some((k) => k.includes(`/${missed}-`))).toBe(true);
      const full = await primary.runner.runJob("postgres-backup-full");
      expect(full.ok).toBe(false);
      expect(full.output).toMatch(/backup \S+F \(full\) to repo1 done/);
      expect(full.output).toMatch(/the full backup failed for repo3/);
    } finally {
      await copyStore.start();
    }
    expect(copyKeys(COPY_BUCKET, "pgbackrest/events/archive/main").some((k) => k.includes(`/${missed}-`))).toBe(false);
    rows = Number(await primary.psql("SELECT count(*) FROM events", "shared_services"));
    await switchAndWaitArchived(primary);
    // The copy's own pgBackRest may still push what it missed once the store is back, or leave a
    // gap; either way the archive check leaves the copy whole after its newest backup.
    settle();
    const check = await primary.runner.runJob("postgres-archive-check");
    expect(check.ok, check.output).toBe(true);
    expect(check.output).toMatch(/the copy \(repo3\) is whole after its newest backup|full backup to the copy/);
  });

  it("repairs WAL missing from the copy after its newest backup with a full backup to the copy", async () => {
    // Three segments after the copy's newest backup; the middle one is lost (deleted here; missed
    // while its store was down in service).
    for (let i = 0; i < 3; i++) {
      await primary.psql(`INSERT INTO events (note) VALUES ('segment ${i}')`, "shared_services");
      await switchAndWaitArchived(primary);
    }
    rows = Number(await primary.psql("SELECT count(*) FROM events", "shared_services"));
    const segments = copyKeys(COPY_BUCKET, "pgbackrest/events/archive/main").filter((k) => /\/[0-9A-F]{24}-[0-9a-f]{40}/.test(k));
    const victim = segments[segments.length - 2]!;
    for (const suffix of ["._S3rver_object", "._S3rver_object.md5", "._S3rver_metadata.json"]) rmSync(join(copyStore.directory, COPY_BUCKET, `${victim}${suffix}`), { force: true });
    settle();
    const check = await primary.runner.runJob("postgres-archive-check");
    expect(check.ok, check.output).toBe(true);
    expect(check.output).toMatch(/WAL is missing from the copy \(repo3\) after its newest backup/);
    expect(check.output).toMatch(/backup \S+F \(full\)|new backup label = \S+F/);
    await switchAndWaitArchived(primary);
    settle();
    const again = await primary.runner.runJob("postgres-archive-check");
    expect(again.ok, again.output).toBe(true);
    expect(again.output).toMatch(/the copy \(repo3\) is whole after its newest backup/);
  });
});

describe("the media mirror", () => {
  const seed = () => mkdtempSync(join(tmpdir(), "drkit-it-media-"));
  const upload = async (files: Record<string, string>) => {
    const dir = seed();
    // The jobs image's user reads the seed.
    chmodSync(dir, 0o755);
    for (const [name, body] of Object.entries(files)) {
      mkdirSync(join(dir, name, ".."), { recursive: true, mode: 0o755 });
      writeFileSync(join(dir, name), body, { mode: 0o644 });
    }
    const result = await cluster.aws(["s3", "cp", "--recursive", "/seed", "s3://events-media/"], dir);
    rmSync(dir, { recursive: true, force: true });
    expect(result.code, result.stderr).toBe(0);
  };
  const mirrored = (directory: string, bucket: string) => bucketKeys(directory, bucket, "media").map((k) => k.slice("media/".length)).sort();

  it("mirrors the application's media bucket into the bucket's and the copy's media prefix, removals included", async () => {
    await upload({ "avatars/1.png": "one", "avatars/2.png": "two", "events/42/poster.jpg": "poster", "events/42/ticket.pdf": "ticket" });
    const first = await primary.runner.runJob("media-mirror");
    expect(first.ok, first.output).toBe(true);
    const all = ["avatars/1.png", "avatars/2.png", "events/42/poster.jpg", "events/42/ticket.pdf"];
    expect(mirrored(cluster.s3.directory, "events-backups")).toEqual(all);
    expect(mirrored(copyStore.directory, COPY_BUCKET)).toEqual(all);
    const removed = await cluster.aws(["s3", "rm", "s3://events-media/avatars/2.png"]);
    expect(removed.code, removed.stderr).toBe(0);
    const second = await primary.runner.runJob("media-mirror");
    expect(second.ok, second.output).toBe(true);
    expect(mirrored(cluster.s3.directory, "events-backups")).toEqual(all.filter((k) => k !== "avatars/2.png"));
  });

  it("stops, and fails, rather than remove more files than maxDelete in one run", async () => {
    const wiped = await cluster.aws(["s3", "rm", "--recursive", "s3://events-media/"]);
    expect(wiped.code, wiped.stderr).toBe(0);
    const run = await primary.runner.runJob("media-mirror");
    expect(run.ok).toBe(false);
    expect(run.output).toMatch(/the media mirror failed for/);
    // Two of the three files may go; the third stays in the mirror.
    expect(mirrored(cluster.s3.directory, "events-backups").length).toBeGreaterThanOrEqual(1);
    await upload({ "avatars/1.png": "one", "events/42/poster.jpg": "poster", "events/42/ticket.pdf": "ticket" });
    const healed = await primary.runner.runJob("media-mirror");
    expect(healed.ok, healed.output).toBe(true);
    expect(mirrored(copyStore.directory, COPY_BUCKET)).toEqual(["avatars/1.png", "events/42/poster.jpg", "events/42/ticket.pdf"]);
  });
});

describe("a dr stack restoring from the copy after the primary's store is lost", () => {
  it("restores PostgreSQL and Redis from the copy alone, and archives to its own bucket there", async () => {
    const copiedBefore = copyKeys(COPY_BUCKET, "pgbackrest/events");
    // The disaster: the data centre with the primary and its store is gone.
    await primary.runner.destroy();
    await cluster.s3.stop();
    const drSpec = exampleSpec("events-dr", (c) => {
      c["storage"].endpoint = local(copyStore);
      c["postgres"].restoreFrom.endpoint = local(copyStore);
    });
    expect(drSpec.redis.restoreFrom?.endpoint?.url).toBe(local(copyStore).url);
    const dr = await cluster.stack(drSpec, { own: "events-dr-cipher-passphrase", source: CIPHER }, { endpoints: "configured" });
    await dr.runner.startServer("postgres");
    await dr.runner.startServer("redis");
    expect(await dr.psql("SELECT count(*) FROM events", "shared_services")).toBe(String(rows));
    expect(await dr.psql("SELECT pg_is_in_recovery()")).toBe("f");
    expect(await dr.redisCli(["GET", "session:19"])).toBe("user-19");
    // The reverse copy: the copy's mirrored media into the backup site's new media bucket.
    const media = await dr.runner.runJob("media-restore");
    expect(media.ok, media.output).toBe(true);
    expect(bucketKeys(copyStore.directory, "events-media", "").sort()).toEqual(["avatars/1.png", "events/42/poster.jpg", "events/42/ticket.pdf"]);
    await dr.psql("INSERT INTO events (note) VALUES ('written at the backup site')", "shared_services");
    await switchAndWaitArchived(dr);
    expect(copyKeys("events-dr-backups", "pgbackrest/events-dr/archive/main").some((k) => k.endsWith(".zst"))).toBe(true);
    // The copy it restored from is read, never written.
    expect(copyKeys(COPY_BUCKET, "pgbackrest/events")).toEqual(copiedBefore);
  });
});
