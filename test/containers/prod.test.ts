import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bucketKeys } from "./bucketKeys";
import { docker } from "../../cli/containers/docker";
import { alertTargets, renderAlertRules } from "../../components/alerts";
import { PORT } from "../../components/workloads/names";
import { WAL_ARCHIVE_METRICS } from "../../components/postgres/exporterQueries";
import { VERIFICATION_METRICS } from "../../components/backup/render";
import { scrape, seriesValue, startCluster, stackSpec, switchAndWaitArchived, type Cluster, type StackRun } from "./harness";

// Containers: images start, restores replay, jobs run to completion.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 900_000 });

/**
 * prod's rendered plan run as a cluster runs it: drkit's images in a Docker engine, the pods'
 * files, users and fsGroup as kubelet gives them, the backup jobs as one-off pods reaching the
 * PostgreSQL pod by its DNS name over mutual TLS. Only the S3 endpoint is local.
 */

const spec = stackSpec("prod");
const BUCKET = spec.storage.bucket;
let cluster: Cluster;
let prod: StackRun;
const chmodRecursive = (dir: string) => {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) chmodRecursive(join(dir, entry.name));
    else chmodSync(join(dir, entry.name), 0o644);
  }
};
const keys = (prefix: string) => bucketKeys(cluster.s3Directory, BUCKET, prefix);

beforeAll(async () => {
  cluster = await startCluster("prod", [BUCKET], spec);
  prod = await cluster.stack(spec, { own: "prod-cipher-passphrase" });
  await prod.runner.startServer("postgres");
  await prod.runner.startServer("redis");
}, 600_000);

afterAll(async () => {
  await cluster?.destroy();
}, 300_000);

describe("prod's primary, in containers", () => {
  it("boots from the rendered plan with prod's settings and archives WAL to its own repository", async () => {
    expect(await prod.psql("SELECT current_setting('max_connections') || ' ' || current_setting('archive_mode')")).toBe("200 on");
    expect(await prod.psql("SELECT string_agg(datname || ':' || pg_get_userbyid(datdba), ',' ORDER BY datname) FROM pg_database WHERE datname IN ('trading', 'users')")).toBe("trading:trading,users:users");
    await prod.psql("CREATE TABLE orders (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now()); INSERT INTO orders (created_at) SELECT now() FROM generate_series(1, 1000); ALTER TABLE orders OWNER TO trading;", "trading");
    await prod.psql("CREATE TABLE users (id bigserial PRIMARY KEY, name text); INSERT INTO users (name) SELECT 'u' || g FROM generate_series(1, 100) g; ALTER TABLE users OWNER TO users;", "users");
    await switchAndWaitArchived(prod);
    expect(keys("pgbackrest/prod/archive/main").filter((k) => /\/[0-9A-F]{24}-[0-9a-f]{40}\.zst$/.test(k)).length).toBeGreaterThan(0);
  });

  it("takes full, differential and incremental backups from job pods over mutual TLS", async () => {
    for (const kind of ["full", "diff", "incr"] as const) {
      const job = await prod.runner.runJob(`postgres-backup-${kind}`);
      expect(job.ok, job.output).toBe(true);
      expect(job.output).toMatch(new RegExp(`drkit-backup: backup \\d{8}-\\d{6}F(_\\d{8}-\\d{6}${kind === "diff" ? "D" : "I"})? \\(${kind}\\) to repo1 done`));
    }
    const info = await prod.runner.exec("postgres", "postgres", ["pgbackrest", "--config=/etc/drkit/pgbackrest.conf", "--stanza=main", "--output=json", "info"]);
    expect(info.code, info.stderr).toBe(0);
    expect((info.stdout.match(/"type":"(full|diff|incr)"/g) ?? []).sort()).toEqual(['"type":"diff"', '"type":"full"', '"type":"incr"']);
  });

  it("uploads a dump of every database with checksums and the marker last, and prunes only what the retention allows", async () => {
    // 31 complete dumps older than the retention and one incomplete one, as a year of runs would leave.
    const seed = mkdtempSync(join(tmpdir(), "drkit-dump-seed-"));
    try {
      for (let day = 1; day <= 31; day++) {
        const dir = join(seed, "trading", `201901${String(day).padStart(2, "0")}T020000Z`);
        cpSync(join(__dirname, "..", "..", "package.json"), join(dir, "trading.dump"));
        writeFileSync(join(dir, "COMPLETE"), "seeded\n");
      }
      cpSync(join(__dirname, "..", "..", "package.json"), join(seed, "trading", "20190201T020000Z", "trading.dump"));
      // The jobs image runs as uid 999.
      chmodRecursive(seed);
      const sync = await cluster.aws(["s3", "sync", "--only-show-errors", "/seed/", `s3://${BUCKET}/dumps/`], seed);
      expect(sync.code, sync.stderr).toBe(0);
    } finally {
      rmSync(seed, { recursive: true, force: true });
    }
    const job = await prod.runner.runJob("postgres-dump");
    expect(job.ok, job.output).toBe(true);
    const stamps = (db: string, file: string) => keys(`dumps/${db}`).filter((k) => k.endsWith(`/${file}`)).map((k) => k.split("/")[2]!);
    const fresh = stamps("users", "COMPLETE");
    expect(fresh).toHaveLength(1);
    // prod dumps in directory format (pg_dump -Fd -j N): a toc.dat and one file per table.
    expect(keys(`dumps/users/${fresh[0]}`).map((k) => k.split("/").slice(3).join("/"))).toEqual(expect.arrayContaining(["COMPLETE", "SHA256SUMS", "dump/toc.dat"]));
    const trading = stamps("trading", "COMPLETE");
    // The newest 30 complete dumps stay (keepLast); the two oldest go; the incomplete one goes.
    expect(trading).toHaveLength(30);
    expect(trading).not.toContain("20190101T020000Z");
    expect(trading).not.toContain("20190102T020000Z");
    expect(trading).toContain(fresh[0]);
    expect(keys("dumps/trading/20190201T020000Z")).toEqual([]);
  });

  it("verifies by restoring the newest backup and the WAL after it with prod's settings, reports the proven RTO and RPO, and fails on a damaged one", async () => {
    await prod.runner.startServer("job-metrics");
    const metrics = async () => scrape(prod, "job-metrics", PORT.jobMetrics, "pushgateway");
    // An order after the newest backup: only WAL replay brings it back, and the freshness check
    // (the newest order within the 5 min RPO of the verification's start) needs it.
    const newest = await prod.psql("WITH added AS (INSERT INTO orders (created_at) VALUES (now()) RETURNING id) SELECT id FROM added", "trading");
    await switchAndWaitArchived(prod);
    const started = Math.floor(Date.now() / 1000);
    const good = await prod.runner.runJob("postgres-verify");
    expect(good.ok, good.output).toBe(true);
    expect(good.output).toMatch(/drkit-verify: restore took \d+ s \(RTO 900 s\), of which [1-9]\d* ms fetching and writing [1-9]\d* MiB: \d+ MiB\/s, the figure for drkit:postgres.restoreEstimate.throughput; the newest restored commit is \d+ s older than the verification's start \(RPO 300 s\); checks passed/);
    const proven = await metrics();
    // The gateway serves what the job pushed, under its grouping labels.
    const restoreSeries = [...proven.keys()].find((k) => k.startsWith(`${VERIFICATION_METRICS.restoreSeconds}{`))!;
    expect(restoreSeries).toContain('cluster="postgres"');
    expect(restoreSeries).toContain('drkit_stack="prod"');
    expect(restoreSeries).toContain('repository="own"');
    const restoreSeconds = seriesValue(proven, VERIFICATION_METRICS.restoreSeconds)!;
    expect(restoreSeconds).toBeGreaterThan(0);
    expect(restoreSeconds).toBeLessThanOrEqual(900);
    expect(seriesValue(proven, VERIFICATION_METRICS.success)).toBe(1);
    expect(seriesValue(proven, VERIFICATION_METRICS.lastSuccess)).toBeGreaterThanOrEqual(started);
    // The data age is counted from the job's own start (lastSuccess), which comes seconds after
    // this test's clock read: the order committed at or after its created_at, so replaying the WAL
    // that holds it leaves the age at most the order's age at that start; the backup alone would not.
    const dataAge = seriesValue(proven, VERIFICATION_METRICS.dataAge)!;
    const jobStarted = seriesValue(proven, VERIFICATION_METRICS.lastSuccess)!;
    const orderCreated = Number(await prod.psql(`SELECT floor(extract(epoch FROM created_at))::bigint FROM orders WHERE id = ${newest}`, "trading"));
    expect(dataAge).toBeLessThanOrEqual(Math.max(jobStarted - orderCreated, 0));
    // The gateway keeps what it holds on its volume: a re-created pod still serves the figures.
    await prod.runner.stopServer("job-metrics");
    await prod.runner.startServer("job-metrics");
    expect(seriesValue(await metrics(), VERIFICATION_METRICS.restoreSeconds)).toBe(restoreSeconds);

    const damaged = keys("pgbackrest/prod/backup/main").filter((k) => /\/pg_data\/base\/\d+\/\d+\.zst$/.test(k));
    expect(damaged.length).toBeGreaterThan(0);
    const saved = new Map(damaged.map((k) => [k, readFileSync(join(cluster.s3Directory, BUCKET, `${k}._S3rver_object`))]));
    try {
      for (const key of damaged) writeFileSync(join(cluster.s3Directory, BUCKET, `${key}._S3rver_object`), "not a zstd frame");
      const bad = await prod.runner.runJob("postgres-verify");
      expect(bad.ok).toBe(false);
      expect(bad.output).toMatch(/drkit-verify: FAILED: (restoring the newest backup failed|pg_amcheck found corruption|the restored cluster did not start)/);
      // A failure is reported; the last proven figures stay.
      const after = await metrics();
      expect(seriesValue(after, VERIFICATION_METRICS.success)).toBe(0);
      expect(seriesValue(after, VERIFICATION_METRICS.restoreSeconds)).toBe(restoreSeconds);
    } finally {
      for (const [key, content] of saved) writeFileSync(join(cluster.s3Directory, BUCKET, `${key}._S3rver_object`), content);
    }
  });

  it("fails a verification whose newest order is older than the RPO at its start, naming the missing WAL as a cause", async () => {
    // Nothing written for longer than the RPO looks, to the verification, like WAL lost after the order.
    await prod.psql("UPDATE orders SET created_at = created_at - interval '1 hour'", "trading");
    await switchAndWaitArchived(prod);
    try {
      const job = await prod.runner.runJob("postgres-verify");
      expect(job.ok).toBe(false);
      expect(job.output).toMatch(/drkit-verify: FAILED: the newest restored public.orders.created_at is \d+ s older than the verification's start, more than the RPO of 300 s: WAL is missing from the repository, or nothing wrote public.orders for that long/);
    } finally {
      await prod.psql("UPDATE orders SET created_at = created_at + interval '1 hour'", "trading");
      await switchAndWaitArchived(prod);
    }
  });

  it("lands an off-site Redis snapshot with its checksum marker", async () => {
    for (let i = 0; i < 100; i++) await prod.redisCli(["SET", `key:${i}`, `value-${i}`]);
    const job = await prod.runner.runJob("redis-snapshot");
    expect(job.ok, job.output).toBe(true);
    const snapshots = keys("redis/prod");
    expect(snapshots.filter((k) => k.endsWith(".rdb"))).toHaveLength(1);
    expect(snapshots.filter((k) => k.endsWith(".rdb.sha256"))).toHaveLength(1);
  });

  it.each([
    ["with the plan's fsGroupChangePolicy", "OnRootMismatch"],
    // Without the policy kubelet re-owns the whole volume: PGDATA becomes 2770, which PostgreSQL refuses.
    ["with fsGroup re-applied to the whole volume", "Always"],
  ] as const)("comes back when its pods are re-created %s, the volumes kept", async (_how, policy) => {
    const before = await prod.psql("SELECT count(*) FROM orders", "trading");
    await prod.redisCli(["SET", "survives", policy]);
    await prod.runner.stopServer("postgres");
    await prod.runner.stopServer("redis");
    await prod.runner.startServer("postgres", { security: { fsGroupChangePolicy: policy } });
    await prod.runner.startServer("redis", { security: { fsGroupChangePolicy: policy } });
    expect(await prod.psql("SELECT count(*) FROM orders", "trading")).toBe(before);
    expect(await prod.redisCli(["GET", "survives"])).toBe(policy);
    await prod.psql("INSERT INTO orders DEFAULT VALUES", "trading");
  });

  it("admits applications over TLS only, verifiable against the CA, and never the superuser over the network", async () => {
    const connect = async (user: string, password: string, sslmode: string, host = "127.0.0.1") =>
      prod.runner.exec("postgres", "postgres", ["psql", "-X", "-At", "-d", `host=${host} port=5432 dbname=trading user=${user} sslmode=${sslmode} sslrootcert=/etc/drkit-tls/ca.crt`, "-c", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"], { env: { PGPASSWORD: password } });
    const owner = prod.secretValue({ kind: "password", id: "owner-trading" });
    const plain = await connect("trading", owner, "disable");
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/no encryption/);
    const encrypted = await connect("trading", owner, "require");
    expect(encrypted.code, encrypted.stderr).toBe(0);
    expect(encrypted.stdout.trim()).toBe("t");
    // The client Service's name is on the server certificate: verify-full passes.
    const verified = await connect("trading", owner, "verify-full", "postgres");
    expect(verified.code, verified.stderr).toBe(0);
    const superuser = await connect("postgres", prod.secretValue({ kind: "password", id: "superuser" }), "require");
    expect(superuser.code).not.toBe(0);
    expect(superuser.stderr).toMatch(/pg_hba.conf rejects connection/);
  });

  it("exposes, through the exporter sidecars, every PostgreSQL and Redis series the alert rules select on", async () => {
    const rules = JSON.stringify(renderAlertRules(spec, alertTargets(spec)));
    const wanted = (prefix: string) => [...new Set([...rules.matchAll(new RegExp(`\\b(${prefix}_[a-z_]+)\\{`, "g"))].map((m) => m[1]!))];
    for (const [prefix, server, port] of [["pg", "postgres", PORT.postgresMetrics], ["redis", "redis", PORT.redisMetrics]] as const) {
      const names = wanted(prefix);
      expect(names.length, prefix).toBeGreaterThan(2);
      const exposed = await scrape(prod, server, port);
      expect(names.filter((name) => seriesValue(exposed, name) === undefined), `${prefix} series the rules need`).toEqual([]);
    }
    const postgres = await scrape(prod, "postgres", PORT.postgresMetrics);
    expect(seriesValue(postgres, "pg_up")).toBe(1);
    // Redis's exporter reaches it over TLS (the only way in).
    expect(seriesValue(await scrape(prod, "redis", PORT.redisMetrics), "redis_up")).toBe(1);
    // Archiving keeps up on a healthy primary: completed WAL waits seconds at most, never minutes.
    expect(seriesValue(postgres, WAL_ARCHIVE_METRICS.oldestReadyAge)).toBeLessThan(30);
  });

  it("reaches the bucket through each pod's own role only: no access key anywhere, every token exchanged for its ServiceAccount's role", async () => {
    // prod assumes roles (IRSA): the plan's Secrets hold no S3 key at all.
    expect(prod.plan.secrets.flatMap((secret) => Object.values(secret.data)).filter((value) => value.kind === "s3Key")).toEqual([]);
    // Only the containers that archive or restore hold the token and the role; no container an access key.
    const environment = async (server: string, container: string) => JSON.parse((await docker(["inspect", "--format", "{{json .Config.Env}}", prod.runner.containerId(server, container)])).stdout) as string[];
    const names = async (server: string, container: string) => (await environment(server, container)).map((entry) => entry.split("=")[0]!);
    expect(await names("postgres", "postgres")).toEqual(expect.arrayContaining(["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "PGBACKREST_REPO1_S3_KEY_TYPE"]));
    for (const [server, container] of [["postgres", "postgres"], ["postgres", "pgbackrest"], ["postgres", "exporter"], ["redis", "redis"], ["redis", "exporter"]] as const) {
      const held = (await names(server, container)).filter((name) => /S3_KEY$|S3_KEY_SECRET|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/.test(name));
      expect(held, `${server}/${container}`).toEqual([]);
      if (container !== "postgres") expect(await names(server, container), `${server}/${container}`).not.toContain("AWS_ROLE_ARN");
    }
    // Every job and server above that reached the bucket exchanged its own token, and only for its own role.
    const requests = await prod.runner.sts!.requests();
    expect(requests.filter((request) => !request.granted)).toEqual([]);
    const exchanged = new Set(requests.map((request) => request.role.split("/").at(-1)));
    for (const serviceAccount of ["postgres", "postgres-backup-full", "postgres-backup-diff", "postgres-backup-incr", "postgres-dump", "postgres-verify", "redis-snapshot"]) expect(exchanged, serviceAccount).toContain(serviceAccount);
    for (const request of requests) expect(request.subject).toBe(`system:serviceaccount:${spec.cluster.namespace}:${request.role.split("/").at(-1)}`);
  });

  it("comes back after a kill -9 of its pods", async () => {
    await prod.psql("INSERT INTO orders DEFAULT VALUES", "trading");
    const before = await prod.psql("SELECT count(*) FROM orders", "trading");
    await prod.runner.stopServer("postgres", { kill: true });
    await prod.runner.startServer("postgres");
    expect(await prod.psql("SELECT count(*) FROM orders", "trading")).toBe(before);
  });
});
