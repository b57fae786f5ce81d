import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderStack, PROJECT_ROOT, type RenderedStack } from "./harness/renderStack";

/**
 * drkit as a user installs it: `npm pack` of the built package, unpacked into a fresh project's
 * node_modules, used by a Pulumi program of the user's own through the package's three entry
 * points. The project's other dependencies are this repository's (linked: no registry is
 * needed), so what is proven is the package itself: its files, its exports map and its types.
 */

const TSC = join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc");
let app = "";
let stack: RenderedStack;
let compiled: { status: number | null; output: string };

const USER_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { DrRegion, checkConfig, formatProblems, rawSpecFromConfig } from "drkit";
import { postgresInput, postgresPlan } from "drkit/plans";

const result = checkConfig(rawSpecFromConfig(pulumi.runtime.allConfig()), { stack: pulumi.getStack() });
if (!result.ok) throw new pulumi.RunError(formatProblems(result.problems));
const region = new DrRegion("region", { spec: result.spec });

export const pods: string[] = postgresPlan(postgresInput(result.spec)).servers.map((server) => server.pod.name);
// PostgreSQL is optional (drkit:postgres.enabled): a stack without it has no host.
export const host: pulumi.Output<string> | undefined = region.postgres?.host;
`;

beforeAll(async () => {
  if (!existsSync(join(PROJECT_ROOT, "dist", "components", "entries", "plans.js"))) throw new Error("dist/ is not built: run `npm run build` first (npm ci does)");
  app = mkdtempSync(join(tmpdir(), "drkit-package-"));
  // The built dist/ as it is: pack runs no build of its own while other tests read dist/.
  const tarball = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", app], { cwd: PROJECT_ROOT, encoding: "utf8" }).trim().split("\n").at(-1)!;
  const modules = join(app, "node_modules");
  mkdirSync(modules);
  execFileSync("tar", ["-xzf", join(app, tarball), "-C", modules]);
  renameSync(join(modules, "package"), join(modules, "drkit"));
  for (const entry of readdirSync(join(PROJECT_ROOT, "node_modules"))) {
    if (entry === "drkit" || entry.startsWith(".")) continue;
    symlinkSync(join(PROJECT_ROOT, "node_modules", entry), join(modules, entry));
  }
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "my-dr-stack", private: true, main: "index.js" }));
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { target: "ES2022", module: "node16", moduleResolution: "node16", strict: true, esModuleInterop: true, skipLibCheck: true, types: ["node"], outDir: "." }, files: ["index.ts"] }),
  );
  writeFileSync(join(app, "index.ts"), USER_PROGRAM);
  const tsc = spawnSync("node", [TSC, "-p", app], { encoding: "utf8" });
  compiled = { status: tsc.status, output: tsc.stdout + tsc.stderr };
}, 300_000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

describe("the packed drkit in a fresh Pulumi program", () => {
  it("typechecks and compiles a program that imports it by its package name and entry points", () => {
    expect(compiled.status, compiled.output).toBe(0);
    expect(existsSync(join(app, "index.js"))).toBe(true);
  });

  it("deploys a whole region under Pulumi's mocks from the prod stack file", async () => {
    stack = await renderStack("prod", { program: join(app, "index.js") });
    expect(stack.ofType("drkit:region:DrRegion")).toHaveLength(1);
    expect(stack.named("postgres", "kubernetes:apps/v1:StatefulSet").inputs["metadata"]).toMatchObject({ namespace: "trading-data" });
    expect(stack.outputs["pods"]).toEqual(["postgres"]);
    expect(stack.outputs["host"]).toBe("postgres.trading-data.svc");
  });

  it("loads no Pulumi package through drkit/config and drkit/plans", () => {
    const script = "require('drkit/config'); require('drkit/plans'); console.log(Object.keys(require.cache).filter((f) => f.includes('/@pulumi/')).length)";
    const loaded = spawnSync("node", ["-e", script], { cwd: app, encoding: "utf8" });
    expect(loaded.status, loaded.stderr).toBe(0);
    expect(loaded.stdout.trim()).toBe("0");
  });

  it("hides its internals behind the exports map", () => {
    const internal = spawnSync("node", ["-e", "require('drkit/dist/components/config/problems.js')"], { cwd: app, encoding: "utf8" });
    expect(internal.status).not.toBe(0);
    expect(internal.stderr).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });

  it("runs its commands without loading Pulumi: review and drill need neither the SDK nor a provider", () => {
    // Counted when the process exits, whatever the command did before.
    const counter = join(app, "count-pulumi.js");
    writeFileSync(counter, "process.on('exit', () => process.stderr.write(`\\npulumi modules: ${Object.keys(require.cache).filter((f) => f.includes('/@pulumi/')).length}\\n`));\n");
    const main = join(app, "node_modules", "drkit", "dist", "cli", "main.js");
    for (const args of [["review", "--stack", "prod"], ["drill", "--help"]]) {
      const run = spawnSync("node", ["-r", counter, main, ...args], { cwd: PROJECT_ROOT, encoding: "utf8" });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr, args.join(" ")).toContain("pulumi modules: 0");
    }
  });

  it("runs its command from the package: a review of the prod stack file", () => {
    const review = spawnSync("node", [join(app, "node_modules", "drkit", "dist", "cli", "main.js"), "review", "--stack", "prod"], { cwd: PROJECT_ROOT, encoding: "utf8" });
    expect(review.status, review.stderr).toBe(0);
    expect(review.stdout).toContain("0 errors");
  });
});
