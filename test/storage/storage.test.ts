import { beforeAll, describe, expect, it } from "vitest";
import { renderProgram, type RenderedStack } from "../harness/renderStack";

/** BackupStorage on its narrow args alone (test/fixtures/programs/storageAlone.ts). */
describe("BackupStorage alone, from its own args", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderProgram("storageAlone");
  });
  const policies = () => stack.ofType("aws:iam/userPolicy:UserPolicy").map((r) => ({ name: r.name, policy: JSON.parse(String((r.inputs as any).policy)) }));

  it("gives exactly the data paths it was given an identity, scoped to their prefixes, and locations that name them", () => {
    expect(stack.outputs["writers"]).toEqual({ pgbackrest: { provider: "aws", bucket: "ledger-backups", region: "eu-west-1", endpoint: { host: "s3.eu-west-1.amazonaws.com", tls: true, uriStyle: "host", verifyTls: true }, prefix: "pg/ledger/" } });
    const writer = policies().find((p) => p.name.startsWith("ledger-backups-pgbackrest-writer"))!;
    expect(JSON.stringify(writer.policy)).toContain("pg/ledger/");
    expect(policies().map((p) => p.name).some((n) => n.includes("dumps") || n.includes("redis"))).toBe(false);
  });

  it("reads the source it was given, and only that", () => {
    expect(stack.outputs["restore"]).toEqual({ provider: "aws", bucket: "ledger-prod", region: "eu-central-1", endpoint: { host: "s3.eu-central-1.amazonaws.com", tls: true, uriStyle: "host", verifyTls: true }, prefix: "pgbackrest/prod/" });
    const reader = policies().find((p) => p.name.startsWith("ledger-backups-restore-postgres"))!;
    expect(JSON.stringify(reader.policy)).toContain("arn:aws:s3:::ledger-prod");
  });

  it("leaves a disposable bucket unprotected", () => {
    const bucket = stack.ofType("aws:s3/bucket:Bucket").find((b) => (b.inputs as any).bucket === "ledger-backups")!;
    expect([bucket.protect, bucket.retainOnDelete]).toEqual([false, false]);
  });
});
