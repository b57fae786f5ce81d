import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { DrillReport } from "../../cli/drill/drill";
import { waitFor } from "../../cli/local/processes";
import { PROJECT_ROOT } from "../harness/renderStack";

/**
 * `drkit drill` end to end, as a user runs it, on a stack with short intervals and a small data
 * set: both stores measured, an impossible objective named, an interruption that leaves nothing.
 */

const scratch = mkdtempSync(join(tmpdir(), "drkit-drill-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const FIXTURE = join(PROJECT_ROOT, "test", "fixtures", "Pulumi.drill-fast.yaml");
const drkit = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(PROJECT_ROOT, "cli", "main.ts"), ...args], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 600_000 });

describe("drkit drill", () => {
  it("measures RPO and RTO of both stores against the stack's objectives", () => {
    const report = join(scratch, "report.json");
    const result = drkit(["drill", "--file", FIXTURE, "--stack", "drill-fast", "--size", "32MiB", "--seed", "7", "--report", report]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain("every objective met");
    const json = JSON.parse(readFileSync(report, "utf8")) as DrillReport;
    expect(json.stores.map((s) => s.store)).toEqual(["postgres", "redis"]);
    for (const store of json.stores) {
      expect(store.rpo.measured).toBeGreaterThanOrEqual(0);
      expect(store.rpo.measured).toBeLessThanOrEqual(store.rpo.target);
      expect(store.rto.measured).toBeGreaterThan(0);
      expect(store.rto.measured).toBeLessThanOrEqual(store.rto.target);
    }
    expect(json.events.map((e) => e.name)).toEqual(expect.arrayContaining(["full backup", "diff backup", "disaster", "postgres recovered", "redis recovered"]));
    expect(json.phases).toHaveLength(7);
  }, 600_000);

  it("exits 1 and names the objective it missed", () => {
    const config = parse(readFileSync(FIXTURE, "utf8")) as { config: Record<string, any> };
    config.config["drkit:objectives"].redis.rto = "1s";
    const file = join(scratch, "Pulumi.impossible.yaml");
    writeFileSync(file, stringify(config));
    const result = drkit(["drill", "--file", file, "--stack", "impossible", "--size", "16MiB", "--seed", "2"]);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toContain("drkit drill: missed: redis RTO");
    expect(result.stderr).toMatch(/redis\s+RTO\s+target 1s\s+measured [\d.]+ s\s+MISSED/);
  }, 600_000);

  it("stops every process it started when interrupted", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", join(PROJECT_ROOT, "cli", "main.ts"), "drill", "--file", FIXTURE, "--stack", "drill-fast", "--size", "16MiB"], { cwd: PROJECT_ROOT });
    let output = "";
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    await waitFor("the drill to reach its backups", () => output.includes("[4/7]"), 120_000, 100);
    const workdir = /work directory: (\S+)/.exec(output)![1]!;
    expect(spawnSync("pgrep", ["-f", workdir]).status).toBe(0);
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(code).toBe(130);
    expect(output).toContain("interrupted; stopping every process it started");
    await waitFor("no process left in the drill's directory", () => spawnSync("pgrep", ["-f", workdir]).status === 1, 10_000, 100);
    expect(existsSync(workdir)).toBe(false);
  }, 300_000);

  it("refuses a missing stack file and bad options with the fix", () => {
    const missing = drkit(["drill", "--stack", "nowhere"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("no stack file");
    const size = drkit(["drill", "--file", FIXTURE, "--size", "lots"]);
    expect(size.status).toBe(2);
    expect(size.stderr).toContain("--size is not a size: 'lots'");
  });
});
