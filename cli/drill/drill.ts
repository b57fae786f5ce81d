import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { archiveTimeout } from "../../components/postgres";
import { formatDuration, formatSize, type DrSpec } from "../../components/spec";
import { LocalBackupJobs } from "../local/backups";
import { LocalPostgres } from "../local/postgres";
import { freePort, runOk, serviceTempDir, startDaemon, stopAll } from "../local/processes";
import { LocalRedis } from "../local/redis";
import { startLocalS3, type LocalS3 } from "../local/s3";
import { drillSides } from "./specs";

export interface DrillOptions {
  /** The stack's spec: a drill or dr stack (restores from a primary), or a primary. */
  spec: DrSpec;
  /** Data to load into PostgreSQL before the backups. */
  sizeBytes: number;
  /** Seeds the moment of the disaster. */
  seed: number;
  /** One line per progress step. */
  log: (line: string) => void;
  /** Told the work directory as soon as it exists (to remove it on an interruption). */
  onWorkdir?: (dir: string) => void;
}

export interface Measurement {
  /** Seconds. */
  target: number;
  /** Seconds, measured. */
  measured: number;
  met: boolean;
}

export interface StoreResult {
  store: "postgres" | "redis";
  rpo: Measurement;
  rto: Measurement;
  /** What was checked after recovery, in words. */
  verified: string;
}

export interface DrillReport {
  stack: string;
  seed: number;
  size: number;
  startedAt: string;
  /** Phases in order, times in ms since the start. */
  phases: { name: string; start: number; end: number }[];
  /** Points on the timeline (ms since the start). */
  events: { name: string; at: number }[];
  stores: StoreResult[];
  /** `store RPO|RTO` of every missed objective. */
  missed: string[];
  /** The physical limit here: `cp -a` of the loaded data directory. */
  reference: { dataBytes: number; copySeconds: number };
}

/** A seeded uniform random number in [0, 1). */
function seeded(seed: number): () => number {
  // Spread small seeds over the whole state (xorshift32 starts slowly from small values).
  let state = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/**
 * The local DR drill (issue: `drkit drill`): a primary on local binaries running the stack's
 * rendered configuration, loaded, backed up (full, then differential) and under a write load;
 * a seeded disaster (kill -9, data directories wiped); recovery exactly as a dr stack's
 * bootstrap does it, from the local bucket; RPO and RTO measured per store.
 */
export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const { primary, recovery } = drillSides(options.spec);
  const random = seeded(options.seed);
  const startedAt = new Date();
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const phases: DrillReport["phases"] = [];
  const events: DrillReport["events"] = [];
  const totalPhases = 7;
  const phase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const start = now();
    options.log(`[${phases.length + 1}/${totalPhases}] ${name}...`);
    const result = await run();
    const end = now();
    phases.push({ name, start, end });
    options.log(`      done in ${((end - start) / 1000).toFixed(1)} s`);
    return result;
  };

  const root = serviceTempDir("drkit-drill-");
  options.log(`work directory: ${root}`);
  options.onWorkdir?.(root);
  let s3: LocalS3 | undefined;
  try {
    s3 = await phase("Starting a local S3 endpoint over TLS", () => startLocalS3(join(root, "s3"), [...new Set([primary.storage.bucket, recovery.storage.bucket, recovery.postgres.restoreFrom!.bucket])]));
    const cipher = "drkit-drill-passphrase";

    const { pg, redis } = await phase(`Starting the primary '${primary.stack}': PostgreSQL ${primary.postgres.version} archiving WAL, Redis with AOF ${primary.redis.appendfsync}`, async () => {
      const pgPrimary = await LocalPostgres.create({ spec: primary, root: join(root, "primary-postgres"), s3: s3!, ownCipherPass: cipher });
      const boot = await pgPrimary.bootstrap();
      if (boot.code !== 0) throw new Error(`the primary's bootstrap failed:\n${boot.stderr}`);
      await pgPrimary.start();
      const redisPrimary = primary.redis.enabled ? await LocalRedis.create({ spec: primary, root: join(root, "primary-redis"), s3: s3! }) : undefined;
      await redisPrimary?.start();
      return { pg: pgPrimary, redis: redisPrimary };
    });
    const database = primary.postgres.databases[0]!.name;

    await phase(`Loading ${formatSize(options.sizeBytes)} into PostgreSQL (pgbench) and Redis`, async () => {
      const scale = Math.max(1, Math.round(options.sizeBytes / (15 * 2 ** 20)));
      await runOk(join(pg.layout.pgBin, "pgbench"), ["-i", "-q", "-s", String(scale), "-h", pg.layout.socketDir, "-p", String(pg.layout.port), "-U", "postgres", database], {
        asService: true,
        env: pg.env,
        timeoutMs: 6 * 3600_000,
      });
      await pg.query("CREATE TABLE drkit_drill_writes (seq bigint PRIMARY KEY, at timestamptz NOT NULL)", database);
      if (redis) {
        const client = await redis.client();
        for (let i = 0; i < 10_000; i++) await client.command("SET", `drkit:drill:key:${i}`, "x".repeat(100));
        client.close();
      }
    });
    // What copying the same data directory costs on this machine: the floor for any restore.
    const dataBytes = Number((await runOk("du", ["-sb", pg.layout.dataDir])).stdout.split("\t")[0]);
    const copyStart = performance.now();
    await runOk("cp", ["-a", pg.layout.dataDir, join(root, "copy-reference")], { timeoutMs: 6 * 3600_000 });
    const reference = { dataBytes, copySeconds: (performance.now() - copyStart) / 1000 };
    rmSync(join(root, "copy-reference"), { recursive: true, force: true });

    const jobs = await LocalBackupJobs.create(pg, s3, join(root, "backup-jobs"));
    await phase("Taking the scheduled backups: full, then differential (pgBackRest over mutual TLS)", async () => {
      await jobs.startTlsServer();
      for (const type of ["full", "diff"] as const) {
        const result = await jobs.backup(type);
        if (result.code !== 0) throw new Error(`the ${type} backup failed:\n${result.stderr}`);
        events.push({ name: `${type} backup`, at: now() });
      }
    });

    // The disaster comes at a seeded moment between one forced WAL switch and one snapshot interval.
    const earliest = archiveTimeout(primary.objectives.postgres.rpo);
    const latest = Math.max(earliest * 2, primary.redis.enabled ? primary.redis.snapshots.interval : 0);
    const disasterAfter = earliest + random() * (latest - earliest);
    const acked = await phase(`Writing to both stores; the disaster strikes after ${formatDuration(Math.round(disasterAfter))}`, async () => {
      await pg.query(
        `CREATE PROCEDURE drkit_drill_writer() LANGUAGE plpgsql AS $$
         DECLARE next bigint := 1;
         BEGIN
           LOOP
             INSERT INTO drkit_drill_writes VALUES (next, clock_timestamp());
             COMMIT;
             next := next + 1;
             PERFORM pg_sleep(0.01);
           END LOOP;
         END $$`,
        database,
      );
      startDaemon(join(pg.layout.pgBin, "psql"), ["-X", "-h", pg.layout.socketDir, "-p", String(pg.layout.port), "-U", "postgres", "-d", database, "-c", "CALL drkit_drill_writer()"], { asService: true, env: pg.env });
      events.push({ name: "writes start", at: now() });
      const deadline = now() + disasterAfter * 1000;
      const redisAcks: number[] = [0];
      const writer = redis
        ? (async () => {
            const client = await redis.client();
            try {
              while (now() < deadline) {
                const value = (await client.command("INCR", "drkit:drill:seq")) as number;
                redisAcks[value] = Date.now();
                await new Promise((r) => setTimeout(r, 2));
              }
            } finally {
              client.close();
            }
          })()
        : Promise.resolve();
      // Off-site snapshots on the spec's interval, the first at once (the CronJob has been running).
      const snapshots = redis
        ? (async () => {
            let next = now();
            while (now() < deadline) {
              if (now() >= next) {
                const result = await redis.snapshot();
                if (result.code !== 0) throw new Error(`the Redis snapshot failed:\n${result.stderr}`);
                events.push({ name: "redis snapshot", at: now() });
                next += redis.spec.redis.snapshots.interval * 1000;
              }
              await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - now()))));
            }
          })()
        : Promise.resolve();
      await Promise.all([writer, snapshots]);
      const pgNewest = Number(await pg.query("SELECT extract(epoch FROM max(at)) FROM drkit_drill_writes", database));
      const pgCount = Number(await pg.query("SELECT max(seq) FROM drkit_drill_writes", database));
      return { pgNewest, pgCount, redisAcks };
    });

    const disasterAt = now();
    const disasterWall = Date.now();
    await phase("Disaster: kill -9 PostgreSQL and Redis, wipe their data directories", async () => {
      await stopAll();
      pg.wipeVolume();
      redis?.wipeData();
      events.push({ name: "disaster", at: disasterAt });
    });

    const stores = await phase(`Recovering as stack '${recovery.stack}' (${recovery.role}) would, from the bucket`, () =>
      Promise.all([recoverPostgres(recovery, root, s3!, cipher, database, acked, disasterWall), ...(redis ? [recoverRedis(recovery, root, s3!, acked.redisAcks, disasterWall)] : [])]),
    );
    for (const store of stores) events.push({ name: `${store.store} recovered`, at: disasterAt + store.rto.measured * 1000 });

    const missed = stores.flatMap((s) => [...(s.rpo.met ? [] : [`${s.store} RPO`]), ...(s.rto.met ? [] : [`${s.store} RTO`])]);
    return { stack: options.spec.stack, seed: options.seed, size: options.sizeBytes, startedAt: startedAt.toISOString(), phases, events, stores, missed, reference };
  } finally {
    await stopAll();
    await s3?.stop();
    if (existsSync(root)) rmSync(root, { recursive: true, force: true });
  }
}

async function recoverPostgres(spec: DrSpec, root: string, s3: LocalS3, cipher: string, database: string, acked: { pgNewest: number; pgCount: number }, disasterWall: number): Promise<StoreResult> {
  const pg = await LocalPostgres.create({ spec, root: join(root, "recovered-postgres"), s3, sourceCipherPass: cipher, port: await freePort() });
  const boot = await pg.bootstrap();
  if (boot.code !== 0) throw new Error(`the PostgreSQL bootstrap failed:\n${boot.stderr}`);
  await pg.start();
  const newest = Number(await pg.query("SELECT coalesce(extract(epoch FROM max(at)), 0) FROM drkit_drill_writes", database));
  const count = Number(await pg.query("SELECT count(*) FROM drkit_drill_writes", database));
  const highest = Number(await pg.query("SELECT coalesce(max(seq), 0) FROM drkit_drill_writes", database));
  if (count !== highest) throw new Error(`the restored writes have gaps: ${count} rows up to sequence ${highest}`);
  await pg.query("INSERT INTO drkit_drill_writes VALUES (-1, now())", database);
  const rto = (Date.now() - disasterWall) / 1000;
  const rpo = Math.max(0, acked.pgNewest - newest);
  return {
    store: "postgres",
    rpo: { target: spec.objectives.postgres.rpo, measured: rpo, met: rpo <= spec.objectives.postgres.rpo },
    rto: { target: spec.objectives.postgres.rto, measured: rto, met: rto <= spec.objectives.postgres.rto },
    verified: `${highest} of ${acked.pgCount} acknowledged writes restored without gaps; the cluster accepts writes`,
  };
}

async function recoverRedis(spec: DrSpec, root: string, s3: LocalS3, acks: number[], disasterWall: number): Promise<StoreResult> {
  const redis = await LocalRedis.create({ spec, root: join(root, "recovered-redis"), s3 });
  const restore = await redis.restore();
  if (restore.code !== 0) throw new Error(`the Redis restore failed:\n${restore.stderr}`);
  await redis.start();
  const restored = Number((await redis.cli(["get", "drkit:drill:seq"])).stdout.trim() || "0");
  const keys = Number((await redis.cli(["dbsize"])).stdout.trim());
  const client = await redis.client();
  await client.command("SET", "drkit:drill:after", "1");
  client.close();
  const rto = (Date.now() - disasterWall) / 1000;
  const last = acks.length - 1;
  const rpo = restored >= last ? 0 : (acks[last]! - (acks[restored] ?? acks[1] ?? acks[last]!)) / 1000;
  return {
    store: "redis",
    rpo: { target: spec.objectives.redis.rpo, measured: rpo, met: rpo <= spec.objectives.redis.rpo },
    rto: { target: spec.objectives.redis.rto, measured: rto, met: rto <= spec.objectives.redis.rto },
    verified: `${keys} keys restored from the newest snapshot (sequence ${restored} of ${last}); Redis accepts writes`,
  };
}
