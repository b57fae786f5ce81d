/**
 * How backup and restore times grow with the data, and where the time of a restore from the S3
 * endpoint goes. One database grown step by step to each `--sizes` (pgbench scale 10, the rest
 * incompressible bytes), inside the plan's own PostgreSQL container; at every size:
 *
 * - a full backup by the job pod to the local S3 endpoint, and its restore with drkit's
 *   pgbackrest.conf, with the CPU time pgBackRest used (its processes) and the endpoint used
 *   (s3rver runs in this process: its CPU time is this process's);
 * - a full backup to and restore from a repository on the local filesystem, drkit's settings;
 * - `cp -a` of the restored data directory (the disk's limit);
 *
 * then a least-squares line through the points of each method, and its projection to 100 GiB.
 *
 *   npx tsx bench/scale.ts [--sizes 256MiB,1GiB,2GiB,4GiB]
 *
 * Prints figures; passes or fails nothing.
 */
import { parseArgs } from "node:util";
import { startLocalCluster } from "../cli/containers/cluster";
import { ensureLocalImages } from "../cli/containers/images";
import { processMax } from "../components/postgres/settings";
import { formatSize, parseSize } from "../components/config";
import { addRandomBytes, benchSpec, cell, GiB, inPostgres, localRepository, MiB, PGBACKREST_CONF, runBenchmark, SOCKET, WORK } from "./postgres";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "256MiB,1GiB,2GiB,4GiB" } } });
const sizes = values.sizes!.split(",").map((text) => {
  const size = parseSize(text.trim());
  if (!size.ok) throw new Error(`--sizes ${text}: ${size.message}`);
  return size.value;
});
const PGBENCH_SCALE = 10;

interface Point {
  restoredMiB: number;
  copyMs: number;
  localBackupMs: number;
  localRestoreMs: number;
  s3BackupMs: number;
  s3RestoreMs: number;
  pgbackrestCpuMs: number;
  endpointCpuMs: number;
}

/** Least squares: seconds = a + b × MiB. */
function fit(points: [number, number][]): { a: number; b: number } {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const b = sxx === 0 ? my / mx : points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
  return { a: my - b * mx, b };
}

async function main() {
  const largest = Math.max(...sizes);
  const spec = benchSpec("bench-scale", `${Math.ceil((largest * 4) / GiB) + 8}Gi`);
  const images = await ensureLocalImages(spec.images, 15);
  const cluster = await startLocalCluster({ prefix: "drkit-bench-scale", images, helperImage: spec.images.base, buckets: ["drkit-bench"] });
  try {
    const run = await cluster.stack(spec, { own: "bench-cipher" });
    await run.runner.startServer("postgres");
    const pg = inPostgres(run);
    const local = await localRepository(pg, `${WORK}/local.conf`, `${WORK}/repo`, [
      "compress-type=zst",
      "compress-level=3",
      `process-max=${processMax(spec.postgres.resources.cpu)}`,
      "repo1-cipher-type=aes-256-cbc",
      "repo1-cipher-pass=drkit-bench",
    ]);
    await pg.sh(`pgbench -i -q -s ${PGBENCH_SCALE} -h ${SOCKET} -U postgres app`);

    const points: Point[] = [];
    for (const size of sizes) {
      const current = Number(await pg.psql("SELECT pg_database_size('app')"));
      if (size > current) await addRandomBytes(pg, Math.round((size - current) / MiB));
      await pg.psql("CHECKPOINT");

      const started = performance.now();
      const full = await run.runner.runJob("postgres-backup-full");
      if (!full.ok) throw new Error(full.output);
      const s3BackupMs = performance.now() - started;
      const endpointBefore = process.cpuUsage();
      const s3 = await pg.cpu(`rm -rf ${WORK}/r; mkdir -m 700 ${WORK}/r; pgbackrest --config=${PGBACKREST_CONF} --stanza=main --pg1-path=${WORK}/r --log-level-console=warn restore; sync`);
      const endpoint = process.cpuUsage(endpointBefore);
      const restoredBytes = await pg.bytes(`${WORK}/r`);
      const copyMs = await pg.timed(`rm -rf ${WORK}/copy; cp -a ${WORK}/r ${WORK}/copy; sync; rm -rf ${WORK}/copy`);
      const localBackupMs = await pg.timed(`${local} --type=full backup`);
      const localRestoreMs = await pg.timed(`rm -rf ${WORK}/r; mkdir -m 700 ${WORK}/r; ${local} --pg1-path=${WORK}/r restore; sync`);
      await pg.sh(`rm -rf ${WORK}/r`);
      points.push({
        restoredMiB: restoredBytes / MiB,
        copyMs,
        localBackupMs,
        localRestoreMs,
        s3BackupMs,
        s3RestoreMs: s3.wallMs,
        pgbackrestCpuMs: s3.cpuMs,
        endpointCpuMs: (endpoint.user + endpoint.system) / 1000,
      });
    }

    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(`drkit scale benchmark: pgbench scale ${PGBENCH_SCALE} plus incompressible bytes, grown to ${sizes.map((size) => formatSize(size)).join(", ")}`);
    console.log("");
    console.log("   restored    cp -a     local filesystem       local S3 endpoint     restore from S3: CPU seconds used");
    console.log("                         backup    restore      backup    restore     pgBackRest  endpoint  (of 2 cores)");
    for (const p of points) {
      const busy = (p.pgbackrestCpuMs + p.endpointCpuMs) / p.s3RestoreMs;
      console.log(
        `   ${cell(`${p.restoredMiB.toFixed(0)} MiB`, 12)}${cell(s(p.copyMs), 10)}${cell(s(p.localBackupMs), 10)}${cell(s(p.localRestoreMs), 13)}${cell(s(p.s3BackupMs), 10)}${cell(s(p.s3RestoreMs), 12)}${cell(s(p.pgbackrestCpuMs), 12)}${cell(s(p.endpointCpuMs), 10)}${busy.toFixed(2)} cores busy`,
      );
    }
    console.log("");
    console.log("   fitted: seconds = fixed + MiB / throughput; projected to 100 GiB restored");
    const methods: [string, (p: Point) => number][] = [
      ["cp -a", (p) => p.copyMs],
      ["restore, local filesystem", (p) => p.localRestoreMs],
      ["restore, local S3 endpoint", (p) => p.s3RestoreMs],
      ["backup, local filesystem", (p) => p.localBackupMs],
      ["backup, local S3 endpoint (job pod)", (p) => p.s3BackupMs],
    ];
    for (const [name, of] of methods) {
      const { a, b } = fit(points.map((p) => [p.restoredMiB, of(p) / 1000]));
      const projected = a + b * 100 * 1024;
      console.log(`   ${cell(name, 38)}${cell(`${a.toFixed(1)} s + MiB / ${(1 / b).toFixed(0)} MiB/s`, 28)}${(projected / 60).toFixed(1)} min`);
    }
    console.log("");
    console.log("   (restore times include sync to disk; the S3 backup includes starting the job pod)");
    await run.runner.stopServer("postgres");
  } finally {
    await cluster.destroy();
  }
}

runBenchmark(main);
