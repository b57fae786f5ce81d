/**
 * PostgreSQL recovery figures on this machine, in one run (issue: WAL archiving and PITR):
 *
 *  1. the data-loss window after kill -9 against archive_timeout (the RPO mechanism), over
 *     several disasters at random moments;
 *  2. restore throughput of a >= 1 GiB database from the pgBackRest repository (the rendered
 *     bootstrap, as a dr stack runs it), against `cp -a` of the same data directory (the physical
 *     limit here) and against `pg_dump -Fc` + `pg_restore` (what hand-written runbooks do).
 *
 *   npx tsx bench/postgres.ts [--size 1GiB] [--trials 3] [--seed 7]
 *
 * Prints figures; passes or fails nothing.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LocalPostgres } from "../cli/local/postgres";
import { handOver, runOk, startDaemon, stopAll } from "../cli/local/processes";
import { startLocalS3 } from "../cli/local/s3";
import { archiveTimeout } from "../components/postgres";
import { formatSize, parseSize, parseSpec } from "../components/spec";
import { rate, removeTemporary, seconds, temp, timed } from "./measure";

const { values } = parseArgs({ options: { size: { type: "string", default: "1GiB" }, trials: { type: "string", default: "3" }, seed: { type: "string", default: "7" } } });
const size = parseSize(values.size!);
if (!size.ok) throw new Error(`--size ${size.message}`);
const trials = Number(values.trials);
let seed = Number(values.seed);
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);

const BUCKET = "drkit-bench";
const spec = (stack: string, role: "primary" | "drill", extra: Record<string, unknown> = {}) => {
  const result = parseSpec(
    {
      role,
      region: "us-east-1",
      objectives: { postgres: { rpo: "5m", rto: "15m" } },
      storage: { bucket: BUCKET },
      postgres: {
        image: "local",
        databases: [{ name: "app" }],
        resources: { cpu: "2", memory: "2Gi" },
        storage: { size: "20Gi" },
        ...(role === "drill" ? { restoreFrom: { bucket: BUCKET, region: "us-east-1", repoPath: `pgbackrest/${extra["source"]}`, stackReference: "bench/drkit/prod" } } : {}),
      },
      redis: { enabled: false },
    },
    { stack },
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.spec;
};

const serviceTempDir = temp;
async function duSize(path: string): Promise<number> {
  const out = await runOk("du", ["-sb", path]);
  return Number(out.stdout.split("\t")[0]);
}

async function main() {
  const root = serviceTempDir("drkit-bench-pg-");
  const s3 = await startLocalS3(join(root, "s3"), [BUCKET]);
  process.once("exit", () => void s3.stop());
  const cipher = "bench-passphrase";
  console.log(`drkit PostgreSQL benchmark: ${formatSize(size.ok ? size.value : 0)} database, ${trials} disasters, seed ${values.seed}`);

  // --- 1. data-loss window against archive_timeout --------------------------------------
  const windowSpec = spec("window", "primary");
  const timeout = archiveTimeout(windowSpec.objectives.postgres.rpo);
  console.log(`\n1. Data-loss window after kill -9 (RPO 5m -> archive_timeout ${timeout}s; a writer commits one row every 100 ms)`);
  const losses: number[] = [];
  for (let trial = 1; trial <= trials; trial++) {
    const pg = await LocalPostgres.create({ spec: spec(`window${trial}`, "primary"), root: serviceTempDir("drkit-bench-window-"), s3, ownCipherPass: cipher });
    if ((await pg.bootstrap()).code !== 0) throw new Error("bootstrap failed");
    await pg.start();
    await pg.query("CREATE TABLE writes (seq bigint PRIMARY KEY, at timestamptz NOT NULL)", "app");
    if ((await pg.pgbackrest(["backup", "--type=full"])).code !== 0) throw new Error("backup failed");
    await pg.query(
      `CREATE PROCEDURE w() LANGUAGE plpgsql AS $$ DECLARE n bigint := 1; BEGIN LOOP INSERT INTO writes VALUES (n, clock_timestamp()); COMMIT; n := n + 1; PERFORM pg_sleep(0.1); END LOOP; END $$`,
      "app",
    );
    startDaemon(join(pg.layout.pgBin, "psql"), ["-X", "-h", pg.layout.socketDir, "-p", String(pg.layout.port), "-U", "postgres", "-d", "app", "-c", "CALL w()"], { asService: true, env: pg.env });
    const wait = (timeout + random() * timeout * 1.5) * 1000;
    await new Promise((r) => setTimeout(r, wait));
    const acknowledged = await pg.query("SELECT extract(epoch FROM max(at)) FROM writes", "app");
    await pg.kill();
    const drill = await LocalPostgres.create({ spec: spec(`window-restore${trial}`, "drill", { source: `window${trial}` }), root: serviceTempDir("drkit-bench-wr-"), s3, sourceCipherPass: cipher });
    if ((await drill.bootstrap()).code !== 0) throw new Error("restore failed");
    await drill.start();
    const restored = await drill.query("SELECT coalesce(extract(epoch FROM max(at)), 0) FROM writes", "app");
    const loss = Number(acknowledged) - Number(restored);
    losses.push(loss);
    console.log(`   disaster ${trial} at +${seconds(wait)}: lost ${loss.toFixed(1)} s of writes`);
    await drill.kill();
  }
  console.log(`   worst ${Math.max(...losses).toFixed(1)} s, against archive_timeout ${timeout} s (RPO 300 s)`);

  // --- 2. restore throughput ---------------------------------------------------------------
  console.log(`\n2. Restore of a ${values.size} database`);
  const pg = await LocalPostgres.create({ spec: spec("prod", "primary"), root: serviceTempDir("drkit-bench-primary-"), s3, ownCipherPass: cipher });
  if ((await pg.bootstrap()).code !== 0) throw new Error("bootstrap failed");
  await pg.start();
  // pgbench scale 1 is about 15 MiB on disk.
  const scale = Math.max(1, Math.round((size.ok ? size.value : 0) / (15 * 2 ** 20)));
  const [, loadMs] = await timed(() =>
    runOk(join(pg.layout.pgBin, "pgbench"), ["-i", "-q", "-s", String(scale), "-h", pg.layout.socketDir, "-p", String(pg.layout.port), "-U", "postgres", "app"], { asService: true, env: pg.env, timeoutMs: 3_600_000 }),
  );
  const dataBytes = await duSize(pg.layout.dataDir);
  console.log(`   loaded pgbench scale ${scale} in ${seconds(loadMs)}: data directory ${formatSize(Math.round(dataBytes / 2 ** 20) * 2 ** 20)}`);
  const [backup, backupMs] = await timed(() => pg.pgbackrest(["backup", "--type=full"], 3_600_000));
  if (backup.code !== 0) throw new Error(backup.stderr);
  console.log(`   pgBackRest full backup (zst, process-max 2): ${seconds(backupMs)}`);

  // pg_dump -Fc while the cluster runs, then stop it for a consistent cp -a.
  const dumpDir = serviceTempDir("drkit-bench-dump-");
  const dumpFile = join(dumpDir, "app.dump");
  const [, dumpMs] = await timed(() =>
    runOk(join(pg.layout.pgBin, "pg_dump"), ["-Fc", "-f", dumpFile, "-h", pg.layout.socketDir, "-p", String(pg.layout.port), "-U", "postgres", "app"], { asService: true, env: pg.env, timeoutMs: 3_600_000 }),
  );
  await pg.stop();

  const copyTarget = join(serviceTempDir("drkit-bench-cp-"), "pgdata");
  const [, copyMs] = await timed(() => runOk("cp", ["-a", pg.layout.dataDir, copyTarget], { timeoutMs: 3_600_000 }));

  const drill = await LocalPostgres.create({ spec: spec("restore", "drill", { source: "prod" }), root: serviceTempDir("drkit-bench-restore-"), s3, sourceCipherPass: cipher });
  const [restore, restoreMs] = await timed(() => drill.bootstrap());
  if (restore.code !== 0) throw new Error(restore.stderr);

  const target = await LocalPostgres.create({ spec: spec("pgrestore", "primary"), root: serviceTempDir("drkit-bench-pgrestore-"), s3 });
  if ((await target.bootstrap()).code !== 0) throw new Error("bootstrap failed");
  await target.start();
  handOver(dumpDir);
  const [, pgRestoreMs] = await timed(() =>
    runOk(join(target.layout.pgBin, "pg_restore"), ["-d", "app", "-h", target.layout.socketDir, "-p", String(target.layout.port), "-U", "postgres", dumpFile], { asService: true, env: target.env, timeoutMs: 3_600_000 }),
  );
  await target.stop();

  const dumpBytes = statSync(dumpFile).size;
  console.log("");
  console.log("   method                                  time      throughput (of the data directory)");
  console.log(`   cp -a of the data directory             ${seconds(copyMs).padEnd(9)} ${rate(dataBytes, copyMs)}`);
  console.log(`   drkit bootstrap (pgBackRest restore)    ${seconds(restoreMs).padEnd(9)} ${rate(dataBytes, restoreMs)}  (restore, WAL replay, promote, roles)`);
  console.log(`   pg_dump -Fc + pg_restore                ${seconds(dumpMs + pgRestoreMs).padEnd(9)} ${rate(dataBytes, dumpMs + pgRestoreMs)}  (dump ${seconds(dumpMs)}, ${formatSize(Math.round(dumpBytes / 2 ** 20) * 2 ** 20)}; restore ${seconds(pgRestoreMs)})`);
}

main()
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopAll();
    removeTemporary();
  });
