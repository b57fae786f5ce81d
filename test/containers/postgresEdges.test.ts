import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { docker } from "../../cli/containers/docker";
import { PodFailed } from "../../cli/containers/runner";
import { waitFor } from "../../cli/containers/wait";
import { BUCKET, drillSpec, primarySpec } from "./pgFixtures";
import { bucketKeys } from "./bucketKeys";
import { ARCHIVE_CHECK_METRICS } from "../../components/backup/archiveCheck";
import { VERIFICATION_METRICS } from "../../components/backup/render";
import { WAL_ARCHIVE_METRICS } from "../../components/postgres/exporterQueries";
import { archivePushQueueMaxMiB } from "../../components/postgres/settings";
import { PORT } from "../../components/workloads/names";
import { killJobContainer, scrape, seriesValue, settleArchive, startCluster, switchAndWaitArchived, type Cluster, type StackRun } from "./harness";

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
  // pgBackRest keeps a backup's stop time in whole seconds and truncates the target to whole
  // seconds too, then wants stop < target: the target must be at least one second later.
  const info = JSON.parse((await primary.runner.exec("postgres", "postgres", ["pgbackrest", "--config=/etc/drkit/pgbackrest.conf", "--stanza=main", "--output=json", "info"])).stdout) as { backup: { timestamp: { stop: number } }[] }[];
  const stop = info[0]!.backup.at(-1)!.timestamp.stop;
  await waitFor("the database clock a whole second past the backup's stop", async () => Number(await primary.psql("SELECT extract(epoch FROM clock_timestamp())")) >= stop + 1, 10_000, 50);
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

describe("a repository answering 503 SlowDown, then slowly", () => {
  it("keeps the WAL queued while S3 refuses (the archiver's failures are the signal), archives all of it through a slow endpoint, and leaves no gap", async () => {
    await switchAndWaitArchived(primary);
    const failed = async () => Number(await primary.psql("SELECT failed_count FROM pg_stat_archiver"));
    const failedBefore = await failed();
    let lsn = "";
    cluster.s3.fault({ status: 503 });
    try {
      for (let i = 0; i < 3; i++) {
        await primary.psql(`INSERT INTO writes SELECT g, now() FROM generate_series(${200_000 + i * 1000}, ${200_999 + i * 1000}) g`, "app");
        lsn = await primary.psql("SELECT pg_switch_wal()");
      }
      // What PostgresWalArchiveFailing reads: failures, and nothing archived meanwhile.
      await waitFor("archive-push failing on 503", async () => (await failed()) > failedBefore, 300_000, 1000);
      expect(Number(await primary.psql("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'"))).toBeGreaterThan(0);
    } finally {
      cluster.s3.fault(undefined);
    }
    cluster.s3.fault({ delayMs: 1500 });
    try {
      await waitFor(
        "the queued WAL archived through an endpoint answering in 1.5 s",
        async () => (await primary.psql(`SELECT coalesce(last_archived_wal >= pg_walfile_name('${lsn}'::pg_lsn - 1), false) FROM pg_stat_archiver`)) === "t",
        300_000,
        1000,
      );
    } finally {
      cluster.s3.fault(undefined);
    }
    // Nothing was dropped: once every segment has settled, the archive check finds it whole.
    settleArchive(cluster, BUCKET, "pgbackrest/prod");
    await primary.runner.startServer("job-metrics");
    const check = await primary.runner.runJob("postgres-archive-check");
    expect(check.ok, check.output).toBe(true);
    expect(check.output).toContain("drkit-archive-check: the archive is whole from the oldest backup's first segment to ");
    expect(seriesValue(await scrape(primary, "job-metrics", PORT.jobMetrics, "pushgateway"), ARCHIVE_CHECK_METRICS.missing)).toBe(0);
  }, 900_000);
});

describe("WAL dropped by archive-push-queue-max during a long repository outage", () => {
  it("is found by the archive check, which pages through the job metrics and takes a full backup so a restore reaches the newest WAL again", async () => {
    // A quarter of the 1 GiB volume: one segment more than that overflows the queue.
    const overflow = archivePushQueueMaxMiB(2 ** 30) / 16 + 1;
    const spec = primarySpec("dropped", { postgres: { databases: [{ name: "app" }], resources: { cpu: "2", memory: "512Mi" }, storage: { size: "1Gi" } } });
    const run = await cluster.stack(spec, { own: CIPHER });
    await run.runner.startServer("postgres");
    await run.runner.startServer("job-metrics");
    await run.psql("CREATE TABLE writes (seq bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())", "app");
    const full = await run.runner.runJob("postgres-backup-full");
    expect(full.ok, full.output).toBe(true);
    await run.psql("INSERT INTO writes (seq) VALUES (1)", "app");
    await switchAndWaitArchived(run);
    const metrics = async () => scrape(run, "job-metrics", PORT.jobMetrics, "pushgateway");
    const archivedBefore = Number(await run.psql("SELECT archived_count FROM pg_stat_archiver"));
    const postmasterStart = await run.psql("SELECT pg_postmaster_start_time()");

    await cluster.s3.stop();
    try {
      for (let i = 0; i < overflow + 4; i++) {
        await run.psql(`INSERT INTO writes (seq) VALUES (${1000 + i})`, "app");
        await run.psql("SELECT pg_switch_wal()");
      }
      // pgBackRest acknowledges the whole queue without storing it: PostgreSQL counts it archived.
      await waitFor(
        "archive-push dropping the queue",
        async () => (await run.psql("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'")) === "0" && Number(await run.psql("SELECT archived_count FROM pg_stat_archiver")) >= archivedBefore + overflow,
        300_000,
        1000,
      );
    } finally {
      await cluster.s3.start();
    }
    // archive-push's asynchronous process gave up on the dead repository (exit 103) before the
    // next one dropped the queue: the server never took that exit for a crashed backend.
    expect(await run.psql("SELECT pg_postmaster_start_time()")).toBe(postmasterStart);
    await run.psql("INSERT INTO writes (seq) VALUES (2000)", "app");
    await switchAndWaitArchived(run);

    // Before the check: a restore to now stops at the gap, with no error anywhere.
    const before = await run.runner.runJob("postgres-verify");
    expect(before.ok, before.output).toBe(true);
    const stale = seriesValue(await metrics(), VERIFICATION_METRICS.dataAge)!;

    // As if the check ran later: every segment has been in the repository past the settling time.
    settleArchive(cluster, BUCKET, "pgbackrest/dropped");
    const checkedAfter = Math.floor(Date.now() / 1000);
    const check = await run.runner.runJob("postgres-archive-check");
    expect(check.ok, check.output).toBe(true);
    expect(check.output).toMatch(/drkit-archive-check: WAL is missing from the repository after the newest backup .*: 0{8}\w{8}\.\.\w{16}\./);
    expect(check.output).toContain("drkit-archive-check: full backup done: point-in-time recovery works again from it");
    const found = await metrics();
    expect(seriesValue(found, ARCHIVE_CHECK_METRICS.unrepaired)).toBe(0);
    expect(seriesValue(found, ARCHIVE_CHECK_METRICS.missing)).toBeGreaterThanOrEqual(overflow);
    const detected = seriesValue(found, ARCHIVE_CHECK_METRICS.gapDetected)!;
    expect(detected).toBeGreaterThanOrEqual(checkedAfter);

    // The next check finds nothing new: the gap lies before the newest backup.
    const again = await run.runner.runJob("postgres-archive-check");
    expect(again.ok, again.output).toBe(true);
    expect(again.output).toMatch(/WAL segments are missing from the retained archive/);
    expect(again.output).not.toContain("Taking a full backup");
    expect(seriesValue(await metrics(), ARCHIVE_CHECK_METRICS.gapDetected)).toBe(detected);

    // From the new full backup a restore reaches the newest write again.
    const after = await run.runner.runJob("postgres-verify");
    expect(after.ok, after.output).toBe(true);
    const fresh = seriesValue(await metrics(), VERIFICATION_METRICS.dataAge)!;
    // The first restore lost everything from the outage on; the second only the moments since the full backup.
    const outage = Number(await run.psql("SELECT extract(epoch FROM (SELECT at FROM writes WHERE seq = 2000) - (SELECT at FROM writes WHERE seq = 1))::int", "app"));
    expect(stale).toBeGreaterThanOrEqual(outage);
    expect(fresh).toBeLessThan(stale);
  }, 900_000);
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

  it("upload nothing and leave no session behind when pg_dump is killed while it reads", async () => {
    const before = keys("dumps");
    // Enough rows that pg_dump is still reading when it is seen.
    await primary.psql("CREATE TABLE dumped AS SELECT g, repeat(md5(g::text), 16) AS filler FROM generate_series(1, 400000) g; ALTER TABLE dumped OWNER TO app;", "app");
    const dumping = async () => Number(await primary.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump' AND state = 'active'"));
    const running = primary.runner.runJob("postgres-dump");
    await waitFor("pg_dump reading the database", async () => (await dumping()) > 0, 120_000, 50);
    await killJobContainer(primary, "postgres-dump", "dump");
    const killed = await running;
    expect(killed.ok).toBe(false);
    expect(killed.containers.map((c) => c.name)).toEqual(["dump"]);
    expect(keys("dumps")).toEqual(before);
    // The server ends the dead client's transaction: nothing holds back vacuum or locks the tables.
    await waitFor("the killed pg_dump's session gone", async () => Number(await primary.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump'")) === 0, 60_000, 250);
    await primary.psql("DROP TABLE dumped", "app");
    const next = await primary.runner.runJob("postgres-dump");
    expect(next.ok, next.output).toBe(true);
  });

  it("mark nothing complete when the upload is killed midway, and prune the pieces after the next complete dump", async () => {
    const stampOf = (key: string) => key.split("/")[2]!;
    const complete = () => keys("dumps/app").filter((k) => k.endsWith("/COMPLETE")).map(stampOf);
    const before = keys("dumps/app").map(stampOf);
    const completeBefore = complete();
    // Each request answered after 2 s: the upload is still under way when its first object lands.
    cluster.s3.fault({ delayMs: 2000 });
    const running = primary.runner.runJob("postgres-dump");
    let partial = "";
    try {
      await waitFor(
        "the upload's first object in the bucket",
        async () => {
          partial = keys("dumps/app").map(stampOf).find((stamp) => !before.includes(stamp)) ?? "";
          return partial !== "";
        },
        180_000,
        100,
      );
      await killJobContainer(primary, "postgres-dump", "upload");
    } finally {
      cluster.s3.fault(undefined);
    }
    const killed = await running;
    expect(killed.ok).toBe(false);
    expect(keys(`dumps/app/${partial}`).length).toBeGreaterThan(0);
    expect(complete()).toEqual(completeBefore);

    const next = await primary.runner.runJob("postgres-dump");
    expect(next.ok, next.output).toBe(true);
    expect(next.output).toContain(`${partial}`);
    expect(keys(`dumps/app/${partial}`)).toEqual([]);
    expect(complete()).toHaveLength(completeBefore.length + 1);
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

  it("pass a verification of the newest backup, taken through a slow endpoint, once it holds the rows", async () => {
    // Every request answered after 300 ms: slower, never failed.
    cluster.s3.fault({ delayMs: 300 });
    const backup = await primary.runner.runJob("postgres-backup-diff").finally(() => cluster.s3.fault(undefined));
    expect(backup.ok, backup.output).toBe(true);
    const job = await primary.runner.runJob("postgres-verify");
    expect(job.ok, job.output).toBe(true);
  });

  it("never list a full backup killed while it copies, and complete the next one, which restores", async () => {
    const labels = async () => {
      const info = await primary.runner.exec("postgres", "postgres", ["pgbackrest", "--config=/etc/drkit/pgbackrest.conf", "--stanza=main", "--output=json", "info"]);
      expect(info.code, info.stderr).toBe(0);
      return (JSON.parse(info.stdout) as { backup: { label: string }[] }[])[0]!.backup.map((b) => b.label);
    };
    // Incompressible rows, enough that copying them to the repository takes seconds.
    await primary.psql("CREATE TABLE bulk AS SELECT g, decode(string_agg(md5(random()::text), ''), 'hex') AS filler FROM generate_series(1, 200000) g, generate_series(1, 64) r GROUP BY g", "app");
    const before = await labels();
    const running = primary.runner.runJob("postgres-backup-full");
    const copying = (key: string) => /^pgbackrest\/prod\/backup\/main\/\d{8}-\d{6}F\/pg_data\//.test(key) && !before.some((label) => key.includes(`/${label}/`));
    await waitFor("the full backup copying files into the repository", async () => keys("pgbackrest/prod/backup/main").some(copying), 120_000, 100);
    // pgBackRest holds the primary in backup mode through a session of its own while it copies.
    const backupSessions = () => primary.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgBackRest%'");
    expect(Number(await backupSessions())).toBeGreaterThan(0);
    await killJobContainer(primary, "postgres-backup-full", "backup");
    const killed = await running;
    expect(killed.ok).toBe(false);
    expect(await labels()).toEqual(before);
    // The pgBackRest server on the pod ends its side: no session is left in backup mode.
    await waitFor("the killed backup's sessions gone", async () => (await backupSessions()) === "0", 120_000, 500);

    const next = await primary.runner.runJob("postgres-backup-full");
    expect(next.ok, next.output).toBe(true);
    const after = await labels();
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after).toHaveLength(before.length + 1);
    const verify = await primary.runner.runJob("postgres-verify");
    expect(verify.ok, verify.output).toBe(true);
    await primary.psql("DROP TABLE bulk", "app");
  });
});
