/**
 * Where a restore's time goes, in one run, on data that compresses like real data does and on
 * pgbench data side by side. For each data set, inside the plan's own PostgreSQL container (the
 * image, the volume and the limits a cluster runs):
 *
 * - the references: `cp -a` of the data directory (the disk's own limit here) and
 *   `pg_restore -j 2` of a `pg_dump -Fc` made beforehand (the restore alone);
 * - pgBackRest backup and restore as drkit configures them, from the local S3 endpoint (the
 *   backup by the job pod, over TLS) and from a repository on the local filesystem;
 * - the same with one setting changed at a time (no encryption, no compression, lz4, one
 *   process), so the cost of decryption, decompression and parallelism shows by difference;
 *   and pgBackRest's own defaults;
 * - WAL replay: WAL written after the backup, restored and replayed to the end, per GiB.
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
import { RECOVERY_SETTINGS_SHELL } from "../components/postgres/recoverySettings";
import { formatSize, parseSize, parseSpec, type DrSpec } from "../components/spec";
import { PATH } from "../components/workloads/names";

const { values } = parseArgs({ options: { random: { type: "string", default: "512MiB" }, scale: { type: "string", default: "10" } } });
const random = parseSize(values.random!);
if (!random.ok) throw new Error(`--random ${random.message}`);
const scale = Number(values.scale);
if (!Number.isInteger(scale) || scale < 1) throw new Error("--scale must be a whole number of at least 1");

const PGDATA = `${PATH.postgresVolume}/pgdata`;
const WORK = `${PATH.postgresVolume}/bench`;
const MiB = 2 ** 20;

function specFor(stack: string): DrSpec {
  const parsed = parseSpec(
    {
      role: "primary",
      region: "us-east-1",
      storage: { bucket: "drkit-bench" },
      images: { registry: "local" },
      postgres: { resources: { cpu: "2", memory: "2Gi" }, storage: { size: "40Gi" }, dumps: { enabled: false } },
      redis: { enabled: false },
    },
    { stack },
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.spec;
}

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

async function main() {
  const images = await ensureLocalImages(specFor("bench").images, 15);
  const cluster = await startLocalCluster({ prefix: "drkit-bench-restore", images, helperImage: specFor("bench").images.base, buckets: ["drkit-bench"] });
  try {
    console.log(`drkit restore benchmark: ${formatSize(random.ok ? random.value : 0)} of random bytes + pgbench scale ${scale}, against pgbench data alone`);
    for (const dataset of ["mixed", "pgbench"] as const) {
      const spec = specFor(`bench-${dataset}`);
      const run = await cluster.stack(spec, { own: "bench-cipher" });
      await run.runner.startServer("postgres");
      const sh = async (script: string): Promise<string> => {
        const result = await run.runner.exec("postgres", "postgres", ["bash", "-c", `set -euo pipefail\n${script}`], { timeoutMs: 3_600_000 });
        if (result.code !== 0) throw new Error(`${script}\n${result.stderr}`);
        return result.stdout.trim();
      };
      // Milliseconds of the script, measured inside the container (no docker exec in the figure).
      const timed = async (script: string) => Number(await sh(`t0=$(date +%s%3N)\n{ ${script}\n} >&2\necho $(($(date +%s%3N) - t0))`));
      const psql = (sql: string, db = "app") => sh(`psql -X -At -v ON_ERROR_STOP=1 -h ${PATH.postgresSocket} -U postgres -d ${db} -c "${sql}"`);

      await sh(`mkdir -p ${WORK}`);
      if (dataset === "mixed") {
        const files = Math.max(1, Math.round((random.ok ? random.value : 0) / MiB));
        await psql("CREATE TABLE blobs (id int PRIMARY KEY, payload bytea)");
        // One MiB of /dev/urandom per row: TOASTed, and pglz gives up on it, as on compressed media.
        await sh(`for i in $(seq ${files}); do head -c ${MiB} /dev/urandom > ${WORK}/blob; psql -X -q -h ${PATH.postgresSocket} -U postgres -d app -c "INSERT INTO blobs VALUES ($i, pg_read_binary_file('${WORK}/blob'))"; done; rm ${WORK}/blob`);
        await sh(`pgbench -i -q -s ${scale} -h ${PATH.postgresSocket} -U postgres app`);
      } else {
        // As large a data directory as the mixed set's, in pgbench rows alone (15 MiB per scale unit).
        const mixedBytes = (random.ok ? random.value : 0) + scale * 15 * MiB;
        await sh(`pgbench -i -q -s ${Math.max(1, Math.round(mixedBytes / (15 * MiB)))} -h ${PATH.postgresSocket} -U postgres app`);
      }
      await psql("CHECKPOINT");
      const dataBytes = Number((await sh(`du -sb ${PGDATA}`)).split("\t")[0]);
      const rows: Row[] = [];
      let restoredBytes = 0;

      // The references: cp -a comes first in the table, measured below on what a restore writes.
      await sh(`pg_dump -Fc -h ${PATH.postgresSocket} -U postgres -f ${WORK}/app.dump app`);
      await psql("CREATE DATABASE restored", "postgres");
      rows.push({ method: "pg_restore -j 2 of a pg_dump -Fc (restore only)", restoreMs: await timed(`pg_restore -j 2 -h ${PATH.postgresSocket} -U postgres -d restored ${WORK}/app.dump; sync`) });
      await psql("DROP DATABASE restored", "postgres");
      await sh(`rm -f ${WORK}/app.dump`);

      // drkit's own path: the job pod backs up to the local S3 endpoint, the restore reads it.
      const started = performance.now();
      const full = await run.runner.runJob("postgres-backup-full");
      if (!full.ok) throw new Error(full.output);
      const backupMs = performance.now() - started;
      const restoreS3 = await timed(`rm -rf ${WORK}/r; mkdir -m 700 ${WORK}/r; pgbackrest --config=${PATH.postgresConfig}/pgbackrest.conf --stanza=main --pg1-path=${WORK}/r --log-level-console=warn restore; sync`);
      rows.push({ method: "drkit's settings, local S3 endpoint (backup by the job pod)", backupMs, restoreMs: restoreS3 });

      // Repositories on the local filesystem, one setting changed at a time.
      const unset = "env $(env | grep -o '^PGBACKREST_[A-Z0-9_]*' | sed 's/^/-u /')";
      const confOf = (v: Variant) => `${WORK}/${VARIANTS.indexOf(v)}.conf`;
      for (const variant of VARIANTS) {
        const source = variant.backupOf ? VARIANTS.find((v) => v.name === variant.backupOf)! : variant;
        const conf = confOf(source);
        let variantBackupMs: number | undefined;
        if (!variant.backupOf) {
          const lines = [
            "[global]",
            "repo1-type=posix",
            `repo1-path=${WORK}/repo-${VARIANTS.indexOf(variant)}`,
            "repo1-retention-full=1",
            ...variant.settings,
            // Not a default: without it a backup waits for the next scheduled checkpoint.
            "start-fast=y",
            // These repositories receive no WAL; only the restore of the files is timed here.
            "archive-check=n",
            "lock-path=/tmp/pgbackrest-bench",
            "log-level-console=warn",
            "log-level-file=off",
            "[main]",
            `pg1-path=${PGDATA}`,
            `pg1-socket-path=${PATH.postgresSocket}`,
          ];
          await sh(`printf '%s\\n' ${lines.map((l) => `'${l}'`).join(" ")} > ${conf}; ${unset} pgbackrest --config=${conf} --stanza=main stanza-create`);
          variantBackupMs = await timed(`${unset} pgbackrest --config=${conf} --stanza=main --type=full backup`);
        }
        const restoreMs = await timed(`rm -rf ${WORK}/r; mkdir -m 700 ${WORK}/r; ${unset} pgbackrest --config=${conf} --stanza=main --pg1-path=${WORK}/r ${(variant.restoreOptions ?? []).join(" ")} restore; sync`);
        rows.push({ method: `local filesystem: ${variant.name}`, ...(variantBackupMs !== undefined ? { backupMs: variantBackupMs } : {}), restoreMs });
        if (restoredBytes === 0) {
          // The disk's limit for the same bytes: a backup holds no pg_wal, so cp -a of the data
          // directory itself would copy the WAL of the load too and flatter every restore.
          restoredBytes = Number((await sh(`du -sb ${WORK}/r`)).split("\t")[0]);
          rows.unshift({ method: "cp -a of the restored data directory", restoreMs: await timed(`rm -rf ${WORK}/copy; cp -a ${WORK}/r ${WORK}/copy; sync; rm -rf ${WORK}/copy`) });
        }
      }
      await sh(`rm -rf ${WORK}/r ${WORK}/repo-*`);

      // WAL replay: restore the S3 backup and replay to the end of the archive, once right after the
      // backup and once after 60 s of writes; the difference is the replay of that WAL alone.
      const archived = async () => {
        const last = await psql("SELECT pg_walfile_name(pg_current_wal_lsn())");
        await psql("SELECT pg_switch_wal()");
        await sh(`for _ in $(seq 600); do [ "$(psql -X -At -h ${PATH.postgresSocket} -U postgres -d postgres -c "SELECT last_archived_wal >= '${last}' FROM pg_stat_archiver")" = t ] && exit 0; sleep 0.5; done; exit 1`);
      };
      const recover = () =>
        timed(`PG_BIN=$(dirname "$(command -v pg_ctl)")
die() { echo "$*" >&2; exit 1; }
${RECOVERY_SETTINGS_SHELL}
rm -rf ${WORK}/replay; mkdir -m 700 ${WORK}/replay
pgbackrest --config=${PATH.postgresConfig}/pgbackrest.conf --stanza=main --pg1-path=${WORK}/replay --log-level-console=warn restore
pg_ctl -D ${WORK}/replay -w -t 3600 -l ${WORK}/replay.log -o "-c port=5499 -c listen_addresses='' -c unix_socket_directories=${WORK} -c archive_mode=off$(recovery_settings ${WORK}/replay)" start >/dev/null
until [ "$(psql -X -At -h ${WORK} -p 5499 -U postgres -d postgres -c 'SELECT pg_is_in_recovery()')" = f ]; do sleep 0.2; done
pg_ctl -D ${WORK}/replay -m fast stop >/dev/null; rm -rf ${WORK}/replay ${WORK}/replay.log`);
      await archived();
      const baselineMs = await recover();
      const before = await psql("SELECT pg_current_wal_lsn()");
      await sh(`pgbench -n -T 60 -c 2 -b simple-update -h ${PATH.postgresSocket} -U postgres app >/dev/null`);
      const walBytes = Number(await psql(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${before}')`));
      await archived();
      const replayMs = await recover();

      const mib = (bytes: number) => bytes / MiB;
      const copy = rows[0]!.restoreMs; // cp -a of the restored data directory
      console.log("");
      console.log(`${dataset === "mixed" ? "Mixed data (random bytes + pgbench)" : "pgbench data alone"}: data directory ${mib(dataBytes).toFixed(0)} MiB, of which a restore writes ${mib(restoredBytes).toFixed(0)} MiB (no pg_wal)`);
      console.log("   method                                                            backup     restore    MiB/s   x cp -a");
      for (const row of rows) {
        const backup = row.backupMs !== undefined ? `${(row.backupMs / 1000).toFixed(1)} s` : "";
        console.log(
          `   ${row.method.padEnd(66)}${backup.padEnd(11)}${`${(row.restoreMs / 1000).toFixed(1)} s`.padEnd(11)}${(mib(restoredBytes) / (row.restoreMs / 1000)).toFixed(0).padEnd(8)}${(row.restoreMs / copy).toFixed(2)}`,
        );
      }
      console.log(
        `   WAL replay: the full restore (S3 fetch, start, replay, promote) took ${(baselineMs / 1000).toFixed(1)} s right after the backup and ${(replayMs / 1000).toFixed(1)} s after ${mib(walBytes).toFixed(0)} MiB more WAL (60 s of pgbench updates): ${((replayMs - baselineMs) / 1000 / (walBytes / 2 ** 30)).toFixed(0)} s per GiB of WAL`,
      );
      await run.runner.stopServer("postgres");
    }
    console.log("");
    console.log("   (restore times include sync to disk; the S3 backup includes starting the job pod)");
  } finally {
    await cluster.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
