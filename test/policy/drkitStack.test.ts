import { beforeAll, describe, expect, it } from "vitest";
import { POLICIES } from "../../policypack/policies";
import { merge, minimalPrimary, specOf } from "../config/fixtures";
import { renderStack } from "../harness/renderStack";
import { policyResources, runPolicies, type Violation } from "./policyArgs";

/** drkit's own prod stack under its own policy pack, and the component policies on specs a program passed. */
let violations: Violation[];
beforeAll(async () => {
  violations = await runPolicies(POLICIES, policyResources(await renderStack("prod")));
});

describe("drkit's policy pack on drkit's prod stack", () => {
  it("finds nothing: every bucket, rule and objective of the example passes", () => {
    expect(violations.map((v) => `${v.policy} ${v.name ?? ""}: ${v.message}`)).toEqual([]);
  });
});

describe("the objectives policies on drkit's components", () => {
  const component = (spec: unknown) => [{ type: "drkit:postgres:PostgresCluster", urn: "urn:pulumi:prod::drkit::drkit:postgres:PostgresCluster::postgres", name: "postgres", props: { drSpec: spec }, propertyDependencies: {}, dependencies: [] }] as never;

  it("reports an objective no mechanism meets, at the mandatory level, with the key and fix", async () => {
    // A program may build or change the spec it passes; the pack reviews what was passed.
    const spec = specOf(minimalPrimary());
    spec.objectives.postgres.rto = 1;
    const found = await runPolicies(POLICIES, component(spec));
    expect(found).toEqual([
      {
        policy: "drkit-objectives",
        level: "mandatory",
        urn: "urn:pulumi:prod::drkit::drkit:postgres:PostgresCluster::postgres",
        name: "postgres",
        message: expect.stringMatching(/^drkit:objectives\.postgres\.rto: 1s is shorter than any restore takes .* \(fix: use at least '10s'/),
      },
    ]);
  });

  it("gives the review's warnings as advice", async () => {
    const found = await runPolicies(POLICIES, component(specOf(merge(minimalPrimary(), { redis: { snapshots: { keep: 1 } } }))));
    expect(found.map((v) => `${v.level} ${v.policy}: ${v.message.split(":")[0]}`)).toEqual(["advisory drkit-objectives-advice: drkit"]);
    expect(found[0]!.message).toMatch(/^drkit:redis\.snapshots\.keep: keeps a single snapshot/);
  });

  it("refuses an IAM user or access key in a stack whose workloads assume roles, and allows one where keys are the choice", async () => {
    const user = (spec: unknown) => [
      ...component(spec),
      { type: "aws:iam/user:User", urn: "urn:pulumi:prod::drkit::aws:iam/user:User::legacy", name: "legacy", props: {}, propertyDependencies: {}, dependencies: [] },
      { type: "aws:iam/accessKey:AccessKey", urn: "urn:pulumi:prod::drkit::aws:iam/accessKey:AccessKey::legacy-key", name: "legacy-key", props: {}, propertyDependencies: {}, dependencies: [] },
    ] as never;
    const withRoles = await runPolicies(POLICIES, user(specOf(minimalPrimary())));
    expect(withRoles.filter((v) => v.policy === "drkit-no-access-keys").map((v) => `${v.level} ${v.name}`)).toEqual(["mandatory legacy", "mandatory legacy-key"]);
    const withKeys = await runPolicies(POLICIES, user(specOf(merge(minimalPrimary(), { cluster: { workloadIdentity: { type: "static-keys", oidcProviderArn: undefined } } }))));
    expect(withKeys.filter((v) => v.policy === "drkit-no-access-keys")).toEqual([]);
  });

  it("says why a spec it cannot read fails, instead of throwing", async () => {
    const found = await runPolicies(POLICIES, component({ stack: "hand-made", objectives: {} }));
    expect(found.map((v) => v.policy)).toEqual(["drkit-objectives"]);
    expect(found[0]!.message).toMatch(/^the DR spec of stack 'hand-made' cannot be reviewed: .* \(fix: build it with parseSpec\)/);
  });
});
