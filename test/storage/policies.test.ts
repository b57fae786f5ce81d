import { describe, expect, it } from "vitest";
import { ADMIN_ONLY_ACTIONS, backupBucketPolicy, dataPathPolicy, logBucketPolicy, replicationRolePolicy, type PolicyDocument } from "../../components/storage";
import { evaluate, wildcard } from "../harness/iam";

const BUCKET = "arn:aws:s3:::acme-dr-prod";
const KEY = "arn:aws:kms:eu-central-1:123456789012:key/abc";
const ADMIN = "arn:aws:iam::123456789012:role/backup-admin";
const DEPLOYER = "arn:aws:iam::123456789012:role/deployer";
const WRITER = "arn:aws:iam::123456789012:user/drkit/backups-pgbackrest-writer-user";

const bucketPolicy = backupBucketPolicy({ bucketArn: BUCKET, adminArns: [ADMIN, DEPLOYER, ADMIN] });
const pgWriter = dataPathPolicy({ bucketArn: BUCKET, prefixes: ["pgbackrest/prod/"], access: "write", kmsKeyArn: KEY, region: "eu-central-1" });
const reader = dataPathPolicy({ bucketArn: "arn:aws:s3:::acme-dr-prod-replica", prefixes: ["pgbackrest/prod/"], access: "read", region: "eu-west-1" });

/** The writer's request, judged by its own policy together with the bucket policy. */
const asWriter = (action: string, resource: string, context?: Record<string, string>) =>
  evaluate({ principal: WRITER, action, resource, ...(context ? { context } : {}) }, { identity: [pgWriter], resource: bucketPolicy });

describe("the documents are IAM JSON", () => {
  it.each([
    ["bucket policy", bucketPolicy],
    ["writer policy", pgWriter],
    ["reader policy", reader],
    ["log bucket policy", logBucketPolicy({ logBucketArn: `${BUCKET}-logs`, sourceBucketArn: BUCKET, accountId: "123456789012" })],
    ["replication policy", replicationRolePolicy({ sourceBucketArn: BUCKET, destinationBucketArn: `${BUCKET}-replica`, sourceKeyArn: KEY, destinationKeyArn: `${KEY}2` })],
  ])("%s", (_name, doc: PolicyDocument) => {
    const parsed = JSON.parse(JSON.stringify(doc)) as PolicyDocument;
    expect(parsed.Version).toBe("2012-10-17");
    expect(parsed.Statement.length).toBeGreaterThan(0);
    for (const statement of parsed.Statement) {
      expect(["Allow", "Deny"]).toContain(statement.Effect);
      expect([statement.Action].flat().every((a) => /^[a-z0-9-]+:[A-Za-z*]+$/.test(a))).toBe(true);
      // Every one of these documents names what it applies to (no implicit "*").
      expect(statement.Resource, JSON.stringify(statement)).toBeDefined();
    }
    const sids = parsed.Statement.flatMap((s) => (s.Sid ? [s.Sid] : []));
    expect(new Set(sids).size).toBe(sids.length);
  });
});

describe("the bucket policy", () => {
  it.each(ADMIN_ONLY_ACTIONS.map((a) => [a]))("denies %s to everyone but the admins", (action) => {
    const resource = action === "s3:DeleteObjectVersion" || action === "s3:BypassGovernanceRetention" ? `${BUCKET}/dumps/app/x` : BUCKET;
    expect(evaluate({ principal: WRITER, action, resource }, { resource: bucketPolicy })).toBe("explicit-deny");
    expect(evaluate({ principal: ADMIN, action, resource }, { resource: bucketPolicy })).not.toBe("explicit-deny");
    expect(evaluate({ principal: DEPLOYER, action, resource }, { resource: bucketPolicy })).not.toBe("explicit-deny");
  });

  it("lists each admin once", () => {
    const deny = bucketPolicy.Statement.find((s) => s.Sid === "DenyHistoryAndRuleChangesExceptAdmins")!;
    expect(deny.Condition).toEqual({ ArnNotEquals: { "aws:PrincipalArn": [ADMIN, DEPLOYER] } });
  });

  it("denies everything over plain HTTP, admins included", () => {
    for (const principal of [WRITER, ADMIN]) {
      expect(evaluate({ principal, action: "s3:GetObject", resource: `${BUCKET}/x`, context: { "aws:SecureTransport": "false" } }, { resource: bucketPolicy })).toBe("explicit-deny");
    }
  });

  it("does not get in the way of ordinary reads and writes over TLS", () => {
    expect(asWriter("s3:PutObject", `${BUCKET}/pgbackrest/prod/archive/main/000000010000000000000001.zst`)).toBe("allow");
  });
});

describe("a data-path writer", () => {
  it("puts, gets and deletes (a delete marker) under its own prefix", () => {
    for (const action of ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]) {
      expect(asWriter(action, `${BUCKET}/pgbackrest/prod/backup/main/backup.info`)).toBe("allow");
    }
  });

  it("cannot touch another data path or a neighbouring stack", () => {
    expect(asWriter("s3:PutObject", `${BUCKET}/dumps/app/2026/x`)).toBe("implicit-deny");
    expect(asWriter("s3:GetObject", `${BUCKET}/pgbackrest/prodigal/backup.info`)).toBe("implicit-deny");
    expect(asWriter("s3:PutObject", `${BUCKET}/redis/prod/x.rdb`)).toBe("implicit-deny");
  });

  it("lists only its own path", () => {
    expect(asWriter("s3:ListBucket", BUCKET, { "s3:prefix": "pgbackrest/prod/archive/" })).toBe("allow");
    expect(asWriter("s3:ListBucket", BUCKET, { "s3:prefix": "pgbackrest/prod" })).toBe("allow");
    expect(asWriter("s3:ListBucket", BUCKET, { "s3:prefix": "pgbackrest/prodigal/" })).toBe("implicit-deny");
    expect(asWriter("s3:ListBucket", BUCKET, { "s3:prefix": "" })).toBe("implicit-deny");
    expect(asWriter("s3:ListBucket", BUCKET)).toBe("implicit-deny");
  });

  it("never removes a version or changes the bucket's rules, whatever else is attached", () => {
    const generous: PolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] };
    for (const action of ADMIN_ONLY_ACTIONS) {
      expect(evaluate({ principal: WRITER, action, resource: `${BUCKET}/pgbackrest/prod/x` }, { identity: [pgWriter, generous] })).toBe("explicit-deny");
    }
  });

  it("uses the bucket's key and no other", () => {
    expect(evaluate({ principal: WRITER, action: "kms:GenerateDataKey", resource: KEY }, { identity: [pgWriter] })).toBe("allow");
    expect(evaluate({ principal: WRITER, action: "kms:Decrypt", resource: `${KEY}-other` }, { identity: [pgWriter] })).toBe("implicit-deny");
  });
});

describe("a restore reader", () => {
  const asReader = (action: string, resource: string, context?: Record<string, string>) =>
    evaluate({ principal: WRITER, action, resource, ...(context ? { context } : {}) }, { identity: [reader] });

  it("reads the source repository", () => {
    expect(asReader("s3:GetObject", "arn:aws:s3:::acme-dr-prod-replica/pgbackrest/prod/backup/main/backup.info")).toBe("allow");
    expect(asReader("s3:ListBucket", "arn:aws:s3:::acme-dr-prod-replica", { "s3:prefix": "pgbackrest/prod/backup/" })).toBe("allow");
  });

  it("cannot write, delete or read elsewhere", () => {
    expect(asReader("s3:PutObject", "arn:aws:s3:::acme-dr-prod-replica/pgbackrest/prod/x")).toBe("implicit-deny");
    expect(asReader("s3:DeleteObject", "arn:aws:s3:::acme-dr-prod-replica/pgbackrest/prod/x")).toBe("implicit-deny");
    expect(asReader("s3:GetObject", "arn:aws:s3:::acme-dr-prod-replica/dumps/app/x")).toBe("implicit-deny");
  });

  it("decrypts only through S3 in the source region, for that bucket", () => {
    const via = { "kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::acme-dr-prod-replica" };
    expect(asReader("kms:Decrypt", "arn:aws:kms:eu-west-1:123456789012:key/any", via)).toBe("allow");
    expect(asReader("kms:Decrypt", "arn:aws:kms:eu-west-1:123456789012:key/any")).toBe("implicit-deny");
    expect(asReader("kms:Decrypt", "arn:aws:kms:eu-west-1:123456789012:key/any", { ...via, "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::someone-else" })).toBe("implicit-deny");
    expect(asReader("kms:GenerateDataKey", "arn:aws:kms:eu-west-1:123456789012:key/any", via)).toBe("implicit-deny");
  });
});

describe("the replication role and the log bucket", () => {
  const replication = replicationRolePolicy({ sourceBucketArn: BUCKET, destinationBucketArn: `${BUCKET}-replica`, sourceKeyArn: KEY, destinationKeyArn: `${KEY}2` });
  const role = "arn:aws:iam::123456789012:role/replication";

  it("replicates into the destination only", () => {
    expect(evaluate({ principal: role, action: "s3:ReplicateObject", resource: `${BUCKET}-replica/x` }, { identity: [replication] })).toBe("allow");
    expect(evaluate({ principal: role, action: "s3:ReplicateObject", resource: `${BUCKET}/x` }, { identity: [replication] })).toBe("implicit-deny");
    expect(evaluate({ principal: role, action: "s3:GetObjectVersionForReplication", resource: `${BUCKET}/x` }, { identity: [replication] })).toBe("allow");
    expect(evaluate({ principal: role, action: "s3:PutObject", resource: `${BUCKET}-replica/x` }, { identity: [replication] })).toBe("implicit-deny");
  });

  it("lets only the logging service of this account and bucket write logs", () => {
    const logs = logBucketPolicy({ logBucketArn: `${BUCKET}-logs`, sourceBucketArn: BUCKET, accountId: "123456789012" });
    const context = { "aws:SourceArn": BUCKET, "aws:SourceAccount": "123456789012" };
    expect(evaluate({ principal: "logging.s3.amazonaws.com", action: "s3:PutObject", resource: `${BUCKET}-logs/x`, context }, { resource: logs })).toBe("allow");
    expect(evaluate({ principal: "logging.s3.amazonaws.com", action: "s3:PutObject", resource: `${BUCKET}-logs/x`, context: { ...context, "aws:SourceAccount": "999999999999" } }, { resource: logs })).toBe("implicit-deny");
    expect(evaluate({ principal: WRITER, action: "s3:PutObject", resource: `${BUCKET}-logs/x` }, { resource: logs })).toBe("implicit-deny");
  });
});

describe("the test evaluator itself", () => {
  it("matches IAM wildcards", () => {
    expect(wildcard("s3:*", "s3:GetObject")).toBe(true);
    expect(wildcard("arn:aws:s3:::b/p/*", "arn:aws:s3:::b/p/x/y")).toBe(true);
    expect(wildcard("arn:aws:s3:::b/p/*", "arn:aws:s3:::b/px")).toBe(false);
    expect(wildcard("a?c", "abc")).toBe(true);
    expect(wildcard("S3:getobject", "s3:GetObject", true)).toBe(true);
  });
});
