/**
 * WAL replay, per GiB of WAL, and what each recovery setting drkit controls does to it. One run,
 * inside the plan's own PostgreSQL container (its image, volume, limits and postgresql.conf):
 *
 * 1. pgbench data of `--scale` (larger than shared_buffers, so replay must read pages from the
 *    disk, which is what recovery prefetch is for); a full backup by the job pod to the local S3
 *    endpoint;
 * 2. a restore of that backup replayed to the end right away (start, consistency, promotion:
 *    the fixed part), then `--wal` of pgbench updates written and archived, and the backup
 *    restored again, once, into a pristine copy that every variant starts from;
 * 3. the primary restarted (idle, so the load's memory is not charged to the replay's limit);
 *    each variant: the pristine copy, started with drkit's postgresql.conf and the DR
 *    bootstrap's own pgbackrest-restore.conf (asynchronous archive-get, 1 GiB queue), one
 *    setting changed, timed from start to promotion. The WAL is fetched from the S3 endpoint
 *    every time (the queue is emptied between variants).
 *
 *   npx tsx bench/replay.ts [--scale 100] [--wal 1GiB]
 *
 * Prints figures; passes or fails nothing.
 */
import { parseArgs } from "node:util";
import { startLocalCluster } from "../cli/containers/cluster";
import { ensureLocalImages } from "../cli/containers/images";
import { containerLayout, ownRepository } from "../components/postgres/layout";
import { renderRestoreConf } from "../components/postgres/pgbackrestConf";
import { memorySettings } from "../components/postgres/settings";
import { shellLibrary } from "../components/shell/render";
import { formatSize, parseSize } from "../components/config";
import { bucketEndpoint } from "../components/workloads/endpoints";
import { PATH, pgbackrestRepoEnv } from "../components/workloads/names";
import { benchSpec, cell, GiB, inPostgres, MiB, runBenchmark, SOCKET, waitArchived, WORK } from "./postgres";

const { values } = parseArgs({ options: { scale: { type: "string", default: "100" }, wal: { type: "string", default: "1GiB" } } });
const wal = parseSize(values.wal!);
if (!wal.ok) throw new Error(`--wal ${wal.message}`);
const scale = Number(values.scale);
if (!Number.isInteger(scale) || scale < 1) throw new Error("--scale must be a whole number of at least 1");

const REPLAY = `${WORK}/replay`;
const PRISTINE = `${WORK}/pristine`;
const RESTORE_CONF = `${WORK}/pgbackrest-restore.conf`;
const PORT = 5499;

/** One recovery: a postgresql.conf override, or a change to the restore configuration. */
interface Variant {
  name: string;
  /** `-c name=value` server options added to drkit's. */
  options?: string[];
  /** pgbackrest-restore.conf lines replaced (`key=value`, by key). */
  restoreConf?: string[];
}

async function main() {
  const spec = benchSpec("bench-replay");
  const images = await ensureLocalImages(spec.images, 15);
  const cluster = await startLocalCluster({ prefix: "drkit-bench-replay", images, helperImage: spec.images.base, buckets: ["drkit-bench"] });
  try {
    const run = await cluster.stack(spec, { own: "bench-cipher" });
    await run.runner.startServer("postgres");
    const pg = inPostgres(run);
    const memory = memorySettings(spec.postgres.resources.memory, spec.postgres.maxConnections);

    // The DR bootstrap's own restore configuration, for this repository, with its spool, lock
    // and socket beside the replayed cluster's (the running primary keeps its own).
    const layout = { ...containerLayout(spec.postgres.version), dataDir: REPLAY, spoolDir: `${WORK}/spool`, lockDir: `${WORK}/lock`, socketDir: WORK, port: PORT };
    const repository = ownRepository(spec, bucketEndpoint(spec.storage.provider, spec.storage.bucket, spec.region, spec.storage.endpoint, { host: cluster.s3.host, port: cluster.s3.port }));
    const drkitRestoreConf = renderRestoreConf(spec, layout, repository).split("\n");
    const own = pgbackrestRepoEnv(1);
    const source = pgbackrestRepoEnv(2);
    // The restore configuration reads repo2's credentials, as on a dr stack.
    const asSource = `export ${source.key}="$${own.key}" ${source.secret}="$${own.secret}" ${source.cipher}="$${own.cipher}"`;
    const writeRestoreConf = (replace: string[] = []) => {
      const keys = new Map(replace.map((line) => [line.split("=")[0]!, line]));
      const lines = drkitRestoreConf.map((line) => keys.get(line.split("=")[0]!) ?? line);
      return pg.sh(`mkdir -p ${WORK}/lock ${WORK}/spool; printf '%s\\n' ${lines.map((l) => `'${l}'`).join(" ")} > ${RESTORE_CONF}`);
    };
    const restoreCommand = `pgbackrest --config=${RESTORE_CONF} --stanza=${repository.stanza} archive-get %f \\"%p\\"`;
    const restoreInto = (dir: string) =>
      pg.sh(`${asSource}; rm -rf ${dir}; mkdir -m 700 ${dir}; pgbackrest --config=${RESTORE_CONF} --stanza=${repository.stanza} --pg1-path=${dir} --log-level-console=warn "--recovery-option=restore_command=${restoreCommand}" --type=default restore`);
    // Start to promotion, as the bootstrap runs it: drkit's postgresql.conf, the source's settings.
    const recover = (options: string[] = []) =>
      pg.timed(`${asSource}
PG_BIN=$(dirname "$(command -v pg_ctl)")
die() { echo "$*" >&2; exit 1; }
${shellLibrary("recovery")}
pg_ctl -D ${REPLAY} -w -t 3600 -l ${WORK}/replay.log -o "-c config_file=${PATH.postgresConfig}/postgresql.conf -c port=${PORT} -c listen_addresses='' -c unix_socket_directories=${WORK} -c archive_mode=off$(recovery_settings ${REPLAY})${options.map((o) => ` -c ${o}`).join("")}" start >/dev/null || { tail -n 20 ${WORK}/replay.log; exit 1; }
until [ "$(psql -X -At -h ${WORK} -p ${PORT} -U postgres -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ]; do
  pg_ctl -D ${REPLAY} status >/dev/null || { tail -n 20 ${WORK}/replay.log; exit 1; }
  sleep 0.1
done
pg_ctl -D ${REPLAY} -m fast stop >/dev/null`);

    await pg.sh(`mkdir -p ${WORK}`);
    await pg.sh(`pgbench -i -q -s ${scale} -h ${SOCKET} -U postgres app`);
    await pg.psql("CHECKPOINT");
    const dataBytes = await pg.bytes(`${PATH.postgresVolume}/pgdata/base`);
    const full = await run.runner.runJob("postgres-backup-full");
    if (!full.ok) throw new Error(full.output);
    await waitArchived(pg);
    await writeRestoreConf();

    // The fixed part: a restore with (almost) no WAL after the backup.
    await restoreInto(REPLAY);
    const fixedMs = await recover();

    // WAL of random updates (pgbench simple-update; commits not flushed, which changes how fast
    // the WAL is written, not what it holds).
    const before = await pg.psql("SELECT pg_current_wal_lsn()");
    const written = () => pg.psql(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${before}')`).then(Number);
    const target = wal.ok ? wal.value : 0;
    while ((await written()) < target) {
      await pg.sh(`PGOPTIONS='-c synchronous_commit=off' pgbench -n -T 15 -c 4 -j 2 -b simple-update -h ${SOCKET} -U postgres app >/dev/null`);
    }
    const walBytes = await written();
    await waitArchived(pg);
    await restoreInto(PRISTINE);
    // A DR pod replays alone in its memory limit: restart the primary, idle from here on, so the
    // pages and cache the load left behind are not charged to the replay's limit.
    await run.runner.stopServer("postgres");
    await run.runner.startServer("postgres");

    const variants: Variant[] = [
      { name: "drkit's settings" },
      { name: "  archive-get synchronous (no queue)", restoreConf: ["archive-async=n"] },
      { name: "  recovery_prefetch = off", options: ["recovery_prefetch=off"] },
      { name: "  maintenance_io_concurrency = 64 (default 10)", options: ["maintenance_io_concurrency=64"] },
      { name: "  wal_decode_buffer_size = 4MB (default 512kB)", options: ["wal_decode_buffer_size=4MB"] },
      { name: "  max_wal_size = 8GB (fewer restartpoints; default 1GB)", options: ["max_wal_size=8GB", "checkpoint_timeout=1h"] },
      { name: `  shared_buffers = 128MB (PostgreSQL's default; drkit: ${memory.sharedBuffersMiB}MB)`, options: ["shared_buffers=128MB"] },
    ];
    const rows: { name: string; ms: number }[] = [];
    for (const variant of variants) {
      await writeRestoreConf(variant.restoreConf);
      // Every variant fetches the WAL from the endpoint: no queue left by the one before.
      await pg.sh(`rm -rf ${REPLAY} ${WORK}/spool/archive; cp -a ${PRISTINE} ${REPLAY}; sync`);
      rows.push({ name: variant.name, ms: await recover(variant.options) });
    }
    await pg.sh(`rm -rf ${REPLAY} ${PRISTINE} ${WORK}/spool`);

    const perGiB = (ms: number) => (ms - fixedMs) / 1000 / (walBytes / GiB);
    console.log(`drkit WAL replay benchmark: pgbench scale ${scale} (${formatSize(Math.round(dataBytes / MiB) * MiB)} of tables and indexes; shared_buffers ${memory.sharedBuffersMiB}MB), ${(walBytes / MiB).toFixed(0)} MiB of WAL from random updates`);
    console.log("");
    console.log(`   start, consistency and promotion with no WAL after the backup: ${(fixedMs / 1000).toFixed(1)} s`);
    console.log("");
    console.log("   recovery                                                           replay     s per GiB   MiB/s of WAL");
    for (const row of rows) {
      console.log(`   ${cell(row.name, 67)}${cell(`${(row.ms / 1000).toFixed(1)} s`, 11)}${cell(perGiB(row.ms).toFixed(0), 12)}${(walBytes / MiB / ((row.ms - fixedMs) / 1000)).toFixed(0)}`);
    }
    console.log("");
    console.log("   (replay: from starting the restored cluster to its promotion, WAL fetched from the local S3 endpoint;");
    console.log("    s per GiB: the replay minus the fixed part, per GiB of WAL)");
    await run.runner.stopServer("postgres");
  } finally {
    await cluster.destroy();
  }
}

runBenchmark(main);
