import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { shellcheck } from "../harness/shellcheck";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { PROJECT_ROOT } from "../harness/renderStack";

/**
 * `drkit render` as users run it, one process per render (the Pulumi runtime is global state).
 * The golden trees under test/golden/render/<stack> are what each example stack deploys; a change
 * to drkit that changes them shows in the review of that change. UPDATE_GOLDEN=1 rewrites them.
 */
const GOLDEN = join(PROJECT_ROOT, "test", "golden", "render");
const dir = mkdtempSync(join(tmpdir(), "drkit-render-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const drkit = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", join(PROJECT_ROOT, "cli", "main.ts"), ...args], { cwd: PROJECT_ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });

function tree(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of readdirSync(at)) {
      const path = join(at, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(root, path)] = readFileSync(path, "utf8");
    }
  };
  walk(root);
  return files;
}

// The project's stack files, and the example docker stacks (examples/docker-host, examples/minio).
const STACKS: [string, string[]][] = [
  ["prod", []],
  ["staging", []],
  ["bot", ["--file", join("examples", "docker-host", "Pulumi.bot.yaml")]],
  ["events", ["--file", join("examples", "minio", "Pulumi.events.yaml")]],
];

describe.each(STACKS)("drkit render --stack %s", (stack, file) => {
  const out = join(dir, stack);
  const run = drkit(["render", "--stack", stack, ...file, "--out", out]);
  const docker = file.length > 0;

  it("writes every object, file, alert rule and cloud resource", () => {
    const dirs = docker ? "\\d+ in host/, \\d+ in files/, 2 in alerts/, \\d+ in cloud/" : "\\d+ in kubernetes/, \\d+ in files/, 1 in alerts/, \\d+ in cloud/";
    expect(run.stderr).toMatch(new RegExp(`drkit render: stack '${stack}': \\d+ files written to .* \\(${dirs}\\)`));
    expect(run.status).toBe(0);
  });

  it("matches the golden tree byte for byte", () => {
    const golden = join(GOLDEN, stack);
    if (process.env["UPDATE_GOLDEN"]) {
      rmSync(golden, { recursive: true, force: true });
      cpSync(out, golden, { recursive: true });
    }
    expect(tree(out)).toEqual(tree(golden));
  });

  it("prints no path of the machine it ran on", () => {
    for (const [path, text] of Object.entries(tree(out))) expect(text, path).not.toContain(PROJECT_ROOT);
  });

  it("never prints a secret value: generated ones are redacted, keys kept", () => {
    const files = tree(out);
    for (const [path, text] of Object.entries(files)) {
      expect(text, path).not.toMatch(/FAKE-SECRET|drkit-fake-random/);
    }
    if (docker) {
      // On a host the secrets are the prepare containers' uploads: the whole list is redacted.
      const prepare = files[join("host", `Container-drkit-${stack}-postgres-prepare.yaml`)]!;
      expect(prepare).toMatch(/uploads:\n\s+- content: "\[secret\]"/);
    } else {
      const credentials = Object.entries(files).find(([path]) => path.endsWith("Secret-postgres-credentials.yaml"))![1];
      expect(credentials).toMatch(/POSTGRES_PASSWORD: "\[secret\]"/);
    }
  });

  it("renders scripts that pass shellcheck and alert rules that pass promtool", () => {
    const scripts = Object.keys(tree(out)).filter((p) => p.endsWith(".sh")).map((p) => join(out, p));
    expect(scripts.length).toBeGreaterThan(3);
    expect(shellcheck(scripts)).toBe("");
    const promtool = spawnSync("promtool", ["check", "rules", join(out, "alerts", `drkit-${stack}.rules.yaml`)], { encoding: "utf8" });
    expect(promtool.status, promtool.stdout + promtool.stderr).toBe(0);
  });
});

describe("the built drkit render", () => {
  it("renders the golden tree from the compiled JavaScript, as the installed command does", () => {
    // Built next to the sources so that node_modules resolves; the sources ran through tsx above.
    const build = join(PROJECT_ROOT, `.build-test-${process.pid}`);
    try {
      const built = spawnSync("bash", [join(PROJECT_ROOT, "scripts", "build.sh"), build], { cwd: PROJECT_ROOT, encoding: "utf8" });
      expect(built.stdout + built.stderr).toBe("");
      const out = join(dir, "built-prod");
      const run = spawnSync(process.execPath, [join(build, "cli", "main.js"), "render", "--stack", "prod", "--out", out], { cwd: PROJECT_ROOT, encoding: "utf8" });
      expect(run.status, run.stderr).toBe(0);
      expect(tree(out)).toEqual(tree(join(GOLDEN, "prod")));
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
  });
});

describe("drkit render without --out", () => {
  it("prints the Kubernetes objects as one YAML stream, the same twice", () => {
    const first = drkit(["render", "--stack", "staging"]);
    expect(first.status).toBe(0);
    const documents = parseAllDocuments(first.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
    const kinds = new Set(documents.map((d) => d.kind));
    for (const kind of ["StatefulSet", "CronJob", "ConfigMap", "Secret", "NetworkPolicy", "PrometheusRule"]) expect(kinds).toContain(kind);
    expect(drkit(["render", "--stack", "staging"]).stdout).toBe(first.stdout);
  });

  it("renders nothing for a stack the review refuses, exit 1", () => {
    const file = join(dir, "Pulumi.broken.yaml");
    writeFileSync(file, "config:\n  drkit:role: primary\n  drkit:region: eu-central-1\n  drkit:storage: { bucket: acme-dr }\n  drkit:images: { registry: ghcr.io/acme }\n  drkit:objectives: { postgres: { rto: 1s } }\n");
    const out = join(dir, "broken");
    const run = drkit(["render", "--file", file, "--stack", "broken", "--out", out]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("drkit:objectives.postgres.rto");
    expect(run.stderr).toContain("nothing rendered");
    expect(() => readdirSync(out)).toThrow();
  });
});
