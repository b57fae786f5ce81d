import { describe, expect, it } from "vitest";
import { alertTargets, renderAlertRules } from "../../components/alerts";
import { summarizeSpec } from "../../components/config";
import { redisInput } from "../../components/redis/input";
import { redisPlan } from "../../components/redis/plan";
import { backupStorageArgs } from "../../components/storage/paths";
import { merge, minimalDrill, minimalPrimary, specOf } from "../config/fixtures";

/**
 * Redis whose snapshots are off (`drkit:redis.snapshots.enabled: false`): data that must never
 * come back after a disaster, such as a task queue (restoring it runs the tasks again).
 */
const off = { redis: { snapshots: { enabled: false } } };
const primary = specOf(merge(minimalPrimary(), off), "prod");
// A drill of such a Redis names no source: it starts empty, whatever the bucket holds.
const drill = specOf(merge(minimalDrill(), { redis: { snapshots: { enabled: false }, restoreFrom: undefined } }), "staging");

describe("Redis with its snapshots off", () => {
  it("copies nothing off-site: no snapshot job, no bucket access, no key", () => {
    const plan = redisPlan(redisInput(primary));
    expect(plan.jobs).toEqual([]);
    expect(Object.keys(plan.configMaps[0]!.files)).toEqual(["redis.conf"]);
    expect(plan.servers[0]!.pod.objectStorage).toBe(false);
    expect(plan.servers[0]!.pod.serviceAccount).toBeUndefined();
    expect(plan.secrets.map((s) => s.name).sort()).toEqual(["redis-auth", "redis-tls"]);
    // Nor does the bucket get a writer for it.
    expect(Object.keys(backupStorageArgs(primary).dataPaths)).not.toContain("redis");
  });

  it("starts a drill's Redis empty: no restore steps and no source to read", () => {
    const plan = redisPlan(redisInput(drill));
    expect(plan.servers[0]!.pod.initContainers).toEqual([]);
    expect(plan.servers[0]!.pod.objectStorage).toBe(false);
    expect(backupStorageArgs(drill).restoreSources).not.toHaveProperty("redis");
  });

  it("watches Redis itself but no snapshot job", () => {
    const names = (spec: typeof primary) => renderAlertRules(spec, alertTargets(spec)).flatMap((group) => group.rules.map((rule) => rule.alert));
    expect(names(specOf(minimalPrimary(), "prod"))).toContain("RedisSnapshotTooOld");
    expect(names(primary)).not.toContain("RedisSnapshotTooOld");
    expect(names(primary)).toEqual(expect.arrayContaining(["RedisDown", "RedisAofWriteFailing"]));
    const expressions = JSON.stringify(renderAlertRules(primary, alertTargets(primary)));
    expect(expressions).not.toContain("redis-snapshot");
  });

  it("says in the review's summary that Redis starts empty after a disaster, and promises no RPO", () => {
    const summary = summarizeSpec(primary);
    expect(summary.redis).toMatchObject({ snapshots: "off: never copied off-site; after a disaster Redis starts empty, by design", restoreFrom: "none" });
    expect(summary.objectives["redis"]).toEqual({ rpo: "none (snapshots off: starts empty)", rto: "30m" });
  });
});
