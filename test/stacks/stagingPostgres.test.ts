import { beforeAll, describe, expect, it } from "vitest";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { secretLeaks } from "./leaks";

describe("staging's PostgreSQL (a drill) under mocks", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("staging");
  });

  it("restores from prod's repository with read-only credentials and prod's passphrase", () => {
    const env = stack.named("postgres-credentials").inputs["stringData"] as Record<string, string>;
    expect(env).toMatchObject({
      PGBACKREST_REPO1_S3_KEY_SECRET: "FAKE-SECRET-backups-pgbackrest-writer-key",
      PGBACKREST_REPO2_S3_KEY_SECRET: "FAKE-SECRET-backups-restore-postgres-key",
      PGBACKREST_REPO2_CIPHER_PASS: "FAKE-SECRET-stackref-trading/drkit/prod",
    });
    const config = stack.named("postgres-config").inputs["data"] as Record<string, string>;
    expect(config["pgbackrest-restore.conf"]).toContain("repo2-path=/pgbackrest/prod");
    expect(config["pgbackrest.conf"]).toContain("repo1-path=/pgbackrest/staging");
    expect(config["bootstrap.sh"]).toContain("ROLE='drill'");
  });

  it("is disposable: nothing protected, the volume goes with the stack", () => {
    const sts = stack.named("postgres", "kubernetes:apps/v1:StatefulSet");
    expect(sts.protect).toBe(false);
    const claim = stack.named("data-postgres-0", "kubernetes:core/v1:PersistentVolumeClaim");
    expect([claim.protect, claim.retainOnDelete]).toEqual([false, false]);
    expect(stack.resources.filter((r) => r.protect)).toEqual([]);
  });

  it("keeps every generated secret inside Secrets and Pulumi secrets", () => {
    expect(secretLeaks(stack)).toEqual([]);
  });
});
