import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT, renderStack, type RenderedStack } from "../harness/renderStack";

/**
 * examples/postgres-only: a program of a user's own that composes three of drkit's components
 * under its own names, rendered under mocks with the prod stack file (Redis left out).
 */
describe("a program composing PostgresCluster, BackupSchedule and AlertRules on its own", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("prod", { program: join(PROJECT_ROOT, "examples", "postgres-only", "index.ts"), config: { "drkit:redis": { enabled: false } } });
  });

  it("deploys no DrRegion and no Redis, only what it asked for", () => {
    expect(stack.ofType("drkit:region:DrRegion")).toEqual([]);
    expect(stack.ofType("drkit:redis:RedisServer")).toEqual([]);
    expect(stack.named("orders-db", "kubernetes:apps/v1:StatefulSet").inputs["metadata"]).toMatchObject({ name: "orders-db", namespace: "trading-data" });
    expect(stack.named("data-orders-db-0", "kubernetes:core/v1:PersistentVolumeClaim")).toBeDefined();
  });

  it("names the backup jobs after the cluster it was given", () => {
    const cronJobs = stack.ofType("kubernetes:batch/v1:CronJob").map((c) => (c.inputs["metadata"] as { name: string }).name);
    expect(cronJobs).toEqual(expect.arrayContaining(["orders-db-backup-full", "orders-db-backup-diff", "orders-db-verify", "orders-db-archive-check"]));
    expect(Object.values(stack.outputs["cronJobs"] as Record<string, string>)).toContain("orders-db-backup-full");
  });

  it("watches the workloads it was given, by their names: their claim, their CronJobs, no Redis", () => {
    const rules = JSON.stringify(stack.ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule")[0]!.inputs["spec"]);
    expect(rules).toContain("data-orders-db-0");
    expect(rules).toContain("orders-db-backup-full");
    expect(rules).not.toContain("postgres-backup-full");
    expect(rules).not.toMatch(/Redis/);
    const monitor = stack.named("orders-db-alerts-postgres-monitor").inputs["spec"] as { selector: { matchLabels: Record<string, string> } };
    expect(monitor.selector.matchLabels).toEqual((stack.named("orders-db", "kubernetes:apps/v1:StatefulSet").inputs["spec"] as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels);
  });
});
