import { beforeAll, describe, expect, it } from "vitest";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { secretLeaks } from "./leaks";

/** prod's stack file with `drkit:postgres.enabled: false`: a team whose only store is Redis. */
describe("the prod stack without PostgreSQL, under mocks", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("prod", { config: { "drkit:postgres": { enabled: false } } });
  });

  it("deploys Redis and its snapshots, and nothing of PostgreSQL: no cluster, backup jobs, repository access, gateway or image", () => {
    expect(stack.ofType("drkit:postgres:PostgresCluster")).toEqual([]);
    expect(stack.ofType("drkit:backup:BackupSchedule")).toEqual([]);
    expect(stack.ofType("drkit:alerts:JobMetrics")).toEqual([]);
    expect(stack.ofType("kubernetes:apps/v1:StatefulSet").map((s) => (s.inputs["metadata"] as any).name)).toEqual(["redis"]);
    expect(stack.ofType("kubernetes:batch/v1:CronJob").map((c) => (c.inputs["metadata"] as any).name)).toEqual(["redis-snapshot"]);
    expect(stack.ofType("drkit:storage:WorkloadRole").map((r) => r.name)).toEqual(["redis-snapshot-identity"]);
    expect(stack.resources.filter((r) => r.type.startsWith("docker-build:") || r.type.startsWith("docker:")).map((r) => r.name).join(" ")).not.toMatch(/postgres/);
    expect(stack.outputs["database"]).toBeUndefined();
    expect(secretLeaks(stack)).toEqual([]);
  });

  it("alerts on Redis, its snapshot job and its volume only", () => {
    const groups = (stack.named("alerts-rules").inputs["spec"] as any).groups as { name: string; rules: { alert: string }[] }[];
    const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts.filter((a) => /^Postgres|^Backup(TooOld)|RestoreVerification|ReplicationLagging/.test(a))).toEqual([]);
    expect(alerts).toEqual(expect.arrayContaining(["RedisDown", "RedisSnapshotTooOld", "BackupJobFailed", "BackupJobMissing", "PersistentVolumeAlmostFull"]));
    const text = JSON.stringify(groups);
    expect(text).not.toContain("postgres");
    expect(stack.ofType("kubernetes:monitoring.coreos.com/v1:PodMonitor").map((m) => (m.inputs["metadata"] as any).name).join(" ")).not.toMatch(/postgres/);
  });
});
