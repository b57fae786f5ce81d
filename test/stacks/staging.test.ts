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

  it("writes only its own paths: a role per pod that reaches a bucket, no dump job (dumps are off), no IAM user", () => {
    expect(stack.ofType("drkit:storage:WorkloadRole").map((r) => r.name).sort()).toEqual([
      "postgres-archive-check-identity",
      "postgres-backup-diff-identity",
      "postgres-backup-full-identity",
      "postgres-backup-incr-identity",
      "postgres-identity",
      "postgres-verify-at-start-identity",
      "postgres-verify-identity",
      "redis-identity",
      "redis-snapshot-identity",
    ]);
    expect(stack.resources.filter((r) => /^aws:iam\/(user|userPolicy|accessKey):/.test(r.type))).toEqual([]);
  });

  it("receives no credential that can write, delete or change anything of prod's", () => {
    const identities = stack.ofType("aws:iam/rolePolicy:RolePolicy").map((r) => [r.name, JSON.parse(r.inputs["policy"] as string)] as const);
    expect(identities.length).toBe(9);
    const prodBuckets = ["arn:aws:s3:::trading-dr-prod-eu-central-1", "arn:aws:s3:::trading-dr-prod-replica-eu-west-1"];
    const writes = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:BypassGovernanceRetention"];
    const rules = ["s3:PutLifecycleConfiguration", "s3:PutBucketPolicy", "s3:PutBucketVersioning", "s3:DeleteBucket"];
    for (const [name, policy] of identities) {
      for (const bucket of prodBuckets) {
        for (const action of writes) expect(evaluate({ principal: "u", action, resource: `${bucket}/pgbackrest/prod/archive/main/x` }, { identity: [policy] }), `${name} ${action}`).not.toBe("allow");
        for (const action of rules) expect(evaluate({ principal: "u", action, resource: bucket }, { identity: [policy] }), `${name} ${action}`).not.toBe("allow");
      }
      // Nor any key: decrypting prod's backups is through S3, for reads.
      expect(evaluate({ principal: "u", action: "kms:ScheduleKeyDeletion", resource: "arn:aws:kms:eu-west-1:210987654321:key/vault" }, { identity: [policy] }), name).not.toBe("allow");
    }
    // What it does receive of prod's: the repository passphrase (pgBackRest encrypts the files
    // themselves), as a Pulumi secret through a stack reference; it decrypts, it cannot write.
    const fromProd = stack.ofType("kubernetes:core/v1:Secret").flatMap((r) =>
      Object.entries(((r.inputs as any).stringData ?? {}) as Record<string, string>).filter(([, value]) => String(value).includes("stackref")).map(([key]) => `${(r.inputs as any).metadata.name}:${key}`),
    );
    expect(fromProd.length).toBeGreaterThan(0);
    for (const where of fromProd) expect(where).toMatch(/:PGBACKREST_REPO\d_CIPHER_PASS$/);
  });

  it("reads prod's repository and snapshots from the replica, and nothing more", () => {
    const policy = (name: string) => JSON.parse(stack.named(name).inputs["policy"] as string);
    const replica = "arn:aws:s3:::trading-dr-prod-replica-eu-west-1";
    // The source's readers: PostgreSQL's pod (restore, and restore_command) and the verification at
    // start; Redis's pod (the restore init container).
    const pg = policy("postgres-verify-at-start-identity-policy");
    const redis = policy("redis-identity-policy");
    const ask = (doc: any, action: string, key: string) => evaluate({ principal: "u", action, resource: `${replica}/${key}` }, { identity: [doc] });
    expect(ask(pg, "s3:GetObject", "pgbackrest/prod/backup/main/backup.info")).toBe("allow");
    expect(ask(pg, "s3:PutObject", "pgbackrest/prod/archive/main/x")).toBe("implicit-deny");
    expect(ask(pg, "s3:GetObject", "redis/prod/x.rdb")).toBe("implicit-deny");
    expect(ask(redis, "s3:GetObject", "redis/prod/x.rdb")).toBe("allow");
    expect(ask(redis, "s3:DeleteObject", "redis/prod/x.rdb")).toBe("implicit-deny");
    expect(ask(policy("postgres-identity-policy"), "s3:GetObject", "pgbackrest/prod/backup/main/backup.info")).toBe("allow");
    expect(ask(policy("postgres-identity-policy"), "s3:PutObject", "pgbackrest/prod/archive/main/x")).toBe("implicit-deny");
    const own = policy("postgres-identity-policy");
    expect(evaluate({ principal: "u", action: "s3:PutObject", resource: "arn:aws:s3:::trading-dr-staging-eu-west-1/pgbackrest/staging/x" }, { identity: [own] })).toBe("allow");
    expect(evaluate({ principal: "u", action: "s3:PutObject", resource: `${replica}/pgbackrest/prod/x` }, { identity: [own] })).toBe("implicit-deny");
  });
});
