import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { readStackFile } from "../../components/config";
import { PROJECT_ROOT, renderStack, type RenderedStack } from "../harness/renderStack";

/** prod with its Redis holding a task queue: `drkit:redis.snapshots.enabled: false`. */
describe("the prod stack with Redis snapshots off, under mocks", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    const redis = JSON.parse(readStackFile(join(PROJECT_ROOT, "Pulumi.prod.yaml")).config["drkit:redis"]!) as Record<string, any>;
    stack = await renderStack("prod", { config: { "drkit:redis": { ...redis, snapshots: { enabled: false } } } });
  });

  it("deploys Redis with no snapshot CronJob, no role or key for snapshots, and no snapshot alert", () => {
    const cronJobs = stack.ofType("kubernetes:batch/v1:CronJob").map((c) => (c.inputs["metadata"] as any).name);
    expect(cronJobs).not.toContain("redis-snapshot");
    expect(cronJobs).toContain("postgres-backup-full");
    expect(stack.ofType("drkit:storage:WorkloadRole").map((r) => r.name)).not.toContain("redis-snapshot-identity");
    expect(stack.named("redis", "kubernetes:apps/v1:StatefulSet")).toBeDefined();
    const rules = JSON.stringify((stack.named("alerts-rules").inputs["spec"] as any).groups);
    expect(rules).toContain("RedisDown");
    expect(rules).not.toContain("RedisSnapshotTooOld");
    expect(rules).not.toContain("redis-snapshot");
  });
});
