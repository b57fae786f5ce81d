/**
 * Backup throughput on this machine, in one run: pgBackRest full and differential backups of a
 * >= 1 GiB database with the rendered job settings (through the TLS server, zstd, process-max
 * from the spec, to a local S3 endpoint over TLS), against `pg_dump -Fc | gzip` of the same data.
 *
 *   npx tsx bench/backup.ts [--size 1GiB]
 *
 * Prints figures; passes or fails nothing.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LocalBackupJobs } from "../cli/local/backups";
import { LocalPostgres } from "../cli/local/postgres";
import { runOk, stopAll } from "../cli/local/processes";
import { startLocalS3 } from "../cli/local/s3";
import { formatSize, parseSize, parseSpec } from "../components/spec";
import { rate, removeTemporary, seconds, temp, timed } from "./measure";

const { values } = parseArgs({ options: { size: { type: "string", default: "1GiB" } } });
const size = parseSize(values.size!);
if (!size.ok) throw new Error(`--size ${size.message}`);

async function main() {
  const parsed = parseSpec(
    { role: "primary", region: "us-east-1", storage: { bucket: "drkit-bench" }, postgres: { image: "local", resources: { cpu: "2", memory: "2Gi" }, storage: { size: "20Gi" } }, redis: { enabled: false } },
    { stack: "bench" },
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const spec = parsed.spec;
  const s3 = await startLocalS3(join(temp("drkit-bench-backup-s3-"), "s3"), ["drkit-bench"]);
  try {
    const pg = await LocalPostgres.create({ spec, root: temp("drkit-bench-backup-pg-"), s3 });
    if ((await pg.bootstrap()).code !== 0) throw new Error("bootstrap failed");
    await pg.start();
    const scale = Math.max(1, Math.round((size.ok ? size.value : 0) / (15 * 2 ** 20)));
    const bench = (args: string[]) => runOk(join(pg.layout.pgBin, "pgbench"), [...args, "-h", pg.layout.socketDir, "-p", String(pg.layout.port), "-U", "postgres", "app"], { asService: true, env: pg.env, timeoutMs: 3_600_000 });
    await bench(["-i", "-q", "-s", String(scale)]);
    const dataBytes = Number((await runOk("du", ["-sb", pg.layout.dataDir])).stdout.split("\t")[0]);
    console.log(`drkit backup benchmark: pgbench scale ${scale}, data directory ${formatSize(Math.round(dataBytes / 2 ** 20) * 2 ** 20)}`);
    const jobs = await LocalBackupJobs.create(pg, s3, temp("drkit-bench-backup-jobs-"));
    await jobs.startTlsServer();
    const [full, fullMs] = await timed(() => jobs.backup("full"));
    if (full.code !== 0) throw new Error(full.stderr);
    // Change about a tenth of the accounts, then the differential.
    await bench(["-n", "-T", "20", "-c", "2", "-b", "simple-update"]);
    const [diff, diffMs] = await timed(() => jobs.backup("diff"));
    if (diff.code !== 0) throw new Error(diff.stderr);
    const dumpFile = join(jobs.layout.workDir, "app.dump.gz");
    const [, dumpMs] = await timed(() =>
      runOk("bash", ["-c", `set -o pipefail; "${pg.layout.pgBin}/pg_dump" -Fc -h "${pg.layout.socketDir}" -p ${pg.layout.port} -U postgres app | gzip > "${dumpFile}"`], { asService: true, env: pg.env, timeoutMs: 3_600_000 }),
    );
    const info = JSON.parse(await jobs.info()) as { backup: { type: string; info: { repository: { delta: number } } }[] }[];
    const backups = info[0]!.backup;
    const stored = (type: string) => formatSize(Math.round(backups.find((b) => b.type === type)!.info.repository.delta / 2 ** 20) * 2 ** 20);
    console.log("");
    console.log("   method                                   time      throughput (of the data directory)   stored");
    console.log(`   pgBackRest full (zst, process-max 2)     ${seconds(fullMs).padEnd(9)} ${rate(dataBytes, fullMs).padEnd(37)}${stored("full")}`);
    console.log(`   pgBackRest diff after 20 s of updates    ${seconds(diffMs).padEnd(9)} ${rate(dataBytes, diffMs).padEnd(37)}${stored("diff")}`);
    const dumpBytes = Number((await runOk("du", ["-b", dumpFile])).stdout.split("\t")[0]);
    console.log(`   pg_dump -Fc | gzip                       ${seconds(dumpMs).padEnd(9)} ${rate(dataBytes, dumpMs).padEnd(37)}${formatSize(Math.max(1, Math.round(dumpBytes / 2 ** 20)) * 2 ** 20)}`);
  } finally {
    await stopAll();
    await s3.stop();
    removeTemporary();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
