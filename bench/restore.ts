/**
 * Where a restore's time goes, in one run, on data that compresses like real data does and on
 * pgbench data side by side. For each data set, inside the plan's own PostgreSQL container (the
 * image, the volume and the limits a cluster runs):
 *
 * - the references: `cp -a` of the data directory (the disk's own limit here) and
 *   `pg_restore -j 2` of a `pg_dump -Fc` made beforehand (the restore alone);
 * - pgBackRest backup and restore as drkit configures them, from the local S3 endpoint (the
 *   backup by the job pod, over TLS; the CPU time pgBackRest and the endpoint used; more
 *   processes and larger buffers tried) and from a repository on the local filesystem;
 * - the same with one setting changed at a time (no encryption, no compression, lz4, one
 *   process), so the cost of decryption, decompression and parallelism shows by difference;
 *   and pgBackRest's own defaults.
 *
 * WAL replay is `bench/replay.ts`; growth with the data is `bench/scale.ts`.
 *
 *   npx tsx bench/restore.ts [--random 512MiB] [--scale 10]
 *
 * `--random` is incompressible data (bytea of /dev/urandom), `--scale` the pgbench scale of both
 * data sets (1 = 100 000 indexed rows); the pgbench-only set is scaled up to a data directory of
 * about the same size. Prints figures; passes or fails nothing.
 */
import { parseArgs } from "node:util";
import { startLocalCluster } from "../cli/containers/cluster";
import { ensureLocalImages } from "../cli/containers/images";
import { formatSize, parseSize } from "../components/config";
import { addRandomBytes, benchSpec, cell, inPostgres, localRepository, MiB, PGBACKREST_CONF, PGDATA, runBenchmark, SOCKET, WORK } from "./postgres";

const { values } = parseArgs({ options: { random: { type: "string", default: "512MiB" }, scale: { type: "string", default: "10" } } });
const random = parseSize(values.random!);
if (!random.ok) throw new Error(`--random ${random.message}`);
const scale = Number(values.scale);
if (!Number.isInteger(scale) || scale < 1) throw new Error("--scale must be a whole number of at least 1");

/** A repository variant on the local filesystem: pgbackrest.conf lines besides the repository path. */
interface Variant {
  name: string;
  settings: string[];
  /** Restore with another process-max than the backup used. */
  restoreOptions?: string[];
  /** Reuse another variant's backup (only the restore differs). */
  backupOf?: string;
}

const DRKIT = ["compress-type=zst", "compress-level=3", "process-max=2", "repo1-cipher-type=aes-256-cbc", "repo1-cipher-pass=drkit-bench"];
const VARIANTS: Variant[] = [
  { name: "drkit's settings (zst 3, AES-256, 2 processes)", settings: DRKIT },
  { name: "  without encryption", settings: DRKIT.filter((s) => !s.startsWith("repo1-cipher")) },
  { name: "  without compression", settings: [...DRKIT.filter((s) => !s.startsWith("compress")), "compress-type=none"] },
  { name: "  lz4 instead of zst", settings: [...DRKIT.filter((s) => !s.startsWith("compress")), "compress-type=lz4", "compress-level=1"] },
  { name: "  restored with 1 process", settings: DRKIT, backupOf: "drkit's settings (zst 3, AES-256, 2 processes)", restoreOptions: ["--process-max=1"] },
  { name: "pgBackRest's defaults (gz 6, 1 process)", settings: [] },
];

interface Row {
  method: string;
  backupMs?: number;
  restoreMs: number;
}

/** Restores from the local S3 endpoint with drkit's pgbackrest.conf and extra options. */
const S3_VARIANTS: { name: string; options: string[] }[] = [
  { name: "drkit's settings, local S3 endpoint (backup by the job pod)", options: [] },
  { name: "  local S3 endpoint, restored with 4 processes", options: ["--process-max=4"] },
  { name: "  local S3 endpoint, buffer-size 4MiB (default 1MiB)", options: ["--buffer-size=4MiB"] },
];

async function main() {
  const images = await ensureLocalImages(benchSpec("bench").images, 15);
  const cluster = await startLocalCluster({ prefix: "drkit-bench-restore", images, helperImage: benchSpec("bench").images.base, buckets: ["drkit-bench"] });
  try {
    console.log(`drkit restore benchmark: ${formatSize(random.ok ? random.value : 0)} of random bytes + pgbench scale ${scale}, against pgbench data alone`);
    for (const dataset of ["mixed", "pgbench"] as const) {
      const run = await cluster.stack(benchSpec(`bench-${dataset}`), { own: "bench-cipher" });
      await run.runner.startServer("postgres");
      const pg = inPostgres(run);

      await pg.sh(`mkdir -p ${WORK}`);
      if (dataset === "mixed") {
        await addRandomBytes(pg, Math.max(1, Math.round((random.ok ? random.value : 0) / MiB)));
        await pg.sh(`pgbench -i -q -s ${scale} -h ${SOCKET} -U postgres app`);
      } else {
        // As large a data directory as the mixed set's, in pgbench rows alone (15 MiB per scale unit).
        const mixedBytes = (random.ok ? random.value : 0) + scale * 15 * MiB;
        await pg.sh(`pgbench -i -q -s ${Math.max(1, Math.round(mixedBytes / (15 * MiB)))} -h ${SOCKET} -U postgres app`);
      }
      await pg.psql("CHECKPOINT");
      const dataBytes = await pg.bytes(PGDATA);
      const rows: Row[] = [];
      let restoredBytes = 0;

      // The references: cp -a comes first in the table, measured below on what a restore writes.
      await pg.sh(`pg_dump -Fc -h ${SOCKET} -U postgres -f ${WORK}/app.dump app`);
      await pg.psql("CREATE DATABASE restored", "postgres");
      rows.push({ method: "pg_restore -j 2 of a pg_dump -Fc (restore only)", restoreMs: await pg.timed(`pg_restore -j 2 -h ${SOCKET} -U postgres -d restored ${WORK}/app.dump; sync`) });
      await pg.psql("DROP DATABASE restored", "postgres");
      await pg.sh(`rm -f ${WORK}/app.dump`);

      // drkit's own path: the job pod backs up to the local S3 endpoint, the restore reads it.
      // The endpoint (s3rver) runs in this process: its CPU time is this process's.
      const started = performance.now();
      const full = await run.runner.runJob("postgres-backup-full");
      if (!full.ok) throw new Error(full.output);
      const backupMs = performance.now() - started;
      let breakdown = "";
      for (const variant of S3_VARIANTS) {
        const endpointBefore = process.cpuUsage();
        const restore = await pg.cpu(`rm -rf ${WORK}/r; mkdir -m 700 ${WORK}/r; pgbackrest --config=${PGBACKREST_CONF} --stanza=main --pg1-path=${WORK}/r --log-level-console=warn ${variant.options.join(" ")} restore; sync`);
        const endpoint = process.cpuUsage(endpointBefore);
        rows.push({ method: variant.name, ...(variant === S3_VARIANTS[0] ? { backupMs } : {}), restoreMs: restore.wallMs });
        if (variant === S3_VARIANTS[0]) {
          const endpointMs = (endpoint.user + endpoint.system) / 1000;
          breakdown = `the restore from S3 took ${(restore.wallMs / 1000).toFixed(1)} s, in which pgBackRest used ${(restore.cpuMs / 1000).toFixed(1)} s of CPU and the endpoint ${(endpointMs / 1000).toFixed(1)} s: ${((restore.cpuMs + endpointMs) / restore.wallMs).toFixed(2)} of the 2 cores busy`;
        }
      }

      // Repositories on the local filesystem, one setting changed at a time.
      const repositories = new Map<Variant, string>();
      for (const variant of VARIANTS) {
        if (!variant.backupOf) repositories.set(variant, await localRepository(pg, `${WORK}/${VARIANTS.indexOf(variant)}.conf`, `${WORK}/repo-${VARIANTS.indexOf(variant)}`, variant.settings));
        const pgbackrest = repositories.get(variant.backupOf ? VARIANTS.find((v) => v.name === variant.backupOf)! : variant)!;
        const variantBackupMs = variant.backupOf ? undefined : await pg.timed(`${pgbackrest} --type=full backup`);
        const restoreMs = await pg.timed(`rm -rf ${WORK}/r; mkdir -m 700 ${WORK}/r; ${pgbackrest} --pg1-path=${WORK}/r ${(variant.restoreOptions ?? []).join(" ")} restore; sync`);
        rows.push({ method: `local filesystem: ${variant.name}`, ...(variantBackupMs !== undefined ? { backupMs: variantBackupMs } : {}), restoreMs });
        if (restoredBytes === 0) {
          // The disk's limit for the same bytes: a backup holds no pg_wal, so cp -a of the data
          // directory itself would copy the WAL of the load too and flatter every restore.
          restoredBytes = await pg.bytes(`${WORK}/r`);
          rows.unshift({ method: "cp -a of the restored data directory", restoreMs: await pg.timed(`rm -rf ${WORK}/copy; cp -a ${WORK}/r ${WORK}/copy; sync; rm -rf ${WORK}/copy`) });
        }
      }
      await pg.sh(`rm -rf ${WORK}/r ${WORK}/repo-*`);

      const mib = (bytes: number) => bytes / MiB;
      const copy = rows[0]!.restoreMs; // cp -a of the restored data directory
      console.log("");
      console.log(`${dataset === "mixed" ? "Mixed data (random bytes + pgbench)" : "pgbench data alone"}: data directory ${mib(dataBytes).toFixed(0)} MiB, of which a restore writes ${mib(restoredBytes).toFixed(0)} MiB (no pg_wal)`);
      console.log("   method                                                            backup     restore    MiB/s   x cp -a");
      for (const row of rows) {
        const backup = row.backupMs !== undefined ? `${(row.backupMs / 1000).toFixed(1)} s` : "";
        console.log(`   ${cell(row.method, 66)}${cell(backup, 11)}${cell(`${(row.restoreMs / 1000).toFixed(1)} s`, 11)}${cell((mib(restoredBytes) / (row.restoreMs / 1000)).toFixed(0), 8)}${(row.restoreMs / copy).toFixed(2)}`);
      }
      console.log(`   CPU: ${breakdown}`);
      await run.runner.stopServer("postgres");
    }
    console.log("");
    console.log("   (restore times include sync to disk; the S3 backup includes starting the job pod)");
  } finally {
    await cluster.destroy();
  }
}

runBenchmark(main);
