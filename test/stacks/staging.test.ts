import { beforeAll, describe, expect, it } from "vitest";
import { evaluate } from "../harness/iam";
import { renderStack, type RenderedStack } from "../harness/renderStack";

describe("the staging (drill) stack under mocks", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("staging");
  });

  it("is a drill that restores prod's replicated backups and archives to its own path", () => {
    const drkit = stack.outputs["drkit"] as Record<string, any>;
    expect(drkit.role).toBe("drill");
    expect(drkit.region).toBe("eu-west-1");
    expect(drkit.postgres.restoreFrom).toBe("s3://trading-dr-prod-replica-eu-west-1/pgbackrest/prod (eu-west-1), target latest");
    expect(drkit.postgres.repository).toBe("s3://trading-dr-staging-eu-west-1/pgbackrest/staging (stanza main)");
    expect(drkit.redis.restoreFrom).toBe("s3://trading-dr-prod-replica-eu-west-1/redis/prod/ (if missing: fail)");
  });

  it("has a disposable bucket: force-destroyed, neither protected nor retained", () => {
    const bucket = stack.named("backups-bucket-source");
    expect(bucket.inputs).toMatchObject({ bucket: "trading-dr-staging-eu-west-1", region: "eu-west-1", forceDestroy: true });
    expect(bucket.inputs["objectLockEnabled"]).toBeUndefined();
    for (const r of stack.resources) {
      expect(r.protect, r.name).toBe(false);
      expect(r.retainOnDelete, r.name).toBe(false);
    }
  });

  it("neither replicates nor logs access", () => {
    expect(stack.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig")).toEqual([]);
    expect(stack.ofType("aws:s3/bucketLogging:BucketLogging")).toEqual([]);
    expect(stack.ofType("aws:s3/bucket:Bucket").map((b) => b.name)).toEqual(["backups-bucket-source"]);
    expect(stack.ofType("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")).toEqual([]);
  });

  it("writes only its own paths: no dump writer, dumps are off", () => {
    expect(stack.ofType("drkit:storage:BucketIdentity").map((r) => r.name).sort()).toEqual([
      "backups-pgbackrest-reader",
      "backups-pgbackrest-writer",
      "backups-redis-writer",
      "backups-restore-postgres",
      "backups-restore-redis",
    ]);
  });

  it("reads prod's repository and snapshots from the replica, and nothing more", () => {
    const policy = (name: string) => JSON.parse(stack.named(name).inputs["policy"] as string);
    const replica = "arn:aws:s3:::trading-dr-prod-replica-eu-west-1";
    const pg = policy("backups-restore-postgres-policy");
    const redis = policy("backups-restore-redis-policy");
    const ask = (doc: any, action: string, key: string) => evaluate({ principal: "u", action, resource: `${replica}/${key}` }, { identity: [doc] });
    expect(ask(pg, "s3:GetObject", "pgbackrest/prod/backup/main/backup.info")).toBe("allow");
    expect(ask(pg, "s3:PutObject", "pgbackrest/prod/archive/main/x")).toBe("implicit-deny");
    expect(ask(pg, "s3:GetObject", "redis/prod/x.rdb")).toBe("implicit-deny");
    expect(ask(redis, "s3:GetObject", "redis/prod/x.rdb")).toBe("allow");
    expect(ask(redis, "s3:DeleteObject", "redis/prod/x.rdb")).toBe("implicit-deny");
    const own = policy("backups-pgbackrest-writer-policy");
    expect(evaluate({ principal: "u", action: "s3:PutObject", resource: "arn:aws:s3:::trading-dr-staging-eu-west-1/pgbackrest/staging/x" }, { identity: [own] })).toBe("allow");
    expect(evaluate({ principal: "u", action: "s3:PutObject", resource: `${replica}/pgbackrest/prod/x` }, { identity: [own] })).toBe("implicit-deny");
  });
});
