import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml, parseAllDocuments, stringify as stringifyYaml } from "yaml";
import { checkConfig } from "../../components/config";
import { rawSpecFromConfig, readStackFile } from "../../components/config";
import { PROJECT_ROOT } from "../harness/renderStack";

/**
 * The program on configurations the review accepts: whatever combination of valid values a
 * stack file holds, `pulumi preview` (here: the program under mocks, through `drkit render`, one
 * process per stack because the Pulumi runtime is global state) deploys it without throwing.
 */
const dir = mkdtempSync(join(tmpdir(), "drkit-program-property-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Valid alternatives per key: each is accepted alone; combinations may be refused by the review. */
const ALTERNATIVES: [string[], unknown[]][] = [
  [["objectives", "postgres", "rto"], ["30s", "5m", "1h", "4h"]],
  [["objectives", "redis", "rpo"], ["4m", "15m", "1h"]],
  [["postgres", "version"], [13, 14, 16, 17]],
  [["postgres", "backups", "diff"], [null, "0 3 * * *"]],
  [["postgres", "backups", "incr"], [null, "15 * * * *", "*/10 * * * *"]],
  [["postgres", "dumps", "enabled"], [false]],
  [["postgres", "dumps", "format"], ["custom"]],
  [["postgres", "storage", "size"], ["1Gi", "2Ti"]],
  [["redis", "enabled"], [false]],
  [["redis", "appendfsync"], ["always", "no"]],
  [["redis", "snapshots", "interval"], ["1m", "2m"]],
  [["timeZone"], ["Europe/Berlin", "America/New_York", "Asia/Kolkata"]],
  [["storage", "accessLogs"], [false]],
  [["storage", "objectLock"], [undefined]],
  [["storage", "replication"], [undefined]],
  [["alerts", "namespace"], ["observability"]],
  [["images"], [{ postgres: "ghcr.io/acme/pg:1", redis: "ghcr.io/acme/redis:1", jobs: "ghcr.io/acme/jobs:1" }]],
];

function setAt(target: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = path;
  const copy = { ...target };
  if (rest.length === 0) {
    if (value === undefined) delete copy[head!];
    else copy[head!] = value;
  } else copy[head!] = setAt((copy[head!] ?? {}) as Record<string, unknown>, rest, value);
  return copy;
}

describe("the program on any configuration the review accepts", () => {
  it("renders every combination of valid values without throwing", () => {
    let rendered = 0;
    fc.assert(
      fc.property(
        fc.constantFrom("prod", "staging"),
        fc.array(fc.integer({ min: 0, max: ALTERNATIVES.length - 1 }).chain((i) => fc.tuple(fc.constant(i), fc.constantFrom(...ALTERNATIVES[i]![1]))), { minLength: 1, maxLength: 4 }),
        (stack, changes) => {
          let raw = rawSpecFromConfig(readStackFile(join(PROJECT_ROOT, `Pulumi.${stack}.yaml`)).config);
          for (const [i, value] of changes) raw = setAt(raw, ALTERNATIVES[i]![0], value);
          if (!checkConfig(raw, { stack }).ok) return; // refused with its reasons: the review's own tests cover those
          const original = parseYaml(readFileSync(join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
          const config = { ...Object.fromEntries(Object.entries(original.config).filter(([k]) => !k.startsWith("drkit:"))), ...Object.fromEntries(Object.entries(raw).map(([k, v]) => [`drkit:${k}`, v])) };
          const file = join(dir, `Pulumi.${stack}-${rendered}.yaml`);
          writeFileSync(file, stringifyYaml({ config }));
          const run = spawnSync(process.execPath, ["--import", "tsx", join(PROJECT_ROOT, "cli", "main.ts"), "render", "--stack", stack, "--file", file], { cwd: PROJECT_ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
          expect(run.status, `${JSON.stringify(changes.map(([i, v]) => [ALTERNATIVES[i]![0].join("."), v]))}\n${run.stderr}`).toBe(0);
          expect(parseAllDocuments(run.stdout).map((d) => (d.toJS() as { kind: string }).kind)).toContain("StatefulSet");
          rendered++;
        },
      ),
      { numRuns: 12, seed: 20261124 },
    );
    // Most combinations are accepted; a generator that only produced refused ones would test nothing.
    expect(rendered).toBeGreaterThanOrEqual(6);
  }, 600_000);
});
