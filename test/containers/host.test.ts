import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bucketKeys } from "./bucketKeys";
import { startCluster, type Cluster } from "./harness";
import type { HostStackRun } from "../../cli/containers/cluster";
import { docker, dockerOk } from "../../cli/containers/docker";
import { waitFor } from "../../cli/containers/wait";
import { checkConfig, rawSpecFromConfig, readStackFile, type DrSpec } from "../../components/config";
import { PORT } from "../../components/workloads/names";
import { SCHEDULER_METRICS } from "../../components/host/scheduler";

// Containers: images start, a restore replays, the scheduler's minutes pass.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 900_000 });

/**
 * The example docker stacks (examples/docker-host) deployed as `pulumi up` deploys them on a
 * host: every container, volume and file of `dockerHostPlan`, created with the engine's CLI.
 * The schedules are shortened to every minute so the scheduler's runs happen within the test;
 * nothing else is changed. Only the S3 endpoint is local.
 */

const EXAMPLES = resolve(__dirname, "..", "..", "examples", "docker-host");

function exampleSpec(stack: "bot" | "bot-dr"): DrSpec {
  const raw = rawSpecFromConfig(readStackFile(join(EXAMPLES, `Pulumi.${stack}.yaml`)).config) as Record<string, Record<string, Record<string, unknown>>>;
  raw.postgres!.backups = { ...raw.postgres!.backups, full: "* * * * *", archiveCheck: "* * * * *" };
  raw.postgres!.dumps = { ...raw.postgres!.dumps, schedule: "* * * * *" };
  raw.redis!.snapshots = { interval: "1m", keep: 5 };
  const result = checkConfig(raw, { stack });
  if (!result.ok) throw new Error(`examples/docker-host/Pulumi.${stack}.yaml with minute schedules has problems: ${JSON.stringify(result.problems)}`);
  return result.spec;
}

const primarySpec = exampleSpec("bot");
const drSpec = exampleSpec("bot-dr");
const CIPHER = "bot-repository-passphrase";
let cluster: Cluster;
let primary: HostStackRun;

/** The scheduler's metrics, scraped from the port it publishes on the host. */
async function schedulerMetrics(run: HostStackRun): Promise<Map<string, number>> {
  const port = await run.host.publishedPort("scheduler", PORT.schedulerMetrics);
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const series = new Map<string, number>();
  for (const match of text.matchAll(/^(drkit_\w+(?:\{[^}]*\})?) (\S+)$/gm)) series.set(match[1]!, Number(match[2]));
  return series;
}

const lastSuccess = (series: Map<string, number>, job: string) => series.get(`${SCHEDULER_METRICS.lastSuccess}{job_name="${job}"}`);

beforeAll(async () => {
  cluster = await startCluster("host", [primarySpec.storage.bucket, drSpec.storage.bucket], primarySpec);
  primary = await cluster.host(primarySpec, { own: CIPHER });
}, 900_000);

afterAll(async () => {
  await cluster?.destroy();
}, 300_000);

describe("the example docker stack on a Docker host", () => {
  it("runs PostgreSQL and Redis from the host plan: containers joined to their pod's sandbox, ports published on the host", async () => {
    await primary.psql("CREATE TABLE messages (id bigserial PRIMARY KEY, body text NOT NULL); INSERT INTO messages (body) SELECT 'm' || g FROM generate_series(1, 500) g; ALTER TABLE messages OWNER TO bot;", "bot");
    expect(await primary.psql("SELECT count(*) FROM messages", "bot")).toBe("500");
    await primary.redisCli(["SET", "session:1", "alive"]);
    // Clients on the host reach PostgreSQL on the published port (and nothing is published that is not a client's or a metrics port).
    const published = (await dockerOk(["port", primary.host.plan.containers.find((c) => c.kind === "sandbox" && c.pod === "postgres")!.name])).stdout;
    expect(published).toMatch(/^5432\/tcp -> 127\.0\.0\.1:\d+$/m);
    expect(published).toMatch(/^9187\/tcp -> 127\.0\.0\.1:\d+$/m);
    expect(published).not.toMatch(/8432/);
  });

  it("holds no secret in any container's configuration: secret variables are files of mode 0440", async () => {
    const secrets = primary.plan.secrets.flatMap((s) => Object.values(s.data)).filter((v) => v.kind === "password" || v.kind === "cipher" || (v.kind === "s3Key" && v.part === "secret") || (v.kind === "tls" && v.part === "tls.key"));
    const values = [...new Set(secrets.map((v) => primary.secretValue(v)))];
    expect(values.length).toBeGreaterThan(3);
    const names = primary.host.plan.containers.map((c) => c.name);
    const inspect = (await dockerOk(["inspect", ...names])).stdout;
    for (const value of values) expect(inspect.includes(value), "a secret value in docker inspect").toBe(false);
    // The password arrives in the postgres container as a file of its own, readable by the pod's group only.
    const listing = await primary.host.exec("postgres", "postgres", ["stat", "-L", "-c", "%a %U:%g %n", "/run/drkit-env/PGBACKREST_REPO1_CIPHER_PASS"]);
    expect(listing.stdout.trim()).toBe("440 root:999 /run/drkit-env/PGBACKREST_REPO1_CIPHER_PASS");
  });

  it("backs up on the jobs' schedules, driven by the scheduler, which reports each job's last success", async () => {
    const jobs = ["postgres-backup-full", "postgres-archive-check", "postgres-dump", "redis-snapshot"];
    await waitFor(
      "a successful run of every minute job",
      async () => {
        const series = await schedulerMetrics(primary);
        return jobs.every((job) => lastSuccess(series, job) !== undefined);
      },
      240_000,
      2_000,
    );
    const series = await schedulerMetrics(primary);
    for (const job of jobs) expect(series.get(`${SCHEDULER_METRICS.failed}{job_name="${job}"}`), job).toBe(0);
    // Every series the alerts select on is served, under the names the rules use.
    for (const job of jobs) for (const metric of [SCHEDULER_METRICS.created, SCHEDULER_METRICS.lastSchedule, SCHEDULER_METRICS.active]) expect(series.has(`${metric}{job_name="${job}"}`), `${metric} ${job}`).toBe(true);
    const size = series.get(SCHEDULER_METRICS.volumesSize)!;
    expect(size).toBeGreaterThan(0);
    expect(series.get(SCHEDULER_METRICS.volumesAvailable)).toBeLessThanOrEqual(size);
    // The monthly verification has not been due: never run, so no success is reported.
    expect(lastSuccess(series, "postgres-verify")).toBeUndefined();
    expect(series.has(`${SCHEDULER_METRICS.lastSchedule}{job_name="postgres-verify"}`)).toBe(false);
    const keys = (prefix: string) => bucketKeys(cluster.s3Directory, primarySpec.storage.bucket, prefix);
    expect(keys("pgbackrest/bot/backup/main/").some((k) => /\d{8}-\d{6}F\/backup\.manifest$/.test(k))).toBe(true);
    expect(keys("dumps/").some((k) => k.includes("bot"))).toBe(true);
    expect(keys("redis/bot/").length).toBeGreaterThan(0);
    // A run now, as the runbook asks for one: the monthly restore verification, which restores the backups just taken.
    const port = await primary.host.publishedPort("scheduler", PORT.schedulerMetrics);
    expect((await fetch(`http://127.0.0.1:${port}/run/postgres-verify`, { method: "POST" })).status).toBe(202);
    expect((await fetch(`http://127.0.0.1:${port}/run/no-such-job`, { method: "POST" })).status).toBe(404);
    await waitFor("the verification started by hand to succeed", async () => lastSuccess(await schedulerMetrics(primary), "postgres-verify") !== undefined, 300_000, 2_000);
    expect((await schedulerMetrics(primary)).get(`${SCHEDULER_METRICS.failed}{job_name="postgres-verify"}`)).toBe(0);
    // A run's containers are created by the deployment and started by the scheduler only: none is left running.
    const running = (await dockerOk(["ps", "--filter", `name=${primary.host.plan.network}-postgres-backup-full`, "--format", "{{.Names}}"])).stdout.trim();
    expect(running).toBe("");
  });

  it("restarts a crashed PostgreSQL, Redis and scheduler by the engine's restart policy, with their data and state", async () => {
    for (const [pod, container] of [["postgres", "postgres"], ["redis", "redis"], ["scheduler", "scheduler"]] as const) {
      const name = primary.host.container(pod, container).name;
      const before = Number((await dockerOk(["inspect", "--format", "{{.RestartCount}}", name])).stdout.trim());
      // A crash, not a stop: SIGKILL to the container's process from the host (`docker kill` counts as a manual stop).
      const pid = (await dockerOk(["inspect", "--format", "{{.State.Pid}}", name])).stdout.trim();
      execFileSync("kill", ["-9", pid]);
      await waitFor(
        `${name} restarted and healthy`,
        async () => (await dockerOk(["inspect", "--format", "{{.State.Status}} {{.State.Health.Status}} {{.RestartCount}}", name])).stdout.trim() === `running healthy ${before + 1}`,
        180_000,
        500,
      );
    }
    expect(await primary.psql("SELECT count(*) FROM messages", "bot")).toBe("500");
    expect(await primary.redisCli(["GET", "session:1"])).toBe("alive");
    // The scheduler kept what it knew of the jobs' runs across its restart.
    expect(lastSuccess(await schedulerMetrics(primary), "postgres-backup-full")).toBeGreaterThan(0);
  });

  it("after the host is lost, the dr stack's containers restore from the replicated backups and archive to their own path", async () => {
    // Newest data, then a backup that holds it, and the WAL after it archived.
    await primary.psql("INSERT INTO messages (body) SELECT 'late' || g FROM generate_series(1, 20) g", "bot");
    await primary.psql("SELECT pg_switch_wal()");
    const before = lastSuccess(await schedulerMetrics(primary), "postgres-backup-full")!;
    await waitFor("a full backup after the last writes", async () => (lastSuccess(await schedulerMetrics(primary), "postgres-backup-full") ?? 0) > before, 180_000, 2_000);
    const snapshotBefore = lastSuccess(await schedulerMetrics(primary), "redis-snapshot")!;
    await waitFor("a Redis snapshot after the last writes", async () => (lastSuccess(await schedulerMetrics(primary), "redis-snapshot") ?? 0) > snapshotBefore, 180_000, 2_000);

    // The disaster: every container and volume of the primary's host is gone.
    await primary.host.remove();
    expect((await docker(["volume", "inspect", `${primary.host.plan.network}-postgres-data`])).code).not.toBe(0);

    const dr = await cluster.host(drSpec, { own: "bot-dr-passphrase", source: CIPHER });
    expect(await dr.psql("SELECT count(*) FROM messages", "bot")).toBe("520");
    expect(await dr.redisCli(["GET", "session:1"])).toBe("alive");
    // Archiving to its own path, never into the one it restored from.
    const lsn = await dr.psql("SELECT pg_switch_wal()");
    expect(lsn).toMatch(/\//);
    await waitFor(
      "the dr stack's WAL in its own repository",
      () => bucketKeys(cluster.s3Directory, drSpec.storage.bucket, "pgbackrest/bot-dr/archive/main/").some((k) => k.endsWith(".zst") && !k.endsWith(".history")),
      120_000,
      1_000,
    );
    await waitFor("the dr stack's scheduler backing up into its own bucket", async () => lastSuccess(await schedulerMetrics(dr), "postgres-backup-full") !== undefined, 240_000, 2_000);
    expect(bucketKeys(cluster.s3Directory, primarySpec.storage.bucket, "pgbackrest/bot-dr/")).toEqual([]);
  });
});
