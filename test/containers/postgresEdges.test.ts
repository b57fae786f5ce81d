import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { docker } from "../../cli/containers/docker";
import { PodFailed } from "../../cli/containers/runner";
import { waitFor } from "../../cli/containers/wait";
import { BUCKET, drillSpec, primarySpec } from "./pgFixtures";
import { bucketKeys } from "./bucketKeys";
import { WAL_ARCHIVE_METRICS } from "../../components/postgres/exporterQueries";
import { PORT } from "../../components/workloads/names";
import { scrape, seriesValue, startCluster, switchAndWaitArchived, type Cluster, type StackRun } from "./harness";

// Containers: images start, restores replay, jobs run to completion.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 900_000 });

/**
 * The PostgreSQL pod and its jobs where they must refuse or survive, in containers: a
 * point-in-time restore, a source with nothing to restore, a repository outage, a dump that
 * fails, verifications that must fail.
 */

const CIPHER = "edges-cipher-passphrase";
let cluster: Cluster;
let primary: StackRun;
let targetTime = "";
let targetSeq = 0;
const keys = (prefix: string) => bucketKeys(cluster.s3Directory, BUCKET, prefix);
const maxSeq = async (run: StackRun) => Number(await run.psql("SELECT coalesce(max(seq), 0) FROM writes", "app"));

beforeAll(async () => {
  const spec = primarySpec("prod", { postgres: { databases: [{ name: "app" }], resources: { cpu: "2", memory: "512Mi" }, storage: { size: "8Gi" }, verification: { tables: [{ database: "app", table: "public.writes", minRows: 1 }] } } });
  cluster = await startCluster("pg-edges", [BUCKET], spec);
  primary = await cluster.stack(spec, { own: CIPHER });
  await primary.runner.startServer("postgres");
  await primary.psql("CREATE TABLE writes (seq bigint PRIMARY KEY, at timestamptz NOT NULL); ALTER TABLE writes OWNER TO app;", "app");
  const full = await primary.runner.runJob("postgres-backup-full");
  expect(full.ok, full.output).toBe(true);
  // pgBackRest keeps a backup's stop time in whole seconds: a target is only reachable after it.
  const info = JSON.parse((await primary.runner.exec("postgres", "postgres", ["pgbackrest", "--config=/etc/drkit/pgbackrest.conf", "--stanza=main", "--output=json", "info"])).stdout) as { backup: { timestamp: { stop: number } }[] }[];
  const stop = info[0]!.backup.at(-1)!.timestamp.stop;
  await waitFor("the database clock past the backup's stop second", async () => Number(await primary.psql("SELECT extract(epoch FROM clock_timestamp())")) > stop + 0.01, 10_000, 50);
  // Rows one by one, each committed: a point in time in the middle for the restore below.
  await primary.psql(`DO $$ BEGIN FOR i IN 1..1500 LOOP INSERT INTO writes VALUES (i, clock_timestamp()); COMMIT; END LOOP; END $$`, "app");
  targetSeq = 750;
  targetTime = await primary.psql(`SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM writes WHERE seq = ${targetSeq}`, "app");
  await primary.psql(`DO $$ BEGIN FOR i IN 1501..3000 LOOP INSERT INTO writes VALUES (i, clock_timestamp()); COMMIT; END LOOP; END $$`, "app");
  await switchAndWaitArchived(primary);
}, 600_000);

afterAll(async () => {
  await cluster?.destroy();
}, 300_000);

describe("a dr/drill pod restoring", () => {
  it("to a target time: nothing committed after it appears, everything well before it does", async () => {
    const pitr = await cluster.stack(drillSpec("staging-pitr", { target: targetTime }), { own: "pitr-cipher", source: CIPHER });
    await pitr.runner.startServer("postgres");
    expect(await pitr.psql(`SELECT count(*) FROM writes WHERE at > '${targetTime}'`, "app")).toBe("0");
    expect(await maxSeq(pitr)).toBeLessThanOrEqual(targetSeq);
    expect(Number(await pitr.psql(`SELECT count(*) FROM writes WHERE seq < ${targetSeq - 50}`, "app"))).toBe(targetSeq - 51);
    expect(await pitr.psql("SELECT pg_is_in_recovery()")).toBe("f");
  });

  it.each([
    ["a repository path with nothing in it", "pgbackrest/nothing-here", /has no usable stanza 'main'/],
    ["a repository with a stanza but no backup", "pgbackrest/stanza-only", /holds no backup to restore/],
  ])("fails clearly on %s and leaves the volume untouched", async (_name, repoPath, message) => {
    if (repoPath === "pgbackrest/stanza-only") {
      // A primary that has booted (its bootstrap creates the stanza) and never backed up.
      const stanzaOnly = await cluster.stack(primarySpec("stanza-only"), { own: "pitr-cipher" });
      await stanzaOnly.runner.startServer("postgres");
      await stanzaOnly.runner.stopServer("postgres");
    }
    const bad = await cluster.stack(drillSpec(`bad-${repoPath.split("/")[1]}`, { repoPath }), { own: "bad-cipher", source: "pitr-cipher" });
    const failure = await bad.runner.startServer("postgres").then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(PodFailed);
    expect((failure as Error).message).toMatch(message);
    expect((failure as Error).message).toMatch(/drkit-bootstrap: FAILED: /);
    expect((await bad.runner.onDataVolume("postgres", "ls -A /data")).trim()).toBe("");
  });
});

describe("the primary", () => {
  it("keeps serving writes and the WAL while the repository is down, and archives it once it returns", async () => {
    await switchAndWaitArchived(primary);
    await cluster.s3.stop();
    let lsn = "";
    try {
      for (let i = 0; i < 3; i++) {
        await primary.psql(`INSERT INTO writes SELECT g, now() FROM generate_series(${100_000 + i * 1000}, ${100_999 + i * 1000}) g`, "app");
        lsn = await primary.psql("SELECT pg_switch_wal()");
      }
      await waitFor("WAL waiting for the repository", async () => Number(await primary.psql("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'")) > 0, 60_000, 250);
      // The RPO signal PostgresWalArchiveStale reads: how long the oldest waiting segment has waited.
      const waited = async () => seriesValue(await scrape(primary, "postgres", PORT.postgresMetrics), WAL_ARCHIVE_METRICS.oldestReadyAge) ?? -1;
      await waitFor("the exporter reporting the waiting WAL's age", async () => (await waited()) >= 3, 60_000, 500);
      expect(seriesValue(await scrape(primary, "postgres", PORT.postgresMetrics), WAL_ARCHIVE_METRICS.readySegments)).toBeGreaterThan(0);
    } finally {
      await cluster.s3.start();
    }
    await waitFor(
      "the queued WAL archived after the outage",
      async () => (await primary.psql(`SELECT coalesce(last_archived_wal >= pg_walfile_name('${lsn}'::pg_lsn - 1), false) FROM pg_stat_archiver`)) === "t",
      240_000,
      500,
    );
    expect(await primary.psql("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'")).toBe("0");
    expect(seriesValue(await scrape(primary, "postgres", PORT.postgresMetrics), WAL_ARCHIVE_METRICS.oldestReadyAge)).toBe(0);
  }, 300_000);
});

describe("the jobs", () => {
  it("refuse a backup type they do not know", async () => {
    const script = primary.plan.configMaps.find((c) => c.name === "postgres-backup-config")!.files["backup.sh"]!;
    const result = await docker(["run", "--rm", "-i", "--entrypoint", "bash", primary.runner.options.images.postgres, "-s", "--", "weekly"], { input: script });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("FAILED: usage: backup.sh full | diff | incr");
  });

  it("upload nothing and mark nothing complete when pg_dump fails", async () => {
    const before = keys("dumps");
    // The owner's password no longer matches the one the dump reads from the Secret.
    await primary.psql("ALTER ROLE app PASSWORD 'changed-behind-drkits-back'");
    try {
      const job = await primary.runner.runJob("postgres-dump");
      expect(job.ok).toBe(false);
      expect(job.output).toContain("FAILED: pg_dump of app failed: nothing is uploaded");
      expect(job.containers.map((c) => c.name)).toEqual(["dump"]);
      expect(keys("dumps")).toEqual(before);
    } finally {
      await primary.runner.stopServer("postgres");
      // Every boot sets the passwords from the Secret again.
      await primary.runner.startServer("postgres");
    }
    const job = await primary.runner.runJob("postgres-dump");
    expect(job.ok, job.output).toBe(true);
  });

  it("fail a verification whose table holds fewer rows than expected", async () => {
    const strict = await cluster.stack(primarySpec("prod", { postgres: { databases: [{ name: "app" }], resources: { cpu: "2", memory: "512Mi" }, storage: { size: "8Gi" }, verification: { tables: [{ database: "app", table: "public.writes", minRows: 100_000_000 }] } } }), { own: CIPHER });
    const job = await strict.runner.runJob("postgres-verify");
    expect(job.ok).toBe(false);
    expect(job.output).toMatch(/FAILED: table app.public.writes has \d+ rows, fewer than the 100000000 expected/);
  });

  it("fail a verification clearly when the repository holds no backup", async () => {
    const empty = await cluster.stack(primarySpec("nobackups"), { own: CIPHER });
    const job = await empty.runner.runJob("postgres-verify");
    expect(job.ok).toBe(false);
    expect(job.output).toMatch(/FAILED: (cannot read the repository|the repository holds no backup to verify)/);
  });

  it("pass a verification of the newest backup, once it holds the rows", async () => {
    const backup = await primary.runner.runJob("postgres-backup-diff");
    expect(backup.ok, backup.output).toBe(true);
    const job = await primary.runner.runJob("postgres-verify");
    expect(job.ok, job.output).toBe(true);
  });
});
