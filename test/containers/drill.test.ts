import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import type { DrillReport } from "../../cli/drill/drill";
import { waitFor } from "../../cli/containers/wait";

// Containers: images start, restores replay, jobs run to completion.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 900_000 });

/**
 * `drkit drill` end to end, as a user runs it, on a stack with short intervals and a small data
 * set: the stack's pods and jobs in containers, both stores measured, a stack without Redis, an
 * impossible objective named, an interruption that leaves nothing behind.
 */

const PROJECT_ROOT = resolve(__dirname, "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "drkit-drill-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const FIXTURE = join(PROJECT_ROOT, "test", "fixtures", "Pulumi.drill-fast.yaml");
const drkit = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(PROJECT_ROOT, "cli", "main.ts"), ...args], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 600_000 });
const variant = (name: string, edit: (config: Record<string, any>) => void) => {
  const config = parse(readFileSync(FIXTURE, "utf8")) as { config: Record<string, any> };
  edit(config.config);
  const file = join(scratch, `Pulumi.${name}.yaml`);
  writeFileSync(file, stringify(config));
  return file;
};
/** Everything of a drill still in the engine: containers, volumes, networks labelled with its id. */
const leftovers = (drillId: string) =>
  (["ps -a", "volume ls", "network ls"] as const).flatMap((list) =>
    spawnSync("docker", [...list.split(" "), "--format", '{{.Label "drkit.run"}}'], { encoding: "utf8" }).stdout.split("\n").filter((label) => label === drillId || label.startsWith(`${drillId}-`)),
  );

describe("drkit drill", () => {
  it("measures RPO and RTO of both stores against the stack's objectives, with the stack's pods in containers", () => {
    const report = join(scratch, "report.json");
    const result = drkit(["drill", "--file", FIXTURE, "--stack", "drill-fast", "--size", "32MiB", "--seed", "7", "--report", report]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain("every objective met");
    const json = JSON.parse(readFileSync(report, "utf8")) as DrillReport;
    expect(json.stores.map((s) => s.store)).toEqual(["postgres", "redis"]);
    for (const store of json.stores) {
      expect(store.rpo!.measured).toBeGreaterThanOrEqual(0);
      expect(store.rpo!.measured).toBeLessThanOrEqual(store.rpo!.target);
      expect(store.rto.measured).toBeGreaterThan(0);
      expect(store.rto.measured).toBeLessThanOrEqual(store.rto.target);
      expect(store.mechanism).not.toBe("");
    }
    expect(json.events.map((e) => e.name)).toEqual(expect.arrayContaining(["full backup", "diff backup", "disaster", "postgres recovered", "redis recovered"]));
    expect(json.phases).toHaveLength(7);
    const drillId = /drill (drkit-drill-\w+):/.exec(result.stderr)![1]!;
    expect(leftovers(drillId)).toEqual([]);
  });

  it("drills a stack without Redis: PostgreSQL written, its loss measured, Redis never named", () => {
    const file = variant("pg-only", (config) => {
      config["drkit:redis"] = { enabled: false };
      delete config["drkit:objectives"].redis;
      config["drkit:postgres"].backups = { diff: null };
    });
    const report = join(scratch, "pg-only.json");
    const result = drkit(["drill", "--file", file, "--stack", "pg-only", "--size", "16MiB", "--seed", "3", "--max-wait", "20s", "--report", report]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/redis/i);
    expect(result.stderr).toContain("Taking the scheduled backups: full (");
    const json = JSON.parse(readFileSync(report, "utf8")) as DrillReport;
    expect(json.stores.map((s) => s.store)).toEqual(["postgres"]);
    expect(json.stores[0]!.verified).toMatch(/^[1-9]\d* of [1-9]\d* acknowledged writes restored without gaps/);
    expect(json.events.map((e) => e.name)).not.toContain("diff backup");
    const writing = json.phases.find((p) => p.name.startsWith("Writing"))!;
    expect(writing.end - writing.start).toBeLessThan(25_000);
  });

  it("drills a stack without PostgreSQL: Redis alone written, snapshotted, lost and restored, PostgreSQL never started", () => {
    const file = variant("redis-only", (config) => {
      config["drkit:postgres"] = { enabled: false };
      delete config["drkit:objectives"].postgres;
      config["drkit:redis"].restoreFrom = { bucket: "drill-fast-primary", region: "eu-west-1", prefix: "redis/primary/" };
    });
    const report = join(scratch, "redis-only.json");
    const result = drkit(["drill", "--file", file, "--stack", "redis-only", "--size", "16MiB", "--seed", "9", "--max-wait", "75s", "--report", report]);
    expect(result.status, result.stderr).toBe(0);
    const json = JSON.parse(readFileSync(report, "utf8")) as DrillReport;
    expect(json.phases.map((p) => p.name).join("\n")).not.toMatch(/PostgreSQL|pgBackRest|backups/);
    expect(json.stores.map((s) => s.store)).toEqual(["redis"]);
    const redis = json.stores[0]!;
    expect(redis.verified).toMatch(/^[1-9]\d* keys restored from the newest snapshot/);
    expect(redis.rpo!.measured).toBeLessThanOrEqual(redis.rpo!.target);
    expect(json.phases).toHaveLength(6);
    expect(json.events.map((e) => e.name)).toEqual(expect.arrayContaining(["redis snapshot", "disaster", "redis recovered"]));
    expect(json.events.map((e) => e.name).filter((name) => name.includes("backup") || name.startsWith("postgres"))).toEqual([]);
  });

  it("drills a Redis whose snapshots are off: none are taken, and the recovered Redis starts empty, with no RPO promised", () => {
    const file = variant("queue", (config) => {
      config["drkit:redis"] = { resources: { memory: "512Mi" }, snapshots: { enabled: false } };
      config["drkit:postgres"].backups = { diff: null };
    });
    const report = join(scratch, "queue.json");
    const result = drkit(["drill", "--file", file, "--stack", "queue", "--size", "16MiB", "--seed", "5", "--max-wait", "20s", "--report", report]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain("starts empty by design");
    const json = JSON.parse(readFileSync(report, "utf8")) as DrillReport;
    const redis = json.stores.find((s) => s.store === "redis")!;
    expect(redis.rpo).toBeUndefined();
    expect(redis.verified).toMatch(/^started empty, as its snapshots are off/);
    expect(redis.rto.measured).toBeLessThanOrEqual(redis.rto.target);
    expect(json.events.map((e) => e.name)).not.toContain("redis snapshot");
    expect(json.events.map((e) => e.name)).toContain("redis recovered");
  });

  it("drills the example docker stack as its host runs it: both stores recovered, every objective met", () => {
    const report = join(scratch, "bot-dr.json");
    const result = drkit(["drill", "--file", join(PROJECT_ROOT, "examples", "docker-host", "Pulumi.bot-dr.yaml"), "--stack", "bot-dr", "--size", "16MiB", "--seed", "4", "--max-wait", "30s", "--report", report]);
    expect(result.status, result.stderr).toBe(0);
    const json = JSON.parse(readFileSync(report, "utf8")) as DrillReport;
    expect(json.phases.map((p) => p.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^Starting the primary 'bot' as on its Docker host: PostgreSQL 15 archiving WAL, Redis/), expect.stringMatching(/^Recovering as stack 'bot-dr' \(dr\) would: its containers restore/)]));
    expect(json.stores.map((s) => s.store)).toEqual(["postgres", "redis"]);
    expect(json.missed).toEqual([]);
    // The disaster strikes 30 s in, before archive_timeout (3m) forces a switch: what was written
    // since the backup may all be lost, and the RPO is those 30 s, not the time since 1970.
    const postgres = json.stores.find((s) => s.store === "postgres")!;
    expect(postgres.verified).toMatch(/acknowledged writes restored without gaps/);
    expect(postgres.rpo!.measured).toBeLessThan(60);
  });

  it("drills a docker stack whose only store is Redis, with snapshots off: Redis starts empty by design", () => {
    const source = parse(readFileSync(join(PROJECT_ROOT, "examples", "docker-host", "Pulumi.bot-dr.yaml"), "utf8")) as { config: Record<string, any> };
    source.config["drkit:postgres"] = { enabled: false };
    delete source.config["drkit:objectives"].postgres;
    source.config["drkit:redis"] = { resources: { memory: "512Mi" }, snapshots: { enabled: false } };
    const file = join(scratch, "Pulumi.queue-host.yaml");
    writeFileSync(file, stringify(source));
    const report = join(scratch, "queue-host.json");
    const result = drkit(["drill", "--file", file, "--stack", "queue-host", "--size", "16MiB", "--seed", "6", "--max-wait", "20s", "--report", report]);
    expect(result.status, result.stderr).toBe(0);
    const json = JSON.parse(readFileSync(report, "utf8")) as DrillReport;
    expect(json.stores.map((s) => s.store)).toEqual(["redis"]);
    expect(json.stores[0]!.verified).toMatch(/^started empty, as its snapshots are off/);
    expect(json.phases.map((p) => p.name).join("\n")).not.toMatch(/PostgreSQL|pgBackRest/);
  });

  it("exits 1 and names the objective it missed", () => {
    // The review refuses an RTO under the fastest restore ever measured (10 s); 10 s passes it.
    // Every request of the recovery answered after 50 ms, as from a distant region: the restore
    // and WAL replay make hundreds of requests (about 330 here), so the RTO is missed whatever
    // this machine's speed.
    const file = variant("impossible", (config) => {
      config["drkit:objectives"].postgres.rto = "10s";
    });
    const result = drkit(["drill", "--file", file, "--stack", "impossible", "--size", "64MiB", "--seed", "2", "--max-wait", "20s", "--restore-latency", "50ms"]);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/drkit drill: missed: (.*, )?postgres RTO/);
    expect(result.stderr).toMatch(/postgres\s+RTO\s+target 10s\s+measured (\d+m)?[\d.]+ ?s\s+MISSED/);
  });

  it("removes every container, volume and network it started when interrupted", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", join(PROJECT_ROOT, "cli", "main.ts"), "drill", "--file", FIXTURE, "--stack", "drill-fast", "--size", "16MiB"], { cwd: PROJECT_ROOT });
    let output = "";
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    await waitFor("the drill to reach its backups", () => output.includes("[4/7]"), 300_000, 100);
    const drillId = /drill (drkit-drill-\w+):/.exec(output)![1]!;
    expect(leftovers(drillId).length).toBeGreaterThan(0);
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(code).toBe(130);
    expect(output).toContain("interrupted; removing every container, volume and network it started");
    expect(leftovers(drillId)).toEqual([]);
  });

  it("refuses a missing stack file, bad options and an unpackaged PostgreSQL with the fix", () => {
    const missing = drkit(["drill", "--stack", "nowhere"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("no stack file");
    const size = drkit(["drill", "--file", FIXTURE, "--size", "lots"]);
    expect(size.status).toBe(2);
    expect(size.stderr).toContain("--size is not a size: 'lots'");
    const wait = drkit(["drill", "--file", FIXTURE, "--max-wait", "soon"]);
    expect(wait.status).toBe(2);
    expect(wait.stderr).toContain("--max-wait");
    const latency = drkit(["drill", "--file", FIXTURE, "--restore-latency", "far"]);
    expect(latency.status).toBe(2);
    expect(latency.stderr).toContain("--restore-latency 'far' is not a duration");
    const pg16 = drkit(["drill", "--file", variant("pg16", (config) => (config["drkit:postgres"].version = 16)), "--stack", "pg16"]);
    expect(pg16.status).toBe(2);
    expect(pg16.stderr).toContain("PostgreSQL 16 is not packaged in Debian bookworm");
    expect(pg16.stderr).toContain("drkit:images.postgres");
  });
});
