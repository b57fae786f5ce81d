import { join } from "node:path";
import type { PolicyResource } from "@pulumi/policy";
import { beforeAll, describe, expect, it } from "vitest";
import { POLICIES } from "../../policypack/policies";
import { PROJECT_ROOT, renderStack } from "../harness/renderStack";
import { policyResources, runPolicies, type Violation } from "./policyArgs";

/** drkit's policy pack on a plain Pulumi program's buckets (test/fixtures/plainBuckets.ts). */
let resources: PolicyResource[];
let violations: Violation[];
beforeAll(async () => {
  const stack = await renderStack("prod", { program: join(PROJECT_ROOT, "test", "fixtures", "plainBuckets.ts") });
  resources = policyResources(stack);
  violations = await runPolicies(POLICIES, resources);
});

const about = (prefix: string) => violations.filter((v) => v.name?.startsWith(prefix)).map((v) => `${v.policy} ${v.name}: ${v.message}`);

describe("drkit's policy pack on a plain program", () => {
  it("passes the compliant bucket, its configuration and its log bucket", () => {
    expect(about("good")).toEqual([]);
    expect(about("logs")).toEqual([]);
  });

  it("reports each rule the other bucket breaks, at the mandatory level", () => {
    const policies = (name: string) => [...new Set(violations.filter((v) => v.name === name).map((v) => v.policy))].sort();
    expect(policies("bad-backups")).toEqual(["drkit-bucket-kms", "drkit-bucket-lock-vs-lifecycle", "drkit-bucket-private", "drkit-bucket-tls-only", "drkit-bucket-versioned"]);
    expect(policies("bad-lifecycle")).toEqual(["drkit-lifecycle-valid"]);
    // A key with the default policy: any administrator of the account could delete every backup.
    expect(about("weak")).toEqual([expect.stringMatching(/^drkit-bucket-key-policy weak-backups: its KMS key 'weak-key' has the default policy/)]);
    expect(violations.filter((v) => v.policy.startsWith("drkit-bucket") || v.policy === "drkit-lifecycle-valid").every((v) => v.level === "mandatory")).toBe(true);
  });

  it("explains a broken restore and a refused transition with the rule and the fix", () => {
    const lifecycle = violations.filter((v) => v.name === "bad-lifecycle").map((v) => v.message);
    expect(lifecycle).toContainEqual(expect.stringMatching(/^lifecycle rule 'everything-to-glacier' \(prefix ''\): transitions pgBackRest's repository; archived files cannot be read by a restore \(fix: /));
    expect(lifecycle).toContainEqual(expect.stringMatching(/^lifecycle rule 'dumps' \(prefix 'dumps\/'\): moves objects to STANDARD_IA at 10d; S3 requires at least 30 days old/));
    const lock = violations.filter((v) => v.policy === "drkit-bucket-lock-vs-lifecycle").map((v) => v.message);
    expect(lock).toEqual([expect.stringMatching(/everything-to-glacier.*7d is shorter than the Object Lock retention 30d/)]);
  });

  it("holds a Spaces bucket to versioning, privacy and the restore rules", () => {
    const space = violations.filter((v) => v.name === "bad-space").map((v) => `${v.policy}: ${v.message}`);
    expect(space).toEqual([
      expect.stringMatching(/^drkit-lifecycle-valid: lifecycle rule 'rule 0' \(prefix 'pgbackrest\/'\): expires files pgBackRest's repository still needs/),
      expect.stringMatching(/^drkit-spaces-bucket: versioning is off/),
      expect.stringMatching(/^drkit-spaces-bucket: acl 'public-read' exposes backups/),
    ]);
  });

  it("follows the configured data-class prefixes", async () => {
    const lifecycle = POLICIES.filter((p) => p.name === "drkit-lifecycle-valid");
    const space = resources.filter((r) => r.name === "bad-space");
    expect(await runPolicies(lifecycle, space)).toHaveLength(1);
    // The same rule, when the repositories live under another prefix, expires nothing they need.
    expect(await runPolicies(lifecycle, space, { repositoryPrefixes: ["wal-archive/"] })).toEqual([]);
  });
});
