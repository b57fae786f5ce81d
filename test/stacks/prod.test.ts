import { beforeAll, describe, expect, it } from "vitest";
import { checkConfig } from "../../components/config";
import { rawSpecFromConfig, readStackFile } from "../../components/config";
import { renderLifecycleRules } from "../../components/storage";
import { FAKE_DEPLOYER_ROLE, PROJECT_ROOT, renderStack, type RecordedResource, type RenderedStack } from "../harness/renderStack";
import { evaluate, evaluateKey } from "../harness/iam";
import type { PolicyDocument } from "../../components/storage";

/** What an attacker holding an account's administrator role may do by IAM: everything. */
const ADMINISTRATOR_ACCESS: PolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

const S3 = "aws:s3/";
const policyOf = (r: RecordedResource) => JSON.parse(r.inputs["policy"] as string);

describe("the prod stack under mocks", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("prod");
  });

  it("exports the parsed spec with derived paths and schedules", () => {
    const drkit = stack.outputs["drkit"] as Record<string, any>;
    expect(drkit.role).toBe("primary");
    expect(drkit.postgres.repository).toBe("s3://trading-dr-prod-eu-central-1/pgbackrest/prod (stanza main)");
    expect(drkit.objectives.postgres).toEqual({ rpo: "5m", rto: "15m" });
    expect(drkit.redis.snapshots).toContain("'*/2 * * * *'");
  });

  it("is one DrRegion, every resource of the stack inside it", () => {
    const [region, ...others] = stack.ofType("drkit:region:DrRegion");
    expect(others).toEqual([]);
    expect(stack.parentOf(region!)?.type).toBe("pulumi:pulumi:Stack");
    const ancestors = (r: RecordedResource): RecordedResource[] => {
      const parent = stack.parentOf(r);
      return parent ? [parent, ...ancestors(parent)] : [];
    };
    const outside = stack.resources.filter((r) => r !== region && r.type !== "pulumi:pulumi:Stack" && !ancestors(r).includes(region!));
    expect(outside.map((r) => `${r.type} ${r.name}`)).toEqual([]);
    expect(stack.resources.length).toBeGreaterThan(100);
  });

  it("puts every AWS resource on the stack's provider: drkit:region, tagged", () => {
    const provider = stack.named("aws");
    expect(provider.inputs["region"]).toBe("eu-central-1");
    // The engine receives a provider's nested inputs as JSON text.
    const defaultTags = JSON.parse(provider.inputs["defaultTags"] as string);
    expect(defaultTags.tags).toEqual({ team: "trading", "cost-center": "platform", "drkit:stack": "prod", "drkit:role": "primary" });
    const awsResources = stack.resources.filter((r) => r.type.startsWith("aws:"));
    expect(awsResources.length).toBeGreaterThan(30);
    // The vault's resources are made in its own account, through the provider that assumes its deploy role.
    const inVault = (r: RecordedResource) => /^backups-bucket-replica(-|$)/.test(r.name);
    expect(awsResources.filter(inVault).length).toBeGreaterThan(5);
    for (const r of awsResources) expect(r.provider, r.name).toContain(inVault(r) ? "pulumi:providers:aws::backups-bucket-vault::" : "pulumi:providers:aws::aws::");
  });

  it("reaches the vault through a provider that assumes the vault account's deploy role in the DR region", () => {
    const vault = stack.named("backups-bucket-vault", "pulumi:providers:aws");
    expect(vault.inputs["region"]).toBe("eu-west-1");
    expect(JSON.parse(vault.inputs["assumeRoles"] as string)).toEqual([{ roleArn: "arn:aws:iam::210987654321:role/trading-vault-deployer", sessionName: "drkit-vault" }]);
    expect(JSON.parse(vault.inputs["defaultTags"] as string).tags).toEqual(JSON.parse(stack.named("aws").inputs["defaultTags"] as string).tags);
  });

  describe("the backup bucket", () => {
    it("is the configured bucket in drkit:region, protected and retained, never force-destroyed", () => {
      const bucket = stack.named("backups-bucket-source");
      expect(bucket.type).toBe(`${S3}bucket:Bucket`);
      expect(bucket.inputs).toMatchObject({ bucket: "trading-dr-prod-eu-central-1", region: "eu-central-1", forceDestroy: false, objectLockEnabled: true });
      expect(bucket.protect).toBe(true);
      expect(bucket.retainOnDelete).toBe(true);
      expect(stack.parentOf(bucket)?.type).toBe("drkit:storage:BackupBucket");
      expect(stack.parentOf(stack.parentOf(bucket)!)?.type).toBe("drkit:storage:BackupStorage");
    });

    it("is versioned, SSE-KMS with a rotating customer key and a bucket key, private, ACL-free", () => {
      expect(stack.named("backups-bucket-source-versioning").inputs["versioningConfiguration"]).toEqual({ status: "Enabled" });
      const key = stack.named("backups-bucket-source-key");
      expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30, region: "eu-central-1" });
      expect(key.protect && key.retainOnDelete).toBe(true);
      expect(stack.named("backups-bucket-source-encryption").inputs["rules"]).toEqual([
        { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:eu-central-1:123456789012:key/backups-bucket-source-key" }, bucketKeyEnabled: true },
      ]);
      expect(stack.named("backups-bucket-source-public-access").inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
      expect(stack.named("backups-bucket-source-ownership").inputs["rule"]).toEqual({ objectOwnership: "BucketOwnerEnforced" });
    });

    it("locks new versions in COMPLIANCE mode for 14 days", () => {
      expect(stack.named("backups-bucket-source-object-lock").inputs["rule"]).toEqual({ defaultRetention: { mode: "COMPLIANCE", days: 14 } });
    });

    it("has a policy that keeps history for the admin role, and rules for it and the deployer", () => {
      const policy = policyOf(stack.named("backups-bucket-source-policy"));
      const bucket = "arn:aws:s3:::trading-dr-prod-eu-central-1";
      const writer = "arn:aws:iam::123456789012:user/drkit/anyone";
      const admin = "arn:aws:iam::123456789012:role/trading-backup-admin";
      const judge = (principal: string, action: string, resource: string) => evaluate({ principal, action, resource }, { identity: [ADMINISTRATOR_ACCESS], resource: policy });
      for (const principal of [writer, FAKE_DEPLOYER_ROLE]) expect(judge(principal, "s3:DeleteObjectVersion", `${bucket}/pgbackrest/prod/x`)).toBe("explicit-deny");
      expect(judge(admin, "s3:DeleteObjectVersion", `${bucket}/pgbackrest/prod/x`)).toBe("allow");
      expect(judge(writer, "s3:PutLifecycleConfiguration", bucket)).toBe("explicit-deny");
      for (const principal of [admin, FAKE_DEPLOYER_ROLE]) expect(judge(principal, "s3:PutLifecycleConfiguration", bucket)).toBe("allow");
      expect(evaluate({ principal: writer, action: "s3:GetObject", resource: `${bucket}/x`, context: { "aws:SecureTransport": "false" } }, { resource: policy })).toBe("explicit-deny");
    });

    it("encrypts with a key whose explicit policy lets only the admin role destroy it, and the deployer administer it", () => {
      const key = policyOf(stack.named("backups-bucket-source-key"));
      const judge = (principal: string, action: string) =>
        evaluateKey({ principal, action, resource: "arn:aws:kms:eu-central-1:123456789012:key/backups-bucket-source-key" }, { identity: [ADMINISTRATOR_ACCESS], keyPolicy: key, keyAccount: "123456789012" });
      expect(judge(FAKE_DEPLOYER_ROLE, "kms:ScheduleKeyDeletion")).toBe("explicit-deny");
      expect(judge("arn:aws:iam::123456789012:role/platform-admin", "kms:ScheduleKeyDeletion")).toBe("explicit-deny");
      expect(judge("arn:aws:iam::123456789012:role/trading-backup-admin", "kms:ScheduleKeyDeletion")).toBe("allow");
      expect(judge(FAKE_DEPLOYER_ROLE, "kms:PutKeyPolicy")).toBe("allow");
      expect(stack.named("backups-bucket-source-key").inputs["bypassPolicyLockoutSafetyCheck"]).toBeUndefined();
    });

    it("has the rendered lifecycle, ordered after versioning and replication", () => {
      const result = checkConfig(rawSpecFromConfig(readStackFile(`${PROJECT_ROOT}/Pulumi.prod.yaml`).config), { stack: "prod" });
      if (!result.ok) throw new Error("prod does not parse");
      const lifecycle = stack.named("backups-bucket-source-lifecycle");
      expect(lifecycle.inputs["rules"]).toEqual(renderLifecycleRules(result.spec.storage));
      expect(lifecycle.dependsOn).toEqual(expect.arrayContaining([stack.named("backups-bucket-source-versioning").urn, stack.named("backups-bucket-replication-config").urn]));
      const ids = (lifecycle.inputs["rules"] as { id: string }[]).map((r) => r.id);
      expect(ids).toEqual(["drkit-pgbackrest", "drkit-dumps-transitions", "drkit-dumps", "drkit-redis", "drkit-media-transitions", "drkit-media"]);
    });

    it("logs access to a separate SSE-S3 bucket", () => {
      expect(stack.named("backups-bucket-logs").inputs).toMatchObject({ bucket: "trading-dr-prod-eu-central-1-logs", region: "eu-central-1" });
      expect(stack.named("backups-bucket-logs-encryption").inputs["rules"]).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
      expect(stack.named("backups-bucket-logging").inputs).toMatchObject({ targetPrefix: "s3-access/trading-dr-prod-eu-central-1/" });
      const policy = policyOf(stack.named("backups-bucket-logs-policy"));
      expect(policy.Statement[1].Principal).toEqual({ Service: "logging.s3.amazonaws.com" });
      expect(policy.Statement[1].Condition.StringEquals).toEqual({ "aws:SourceAccount": "123456789012" });
      expect(stack.named("backups-bucket-logs-versioning").inputs["versioningConfiguration"]).toEqual({ status: "Enabled" });
    });

    it("reports a version removed for good, and objects that failed or were late to replicate, to an encrypted topic only S3 may publish to", () => {
      const notification = stack.named("backups-bucket-source-notification");
      const topic = "arn:aws:sns:eu-central-1:123456789012:trading-dr-prod-eu-central-1-events";
      expect(notification.inputs["topics"]).toEqual([{ topicArn: topic, events: ["s3:ObjectRemoved:Delete", "s3:Replication:OperationFailedReplication", "s3:Replication:OperationMissedThreshold"] }]);
      expect(notification.dependsOn).toContain(stack.named("backups-bucket-source-events-policy").urn);
      expect(stack.named("backups-bucket-source-events").inputs["kmsMasterKeyId"]).toBe("arn:aws:kms:eu-central-1:123456789012:key/backups-bucket-source-key");
      const policy = policyOf(stack.named("backups-bucket-source-events-policy"));
      const publish = (principal: string, sourceArn: string) =>
        evaluate({ principal, action: "sns:Publish", resource: topic, context: { "aws:SourceArn": sourceArn, "aws:SourceAccount": "123456789012" } }, { resource: policy });
      expect(publish("s3.amazonaws.com", "arn:aws:s3:::trading-dr-prod-eu-central-1")).toBe("allow");
      expect(publish("s3.amazonaws.com", "arn:aws:s3:::someone-elses-bucket")).toBe("implicit-deny");
      expect(publish("arn:aws:iam::123456789012:user/drkit/anyone", "arn:aws:s3:::trading-dr-prod-eu-central-1")).toBe("implicit-deny");
      // S3 encrypts what it publishes with the bucket's key, for this bucket's events only.
      const key = policyOf(stack.named("backups-bucket-source-key"));
      const s3Uses = (sourceArn: string) => evaluateKey({ principal: "s3.amazonaws.com", action: "kms:GenerateDataKey", resource: "key", context: { "aws:SourceArn": sourceArn, "aws:SourceAccount": "123456789012" } }, { keyPolicy: key, keyAccount: "123456789012" });
      expect(s3Uses("arn:aws:s3:::trading-dr-prod-eu-central-1")).toBe("allow");
      expect(s3Uses("arn:aws:s3:::someone-elses-bucket")).toBe("implicit-deny");
      // The vault reports to a topic of its own, in its account.
      const vault = stack.named("backups-bucket-replica-notification");
      expect(vault.provider).toContain("pulumi:providers:aws::backups-bucket-vault::");
      expect((vault.inputs["topics"] as { events: string[] }[])[0]!.events).toEqual(["s3:ObjectRemoved:Delete"]);
      expect(stack.outputs["backupStorage"]).toMatchObject({ eventTopics: [topic, "arn:aws:sns:eu-west-1:123456789012:trading-dr-prod-replica-eu-west-1-events"] });
    });

    it("logs access to the vault in a log bucket of the vault's own, delivered for the vault's account", () => {
      const logs = stack.named("backups-bucket-replica-logs");
      expect(logs.inputs).toMatchObject({ bucket: "trading-dr-prod-replica-eu-west-1-logs", region: "eu-west-1" });
      expect(logs.provider).toContain("pulumi:providers:aws::backups-bucket-vault::");
      expect(stack.named("backups-bucket-replica-logging").inputs).toMatchObject({ targetPrefix: "s3-access/trading-dr-prod-replica-eu-west-1/" });
      const policy = policyOf(stack.named("backups-bucket-replica-logs-policy"));
      expect(policy.Statement[1].Condition.StringEquals).toEqual({ "aws:SourceAccount": "210987654321" });
    });
  });

  describe("replication to the DR region", () => {
    it("creates the replica in the vault, in eu-west-1, with its own key, versioning, COMPLIANCE lock and policy", () => {
      const replica = stack.named("backups-bucket-replica");
      expect(replica.inputs).toMatchObject({ bucket: "trading-dr-prod-replica-eu-west-1", region: "eu-west-1", objectLockEnabled: true });
      expect(replica.protect && replica.retainOnDelete).toBe(true);
      expect(stack.named("backups-bucket-replica-key").inputs["region"]).toBe("eu-west-1");
      expect(stack.named("backups-bucket-replica-versioning").inputs).toMatchObject({ region: "eu-west-1", versioningConfiguration: { status: "Enabled" } });
      expect(stack.named("backups-bucket-replica-object-lock").inputs["rule"]).toEqual({ defaultRetention: { mode: "COMPLIANCE", days: 14 } });
      expect(stack.named("backups-bucket-replica-lifecycle").inputs["region"]).toBe("eu-west-1");
    });

    it("keeps the vault out of reach of a compromised primary: its deployer, admin role and workload keys", () => {
      const bucket = "arn:aws:s3:::trading-dr-prod-replica-eu-west-1";
      const vaultPolicy = policyOf(stack.named("backups-bucket-replica-policy"));
      const keyPolicy = policyOf(stack.named("backups-bucket-replica-key"));
      const primary = [FAKE_DEPLOYER_ROLE, "arn:aws:iam::123456789012:role/trading-backup-admin", "arn:aws:iam::123456789012:user/drkit/backups-pgbackrest-writer-user", "arn:aws:iam::123456789012:root"];
      for (const principal of primary) {
        for (const [action, resource] of [["s3:DeleteObjectVersion", `${bucket}/pgbackrest/prod/x`], ["s3:PutObject", `${bucket}/pgbackrest/prod/x`], ["s3:BypassGovernanceRetention", `${bucket}/x`], ["s3:PutLifecycleConfiguration", bucket], ["s3:PutBucketObjectLockConfiguration", bucket], ["s3:PutBucketPolicy", bucket]] as const) {
          expect(evaluate({ principal, action, resource }, { identity: [ADMINISTRATOR_ACCESS], resource: vaultPolicy, resourceAccount: "210987654321" }), `${principal} ${action}`).not.toBe("allow");
        }
        for (const action of ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKey"]) {
          expect(evaluateKey({ principal, action, resource: "vault-key" }, { identity: [ADMINISTRATOR_ACCESS], keyPolicy, keyAccount: "210987654321" }), `${principal} ${action}`).not.toBe("allow");
        }
      }
      // Not even the vault's own deployer can destroy the key or change its policy: the break-glass role alone.
      const vaultKey = (principal: string, action: string) => evaluateKey({ principal, action, resource: "vault-key" }, { identity: [ADMINISTRATOR_ACCESS], keyPolicy, keyAccount: "210987654321" });
      expect(vaultKey("arn:aws:iam::210987654321:role/trading-vault-deployer", "kms:PutKeyPolicy")).toBe("explicit-deny");
      expect(vaultKey("arn:aws:iam::210987654321:role/trading-vault-break-glass", "kms:ScheduleKeyDeletion")).toBe("allow");
      expect(stack.named("backups-bucket-replica-key").inputs["bypassPolicyLockoutSafetyCheck"]).toBe(true);
      // The replication role writes replicas; prod's account reads (the archive check, staging's restore).
      const role = "arn:aws:iam::123456789012:role/backups-bucket-replication";
      expect(evaluate({ principal: role, action: "s3:ReplicateObject", resource: `${bucket}/x` }, { identity: [ADMINISTRATOR_ACCESS], resource: vaultPolicy, resourceAccount: "210987654321" })).toBe("allow");
      expect(evaluate({ principal: "arn:aws:iam::123456789012:user/drkit/reader", action: "s3:GetObject", resource: `${bucket}/pgbackrest/prod/x` }, { identity: [ADMINISTRATOR_ACCESS], resource: vaultPolicy, resourceAccount: "210987654321" })).toBe("allow");
    });

    it("replicates everything with delete markers, Replication Time Control and metrics", () => {
      const replication = stack.named("backups-bucket-replication-config");
      expect(replication.inputs).toMatchObject({ region: "eu-central-1", role: "arn:aws:iam::123456789012:role/backups-bucket-replication" });
      const rules = replication.inputs["rules"] as any[];
      expect(rules).toEqual([
        {
          id: "drkit-everything",
          status: "Enabled",
          priority: 1,
          filter: {},
          deleteMarkerReplication: { status: "Enabled" },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
          destination: {
            bucket: "arn:aws:s3:::trading-dr-prod-replica-eu-west-1",
            storageClass: "STANDARD",
            encryptionConfiguration: { replicaKmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/backups-bucket-replica-key" },
            replicationTime: { status: "Enabled", time: { minutes: 15 } },
            metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
          },
        },
      ]);
      expect(replication.dependsOn).toEqual(expect.arrayContaining([stack.named("backups-bucket-source-versioning").urn, stack.named("backups-bucket-replica-versioning").urn]));
    });

    it("uses a role only S3 can assume, limited to replicating", () => {
      const role = stack.named("backups-bucket-replication", "aws:iam/role:Role");
      expect(JSON.parse(role.inputs["assumeRolePolicy"] as string).Statement).toEqual([{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }]);
      const policy = policyOf(stack.named("backups-bucket-replication-policy", "aws:iam/rolePolicy:RolePolicy"));
      const principal = "arn:aws:iam::123456789012:role/backups-bucket-replication";
      expect(evaluate({ principal, action: "s3:ReplicateDelete", resource: "arn:aws:s3:::trading-dr-prod-replica-eu-west-1/x" }, { identity: [policy] })).toBe("allow");
      expect(evaluate({ principal, action: "s3:DeleteObjectVersion", resource: "arn:aws:s3:::trading-dr-prod-replica-eu-west-1/x" }, { identity: [policy] })).toBe("implicit-deny");
    });
  });

  describe("the workloads' identities (IRSA)", () => {
    const ROLES = ["postgres", "postgres-archive-check", "postgres-backup-diff", "postgres-backup-full", "postgres-backup-incr", "postgres-dump", "postgres-verify", "redis-snapshot"];
    const rolePolicy = (serviceAccount: string): PolicyDocument => policyOf(stack.named(`${serviceAccount}-identity-policy`, "aws:iam/rolePolicy:RolePolicy"));

    it("creates no IAM user and no access key: every pod that reaches the bucket assumes a role of its own", () => {
      expect(stack.resources.filter((r) => /^aws:iam\/(user|userPolicy|accessKey):/.test(r.type)).map((r) => r.name)).toEqual([]);
      expect(stack.ofType("drkit:storage:WorkloadRole").map((r) => r.name).sort()).toEqual(ROLES.map((sa) => `${sa}-identity`).sort());
      expect(Object.keys(stack.outputs["backupStorage"] as object)).toContain("workloadRoles");
      expect(stack.outputs["backupStorage"]).toMatchObject({ writerKeyIds: {}, restoreKeyIds: {} });
      expect(Object.keys((stack.outputs["backupStorage"] as { workloadRoles: object }).workloadRoles).sort()).toEqual(ROLES);
    });

    it("lets only the pod's own ServiceAccount in the stack's namespace assume each role, with a token for STS", () => {
      const issuer = "oidc.eks.eu-central-1.amazonaws.com/id/5C1F0E6E2A8B4D3C9E7F1A2B3C4D5E6F";
      for (const serviceAccount of ROLES) {
        const role = stack.named(`${serviceAccount}-identity-role`, "aws:iam/role:Role");
        expect(JSON.parse(role.inputs["assumeRolePolicy"] as string).Statement, serviceAccount).toEqual([
          {
            Sid: "OnlyThisServiceAccount",
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${issuer}` },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: { StringEquals: { [`${issuer}:sub`]: `system:serviceaccount:trading-data:${serviceAccount}`, [`${issuer}:aud`]: "sts.amazonaws.com" } },
          },
        ]);
        expect(role.inputs["maxSessionDuration"]).toBe(3600);
      }
    });

    it("scopes each role to the data paths its containers use", () => {
      const bucket = "arn:aws:s3:::trading-dr-prod-eu-central-1";
      const replica = "arn:aws:s3:::trading-dr-prod-replica-eu-west-1";
      const may = (serviceAccount: string, action: string, resource: string, context?: Record<string, string>) =>
        evaluate({ principal: `arn:aws:iam::123456789012:role/drkit/${serviceAccount}`, action, resource, ...(context ? { context } : {}) }, { identity: [rolePolicy(serviceAccount)] });
      // PostgreSQL archives to its own repository only.
      expect(may("postgres", "s3:PutObject", `${bucket}/pgbackrest/prod/archive/main/x`)).toBe("allow");
      expect(may("postgres", "s3:PutObject", `${bucket}/dumps/trading/x`)).toBe("implicit-deny");
      for (const kind of ["full", "diff", "incr"]) expect(may(`postgres-backup-${kind}`, "s3:PutObject", `${bucket}/pgbackrest/prod/backup/main/x`)).toBe("allow");
      expect(may("postgres-dump", "s3:PutObject", `${bucket}/dumps/trading/2026-11-22T02:30:00Z/toc.dat`)).toBe("allow");
      expect(may("postgres-dump", "s3:PutObject", `${bucket}/pgbackrest/prod/x`)).toBe("implicit-deny");
      expect(may("redis-snapshot", "s3:PutObject", `${bucket}/redis/prod/20261122T0005Z.rdb`)).toBe("allow");
      expect(may("redis-snapshot", "s3:GetObject", `${bucket}/pgbackrest/prod/backup/main/backup.info`)).toBe("implicit-deny");
      // Restore verification reads the repository and can write nothing.
      expect(may("postgres-verify", "s3:GetObject", `${bucket}/pgbackrest/prod/backup/main/backup.info`)).toBe("allow");
      expect(may("postgres-verify", "s3:PutObject", `${bucket}/pgbackrest/prod/archive/main/x`)).toBe("implicit-deny");
      // The archive check repairs its repository and lists the replica, where it can write nothing.
      expect(may("postgres-archive-check", "s3:PutObject", `${bucket}/pgbackrest/prod/backup/main/x`)).toBe("allow");
      expect(may("postgres-archive-check", "s3:ListBucket", replica, { "s3:prefix": "pgbackrest/prod/archive/main/" })).toBe("allow");
      expect(may("postgres-archive-check", "s3:PutObject", `${replica}/pgbackrest/prod/archive/main/x`)).toBe("implicit-deny");
      // No role, whatever it holds, removes history or changes the bucket's rules.
      for (const serviceAccount of ROLES) {
        for (const action of ["s3:DeleteObjectVersion", "s3:PutLifecycleConfiguration", "s3:PutBucketPolicy", "s3:BypassGovernanceRetention"]) {
          expect(may(serviceAccount, action, action === "s3:DeleteObjectVersion" || action === "s3:BypassGovernanceRetention" ? `${bucket}/pgbackrest/prod/x` : bucket), `${serviceAccount} ${action}`).toBe("explicit-deny");
        }
      }
    });

    it("projects the token into exactly the containers that reach the bucket, and runs each pod as its role's ServiceAccount", () => {
      const statefulSet = stack.named("postgres", "kubernetes:apps/v1:StatefulSet");
      const spec = (statefulSet.inputs["spec"] as any).template.spec;
      expect(spec.serviceAccountName).toBe("postgres");
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.volumes).toContainEqual({ name: "aws-token", projected: { sources: [{ serviceAccountToken: { audience: "sts.amazonaws.com", expirationSeconds: 86400, path: "token" } }] } });
      const holders = [...spec.initContainers, ...spec.containers].filter((c: any) => (c.volumeMounts ?? []).some((m: any) => m.name === "aws-token")).map((c: any) => c.name);
      expect(holders).toEqual(["bootstrap", "postgres"]);
      const server = spec.containers.find((c: any) => c.name === "postgres");
      const env = Object.fromEntries(server.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
      expect(env).toMatchObject({ AWS_WEB_IDENTITY_TOKEN_FILE: "/var/run/secrets/drkit/aws/token", PGBACKREST_REPO1_S3_KEY_TYPE: "web-id" });
      expect(env["AWS_ROLE_ARN"]).toMatch(/^arn:aws:iam::123456789012:role\/postgres-identity-role/);
      const cronJob = stack.named("postgres-dump", "kubernetes:batch/v1:CronJob");
      const jobPod = (cronJob.inputs["spec"] as any).jobTemplate.spec.template.spec;
      expect(jobPod.serviceAccountName).toBe("postgres-dump");
      expect(stack.named("postgres-dump-account", "kubernetes:core/v1:ServiceAccount").inputs["automountServiceAccountToken"]).toBe(false);
    });
  });
});
