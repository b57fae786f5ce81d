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
  drkit:cluster:
    workloadIdentity: { type: static-keys }
`;

describe("drkit review", () => {
  it("passes the prod stack with its summary", () => {
    const outcome = review({ stack: "prod", cwd: PROJECT_ROOT });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.output).toContain("repository: s3://trading-dr-prod-eu-central-1/pgbackrest/prod (stanza main)");
    expect(outcome.output).toContain("No problems found.");
    expect(outcome.output).toContain("0 errors, 0 warnings");
  });

  it.each([
    ["bot", "docker-host"],
    ["bot-dr", "docker-host"],
    ["events", "minio"],
    ["events-dr", "minio"],
  ])("passes the example stack %s (examples/%s) without a finding", (stack, folder) => {
    const outcome = review({ stack, file: join(PROJECT_ROOT, "examples", folder, `Pulumi.${stack}.yaml`) });
    expect(outcome.exitCode, outcome.output).toBe(0);
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

  it.each([
    ["a YAML syntax error", "config:\n  drkit:role: primary\n  drkit:storage: {bucket: [unclosed\n", /bad\.yaml: line \d+, column \d+: /],
    ["an alias bomb", `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\nconfig: {drkit:role: [*d,*d,*d,*d,*d,*d,*d,*d,*d]}\n`, /alias/i],
    ["a list instead of a mapping", "- drkit:role\n- primary\n", /is not a Pulumi stack file/],
    ["an unknown YAML tag", "config:\n  drkit:role: !Ref primary\n", /line 2, column \d+: Unresolved tag: !Ref/],
  ])("refuses %s with where and why, no stack trace, exit 2", (_name, text, message) => {
    const outcome = review({ stack: "bad", file: stackFile("bad.yaml", text) });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.output).toMatch(message);
    expect(outcome.output).toContain("fix: ");
    expect(outcome.output).not.toMatch(/\n\s+at /);
  });

  it("wraps long key paths instead of cutting them", () => {
    const text = BAD.replace("  drkit:storage:\n", "  drkit:storage:\n    lifecycle: { dumps: { transitions: [{ after: 30d, storageClass: COLD }] } }\n");
    const outcome = review({ stack: "prod", file: stackFile("long.yaml", text) });
    expect(outcome.output).not.toContain("…");
    const keyColumn = outcome.output.split("\n").map((line) => line.split("│")[2]?.trim() ?? "").join("");
    expect(keyColumn).toContain("drkit:storage.lifecycle.dumps.transitions[0].storageClass");
  });

  it("prints no Redis objectives for a stack with Redis disabled", () => {
    const text = BAD.replace("    snapshots: { keep: 1 }\n", "    enabled: false\n").replace("replication: { region: eu-central-1, bucket: acme-replica }", "").replace("dumps: { retention: 3d }", "");
    const outcome = review({ stack: "prod", file: stackFile("noredis.yaml", text), format: "json" });
    const body = JSON.parse(outcome.output) as { ok: boolean; summary: { objectives: Record<string, unknown>; redis: unknown } };
    expect(body.ok).toBe(true);
    expect(Object.keys(body.summary.objectives)).toEqual(["postgres"]);
    expect(body.summary.redis).toBe("disabled");
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
