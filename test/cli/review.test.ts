import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { review } from "../../cli/review";
import { PROJECT_ROOT } from "../harness/renderStack";

const dir = mkdtempSync(join(tmpdir(), "drkit-review-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stackFile(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

const BAD = `config:
  drkit:role: primary
  drkit:region: eu-central-1
  drkit:storage:
    bucket: acme-dr
    replication: { region: eu-central-1, bucket: acme-replica }
  drkit:images:
    registry: ghcr.io/acme
  drkit:postgres:
    version: 15
    dumps: { retention: 3d }
  drkit:redis:
    snapshots: { keep: 1 }
`;

describe("drkit review", () => {
  it("passes the prod stack with its summary", () => {
    const outcome = review({ stack: "prod", cwd: PROJECT_ROOT });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.output).toContain("repository: s3://trading-dr-prod-eu-central-1/pgbackrest/prod (stanza main)");
    expect(outcome.output).toContain("No problems found.");
    expect(outcome.output).toContain("0 errors, 0 warnings");
  });

  it("lists every problem with its key and fix, and exits 1 on errors", () => {
    const outcome = review({ stack: "prod", file: stackFile("bad.yaml", BAD) });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.output).toContain("drkit:storage.replication.region");
    expect(outcome.output).toContain("drkit:postgres.dumps.retention");
    expect(outcome.output).toContain("drkit:redis.snapshots.keep");
    expect(outcome.output).toContain("drkit:postgres.dumps.keepLast");
    expect(outcome.output).toContain("2 errors, 2 warnings");
  });

  it("prints JSON for pipelines", () => {
    const outcome = review({ stack: "prod", file: stackFile("bad.yaml", BAD), format: "json" });
    const body = JSON.parse(outcome.output) as { ok: boolean; problems: { path: string; severity: string }[] };
    expect(body.ok).toBe(false);
    expect(body.problems.map((p) => `${p.severity} ${p.path}`)).toEqual([
      "error drkit:postgres.dumps.retention",
      "error drkit:storage.replication.region",
      "warning drkit:postgres.dumps.keepLast",
      "warning drkit:redis.snapshots.keep",
    ]);
  });

  it("exits 0 with warnings only", () => {
    const warned = BAD.replace("replication: { region: eu-central-1, bucket: acme-replica }", "").replace("dumps: { retention: 3d }", "");
    const outcome = review({ stack: "prod", file: stackFile("warned.yaml", warned) });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.output).toContain("0 errors, 1 warning");
  });

  it("says where it looked when the stack file is missing", () => {
    const outcome = review({ stack: "nowhere", cwd: dir });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.output).toContain(join(dir, "Pulumi.nowhere.yaml"));
  });

  it("runs as a command with the exit code of the review", () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", join(PROJECT_ROOT, "cli", "main.ts"), ...args], { cwd: PROJECT_ROOT, encoding: "utf8" });
    const good = run(["review", "--stack", "staging"]);
    expect(good.status).toBe(0);
    expect(good.stdout).toContain("role: drill");
    const bad = run(["review", "--file", stackFile("bad.yaml", BAD)]);
    expect(bad.status).toBe(1);
    const missing = run(["review", "--stack", "nowhere"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("no stack file");
    const wrongFormat = run(["review", "--format", "xml"]);
    expect(wrongFormat.status).not.toBe(0);
    expect(wrongFormat.stderr).toContain("Allowed choices are table, json");
  });
});
