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

  it("says why a spec it cannot read fails, instead of throwing", async () => {
    const found = await runPolicies(POLICIES, component({ stack: "hand-made", objectives: {} }));
    expect(found.map((v) => v.policy)).toEqual(["drkit-objectives"]);
    expect(found[0]!.message).toMatch(/^the DR spec of stack 'hand-made' cannot be reviewed: .* \(fix: build it with parseSpec\)/);
  });
});
