import { join } from "node:path";
import fc from "fast-check";
import { stringify as stringifyYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll } from "vitest";
import { review } from "../../cli/review";
import { checkConfig } from "../../components/config";
import { keyPath, parseSpec, rawSpecFromConfig, readStackFile, type ParseResult } from "../../components/config";
import { PROJECT_ROOT } from "../harness/renderStack";

const prodRaw = rawSpecFromConfig(readStackFile(join(PROJECT_ROOT, "Pulumi.prod.yaml")).config);
const stagingRaw = rawSpecFromConfig(readStackFile(join(PROJECT_ROOT, "Pulumi.staging.yaml")).config);

/** What every result must look like, whatever the input. */
function expectWellFormed(result: ParseResult) {
  const problems = result.ok ? result.warnings : result.problems;
  if (!result.ok) expect(problems.some((p) => p.severity === "error")).toBe(true);
  for (const problem of problems) {
    expect(problem.path).toMatch(/^drkit:/);
    expect(typeof problem.message).toBe("string");
    expect(problem.message.length).toBeGreaterThan(0);
    expect(["error", "warning"]).toContain(problem.severity);
  }
}

/** Every path of nested keys in a plain object, e.g. ["postgres", "backups", "full"]. */
function keyPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => keyPaths(v, [...prefix, k]))];
}

function setAt(target: unknown, path: string[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  const copy: any = Array.isArray(target) ? [...target] : { ...(target as object) };
  copy[head!] = setAt(copy[head!], rest, replacement);
  if (replacement === undefined && rest.length === 0) delete copy[head!];
  return copy;
}

const anyValue = fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true });

describe("parseSpec never throws", () => {
  it("on any value at all", () => {
    fc.assert(
      fc.property(anyValue, (raw) => {
        expectWellFormed(parseSpec(raw));
      }),
      { numRuns: 500 },
    );
  });

  it("on any value under any known key", () => {
    const keys = ["role", "region", "timeZone", "tags", "objectives", "storage", "postgres", "redis", "alerts", "cluster"];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), anyValue), (raw) => {
        expectWellFormed(parseSpec(raw));
      }),
      { numRuns: 500 },
    );
  });

  it("on the real stack files with any one value replaced, removed or added", () => {
    for (const [name, raw] of [["prod", prodRaw], ["staging", stagingRaw]] as const) {
      const paths = keyPaths(raw).filter((p) => p.length > 0);
      fc.assert(
        fc.property(
          fc.constantFrom(...paths),
          fc.oneof(anyValue, fc.constant(undefined), fc.jsonValue()),
          fc.boolean(),
          (path, replacement, addSibling) => {
            const target = addSibling ? [...path.slice(0, -1), "extraKey"] : path;
            expectWellFormed(parseSpec(setAt(raw, target, replacement), { stack: name }));
          },
        ),
        { numRuns: 400 },
      );
    }
  });

  it("on strings in every unit-bearing field", () => {
    const fields = [
      ["objectives", "postgres", "rpo"],
      ["postgres", "storage", "size"],
      ["postgres", "resources", "cpu"],
      ["postgres", "backups", "full"],
      ["alerts", "api", "errorRate"],
      ["alerts", "api", "latencyP99"],
      ["redis", "snapshots", "interval"],
      ["storage", "objectLock", "retention"],
      ["postgres", "restoreFrom", "target"],
      ["postgres", "restoreEstimate", "throughput"],
      ["postgres", "restoreEstimate", "dataSize"],
      ["redis", "restoreEstimate", "throughput"],
      ["storage", "lifecycle", "dumps", "minObjectSize"],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.string({ maxLength: 30 }), (path, text) => {
        expectWellFormed(parseSpec(setAt(stagingRaw, path, text), { stack: "staging" }));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("the review", () => {
  it("never throws on any value under any key of the real stack files", () => {
    for (const [name, raw] of [["prod", prodRaw], ["staging", stagingRaw]] as const) {
      const paths = keyPaths(raw).filter((p) => p.length > 0);
      fc.assert(
        fc.property(fc.constantFrom(...paths), fc.oneof(anyValue, fc.jsonValue()), (path, replacement) => {
          expectWellFormed(checkConfig(setAt(raw, path, replacement), { stack: name }));
        }),
        { numRuns: 300 },
      );
    }
  });

  it("reports a value that fails to parse on its own key only, never as a follow-on elsewhere", () => {
    // Every key of both stack files, replaced by a string, a number and a list: none of them is
    // valid anywhere a map is expected, and "???" is no valid scalar.
    for (const [name, raw] of [["prod", prodRaw], ["staging", stagingRaw]] as const) {
      for (const path of keyPaths(raw).filter((p) => p.length > 0)) {
        for (const bad of ["???", 12345, []]) {
          const result = checkConfig(setAt(raw, path, bad), { stack: name });
          const at = keyPath(path.map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment)));
          const errors = (result.ok ? result.warnings : result.problems).filter((p) => p.severity === "error");
          const elsewhere = errors.filter((p) => !p.path.startsWith(at)).map((p) => `${p.path}: ${p.message}`);
          expect(elsewhere, `${name}: ${at} = ${JSON.stringify(bad)}`).toEqual([]);
        }
      }
    }
  });
});

describe("drkit review on any stack file", () => {
  const dir = mkdtempSync(join(tmpdir(), "drkit-review-property-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let count = 0;
  const reviewText = (text: string) => {
    const file = join(dir, `Pulumi.p${count++}.yaml`);
    writeFileSync(file, text);
    return review({ stack: "p", file });
  };

  it("never throws on any text and exits 0, 1 or 2", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ maxLength: 60 }).map((s) => `config:\n  drkit:role: ${s}\n`)), (text) => {
        expect([0, 1, 2]).toContain(reviewText(text).exitCode);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on any YAML document of drkit keys", () => {
    const keys = ["drkit:role", "drkit:region", "drkit:storage", "drkit:postgres", "drkit:redis", "drkit:objectives", "drkit:images", "drkit:cluster", "other:key"];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 4 })), (config) => {
        const outcome = reviewText(stringifyYaml({ config }));
        expect([0, 1]).toContain(outcome.exitCode);
        expect(outcome.output).not.toMatch(/\n\s+at .+:\d+:\d+/);
      }),
      { numRuns: 300 },
    );
  });
});
