import { beforeAll, describe, expect, it } from "vitest";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { secretLeaks } from "./leaks";

describe("staging's backups under mocks (a drill)", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("staging");
  });

  it("verifies prod's backups once at start, as a read-only role of its own, with prod's passphrase", () => {
    const job = stack.named("postgres-verify-at-start");
    expect(job.type).toBe("kubernetes:batch/v1:Job");
    expect((job.inputs["spec"] as any).template.spec.containers[0].command).toEqual(["bash", "/etc/drkit-backup/verify.sh", "source"]);
    const config = stack.named("postgres-verify-source-config").inputs["data"] as Record<string, string>;
    expect(config["verify.conf"]).toContain("repo1-path=/pgbackrest/prod");
    expect(config["verify.conf"]).toContain("repo1-s3-bucket=trading-dr-prod-replica-eu-west-1");
    expect(stack.named("postgres-verify-source").inputs["stringData"]).toEqual({ PGBACKREST_REPO1_CIPHER_PASS: "FAKE-SECRET-stackref-trading/drkit/prod" });
    expect((job.inputs["spec"] as any).template.spec.serviceAccountName).toBe("postgres-verify-at-start");
    const policy = JSON.parse(stack.named("postgres-verify-at-start-identity-policy").inputs["policy"] as string);
    expect(policy.Statement.filter((s: any) => s.Effect === "Allow").flatMap((s: any) => [s.Resource].flat())).toContain("arn:aws:s3:::trading-dr-prod-replica-eu-west-1/pgbackrest/prod/*");
    expect(secretLeaks(stack)).toEqual([]);
  });

  it("backs up its own repository but takes no dumps", () => {
    const names = stack.ofType("kubernetes:batch/v1:CronJob").map((c) => (c.inputs["metadata"] as any).name).sort();
    expect(names).toEqual(["postgres-archive-check", "postgres-backup-diff", "postgres-backup-full", "postgres-backup-incr", "postgres-verify", "redis-snapshot"]);
    expect((stack.named("postgres-backup-config").inputs["data"] as any)["pgbackrest.conf"]).toContain("repo1-path=/pgbackrest/staging");
  });
});
