import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { POLICIES } from "../../policypack/policies";
import { PROJECT_ROOT, renderStack } from "../harness/renderStack";
import { policyResources, runPolicies, type Violation } from "./policyArgs";

/**
 * The policy pack on examples/minio/Pulumi.events.yaml: its buckets are in MinIO, made through AWS
 * providers pointed there. The AWS-only bucket policies (public access block, TLS-only policy,
 * KMS) do not apply to them; the lifecycle policies do.
 */
let violations: Violation[];
let bucketUrns: string[];
beforeAll(async () => {
  const stack = await renderStack("events", { stackFile: join(PROJECT_ROOT, "examples", "minio", "Pulumi.events.yaml") });
  const resources = policyResources(stack);
  bucketUrns = resources.filter((r) => r.type === "aws:s3/bucket:Bucket").map((r) => r.urn);
  violations = await runPolicies(POLICIES, resources);
  // The same buckets without their providers, as if they were in AWS: the AWS policies then apply.
  const inAws = await runPolicies(POLICIES, resources.map((r) => ({ ...r, provider: undefined })) as never);
  awsViolations = inAws.map((v) => v.policy);
});
let awsViolations: string[];

describe("drkit's policy pack on a stack whose buckets are in MinIO", () => {
  it("finds nothing", () => {
    expect(bucketUrns).toHaveLength(2);
    expect(violations.map((v) => `${v.policy} ${v.name ?? ""}: ${v.message}`)).toEqual([]);
  });

  it("would hold the same buckets to the AWS rules in AWS: the exemption is the store's, not the bucket's", () => {
    expect(new Set(awsViolations)).toEqual(new Set(["drkit-bucket-private", "drkit-bucket-tls-only", "drkit-bucket-kms"]));
  });
});
