import { describe, expect, it } from "vitest";
import { ADMIN_ONLY_ACTIONS, backupBucketPolicy, dataPathPolicy, HISTORY_ACTIONS, KEY_DESTRUCTION_ACTIONS, keyPolicy, logBucketPolicy, replicationRolePolicy, RULE_ACTIONS, type PolicyDocument } from "../../components/storage";
import { evaluate, evaluateKey, wildcard } from "../harness/iam";

const BUCKET = "arn:aws:s3:::acme-dr-prod";
const KEY = "arn:aws:kms:eu-central-1:123456789012:key/abc";
const ADMIN = "arn:aws:iam::123456789012:role/backup-admin";
const DEPLOYER = "arn:aws:iam::123456789012:role/deployer";
const WRITER = "arn:aws:iam::123456789012:user/drkit/backups-pgbackrest-writer-user";

const bucketPolicy = backupBucketPolicy({ bucketArn: BUCKET, historyAdmins: [ADMIN, ADMIN], ruleAdmins: [ADMIN, DEPLOYER, ADMIN] });
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
    ["vault bucket policy", backupBucketPolicy({ bucketArn: BUCKET, historyAdmins: [ADMIN], ruleAdmins: [DEPLOYER], crossAccount: { replicationRoleArn: DEPLOYER, readerAccounts: ["123456789012"] } })],
    ["key policy", keyPolicy({ accountId: "123456789012", historyAdmins: [ADMIN], ruleAdmins: [DEPLOYER] })],
    ["vault key policy", keyPolicy({ accountId: "123456789012", historyAdmins: [ADMIN], ruleAdmins: [DEPLOYER], sealed: true, crossAccount: { replicationRoleArn: DEPLOYER, readerAccounts: ["123456789012"], region: "eu-west-1" } })],
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
  const objectOrBucket = (action: string) => (["s3:DeleteObjectVersion", "s3:BypassGovernanceRetention", "s3:PutObjectRetention", "s3:PutObjectLegalHold"].includes(action) ? `${BUCKET}/dumps/app/x` : BUCKET);

  it.each(HISTORY_ACTIONS.map((a) => [a]))("denies %s to everyone but the admin role, the deployer included", (action) => {
    const resource = objectOrBucket(action);
    for (const principal of [WRITER, DEPLOYER]) expect(evaluate({ principal, action, resource }, { resource: bucketPolicy })).toBe("explicit-deny");
    expect(evaluate({ principal: ADMIN, action, resource }, { resource: bucketPolicy })).not.toBe("explicit-deny");
  });

  it.each(RULE_ACTIONS.map((a) => [a]))("denies %s to everyone but the admin role and the deployer", (action) => {
    expect(evaluate({ principal: WRITER, action, resource: BUCKET }, { resource: bucketPolicy })).toBe("explicit-deny");
    for (const principal of [ADMIN, DEPLOYER]) expect(evaluate({ principal, action, resource: BUCKET }, { resource: bucketPolicy })).not.toBe("explicit-deny");
  });

  it("lists each admin once", () => {
    const conditions = Object.fromEntries(bucketPolicy.Statement.filter((s) => s.Sid?.startsWith("Deny") && s.Sid !== "DenyInsecureTransport").map((s) => [s.Sid, s.Condition]));
    expect(conditions).toEqual({
      DenyHistoryRemovalExceptAdmins: { ArnNotEquals: { "aws:PrincipalArn": [ADMIN] } },
      DenyRuleChangesExceptAdmins: { ArnNotEquals: { "aws:PrincipalArn": [ADMIN, DEPLOYER] } },
    });
  });

  it("denies history to everyone, account root included, when no admin role is configured", () => {
    const noAdmin = backupBucketPolicy({ bucketArn: BUCKET, historyAdmins: [], ruleAdmins: [DEPLOYER] });
    for (const principal of [DEPLOYER, "arn:aws:iam::123456789012:root"]) {
      expect(evaluate({ principal, action: "s3:DeleteObjectVersion", resource: `${BUCKET}/x` }, { resource: noAdmin })).toBe("explicit-deny");
    }
    expect(evaluate({ principal: DEPLOYER, action: "s3:PutLifecycleConfiguration", resource: BUCKET }, { resource: noAdmin })).not.toBe("explicit-deny");
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

/** What an attacker holding an account's administrator role may do by IAM: everything. */
const ADMINISTRATOR_ACCESS: PolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

describe("the source bucket's key", () => {
  const key = keyPolicy({ accountId: "123456789012", historyAdmins: [ADMIN], ruleAdmins: [ADMIN, DEPLOYER] });
  const asKey = (principal: string, action: string, identity: PolicyDocument[] = [ADMINISTRATOR_ACCESS]) =>
    evaluateKey({ principal, action, resource: KEY }, { identity, keyPolicy: key, keyAccount: "123456789012" });
  const otherAdministrator = "arn:aws:iam::123456789012:role/platform-admin";

  it("can be destroyed by the admin role only, never by the deployer or another administrator of the account", () => {
    for (const action of KEY_DESTRUCTION_ACTIONS) {
      expect(asKey(ADMIN, action)).toBe("allow");
      expect(asKey(DEPLOYER, action)).toBe("explicit-deny");
      expect(asKey(otherAdministrator, action)).toBe("explicit-deny");
      expect(asKey("arn:aws:iam::123456789012:root", action)).toBe("explicit-deny");
    }
  });

  it("is administered by the deployer (policy, rotation, tags) and by no other administrator", () => {
    for (const action of ["kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:TagResource"]) {
      expect(asKey(DEPLOYER, action)).toBe("allow");
      expect(asKey(otherAdministrator, action)).toBe("implicit-deny");
    }
  });

  it("is used by whoever the account's IAM lets use it, and by no one else", () => {
    expect(asKey(WRITER, "kms:GenerateDataKey", [pgWriter])).toBe("allow");
    expect(asKey(WRITER, "kms:Decrypt", [])).toBe("implicit-deny");
    expect(evaluateKey({ principal: "arn:aws:iam::999999999999:role/x", action: "kms:Decrypt", resource: KEY }, { identity: [ADMINISTRATOR_ACCESS], keyPolicy: key, keyAccount: "123456789012" })).toBe("implicit-deny");
  });

  it("cannot be destroyed by anyone when no admin role is configured", () => {
    const unowned = keyPolicy({ accountId: "123456789012", historyAdmins: [], ruleAdmins: [DEPLOYER] });
    expect(evaluateKey({ principal: DEPLOYER, action: "kms:ScheduleKeyDeletion", resource: KEY }, { identity: [ADMINISTRATOR_ACCESS], keyPolicy: unowned, keyAccount: "123456789012" })).toBe("explicit-deny");
  });
});

describe("a vault in its own account", () => {
  const PRIMARY = "123456789012";
  const VAULT = "210987654321";
  const VAULT_BUCKET = "arn:aws:s3:::acme-dr-vault";
  const VAULT_KEY = `arn:aws:kms:eu-west-1:${VAULT}:key/vault`;
  const VAULT_DEPLOYER = `arn:aws:iam::${VAULT}:role/vault-deployer`;
  const BREAK_GLASS = `arn:aws:iam::${VAULT}:role/vault-break-glass`;
  const REPLICATION = `arn:aws:iam::${PRIMARY}:role/replication`;
  const crossAccount = { replicationRoleArn: REPLICATION, readerAccounts: [PRIMARY] };
  const policy = backupBucketPolicy({ bucketArn: VAULT_BUCKET, historyAdmins: [BREAK_GLASS], ruleAdmins: [VAULT_DEPLOYER, BREAK_GLASS], crossAccount });
  const key = keyPolicy({ accountId: VAULT, historyAdmins: [BREAK_GLASS], ruleAdmins: [VAULT_DEPLOYER, BREAK_GLASS], sealed: true, crossAccount: { ...crossAccount, region: "eu-west-1" } });
  const onBucket = (principal: string, action: string, resource: string, identity: PolicyDocument[] = [ADMINISTRATOR_ACCESS], context?: Record<string, string>) =>
    evaluate({ principal, action, resource, ...(context ? { context } : {}) }, { identity, resource: policy, resourceAccount: VAULT });
  const onKey = (principal: string, action: string, identity: PolicyDocument[] = [ADMINISTRATOR_ACCESS], context?: Record<string, string>) =>
    evaluateKey({ principal, action, resource: VAULT_KEY, ...(context ? { context } : {}) }, { identity, keyPolicy: key, keyAccount: VAULT });
  const version = `${VAULT_BUCKET}/pgbackrest/prod/archive/main/x`;

  it("is out of reach of a compromised primary: its deployer, admin role, root and workload keys", () => {
    for (const principal of [DEPLOYER, ADMIN, WRITER, `arn:aws:iam::${PRIMARY}:root`]) {
      for (const action of [...HISTORY_ACTIONS, "s3:PutObject", "s3:DeleteObject"]) expect(onBucket(principal, action, version), `${principal} ${action}`).not.toBe("allow");
      for (const action of RULE_ACTIONS) expect(onBucket(principal, action, VAULT_BUCKET), `${principal} ${action}`).not.toBe("allow");
      for (const action of [...KEY_DESTRUCTION_ACTIONS, "kms:PutKeyPolicy", "kms:CreateGrant", "kms:Encrypt"]) expect(onKey(principal, action), `${principal} ${action}`).not.toBe("allow");
    }
  });

  it("takes replicas from the primary's replication role, and nothing else from it", () => {
    const identity = [replicationRolePolicy({ sourceBucketArn: BUCKET, destinationBucketArn: VAULT_BUCKET, sourceKeyArn: KEY, destinationKeyArn: VAULT_KEY })];
    expect(onBucket(REPLICATION, "s3:ReplicateObject", version, identity)).toBe("allow");
    expect(onBucket(REPLICATION, "s3:ReplicateDelete", version, identity)).toBe("allow");
    expect(onKey(REPLICATION, "kms:GenerateDataKey", identity)).toBe("allow");
    expect(onBucket(REPLICATION, "s3:DeleteObjectVersion", version)).not.toBe("allow");
    expect(onKey(REPLICATION, "kms:Decrypt")).not.toBe("allow");
  });

  it("is read by the primary's account, through S3 only, when its IAM lets a reader read", () => {
    expect(onBucket(WRITER, "s3:GetObject", version, [reader])).toBe("implicit-deny");
    const vaultReader = dataPathPolicy({ bucketArn: VAULT_BUCKET, prefixes: ["pgbackrest/prod/"], access: "read", region: "eu-west-1" });
    expect(onBucket(WRITER, "s3:GetObject", version, [vaultReader])).toBe("allow");
    expect(onBucket(WRITER, "s3:PutObject", version, [vaultReader])).toBe("implicit-deny");
    const via = { "kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": VAULT_BUCKET };
    expect(onKey(WRITER, "kms:Decrypt", [vaultReader], via)).toBe("allow");
    expect(onKey(WRITER, "kms:Decrypt", [ADMINISTRATOR_ACCESS])).toBe("implicit-deny");
    expect(onBucket(`arn:aws:iam::999999999999:role/stranger`, "s3:GetObject", version)).toBe("implicit-deny");
  });

  it("lets its own deployer manage the rules, never remove history, delete the key or change the key's policy", () => {
    expect(onBucket(VAULT_DEPLOYER, "s3:PutLifecycleConfiguration", VAULT_BUCKET)).toBe("allow");
    for (const action of HISTORY_ACTIONS) expect(onBucket(VAULT_DEPLOYER, action, version)).toBe("explicit-deny");
    for (const action of [...KEY_DESTRUCTION_ACTIONS, "kms:PutKeyPolicy"]) expect(onKey(VAULT_DEPLOYER, action)).toBe("explicit-deny");
    expect(onKey(VAULT_DEPLOYER, "kms:TagResource")).toBe("allow");
  });

  it("leaves key deletion and policy changes to the break-glass role alone (versions stay under COMPLIANCE retention)", () => {
    for (const action of [...KEY_DESTRUCTION_ACTIONS, "kms:PutKeyPolicy"]) expect(onKey(BREAK_GLASS, action)).toBe("allow");
    expect(onKey(`arn:aws:iam::${VAULT}:root`, "kms:ScheduleKeyDeletion")).toBe("explicit-deny");
    expect(onKey(`arn:aws:iam::${VAULT}:role/vault-admin`, "kms:ScheduleKeyDeletion")).toBe("explicit-deny");
  });
});
