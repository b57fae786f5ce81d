import { beforeAll, describe, expect, it } from "vitest";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { secretLeaks } from "./leaks";

describe("staging's PostgreSQL (a drill) under mocks", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("staging");
  });

  it("restores from prod's repository as its pod's role, which reads prod's and writes only its own, with prod's passphrase", () => {
    const env = stack.named("postgres-credentials").inputs["stringData"] as Record<string, string>;
    expect(env).toMatchObject({ PGBACKREST_REPO2_CIPHER_PASS: "FAKE-SECRET-stackref-trading/drkit/prod" });
    expect(Object.keys(env).filter((key) => key.includes("S3_KEY"))).toEqual([]);
    const bootstrap = (stack.named("postgres", "kubernetes:apps/v1:StatefulSet").inputs["spec"] as any).template.spec.initContainers[0];
    expect(bootstrap.env.filter((e: any) => e.value === "web-id").map((e: any) => e.name)).toEqual(["PGBACKREST_REPO1_S3_KEY_TYPE", "PGBACKREST_REPO2_S3_KEY_TYPE"]);
    const grants = JSON.parse(stack.named("postgres-identity-policy").inputs["policy"] as string).Statement.filter((s: any) => s.Effect === "Allow" && [s.Action].flat().includes("s3:GetObject"));
    expect(grants.map((s: any) => [[s.Action].flat().includes("s3:PutObject"), s.Resource])).toEqual([
      [true, ["arn:aws:s3:::trading-dr-staging-eu-west-1/pgbackrest/staging/*"]],
      [false, ["arn:aws:s3:::trading-dr-prod-replica-eu-west-1/pgbackrest/prod/*"]],
    ]);
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
