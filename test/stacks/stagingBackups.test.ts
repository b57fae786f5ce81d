import { beforeAll, describe, expect, it } from "vitest";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { secretLeaks } from "./leaks";

describe("staging's backups under mocks (a drill)", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("staging");
  });

  it("verifies prod's backups once at start, with read-only credentials and prod's passphrase", () => {
    const job = stack.named("postgres-verify-at-start");
    expect(job.type).toBe("kubernetes:batch/v1:Job");
    expect((job.inputs["spec"] as any).template.spec.containers[0].command).toEqual(["bash", "/etc/drkit-backup/verify.sh", "source"]);
    const config = stack.named("postgres-verify-source-config").inputs["data"] as Record<string, string>;
    expect(config["verify.conf"]).toContain("repo1-path=/pgbackrest/prod");
    expect(config["verify.conf"]).toContain("repo1-s3-bucket=trading-dr-prod-replica-eu-west-1");
    expect(stack.named("postgres-verify-source").inputs["stringData"]).toEqual({
      PGBACKREST_REPO1_S3_KEY: "backups-restore-postgres-key-id",
      PGBACKREST_REPO1_S3_KEY_SECRET: "FAKE-SECRET-backups-restore-postgres-key",
      PGBACKREST_REPO1_CIPHER_PASS: "FAKE-SECRET-stackref-trading/drkit/prod",
    });
    expect(secretLeaks(stack)).toEqual([]);
  });

  it("backs up its own repository but takes no dumps", () => {
    const names = stack.ofType("kubernetes:batch/v1:CronJob").map((c) => (c.inputs["metadata"] as any).name).sort();
    expect(names).toEqual(["postgres-archive-check", "postgres-backup-diff", "postgres-backup-full", "postgres-backup-incr", "postgres-verify", "redis-snapshot"]);
    expect((stack.named("postgres-backup-config").inputs["data"] as any)["pgbackrest.conf"]).toContain("repo1-path=/pgbackrest/staging");
  });
});
