import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT, renderStack, type RenderedStack } from "../harness/renderStack";
import { secretLeaks } from "./leaks";

describe("a DigitalOcean (Spaces) dr stack under mocks", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("spaces", { stackFile: join(PROJECT_ROOT, "test", "fixtures", "Pulumi.spaces.yaml") });
  });

  it("creates no AWS resources and no AWS provider", () => {
    expect(stack.resources.filter((r) => r.type.startsWith("aws:") || r.type === "pulumi:providers:aws")).toEqual([]);
  });

  it("creates a private, versioned Spaces bucket with the rendered expiration rules, protected", () => {
    const bucket = stack.named("backups-bucket", "digitalocean:index/spacesBucket:SpacesBucket");
    expect(bucket.inputs).toMatchObject({ name: "acme-dr-fra1", region: "fra1", acl: "private", versioning: { enabled: true }, forceDestroy: false });
    expect(bucket.protect && bucket.retainOnDelete).toBe(true);
    const rules = bucket.inputs["lifecycleRules"] as any[];
    expect(rules.map((r) => r.id)).toEqual(["drkit-pgbackrest", "drkit-dumps", "drkit-redis", "drkit-media"]);
    expect(rules.find((r) => r.id === "drkit-dumps")).toEqual({ id: "drkit-dumps", enabled: true, prefix: "dumps/", expiration: { days: 400 }, noncurrentVersionExpiration: { days: 30 }, abortIncompleteMultipartUploadDays: 7 });
    expect(rules.find((r) => r.id === "drkit-media")?.noncurrentVersionExpiration).toEqual({ days: 90 });
  });

  it("logs access to a separate Spaces bucket", () => {
    expect(stack.named("backups-bucket-logs").inputs).toMatchObject({ name: "acme-dr-fra1-logs", region: "fra1", acl: "private" });
    expect(stack.named("backups-bucket-logging").inputs).toMatchObject({ region: "fra1", targetPrefix: "access/acme-dr-fra1/" });
  });

  it("gives each data path its own read-write key on the bucket, and read-only keys on the source", () => {
    const grants = Object.fromEntries(stack.ofType("digitalocean:index/spacesKey:SpacesKey").map((k) => [k.name, k.inputs["grants"]]));
    expect(grants).toEqual({
      "backups-pgbackrest-writer-key": [{ bucket: "acme-dr-fra1", permission: "readwrite" }],
      "backups-pgbackrest-reader-key": [{ bucket: "acme-dr-fra1", permission: "read" }],
      "backups-dumps-writer-key": [{ bucket: "acme-dr-fra1", permission: "readwrite" }],
      "backups-redis-writer-key": [{ bucket: "acme-dr-fra1", permission: "readwrite" }],
      "backups-restore-postgres-key": [{ bucket: "acme-backups-ams3", permission: "read" }],
      "backups-restore-redis-key": [{ bucket: "acme-backups-ams3", permission: "read" }],
    });
  });

  it("hands the keys' secrets out as Pulumi secrets only", () => {
    for (const identity of stack.ofType("drkit:storage:SpacesIdentity")) {
      expect(identity.outputs["secretAccessKey"]).toBe(`FAKE-SECRET-${identity.name}-key`);
      expect(identity.secretOutputPaths).toEqual(["secretAccessKey"]);
    }
    expect(JSON.stringify(stack.outputs)).not.toContain("FAKE-SECRET");
    expect(secretLeaks(stack)).toEqual([]);
  });

  it("creates the DigitalOcean Kubernetes cluster and reaches it with its kubeconfig, a secret", () => {
    const cluster = stack.named("cluster");
    expect(cluster.inputs).toMatchObject({ name: "drkit-spaces", region: "fra1", version: "1.31.1-do.5", nodePool: { name: "drkit-spaces-default", size: "s-4vcpu-8gb", nodeCount: 3 } });
    expect(cluster.protect).toBe(true);
    const provider = stack.named("kubernetes", "pulumi:providers:kubernetes");
    expect(provider.secretPaths).toContain("kubeconfig");
  });
});
