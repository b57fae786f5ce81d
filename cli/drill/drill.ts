import { randomBytes } from "node:crypto";
import { archiveTimeout } from "../../components/postgres/settings";
import { formatDuration, formatSize, type DrSpec } from "../../components/config";
import { PORT, postgresObjects, redisObjects } from "../../components/workloads/names";
import type { ImageName } from "../../components/workloads/plan";
import { startLocalCluster, type LocalCluster } from "../containers/cluster";
import { dockerOk } from "../containers/docker";
import { RespClient } from "../containers/resp";
import type { PlanRunner } from "../containers/runner";
import { psql, redisCli } from "../containers/stores";
import { drillSides } from "./specs";

export interface DrillOptions {
  /** The stack's spec: a drill or dr stack (restores from a primary), or a primary. */
  spec: DrSpec;
  /** drkit's images in the local engine (`ensureLocalImages`). */
  images: Record<ImageName, string>;
  /** Data to load into PostgreSQL before the backups. */
  sizeBytes: number;
  /** Seeds the moment of the disaster. */
  seed: number;
  /** The longest the write phase may last before the disaster, seconds. @default one snapshot interval, at most 10 minutes */
  maxWaitSeconds?: number;
  /**
   * Milliseconds the object store waits before answering each request of the recovery: the
   * DR region's distance to the replica bucket, which a local endpoint does not have. @default 0
   */
  restoreLatencyMs?: number;
  /** One line per progress step. */
  log: (line: string) => void;
  /** Told, as soon as there is anything to remove, how to remove everything the drill made. */
  onCleanup?: (cleanup: () => Promise<void>) => void;
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
  /** Absent where the store keeps no recovery point by design (Redis with snapshots off: it starts empty). */
  rpo?: Measurement;
  rto: Measurement;
  /** What was checked after recovery, in words. */
  verified: string;
  /** What the measured loss means against the mechanism that bounds it, in words. */
  mechanism: string;
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
  /** The physical limit here: `cp -a` of the loaded data directory, in a container on the engine's disk. */
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

const TEN_MINUTES = 600;
/** The shortest write phase of a drill without PostgreSQL, seconds. */
const SHORTEST_WRITES = 15;

/**
 * The disaster's moment: seeded between one forced WAL switch and one snapshot interval (where
 * the losses the mechanisms allow are largest), bounded by `maxWait`.
 */
export function disasterAfter(primary: DrSpec, random: number, maxWait?: number): number {
  // Without PostgreSQL, after a few seconds of writes (at least one snapshot has been taken then).
  const earliest = primary.postgres.enabled ? archiveTimeout(primary.objectives.postgres.rpo) : SHORTEST_WRITES;
  const latest = Math.max(earliest * 2, primary.redis.enabled && primary.redis.snapshots.enabled ? primary.redis.snapshots.interval : 0);
  const bound = maxWait ?? Math.min(TEN_MINUTES, latest);
  return Math.min(bound, earliest + random * (latest - earliest));
}

/**
 * `drkit drill`: the stack's own plan in containers. The primary's pods and jobs run exactly as
 * deployed (drkit's images, the rendered files, the pods' users and volumes), are loaded,
 * backed up and written to; a seeded disaster kills them and removes their volumes; the
 * recovering stack's pods restore from the bucket. RPO and RTO are measured per store. The
 * local S3 endpoint is the only substitution.
 */
export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const { primary, recovery } = drillSides(options.spec);
  const random = seeded(options.seed);
  const startedAt = new Date();
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const phases: DrillReport["phases"] = [];
  const events: DrillReport["events"] = [];
  const redisEnabled = primary.redis.enabled;
  const pgEnabled = primary.postgres.enabled;
  const stores = [...(pgEnabled ? ["PostgreSQL"] : []), ...(redisEnabled ? ["Redis"] : [])].join(" and ");
  // Without PostgreSQL there are no scheduled backups to take.
  const totalPhases = pgEnabled ? 7 : 6;
  const phase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const start = now();
    options.log(`[${phases.length + 1}/${totalPhases}] ${name}...`);
    const result = await run();
    const end = now();
    phases.push({ name, start, end });
    options.log(`      done in ${((end - start) / 1000).toFixed(1)} s`);
    return result;
  };

  const sources = [pgEnabled ? recovery.postgres.restoreFrom?.bucket : undefined, redisEnabled ? recovery.redis.restoreFrom?.bucket : undefined].filter((b): b is string => !!b);
  // The copy (drkit:storage.copy) and the media buckets are written by the stacks' jobs as on the host or the cluster.
  const copies = [primary.storage.copy?.bucket, recovery.storage.copy?.bucket, primary.media?.bucket, recovery.media?.bucket].filter((b): b is string => !!b);
  const buckets = [...new Set([primary.storage.bucket, recovery.storage.bucket, ...sources, ...copies])];
  let cluster: LocalCluster | undefined;
  const cleanup = async () => {
    await cluster?.destroy();
  };
  options.onCleanup?.(cleanup);
  try {
    cluster = await phase("Starting a local S3 endpoint over TLS on the drill's network", () =>
      startLocalCluster({ prefix: "drkit-drill", images: options.images, helperImage: primary.images.base, buckets, region: primary.region }),
    );
    options.log(`drill ${cluster.id}: containers, volumes and network labelled drkit.run=${cluster.id}*`);
    const drillId = cluster.id;
    const cipher = { own: randomBytes(24).toString("base64url"), drill: randomBytes(24).toString("base64url") };
    const source = await cluster.stack(primary, { own: cipher.own });
    const pg = source.runner;
    const starting = [...(pgEnabled ? [`PostgreSQL ${primary.postgres.version} archiving WAL`] : []), ...(redisEnabled ? [`Redis with AOF ${primary.redis.appendfsync}`] : [])].join(", ");
    // A docker stack's containers run as its host runs them: secret variables as files.
    const form = primary.target === "docker" ? "as on its Docker host" : "in containers";
    await phase(`Starting the primary '${primary.stack}' ${form}: ${starting}`, async () => {
      if (pgEnabled) await pg.startServer("postgres");
      if (redisEnabled) await pg.startServer("redis");
    });
    const database = primary.postgres.databases[0]!.name;

    await phase(`Loading ${formatSize(options.sizeBytes)} into ${stores}`, async () => {
      if (pgEnabled) {
        const scale = Math.max(1, Math.round(options.sizeBytes / (15 * 2 ** 20)));
        const load = await pg.exec("postgres", "postgres", ["pgbench", "-i", "-q", "-s", String(scale), "-h", "/var/run/postgresql", "-U", "postgres", database], { timeoutMs: 6 * 3600_000 });
        if (load.code !== 0) throw new Error(`pgbench -i failed: ${load.stderr}`);
        await psql(pg, "CREATE TABLE drkit_drill_writes (seq bigint PRIMARY KEY, at timestamptz NOT NULL)", database);
      }
      if (redisEnabled) {
        const protocol = Array.from({ length: 10_000 }, (_, i) => `*3\r\n$3\r\nSET\r\n$${`drkit:drill:key:${i}`.length}\r\ndrkit:drill:key:${i}\r\n$100\r\n${"x".repeat(100)}\r\n`).join("");
        await redisCli(pg, ["--pipe"], protocol);
      }
    });
    // What copying the same data directory costs on the engine's disk: the floor for any restore.
    const reference = pgEnabled ? await copyReference(pg, primary.images.base, drillId, "postgres", "pgdata") : await copyReference(pg, primary.images.base, drillId, "redis", ".");

    if (pgEnabled) await phase(`Taking the scheduled backups: ${primary.postgres.backups.diff ? "full, then differential" : "full"} (pgBackRest over mutual TLS, from job pods)`, async () => {
      const kinds = primary.postgres.backups.diff ? (["full", "diff"] as const) : (["full"] as const);
      for (const kind of kinds) {
        const job = await pg.runJob(postgresObjects("postgres").backupJob(kind));
        if (!job.ok) throw new Error(`the ${kind} backup job failed:\n${job.output}`);
        events.push({ name: `${kind} backup`, at: now() });
      }
    });

    const waitSeconds = disasterAfter(primary, random(), options.maxWaitSeconds);
    const acked = await phase(`Writing to ${stores}; the disaster strikes after ${formatDuration(Math.round(waitSeconds))}`, async () => {
      if (pgEnabled) {
      await psql(
        pg,
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
      await dockerOk(["exec", "-d", pg.containerId("postgres", "postgres"), "psql", "-X", "-h", "/var/run/postgresql", "-U", "postgres", "-d", database, "-c", "CALL drkit_drill_writer()"]);
      }
      events.push({ name: "writes start", at: now() });
      const deadline = now() + waitSeconds * 1000;
      const redisAcks: number[] = [0];
      const redisPassword = source.secretValue({ kind: "password", id: "redis" });
      const redisAddress = redisEnabled ? await pg.address("redis") : "";
      const writer = redisEnabled
        ? (async () => {
            const client = await RespClient.connect(PORT.redis, redisAddress, source.redisTls);
            try {
              await client.command("AUTH", "default", redisPassword);
              while (now() < deadline) {
                const value = (await client.command("INCR", "drkit:drill:seq")) as number;
                redisAcks[value] = Date.now();
                await new Promise((r) => setTimeout(r, 2));
              }
            } finally {
              client.close();
            }
          })()
        : new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, deadline - now())));
      // Off-site snapshots on the spec's interval, the first at once (the CronJob has been running).
      const snapshots = redisEnabled && primary.redis.snapshots.enabled
        ? (async () => {
            let next = now();
            while (now() < deadline) {
              if (now() >= next) {
                const job = await pg.runJob(redisObjects("redis").snapshotJob);
                if (!job.ok) throw new Error(`the Redis snapshot job failed:\n${job.output}`);
                events.push({ name: "redis snapshot", at: now() });
                next += primary.redis.snapshots.interval * 1000;
              }
              await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - now()))));
            }
          })()
        : Promise.resolve();
      await Promise.all([writer, snapshots]);
      const [pgFirst, pgNewest] = pgEnabled ? (await psql(pg, "SELECT extract(epoch FROM min(at)) || ' ' || extract(epoch FROM max(at)) FROM drkit_drill_writes", database)).split(" ").map(Number) : [0, 0];
      const pgCount = pgEnabled ? Number(await psql(pg, "SELECT max(seq) FROM drkit_drill_writes", database)) : 0;
      return { pgFirst: pgFirst!, pgNewest: pgNewest!, pgCount, redisAcks };
    });

    const disasterAt = now();
    const disasterWall = Date.now();
    await phase(`Disaster: the primary's ${stores} pods killed, their volumes removed`, async () => {
      if (pgEnabled) {
        await pg.stopServer("postgres", { kill: true });
        await pg.removeData("postgres");
      }
      if (redisEnabled) {
        await pg.stopServer("redis", { kill: true });
        await pg.removeData("redis");
      }
      events.push({ name: "disaster", at: disasterAt });
    });

    const recovered = await cluster.stack(recovery, { own: cipher.drill, source: cipher.own });
    if (options.restoreLatencyMs) cluster.s3.fault({ delayMs: options.restoreLatencyMs });
    const results = await phase(`Recovering as stack '${recovery.stack}' (${recovery.role}) would: its ${recovery.target === "docker" ? "containers" : "pods"} restore from the bucket`, () =>
      Promise.all([
        ...(pgEnabled ? [recoverPostgres(recovered.runner, recovery, primary, database, acked, disasterWall)] : []),
        ...(redisEnabled ? [recoverRedis(recovered.runner, recovery, primary, acked.redisAcks, disasterWall, waitSeconds)] : []),
      ]),
    );
    for (const store of results) events.push({ name: `${store.store} recovered`, at: disasterAt + store.rto.measured * 1000 });

    const missed = results.flatMap((s) => [...(!s.rpo || s.rpo.met ? [] : [`${s.store} RPO`]), ...(s.rto.met ? [] : [`${s.store} RTO`])]);
    return { stack: options.spec.stack, seed: options.seed, size: options.sizeBytes, startedAt: startedAt.toISOString(), phases, events, stores: results, missed, reference };
  } finally {
    await cleanup();
  }
}

/**
 * `cp -a` of a primary server's data (`dir` in its data volume: PostgreSQL's data directory, or
 * Redis's whole volume) into a scratch volume, timed inside the container.
 */
async function copyReference(runner: PlanRunner, helperImage: string, drillId: string, server: "postgres" | "redis", dir: string): Promise<DrillReport["reference"]> {
  const scratch = `${drillId}-copy-reference`;
  await dockerOk(["volume", "create", "--label", `drkit.run=${drillId}`, scratch]);
  try {
    const script = `du -sb /src/${dir} | cut -f1; start=$(date +%s%N); cp -a /src/${dir} /dst/data; end=$(date +%s%N); echo $(((end - start) / 1000000))`;
    const result = await dockerOk(
      ["run", "--rm", "--label", `drkit.run=${drillId}`, "--mount", `type=volume,src=${runner.dataVolume(server)},dst=/src,readonly`, "--mount", `type=volume,src=${scratch},dst=/dst`, "--entrypoint", "sh", helperImage, "-ec", script],
      { timeoutMs: 6 * 3600_000 },
    );
    const [bytes, millis] = result.stdout.trim().split("\n").map(Number);
    return { dataBytes: bytes!, copySeconds: millis! / 1000 };
  } finally {
    await dockerOk(["volume", "rm", "-f", scratch]);
  }
}

async function recoverPostgres(
  runner: PlanRunner,
  spec: DrSpec,
  primary: DrSpec,
  database: string,
  acked: { pgFirst: number; pgNewest: number; pgCount: number },
  disasterWall: number,
): Promise<StoreResult> {
  await runner.startServer("postgres");
  // With none of the drill's writes restored, the restored data is older than the first of them:
  // everything since it is lost (not everything since 1970).
  const restoredNewest = await psql(runner, "SELECT extract(epoch FROM max(at)) FROM drkit_drill_writes", database);
  const newest = restoredNewest === "" ? acked.pgFirst : Number(restoredNewest);
  const count = Number(await psql(runner, "SELECT count(*) FROM drkit_drill_writes", database));
  const highest = Number(await psql(runner, "SELECT coalesce(max(seq), 0) FROM drkit_drill_writes", database));
  if (count !== highest) throw new Error(`the restored writes have gaps: ${count} rows up to sequence ${highest}`);
  await psql(runner, "INSERT INTO drkit_drill_writes VALUES (-1, now())", database);
  const rto = (Date.now() - disasterWall) / 1000;
  const rpo = Math.max(0, acked.pgNewest - newest);
  const timeout = archiveTimeout(primary.objectives.postgres.rpo);
  return {
    store: "postgres",
    rpo: { target: spec.objectives.postgres.rpo, measured: rpo, met: rpo <= spec.objectives.postgres.rpo },
    rto: { target: spec.objectives.postgres.rto, measured: rto, met: rto <= spec.objectives.postgres.rto },
    verified: `${highest} of ${acked.pgCount} acknowledged writes restored without gaps; the cluster accepts writes`,
    mechanism: `WAL is archived when a segment fills or archive_timeout (${formatDuration(timeout)}) forces a switch: a loss up to ${formatDuration(timeout)} plus the push is what the mechanism allows`,
  };
}

async function recoverRedis(runner: PlanRunner, spec: DrSpec, primary: DrSpec, acks: number[], disasterWall: number, waitSeconds: number): Promise<StoreResult> {
  await runner.startServer("redis");
  const restored = Number((await redisCli(runner, ["GET", "drkit:drill:seq"])) || "0");
  const keys = Number(await redisCli(runner, ["DBSIZE"]));
  await redisCli(runner, ["SET", "drkit:drill:after", "1"]);
  const rto = (Date.now() - disasterWall) / 1000;
  if (!spec.redis.snapshots.enabled) {
    // The decision under test: this data never comes back (a task queue would run its tasks twice).
    if (keys !== 0) throw new Error(`Redis of stack '${spec.stack}' came back with ${keys} keys although its snapshots are off: it must start empty`);
    return {
      store: "redis",
      rto: { target: spec.objectives.redis.rto, measured: rto, met: rto <= spec.objectives.redis.rto },
      verified: "started empty, as its snapshots are off (nothing of the primary's is restored); Redis accepts writes",
      mechanism: "snapshots off (drkit:redis.snapshots.enabled false): no recovery point by design, only the time to serve again counts",
    };
  }
  const last = acks.length - 1;
  const rpo = restored >= last ? 0 : (acks[last]! - (acks[restored] ?? acks[1] ?? acks[last]!)) / 1000;
  const interval = primary.redis.snapshots.interval;
  const bounded = waitSeconds < interval ? `; the disaster struck ${formatDuration(Math.round(waitSeconds))} into the first interval, so the worst case (a whole interval) was not reached` : "";
  return {
    store: "redis",
    rpo: { target: spec.objectives.redis.rpo, measured: rpo, met: rpo <= spec.objectives.redis.rpo },
    rto: { target: spec.objectives.redis.rto, measured: rto, met: rto <= spec.objectives.redis.rto },
    verified: `${keys} keys restored from the newest snapshot (sequence ${restored} of ${last}); Redis accepts writes`,
    mechanism: `off-site snapshots every ${formatDuration(interval)}: the loss is the time since the last one, up to one interval${bounded}`,
  };
}
