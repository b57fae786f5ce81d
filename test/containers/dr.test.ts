import { cpSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PodFailed } from "../../cli/containers/runner";
import { bucketKeys } from "./bucketKeys";
import { ARCHIVE_CHECK_METRICS } from "../../components/backup/archiveCheck";
import { PORT } from "../../components/workloads/names";
import { killInitContainerWhen, scrape, seriesValue, startCluster, stackSpec, switchAndWaitArchived, type Cluster, type StackRun } from "./harness";

// Containers: images start, restores replay, jobs run to completion.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 900_000 });

/**
 * A disaster recovery from prod's replicated backups by the staging stack's own pods, in
 * containers: prod's primary writes, backs up and snapshots; its bucket is replicated to the
 * replica bucket staging restores from; staging's bootstrap restores, promotes and archives to
 * its own path; a re-created pod and a pod killed mid-recovery both come back.
 */

const prodSpec = stackSpec("prod");
const stagingSpec = stackSpec("staging");
const PROD_CIPHER = "prod-cipher-passphrase";
const SOURCE = stagingSpec.postgres.restoreFrom!;
let cluster: Cluster;
let prod: StackRun;
let ordersReplicated = 0;
const keys = (bucket: string, prefix: string) => bucketKeys(cluster.s3Directory, bucket, prefix);

/** S3 replication, as the bucket's replication rule does it: every object of prod's bucket in the replica. */
function replicate() {
  cpSync(join(cluster.s3Directory, prodSpec.storage.bucket), join(cluster.s3Directory, SOURCE.bucket), { recursive: true });
}

beforeAll(async () => {
  cluster = await startCluster("dr", [prodSpec.storage.bucket, SOURCE.bucket, stagingSpec.storage.bucket], prodSpec);
  prod = await cluster.stack(prodSpec, { own: PROD_CIPHER });
  await prod.runner.startServer("postgres");
  await prod.runner.startServer("redis");
  // The verification expects orders in the backup (prod's verification.tables).
  await prod.psql("CREATE TABLE orders (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), note text); INSERT INTO orders (note) SELECT 'before the backup' FROM generate_series(1, 1000); ALTER TABLE orders OWNER TO trading;", "trading");
  await prod.psql("CREATE TABLE users (id bigserial PRIMARY KEY, name text); INSERT INTO users (name) VALUES ('ada'); ALTER TABLE users OWNER TO users;", "users");
  const full = await prod.runner.runJob("postgres-backup-full");
  expect(full.ok, full.output).toBe(true);
  // WAL after the backup, enough that a restore replays for a while (the mid-recovery kill below).
  await prod.psql("INSERT INTO orders (note) SELECT repeat(md5(g::text), 8) FROM generate_series(1, 600000) g", "trading");
  ordersReplicated = Number(await prod.psql("SELECT count(*) FROM orders", "trading"));
  await switchAndWaitArchived(prod);
  for (let i = 0; i < 50; i++) await prod.redisCli(["SET", `session:${i}`, `user-${i}`]);
  const snapshot = await prod.runner.runJob("redis-snapshot");
  expect(snapshot.ok, snapshot.output).toBe(true);
  replicate();
}, 900_000);

afterAll(async () => {
  await cluster?.destroy();
}, 300_000);

describe("staging's pods restoring prod's replicated backups", () => {
  let staging: StackRun;

  it("restore PostgreSQL and Redis, promote, and archive to staging's own path only", async () => {
    staging = await cluster.stack(stagingSpec, { own: "staging-cipher-passphrase", source: PROD_CIPHER });
    const prodKeysBefore = keys(SOURCE.bucket, "pgbackrest/prod");
    await staging.runner.startServer("postgres");
    await staging.runner.startServer("redis");
    expect(await staging.psql("SELECT count(*) FROM orders", "trading")).toBe(String(ordersReplicated));
    expect(await staging.psql("SELECT pg_is_in_recovery()")).toBe("f");
    // The source's restore_command was for the restore only.
    expect(await staging.psql("SELECT count(*) FROM pg_file_settings WHERE name = 'restore_command' AND sourcefile LIKE '%auto.conf'")).toBe("0");
    expect(await staging.redisCli(["GET", "session:49"])).toBe("user-49");
    // The pod's log says where its recovery time went, step by step, and in total.
    const bootstrap = staging.runner.initLog("postgres", "bootstrap");
    const steps = [...bootstrap.matchAll(/drkit-bootstrap: (.+) took (\d+) ms/g)].map((m) => [m[1], Number(m[2])] as const);
    expect(steps.map(([step]) => step)).toEqual([
      "restore (fetch, decrypt, decompress, write)",
      "start and reach a consistent state",
      "WAL replay and promotion",
      "roles and databases",
      "stanza creation on this stack's repository",
      "stop",
    ]);
    expect(steps.every(([, ms]) => ms >= 0)).toBe(true);
    expect(bootstrap).toMatch(/drkit-bootstrap: stop took \d+ ms\ndrkit-bootstrap: ready after \d+ ms\n?$/);
    await staging.psql("INSERT INTO orders (note) VALUES ('written in the DR region')", "trading");
    await switchAndWaitArchived(staging);
    expect(keys(stagingSpec.storage.bucket, "pgbackrest/staging/archive/main").some((k) => k.endsWith(".zst"))).toBe(true);
    expect(keys(SOURCE.bucket, "pgbackrest/prod")).toEqual(prodKeysBefore);
  });

  it("verify prod's backups and the WAL after them at deployment, as a drill does", async () => {
    // prod keeps writing: the verification restores to its newest replicated WAL, and the
    // freshness check wants an order within the RPO of the verification's start.
    await prod.psql("INSERT INTO orders (note) VALUES ('just before the drill verifies')", "trading");
    await switchAndWaitArchived(prod);
    replicate();
    ordersReplicated += 1;
    const job = await staging.runner.runJob("postgres-verify-at-start");
    expect(job.ok, job.output).toBe(true);
    expect(job.output).toMatch(/drkit-verify: restore took \d+ s \(RTO \d+ s\), of which \d+ ms fetching and writing \d+ MiB: \d+ MiB\/s.*; the newest restored commit is \d+ s older than the verification's start/);
  });

  it("come back when re-created after the restore, fsGroup re-applied to the whole volume", async () => {
    await staging.runner.stopServer("postgres");
    await staging.runner.stopServer("redis");
    await staging.runner.startServer("postgres", { security: { fsGroupChangePolicy: "Always" } });
    await staging.runner.startServer("redis", { security: { fsGroupChangePolicy: "Always" } });
    expect(await staging.psql("SELECT count(*) FROM orders WHERE note = 'written in the DR region'", "trading")).toBe("1");
    expect(await staging.redisCli(["GET", "session:0"])).toBe("user-0");
  });

  it("resume and promote when the pod dies between the restore and the promotion", async () => {
    const again = await cluster.stack(stagingSpec, { own: "staging-cipher-passphrase-2", source: PROD_CIPHER });
    // The restored cluster is moved into place before it replays WAL: kill the pod then.
    const failure = await killInitContainerWhen(again, "postgres", "bootstrap", "the restored cluster in place and recovering", ["test", "-f", "/var/lib/postgresql/data/pgdata/recovery.signal"]);
    expect(failure).toBeInstanceOf(PodFailed);
    await again.runner.startServer("postgres");
    expect(await again.psql("SELECT pg_is_in_recovery()")).toBe("f");
    expect(await again.psql("SELECT count(*) FROM orders", "trading")).toBe(String(ordersReplicated));
    expect(await again.psql("WITH added AS (INSERT INTO orders (note) VALUES ('after the resumed recovery') RETURNING note) SELECT note FROM added", "trading")).toBe("after the resumed recovery");
  });
});

describe("a DR restore through a slow endpoint, its pod killed while pgBackRest restores", () => {
  it("never touches the live data directory, and the next start restores from the beginning and promotes", async () => {
    const again = await cluster.stack(stagingSpec, { own: "staging-cipher-passphrase-3", source: PROD_CIPHER });
    // Every request of the restore and of the WAL replay answered after 100 ms (a distant region's round trip).
    cluster.s3.fault({ delayMs: 100 });
    try {
      // pgBackRest writes into a staging directory; the cluster is moved into place only when whole.
      const failure = await killInitContainerWhen(again, "postgres", "bootstrap", "pgBackRest writing files into the staging directory", [
        "sh",
        "-c",
        "test -f /var/lib/postgresql/data/pgdata.drkit-restore/PG_VERSION && ! test -e /var/lib/postgresql/data/pgdata/PG_VERSION",
      ]);
      expect(failure).toBeInstanceOf(PodFailed);
      // The live data directory is still empty: a start can only restore again, never start a half-restored cluster.
      expect((await again.runner.onDataVolume("postgres", "ls -A /data/pgdata 2>/dev/null || true")).trim()).toBe("");

      await again.runner.startServer("postgres");
    } finally {
      cluster.s3.fault(undefined);
    }
    expect(again.runner.initLog("postgres", "bootstrap")).toContain("restoring s3://");
    expect(await again.psql("SELECT pg_is_in_recovery()")).toBe("f");
    expect(await again.psql("SELECT count(*) FROM orders", "trading")).toBe(String(ordersReplicated));
  });
});

describe("prod's archive check, watching the replica", () => {
  it("measures how long the oldest WAL segment not yet replicated has waited, and sees the replica catch up", async () => {
    await prod.runner.startServer("job-metrics");
    const metrics = async () => scrape(prod, "job-metrics", PORT.jobMetrics, "pushgateway");
    await prod.psql("INSERT INTO orders (note) VALUES ('not replicated yet')", "trading");
    await switchAndWaitArchived(prod);
    const archive = (bucket: string) => keys(bucket, "pgbackrest/prod/archive").filter((k) => /\/[0-9A-F]{24}-[0-9a-f]{40}\.zst$/.test(k));
    const replicated = new Set(archive(SOURCE.bucket));
    const waiting = archive(prodSpec.storage.bucket).filter((k) => !replicated.has(k));
    expect(waiting.length).toBeGreaterThan(0);
    // As if replication had been stuck for 20 minutes: the segments landed in prod's bucket then.
    const then = Date.now() / 1000 - 20 * 60;
    for (const key of waiting) utimesSync(join(cluster.s3Directory, prodSpec.storage.bucket, `${key}._S3rver_object`), then, then);

    const behind = await prod.runner.runJob("postgres-archive-check");
    expect(behind.ok, behind.output).toBe(true);
    expect(behind.output).toMatch(new RegExp(`drkit-archive-check: replica: ${waiting.length} WAL segments not there yet, the oldest waiting \\d+ s`));
    const lagging = await metrics();
    expect(seriesValue(lagging, ARCHIVE_CHECK_METRICS.replicationPending)).toBe(waiting.length);
    // Past the objective ReplicationLagging pages at (15 minutes).
    expect(seriesValue(lagging, ARCHIVE_CHECK_METRICS.replicationLag)).toBeGreaterThanOrEqual(20 * 60);

    replicate();
    const caughtUp = await prod.runner.runJob("postgres-archive-check");
    expect(caughtUp.ok, caughtUp.output).toBe(true);
    expect(caughtUp.output).toContain("drkit-archive-check: replica: 0 WAL segments not there yet, the oldest waiting 0 s");
    expect(seriesValue(await metrics(), ARCHIVE_CHECK_METRICS.replicationLag)).toBe(0);
  });
});
