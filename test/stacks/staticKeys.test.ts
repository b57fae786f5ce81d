import { beforeAll, describe, expect, it } from "vitest";
import { isSecretInput, renderStack, type RecordedResource, type RenderedStack } from "../harness/renderStack";
import { evaluate } from "../harness/iam";

const policyOf = (r: RecordedResource) => JSON.parse(r.inputs["policy"] as string);

/** prod's stack file with static keys chosen instead of roles: a cluster IAM cannot trust. */
describe("the prod stack with static keys (drkit:cluster.workloadIdentity: static-keys)", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("prod", {
      config: { "drkit:cluster": { provider: "existing", namespace: "trading-data", clientNamespaces: ["trading"], workloadIdentity: { type: "static-keys" } } },
    });
  });

  it("gives pgBackRest, the dump job and the Redis snapshots one writer each, scoped to their prefix, and assumes no role", () => {
    expect(stack.ofType("drkit:storage:WorkloadRole")).toEqual([]);
    const policies = Object.fromEntries(stack.ofType("aws:iam/userPolicy:UserPolicy").map((r) => [r.name, policyOf(r)]));
    expect(Object.keys(policies).sort()).toEqual(["backups-dumps-writer-policy", "backups-pgbackrest-reader-policy", "backups-pgbackrest-writer-policy", "backups-redis-writer-policy", "backups-replica-pgbackrest-reader-policy"]);
    const bucket = "arn:aws:s3:::trading-dr-prod-eu-central-1";
    const can = (name: string, key: string) => evaluate({ principal: "u", action: "s3:PutObject", resource: `${bucket}/${key}` }, { identity: [policies[name]] });
    expect(can("backups-pgbackrest-writer-policy", "pgbackrest/prod/archive/main/x")).toBe("allow");
    expect(can("backups-pgbackrest-writer-policy", "dumps/trading/x")).toBe("implicit-deny");
    expect(can("backups-dumps-writer-policy", "dumps/trading/2026-11-22T02:30:00Z/toc.dat")).toBe("allow");
    expect(can("backups-redis-writer-policy", "redis/prod/20261122T0005Z.rdb")).toBe("allow");
    expect(can("backups-redis-writer-policy", "pgbackrest/prod/x")).toBe("implicit-deny");
    // Restore verification reads the repository and can write nothing.
    expect(can("backups-pgbackrest-reader-policy", "pgbackrest/prod/archive/main/x")).toBe("implicit-deny");
    expect(evaluate({ principal: "u", action: "s3:GetObject", resource: `${bucket}/pgbackrest/prod/backup/main/backup.info` }, { identity: [policies["backups-pgbackrest-reader-policy"]] })).toBe("allow");
    // The archive check lists the replica's copy of the repository and can write nothing there.
    const replica = "arn:aws:s3:::trading-dr-prod-replica-eu-west-1";
    const replicaReader = { identity: [policies["backups-replica-pgbackrest-reader-policy"]] };
    expect(evaluate({ principal: "u", action: "s3:ListBucket", resource: replica, context: { "s3:prefix": "pgbackrest/prod/archive/main/" } }, replicaReader)).toBe("allow");
    expect(evaluate({ principal: "u", action: "s3:PutObject", resource: `${replica}/pgbackrest/prod/archive/main/x` }, replicaReader)).toBe("implicit-deny");
    expect(evaluate({ principal: "u", action: "s3:GetObject", resource: `${bucket}/pgbackrest/prod/archive/main/x` }, replicaReader)).toBe("implicit-deny");
  });

  it("hands each access key out as a Pulumi secret and exports only key ids", () => {
    const identities = stack.ofType("drkit:storage:BucketIdentity");
    expect(identities.length).toBe(5);
    for (const identity of identities) {
      expect(identity.outputs["secretAccessKey"]).toBe(`FAKE-SECRET-${identity.name}-key`);
      expect(identity.secretOutputPaths).toContain("secretAccessKey");
      expect(identity.secretOutputPaths).not.toContain("accessKeyId");
    }
    const plain = stack.resources.filter((r) => r.type !== "aws:iam/accessKey:AccessKey");
    for (const r of plain) {
      const leaked = Object.keys(r.inputs).filter((k) => JSON.stringify(r.inputs[k]).includes("FAKE-SECRET") && !isSecretInput(r, k));
      expect(leaked, r.name).toEqual([]);
    }
    expect(JSON.stringify(stack.outputs)).not.toContain("FAKE-SECRET");
    expect(stack.outputs["backupStorage"]).toMatchObject({
      workloadRoles: {},
      writerKeyIds: { pgbackrest: "backups-pgbackrest-writer-key-id", dumps: "backups-dumps-writer-key-id", redis: "backups-redis-writer-key-id" },
      restoreKeyIds: {},
    });
  });

  it("projects no token and names no role: the keys come from Secrets", () => {
    const spec = (stack.named("postgres", "kubernetes:apps/v1:StatefulSet").inputs["spec"] as any).template.spec;
    expect(spec.volumes.map((v: any) => v.name)).not.toContain("aws-token");
    const server = spec.containers.find((c: any) => c.name === "postgres");
    expect(server.env.map((e: any) => e.name)).toEqual(expect.arrayContaining(["PGBACKREST_REPO1_S3_KEY", "PGBACKREST_REPO1_S3_KEY_SECRET"]));
    expect(server.env.map((e: any) => e.name)).not.toContain("AWS_ROLE_ARN");
  });
});
