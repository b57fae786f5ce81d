import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { waitFor } from "../../cli/containers/wait";
import { VOLUME_FULL_RATIO } from "../../components/alerts";
import { PORT } from "../../components/workloads/names";
import { IRSA, specOf } from "../config/fixtures";
import { BUCKET } from "./pgFixtures";
import { boundedDataVolume, type BoundedVolume } from "./boundedVolume";
import { scrape, seriesValue, settleArchive, startCluster, switchAndWaitArchived, type Cluster, type StackRun } from "./harness";

// Containers: images start, restores replay, jobs run to completion.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 900_000 });

/**
 * A data volume that fills up, on a real block device (ext4 on a loop device, as a claim is):
 * PostgreSQL and Redis refuse what they cannot store and lose nothing they acknowledged, the
 * alert's inputs say so, and expanding the claim (what `pulumi up` of a larger `storage.size`
 * does) is the whole recovery.
 */

const POSTGRES_MiB = 256;
const REDIS_MiB = 64;
let cluster: Cluster;
let primary: StackRun;
const volumes: BoundedVolume[] = [];

beforeAll(async () => {
  const spec = specOf(
    {
      role: "primary",
      region: "us-east-1",
      objectives: { postgres: { rpo: "1m", rto: "15m" }, redis: { rpo: "5m", rto: "10m" } },
      storage: { bucket: BUCKET },
      images: { registry: "local" },
      postgres: { databases: [{ name: "app" }], resources: { cpu: "2", memory: "512Mi" }, storage: { size: `${POSTGRES_MiB}Mi` } },
      redis: { snapshots: { interval: "2m", keep: 3 }, resources: { memory: "512Mi" }, storage: { size: `${REDIS_MiB}Mi` } },
      cluster: { workloadIdentity: IRSA },
    },
    "prod",
  );
  cluster = await startCluster("volume-full", [BUCKET], spec);
  primary = await cluster.stack(spec, { own: "volume-full-cipher" });
  volumes.push(await boundedDataVolume(primary, "postgres", POSTGRES_MiB), await boundedDataVolume(primary, "redis", REDIS_MiB));
  await primary.runner.startServer("postgres");
  await primary.runner.startServer("redis");
}, 600_000);

afterAll(async () => {
  await cluster?.destroy();
  for (const volume of volumes) await volume.release();
}, 300_000);

/** Runs `write(n)` for n = 1, 2, … until it fails; returns the last acknowledged n and the failure. */
async function writeUntilRefused(write: (n: number) => Promise<unknown>, limit: number): Promise<{ acknowledged: number; failure: string }> {
  for (let n = 1; n <= limit; n++) {
    const failure = await write(n).then(
      () => undefined,
      (error: unknown) => String(error),
    );
    if (failure !== undefined) return { acknowledged: n - 1, failure };
  }
  throw new Error(`${limit} writes were all acknowledged: the volume never filled`);
}

describe("a PostgreSQL volume that fills up", () => {
  it("refuses the write it cannot store, keeps every acknowledged one, and comes back with the WAL whole once the claim is expanded", async () => {
    const [volume] = volumes;
    const full = await primary.runner.runJob("postgres-backup-full");
    expect(full.ok, full.output).toBe(true);
    await primary.psql("CREATE TABLE fill (batch int, seq int, payload text); ALTER TABLE fill OWNER TO app;", "app");
    // 2000 rows of 256 incompressible-ish characters a batch, each batch one committed statement.
    const batch = (n: number) =>
      primary.psql(`INSERT INTO fill SELECT ${n}, g, repeat(md5(g::text || '${n}' || random()::text), 8) FROM generate_series(1, 2000) g`, "app").then((out) => {
        if (!/INSERT 0 2000|^$/.test(out.trim())) throw new Error(out);
      });
    const { acknowledged, failure } = await writeUntilRefused(batch, 1000);
    expect(acknowledged).toBeGreaterThan(10);
    // A table that cannot grow is an ERROR; a WAL segment that cannot be created a PANIC and a
    // crash recovery: whichever ran out first, the write was refused, never acknowledged.
    expect(failure).toMatch(/could not extend file .*No space left on device|PANIC|server closed the connection/s);
    // Every batch 1..n whole: n * 2000 rows whose batch numbers add up to 2000 * n(n+1)/2
    // (aggregates that need no temporary file: a sort that spills cannot run on a full volume).
    const acknowledgedRows = `SELECT count(*), sum(batch) FROM fill WHERE batch <= ${acknowledged}`;
    const allAcknowledged = `${acknowledged * 2000}|${(2000 * acknowledged * (acknowledged + 1)) / 2}`;
    // Full, it still serves every acknowledged row.
    await waitFor("PostgreSQL answering on its full volume", async () => (await primary.psql(acknowledgedRows, "app").catch(() => "")) === allAcknowledged, 60_000, 500);
    // PersistentVolumeAlmostFull's input, as kubelet reads it from the mounted file system.
    expect(await volume!.usedRatio()).toBeGreaterThan(VOLUME_FULL_RATIO);

    // The claim expanded offline: the file system grows when the pod starts again.
    await primary.runner.stopServer("postgres");
    await volume!.expand(POSTGRES_MiB * 2);
    await primary.runner.startServer("postgres");
    expect(await volume!.usedRatio()).toBeLessThan(VOLUME_FULL_RATIO);
    await batch(acknowledged + 1);
    expect(await primary.psql(acknowledgedRows, "app")).toBe(allAcknowledged);

    await switchAndWaitArchived(primary);
    settleArchive(cluster, BUCKET, "pgbackrest/prod");
    const check = await primary.runner.runJob("postgres-archive-check");
    expect(check.ok, check.output).toBe(true);
    expect(check.output).toContain("drkit-archive-check: the archive is whole from the oldest backup's first segment to ");
  });
});

describe("a Redis volume that fills up", () => {
  it("refuses writes with the AOF error the alert reads, still snapshots off-site, keeps what it acknowledged, and takes writes again once the claim is expanded", async () => {
    const volume = volumes[1]!;
    const value = "v".repeat(256 * 1024);
    // The value on standard input (-x): one argument of a command line is limited to 128 KiB.
    const set = (n: number) =>
      primary.redisCli(["-x", "SET", `key:${n}`], value).then((out) => {
        if (out.trim() !== "OK") throw new Error(out);
      });
    const { acknowledged, failure } = await writeUntilRefused(set, 4000);
    expect(acknowledged).toBeGreaterThan(10);
    expect(failure).toMatch(/MISCONF|AOF/);
    expect(await volume.usedRatio()).toBeGreaterThan(VOLUME_FULL_RATIO);
    // RedisAofWriteFailing's series, from the exporter the PodMonitor scrapes.
    expect(seriesValue(await scrape(primary, "redis", PORT.redisMetrics), "redis_aof_last_write_status")).toBe(0);
    // The off-site snapshot goes on: Redis streams it to the job without touching its volume.
    const snapshot = await primary.runner.runJob("redis-snapshot");
    expect(snapshot.ok, snapshot.output).toBe(true);

    await primary.runner.stopServer("redis");
    await volume.expand(REDIS_MiB * 4);
    await primary.runner.startServer("redis");
    await set(acknowledged + 1);
    expect(seriesValue(await scrape(primary, "redis", PORT.redisMetrics), "redis_aof_last_write_status")).toBe(1);
    // Loaded from the AOF alone. The write whose AOF append failed was acknowledged all the same
    // (appendfsync everysec answers before it writes) and lived only in memory until the restart:
    // the one write a sequential client can lose, within everysec's crash bound.
    const present = async (n: number) => (await primary.redisCli(["STRLEN", `key:${n}`])) === String(value.length);
    for (const n of [1, Math.ceil(acknowledged / 2), acknowledged - 1, acknowledged + 1]) expect(await present(n), `key:${n}`).toBe(true);
    expect(Number(await primary.redisCli(["DBSIZE"]))).toBeGreaterThanOrEqual(acknowledged);
  });
});
