import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bucketKeys } from "./bucketKeys";
import { LocalPostgres } from "../../cli/local/postgres";
import { serviceTempDir, startDaemon, stopAll, waitFor } from "../../cli/local/processes";
import { startLocalS3, type LocalS3 } from "../../cli/local/s3";
import { BUCKET, drillSpec, primarySpec } from "./pgFixtures";

/**
 * The rendered postgresql.conf, pgbackrest.conf and bootstrap script, run on local PostgreSQL
 * and pgBackRest against a local S3 endpoint over TLS: archive under load, a kill -9, and a
 * dr bootstrap that restores into an empty directory to latest and to a target time.
 */

let root: string;
let s3: LocalS3;
let primary: LocalPostgres;
const CIPHER = "integration-cipher-passphrase";
const DRILL_CIPHER = "integration-drill-passphrase";

const keysUnder = (prefix: string) => bucketKeys(s3.directory, BUCKET, prefix);

/**
 * A writer that commits one row per transaction, server-side (a procedure that COMMITs each
 * row), until its session dies. A row visible to another session is a committed, flushed write.
 */
async function startWriter(pg: LocalPostgres) {
  await pg.query(
    `CREATE TABLE IF NOT EXISTS writes (seq bigint PRIMARY KEY, at timestamptz NOT NULL);
     CREATE OR REPLACE PROCEDURE drkit_writer() LANGUAGE plpgsql AS $$
     DECLARE next bigint := coalesce((SELECT max(seq) FROM writes), 0) + 1;
     BEGIN
       LOOP
         INSERT INTO writes VALUES (next, clock_timestamp());
         COMMIT;
         next := next + 1;
         PERFORM pg_sleep(0.001);
       END LOOP;
     END $$;`,
    "app",
  );
  return startDaemon(join(pg.layout.pgBin, "psql"), ["-X", "-h", pg.layout.socketDir, "-p", String(pg.layout.port), "-U", "postgres", "-d", "app", "-c", "CALL drkit_writer()"], {
    asService: true,
    env: pg.env,
  });
}

const maxSeq = async (pg: LocalPostgres) => Number(await pg.query("SELECT coalesce(max(seq), 0) FROM writes", "app"));

/** Switches to a new WAL segment and waits until the one it closed is in the repository. */
async function switchAndWaitArchived(pg: LocalPostgres, timeoutMs = 120_000) {
  const lsn = await pg.query("SELECT pg_switch_wal()");
  await waitFor(
    `WAL up to ${lsn} archived`,
    async () => (await pg.query(`SELECT coalesce(last_archived_wal >= pg_walfile_name('${lsn}'::pg_lsn - 1), false) FROM pg_stat_archiver`)) === "t",
    timeoutMs,
    250,
  );
}

beforeAll(async () => {
  root = serviceTempDir("drkit-pg-it-");
  s3 = await startLocalS3(join(root, "s3"), [BUCKET]);
  primary = await LocalPostgres.create({ spec: primarySpec(), root: serviceTempDir("drkit-pg-primary-"), s3, ownCipherPass: CIPHER });
});

afterAll(async () => {
  await stopAll();
  await s3?.stop();
  for (const dir of [root, primary?.root]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("a primary from the rendered bootstrap", () => {
  it("initialises an empty volume, creates the stanza, roles and databases", async () => {
    const result = await primary.bootstrap();
    expect(result.stderr).toContain("empty data directory: initdb");
    expect(result.code, result.stderr).toBe(0);
    await primary.start();
    expect(await primary.query("SELECT datname || ':' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'")).toBe("app:app");
    expect(await primary.query("SELECT pg_has_role('drkit_monitor', 'pg_monitor', 'member')")).toBe("t");
    expect(await primary.query("SHOW archive_timeout")).toBe("15s");
    expect(keysUnder("pgbackrest/prod/backup/main").some((k) => k.endsWith("backup.info"))).toBe(true);
  });
});

describe("a disaster under write load, restored by a drill stack's bootstrap", () => {
  let acknowledgedBeforeSwitch = 0;
  let targetTime = "";
  let targetSeq = 0;
  let prodArchiveBefore: string[] = [];

  it("archives under load, then loses the server with kill -9", async () => {
    await primary.query("CREATE TABLE writes (seq bigint PRIMARY KEY, at timestamptz NOT NULL)", "app");
    const backup = await primary.pgbackrest(["backup", "--type=full"]);
    expect(backup.code, backup.stderr).toBe(0);
    await startWriter(primary);
    await waitFor("1500 committed writes", async () => (await maxSeq(primary)) >= 1500, 120_000, 200);
    // A point in time inside the archived stretch, for the point-in-time restore below.
    targetSeq = await maxSeq(primary);
    targetTime = await primary.query(`SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM writes WHERE seq = ${targetSeq}`, "app");
    await waitFor("3000 committed writes", async () => (await maxSeq(primary)) >= 3000, 120_000, 200);
    acknowledgedBeforeSwitch = await maxSeq(primary);
    await switchAndWaitArchived(primary);
    prodArchiveBefore = keysUnder("pgbackrest/prod/archive");
    expect(prodArchiveBefore.length).toBeGreaterThan(2);
    await primary.kill();
    primary.wipeVolume();
  });

  it("restores to latest: no write acknowledged before the last archived segment is lost", async () => {
    const drill = await LocalPostgres.create({ spec: drillSpec("staging"), root: serviceTempDir("drkit-pg-drill-"), s3, sourceCipherPass: CIPHER, ownCipherPass: DRILL_CIPHER });
    try {
      const result = await drill.bootstrap();
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain("recovered and promoted");
      await drill.start();
      const present = Number(await drill.query(`SELECT count(*) FROM writes WHERE seq <= ${acknowledgedBeforeSwitch}`, "app"));
      expect(present).toBe(acknowledgedBeforeSwitch);
      expect(await drill.query("SELECT pg_is_in_recovery()")).toBe("f");
      // The source's restore_command is gone; the stack's own is in force.
      expect(await drill.query("SHOW restore_command")).toContain("/conf/pgbackrest.conf");

      // The restored cluster archives to its own path and never to the source's.
      await drill.query("INSERT INTO writes VALUES (-1, now())", "app");
      await switchAndWaitArchived(drill);
      expect(keysUnder("pgbackrest/staging/archive/main").length).toBeGreaterThan(0);
      expect(keysUnder("pgbackrest/prod/archive")).toEqual(prodArchiveBefore);

      // Restarting the restored cluster is idempotent: it starts as is.
      await drill.stop();
      const again = await drill.bootstrap();
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain("existing cluster");
      await drill.start();
      expect(Number(await drill.query("SELECT count(*) FROM writes WHERE seq = -1", "app"))).toBe(1);
    } finally {
      await drill.kill();
      rmSync(drill.root, { recursive: true, force: true });
    }
  });

  it("restores to a target time: nothing committed after it appears", async () => {
    const drill = await LocalPostgres.create({ spec: drillSpec("staging-pitr", { target: targetTime }), root: serviceTempDir("drkit-pg-pitr-"), s3, sourceCipherPass: CIPHER });
    try {
      const result = await drill.bootstrap();
      expect(result.code, result.stderr).toBe(0);
      await drill.start();
      expect(Number(await drill.query(`SELECT count(*) FROM writes WHERE at > '${targetTime}'`, "app"))).toBe(0);
      // Everything committed well before the target is there (a row's commit follows its insert).
      const before = Number(await drill.query(`SELECT count(*) FROM writes WHERE seq < ${targetSeq} - 50`, "app"));
      expect(before).toBe(targetSeq - 51);
      expect(Number(await drill.query("SELECT max(seq) FROM writes", "app"))).toBeLessThanOrEqual(targetSeq);
    } finally {
      await drill.kill();
      rmSync(drill.root, { recursive: true, force: true });
    }
  });
});

describe("when the bootstrap must refuse", () => {
  it.each([
    ["a repository path with nothing in it", "pgbackrest/nothing-here", /has no usable stanza 'main'/],
    ["a repository with a stanza but no backup", "pgbackrest/staging", /holds no backup to restore/],
  ])("fails clearly on %s and leaves the volume untouched", async (_name, repoPath, message) => {
    // The drill above left pgbackrest/staging with its own stanza and no backup yet.
    const drill = await LocalPostgres.create({ spec: drillSpec("staging-bad", { repoPath }), root: serviceTempDir("drkit-pg-bad-"), s3, sourceCipherPass: DRILL_CIPHER });
    try {
      const result = await drill.bootstrap();
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split("\n").at(-1)).toMatch(/^drkit-bootstrap: FAILED: /);
      expect(drill.volumeEntries()).toEqual([]);
    } finally {
      rmSync(drill.root, { recursive: true, force: true });
    }
  });
});

describe("when the repository is unreachable", () => {
  it("keeps serving writes, keeps the WAL, and archives it once the repository returns", async () => {
    const pg = await LocalPostgres.create({ spec: primarySpec("outage"), root: serviceTempDir("drkit-pg-outage-"), s3 });
    try {
      expect((await pg.bootstrap()).code).toBe(0);
      await pg.start();
      await pg.query("CREATE TABLE t (x int)", "app");
      await switchAndWaitArchived(pg);
      await s3.stop();
      let lsn = "";
      for (let i = 0; i < 3; i++) {
        await pg.query(`INSERT INTO t SELECT generate_series(1, 1000)`, "app");
        lsn = await pg.query("SELECT pg_switch_wal()");
      }
      expect(Number(await pg.query("SELECT count(*) FROM t", "app"))).toBe(3000);
      await waitFor("WAL waiting for the repository", async () => Number(await pg.query("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'")) > 0, 30_000, 250);
      await s3.start();
      await waitFor(
        "the queued WAL archived after the outage",
        async () => (await pg.query(`SELECT coalesce(last_archived_wal >= pg_walfile_name('${lsn}'::pg_lsn - 1), false) FROM pg_stat_archiver`)) === "t",
        240_000,
        500,
      );
      expect(Number(await pg.query("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'"))).toBe(0);
    } finally {
      await s3.start().catch(() => undefined);
      await pg.kill();
      rmSync(pg.root, { recursive: true, force: true });
    }
  }, 300_000);
});
