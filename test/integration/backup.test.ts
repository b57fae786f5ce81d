import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bucketKeys } from "./bucketKeys";
import { LocalBackupJobs } from "../../cli/local/backups";
import { LocalPostgres } from "../../cli/local/postgres";
import { run, runOk, serviceTempDir, stopAll } from "../../cli/local/processes";
import { startLocalS3, type LocalS3 } from "../../cli/local/s3";
import { specOf } from "../spec/fixtures";

/**
 * The rendered backup, dump and verification scripts on local PostgreSQL + pgBackRest + a local
 * S3 endpoint over TLS. Backups reach the database through the pgBackRest TLS server with client
 * certificates, as backup job pods do.
 */

const BUCKET = "drkit-backup-it";
const roots: string[] = [];
const temp = (prefix: string) => {
  const dir = serviceTempDir(prefix);
  roots.push(dir);
  return dir;
};
let s3: LocalS3;
let pg: LocalPostgres;
let jobs: LocalBackupJobs;

const spec = (stack: string, postgres: Record<string, unknown> = {}) =>
  specOf(
    {
      role: "primary",
      region: "us-east-1",
      objectives: { postgres: { rpo: "5m", rto: "15m" } },
      storage: { bucket: BUCKET },
      images: { registry: "local" },
      postgres: {
        databases: [{ name: "app" }],
        resources: { memory: "512Mi" },
        // Above initdb's default of 100: a verification that starts the restored cluster with
        // defaults aborts recovery ("insufficient parameter settings").
        maxConnections: 200,
        dumps: { keepLast: 2, retention: "7d" },
        verification: { tables: [{ database: "app", table: "public.orders", minRows: 100 }], freshness: { database: "app", table: "public.orders", column: "created_at" } },
        ...postgres,
      },
      redis: { enabled: false },
    },
    stack,
  );

const keysUnder = (prefix: string) => bucketKeys(s3.directory, BUCKET, prefix);

const aws = (args: string[]) => run("aws", ["--endpoint-url", `https://${s3.host}:${s3.port}`, "--region", "us-east-1", "--no-verify-ssl", ...args], { env: jobs.env });

beforeAll(async () => {
  s3 = await startLocalS3(join(temp("drkit-backup-s3-"), "s3"), [BUCKET]);
  pg = await LocalPostgres.create({ spec: spec("prod"), root: temp("drkit-backup-pg-"), s3 });
  expect((await pg.bootstrap()).code).toBe(0);
  await pg.start();
  await pg.query("CREATE TABLE orders (id serial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now()); INSERT INTO orders (created_at) SELECT now() FROM generate_series(1, 500);", "app");
  await pg.query("ALTER TABLE orders OWNER TO app", "app");
  jobs = await LocalBackupJobs.create(pg, s3, temp("drkit-backup-jobs-"));
  await jobs.startTlsServer();
});

afterAll(async () => {
  await stopAll();
  await s3?.stop();
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

describe("pgBackRest backups through the TLS server", () => {
  it("takes a full and then a differential backup that pgbackrest info lists", async () => {
    const full = await jobs.backup("full");
    expect(full.code, full.stderr).toBe(0);
    expect(full.stderr).toMatch(/drkit-backup: backup \d{8}-\d{6}F \(full\) done/);
    await pg.query("INSERT INTO orders (created_at) SELECT now() FROM generate_series(1, 100)", "app");
    const diff = await jobs.backup("diff");
    expect(diff.code, diff.stderr).toBe(0);
    const info = JSON.parse(await jobs.info()) as { backup: { type: string; label: string }[] }[];
    expect(info[0]!.backup.map((b) => b.type)).toEqual(["full", "diff"]);
  });

  it("refuses a request it does not know", async () => {
    const result = await jobs.backup("weekly" as "full");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("FAILED: usage: backup.sh full | diff | incr");
  });
});

describe("logical dumps", () => {
  it("upload a dump with checksums and a completion marker that pg_restore can restore", async () => {
    const result = await jobs.dump();
    expect(result.code, result.stderr).toBe(0);
    const keys = keysUnder("dumps/app");
    const stamp = keys[0]!.split("/")[2]!;
    expect(keys).toEqual([`dumps/app/${stamp}/COMPLETE`, `dumps/app/${stamp}/SHA256SUMS`, `dumps/app/${stamp}/app.dump`]);
    const local = join(jobs.layout.workDir, "restore-check");
    expect((await aws(["s3", "cp", "--recursive", "--only-show-errors", `s3://${BUCKET}/dumps/app/${stamp}/`, local])).code).toBe(0);
    expect((await runOk("bash", ["-c", `cd ${local} && sha256sum --check --strict SHA256SUMS`])).code).toBe(0);
    await pg.query("CREATE DATABASE restored", "postgres");
    await runOk(join(pg.layout.pgBin, "pg_restore"), ["--no-owner", "-d", "restored", "-h", pg.layout.socketDir, "-p", String(pg.layout.port), "-U", "postgres", join(local, "app.dump")], { asService: true, env: pg.env });
    expect(await pg.query("SELECT count(*) FROM orders", "restored")).toBe(await pg.query("SELECT count(*) FROM orders", "app"));
  });

  it("leaves nothing marked complete when pg_dump fails", async () => {
    const before = keysUnder("dumps");
    const broken = { ...jobs.env, DRKIT_PASSWORD_app: "wrong-password" };
    const script = join(jobs.layout.configDir, "dump.sh");
    const dump = await run("bash", [script, "dump"], { asService: true, env: broken });
    expect(dump.code).not.toBe(0);
    expect(dump.stderr).toContain("FAILED: pg_dump of app failed: nothing is uploaded");
    expect(keysUnder("dumps")).toEqual(before);
  });

  it("prunes to the newest complete dumps and never deletes the last good one", async () => {
    // Old complete dumps, an old incomplete one, and an incomplete one newer than every complete one.
    const put = async (key: string) => {
      writeFileSync(join(jobs.layout.workDir, "object"), key);
      expect((await aws(["s3", "cp", "--only-show-errors", join(jobs.layout.workDir, "object"), `s3://${BUCKET}/${key}`])).code).toBe(0);
    };
    for (const stamp of ["20200101T000000Z", "20200201T000000Z", "20200301T000000Z"]) {
      await put(`dumps/app/${stamp}/app.dump`);
      await put(`dumps/app/${stamp}/COMPLETE`);
    }
    await put("dumps/app/20200115T000000Z/app.dump");
    await put("dumps/app/29991231T000000Z/app.dump");
    const result = await jobs.dump();
    expect(result.code, result.stderr).toBe(0);
    const stamps = [...new Set(keysUnder("dumps/app").map((k) => k.split("/")[2]))];
    const complete = stamps.filter((s) => keysUnder(`dumps/app/${s}`).some((k) => k.endsWith("/COMPLETE")));
    // keepLast 2: the two newest complete dumps stay; older complete ones past 7 days go;
    // the old incomplete one goes; the incomplete one newer than every complete dump stays.
    expect(complete.length).toBe(2);
    expect(stamps).not.toContain("20200101T000000Z");
    expect(stamps).not.toContain("20200115T000000Z");
    expect(stamps).toContain("29991231T000000Z");
  });
});

describe("restore verification", () => {
  it("passes on a good backup and reports the restore time", async () => {
    const result = await jobs.verify();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/drkit-verify: restore took \d+ s \(RTO 900 s\); checks passed/);
  });

  it("fails when a table holds fewer rows than expected", async () => {
    const strict = await LocalBackupJobs.create(
      await LocalPostgres.create({
        spec: spec("prod", { verification: { tables: [{ database: "app", table: "public.orders", minRows: 100000 }] } }),
        root: temp("drkit-backup-strict-"),
        s3,
        ownCipherPass: pg.env["PGBACKREST_REPO1_CIPHER_PASS"]!,
      }),
      s3,
      temp("drkit-backup-strict-jobs-"),
    );
    const result = await strict.verify();
    expect(result.code, JSON.stringify(result)).not.toBe(0);
    expect(result.stderr).toMatch(/FAILED: table app.public.orders has \d+ rows, fewer than the 100000 expected/);
  });

  it("fails clearly when the repository has no backup", async () => {
    const empty = await LocalBackupJobs.create(await LocalPostgres.create({ spec: spec("nobackups"), root: temp("drkit-backup-empty-"), s3 }), s3, temp("drkit-backup-empty-jobs-"));
    const result = await empty.verify();
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/FAILED: (cannot read the repository|the repository holds no backup to verify)/);
  });

  it("fails clearly when the backup is corrupted", async () => {
    // Damage every file of the newest backup's biggest table.
    const files = keysUnder("pgbackrest/prod/backup/main").filter((k) => /\/pg_data\/base\/\d+\/\d+\.zst$/.test(k));
    expect(files.length).toBeGreaterThan(0);
    for (const key of files) writeFileSync(join(s3.directory, BUCKET, `${key}._S3rver_object`), "not a zstd frame");
    const result = await jobs.verify();
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/FAILED: (restoring the newest backup failed|pg_amcheck found corruption|the restored cluster did not start)/);
  });
});
