import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { REPLICATION_TIME_MINUTES } from "./paths";
import { accountOf, type StorageSpec } from "../config";
import { hardenedBucket } from "./hardenedBucket";
import { renderLifecycleRules } from "./lifecycle";
import { bucketEvents, logBucketPolicy, replicationRolePolicy, s3AssumeRolePolicy } from "./policies";

/** How long S3 server access logs are kept. */
const ACCESS_LOG_RETENTION_DAYS = 365;

export interface BackupBucketArgs {
  /** The bucket's settings: `drkit:storage` parsed (name, lifecycle, Object Lock, replication, access logs, admins). */
  storage: StorageSpec;
  /** The region of the bucket (`drkit:region`). */
  region: string;
  /** A drill's bucket: deleted with the stack, not protected, force-destroyed. @default false */
  disposable?: boolean;
  /**
   * Who may remove history (delete versions or the bucket, bypass retention, delete or disable
   * the key) and who may change the bucket's rules (lifecycle, policy, Object Lock, encryption,
   * logging, public access) and administer its key. A vault has its own (its deploy and
   * break-glass roles). @default history: `drkit:storage.adminRoleArn`, and the identity running
   * `pulumi up` only for a disposable bucket; rules: the admin role and the identity running `pulumi up`
   */
  admins?: BucketAdmins;
  /**
   * Default tags of the resources made through the vault's provider, which drkit creates itself
   * (the stack's provider tags everything else). @default none
   */
  tags?: Record<string, string>;
}

/** Principals exempt from a backup bucket's denies, by what they may do. */
export interface BucketAdmins {
  history: pulumi.Input<pulumi.Input<string>[]>;
  rules: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * The S3 bucket every backup of a stack lives in (docs/architecture.md §4), with per-class lifecycle
 * rules, SSE-KMS, a deny-by-default policy for history, optional Object Lock, server access
 * logs, and cross-region replication to a bucket in the DR region: in this account, or in a
 * vault account (`storage.replication.vault`) through a provider that assumes a role there, locked
 * in COMPLIANCE mode with a key only the vault's break-glass role can delete.
 *
 * Outside drill stacks the buckets and keys are protected and retained on delete: losing them
 * is losing the backups.
 */
export class BackupBucket extends pulumi.ComponentResource {
  /** The bucket's name. */
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  /** The customer-managed KMS key the bucket encrypts with. */
  public readonly kmsKeyArn: pulumi.Output<string>;
  /** The replica bucket in the DR region, when replication is configured. */
  public readonly replicaBucketName: pulumi.Output<string | undefined>;
  /** The replica bucket's ARN and KMS key, when replication is configured. */
  public readonly replica?: { bucketArn: pulumi.Output<string>; kmsKeyArn: pulumi.Output<string> };
  /** The server access log bucket, when access logs are on. */
  public readonly logBucketName: pulumi.Output<string | undefined>;
  /**
   * The SNS topics of the bucket's events (a version removed for good, a replication failure):
   * the bucket's, and the replica's in its account. Subscribe the on-call integration to them.
   */
  public readonly eventTopicArns: pulumi.Output<string[]>;

  constructor(name: string, args: BackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:storage:BackupBucket", name, {}, opts);
    const { storage, region } = args;
    if (storage.provider !== "aws") throw new Error(`BackupBucket is the AWS bucket; drkit:storage.provider is '${storage.provider}'`);
    const disposable = args.disposable ?? false;
    const keep: pulumi.CustomResourceOptions = disposable ? {} : { protect: true, retainOnDelete: true };
    const caller = aws.getCallerIdentityOutput({}, { parent: this });
    const admins = args.admins ?? this.defaultAdmins(storage.adminRoleArn, caller.arn, disposable);
    const lifecycleRules = renderLifecycleRules(storage);

    const source = hardenedBucket(
      `${name}-source`,
      {
        bucketName: storage.bucket,
        region,
        accountId: caller.accountId,
        historyAdmins: admins.history,
        ruleAdmins: admins.rules,
        objectLock: storage.objectLock,
        forceDestroy: disposable,
        keep,
        events: bucketEvents(storage.replication?.replicationTimeControl ?? false),
      },
      this,
    );

    let replication: aws.s3.BucketReplicationConfig | undefined;
    let replicaName: pulumi.Output<string | undefined> = pulumi.output(undefined);
    let replicaTopic: pulumi.Output<string> | undefined;
    if (storage.replication) {
      const target = storage.replication;
      const roleResource = new aws.iam.Role(
        `${name}-replication`,
        { description: `drkit: replicates ${storage.bucket} to ${target.bucket}`, assumeRolePolicy: JSON.stringify(s3AssumeRolePolicy()) },
        { parent: this },
      );
      const vault = target.vault;
      const vaultProvider = vault
        ? new aws.Provider(
            `${name}-vault`,
            { region: target.region, assumeRoles: [{ roleArn: vault.deployRoleArn, sessionName: "drkit-vault" }], ...(args.tags ? { defaultTags: { tags: args.tags } } : {}) },
            { parent: this },
          )
        : undefined;
      const replica = hardenedBucket(
        `${name}-replica`,
        {
          bucketName: target.bucket,
          region: target.region,
          forceDestroy: disposable,
          keep,
          events: bucketEvents(false),
          ...(vault && vaultProvider
            ? {
                accountId: accountOf(vault.deployRoleArn),
                historyAdmins: [vault.breakGlassRoleArn],
                ruleAdmins: [vault.deployRoleArn, vault.breakGlassRoleArn],
                objectLock: { mode: "COMPLIANCE" as const, retention: vault.retention },
                // This stack's account reads the vault: its archive check, and DR stacks restoring from it.
                vault: { replicationRoleArn: roleResource.arn, readerAccounts: caller.accountId.apply((account) => [account, ...vault.readerAccounts]) },
                provider: vaultProvider,
              }
            : {
                accountId: caller.accountId,
                historyAdmins: admins.history,
                ruleAdmins: admins.rules,
                // S3 replicates into a locked bucket only if the destination has Object Lock too.
                objectLock: storage.objectLock,
              }),
        },
        this,
      );
      // Replicated delete markers and replaced versions must age out on the replica as well.
      new aws.s3.BucketLifecycleConfiguration(
        `${name}-replica-lifecycle`,
        { region: target.region, bucket: replica.bucket.id, rules: lifecycleRules },
        { parent: this, dependsOn: [replica.versioning], ...(vaultProvider ? { provider: vaultProvider } : {}) },
      );
      const rolePolicy = new aws.iam.RolePolicy(
        `${name}-replication-policy`,
        {
          role: roleResource.id,
          policy: pulumi
            .all([source.bucket.arn, replica.bucket.arn, source.key.arn, replica.key.arn])
            .apply(([sourceBucketArn, destinationBucketArn, sourceKeyArn, destinationKeyArn]) =>
              JSON.stringify(replicationRolePolicy({ sourceBucketArn, destinationBucketArn, sourceKeyArn, destinationKeyArn })),
            ),
        },
        { parent: this },
      );
      const timeControl = target.replicationTimeControl
        ? {
            replicationTime: { status: "Enabled", time: { minutes: REPLICATION_TIME_MINUTES } },
            metrics: { status: "Enabled", eventThreshold: { minutes: REPLICATION_TIME_MINUTES } },
          }
        : {};
      replication = new aws.s3.BucketReplicationConfig(
        `${name}-replication-config`,
        {
          region,
          bucket: source.bucket.id,
          role: roleResource.arn,
          rules: [
            {
              id: "drkit-everything",
              status: "Enabled",
              priority: 1,
              // An empty filter (whole bucket) is what allows delete-marker replication.
              filter: {},
              deleteMarkerReplication: { status: "Enabled" },
              sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
              destination: {
                bucket: replica.bucket.arn,
                storageClass: target.storageClass,
                encryptionConfiguration: { replicaKmsKeyId: replica.key.arn },
                ...timeControl,
              },
            },
          ],
        },
        // Replication needs versioning on both sides, and the role's permissions in place.
        { parent: this, dependsOn: [source.versioning, replica.versioning, rolePolicy] },
      );
      replicaName = replica.bucket.bucket;
      replicaTopic = replica.eventsTopic.arn;
      this.replica = { bucketArn: replica.bucket.arn, kmsKeyArn: replica.key.arn };
      // The replica (a vault above all) keeps its own record of who read or wrote what.
      if (storage.accessLogs) {
        this.accessLogs({
          name: `${name}-replica`,
          bucketName: target.bucket,
          region: target.region,
          source: replica.bucket,
          accountId: vault ? pulumi.output(accountOf(vault.deployRoleArn)) : caller.accountId,
          keep,
          disposable,
          ...(vaultProvider ? { provider: vaultProvider } : {}),
        });
      }
    }

    new aws.s3.BucketLifecycleConfiguration(
      `${name}-source-lifecycle`,
      { region, bucket: source.bucket.id, rules: lifecycleRules },
      // Ordered after versioning (noncurrent rules need it) and replication (S3 validates them together).
      { parent: this, dependsOn: replication ? [source.versioning, replication] : [source.versioning] },
    );

    let logName: pulumi.Output<string | undefined> = pulumi.output(undefined);
    if (storage.accessLogs) logName = this.accessLogs({ name, bucketName: storage.bucket, region, source: source.bucket, accountId: caller.accountId, keep, disposable });

    this.bucketName = source.bucket.bucket;
    this.bucketArn = source.bucket.arn;
    this.kmsKeyArn = source.key.arn;
    this.replicaBucketName = replicaName;
    this.logBucketName = logName;
    this.eventTopicArns = pulumi.all([source.eventsTopic.arn, ...(replicaTopic ? [replicaTopic] : [])]);
    this.registerOutputs({
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      kmsKeyArn: this.kmsKeyArn,
      replicaBucketName: this.replicaBucketName,
      logBucketName: this.logBucketName,
      eventTopicArns: this.eventTopicArns,
    });
  }

  /**
   * The configured admin role removes history; the deployer (as its role ARN, not the session's)
   * changes rules, and removes history only from a disposable bucket, which `pulumi destroy` empties.
   */
  private defaultAdmins(adminRoleArn: string | undefined, callerArn: pulumi.Output<string>, disposable: boolean): BucketAdmins {
    const deployer = aws.iam.getSessionContextOutput({ arn: callerArn }, { parent: this }).issuerArn;
    const admin = adminRoleArn ? [adminRoleArn] : [];
    const withDeployer = deployer.apply((arn) => [...new Set([...admin, arn])]);
    return { history: disposable ? withDeployer : admin, rules: withDeployer };
  }

  /**
   * A separate `<bucket>-logs` bucket for a bucket's server access logs, in its region and account:
   * SSE-S3 (log delivery cannot use SSE-KMS), private, versioned (a deleted log stays a
   * noncurrent version for 30 days), aged out after a year.
   */
  private accessLogs(args: {
    /** The logged bucket's resource name: the log bucket's resources are `<name>-logs…`, the logging `<name>-logging`. */
    name: string;
    bucketName: string;
    region: string;
    source: aws.s3.Bucket;
    accountId: pulumi.Output<string>;
    keep: pulumi.CustomResourceOptions;
    disposable: boolean;
    provider?: pulumi.ProviderResource;
  }): pulumi.Output<string> {
    const { region } = args;
    const name = `${args.name}-logs`;
    const opts: pulumi.CustomResourceOptions = { parent: this, ...(args.provider ? { provider: args.provider } : {}) };
    const logs = new aws.s3.Bucket(name, { region, bucket: `${args.bucketName}-logs`, forceDestroy: args.disposable }, { ...opts, ...args.keep });
    new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, { region, bucket: logs.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, opts);
    const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { region, bucket: logs.id, versioningConfiguration: { status: "Enabled" } }, opts);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { region, bucket: logs.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      opts,
    );
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { region, bucket: logs.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        region,
        bucket: logs.id,
        policy: pulumi
          .all([logs.arn, args.source.arn, args.accountId])
          .apply(([logBucketArn, sourceBucketArn, account]) => JSON.stringify(logBucketPolicy({ logBucketArn, sourceBucketArn, accountId: account }))),
      },
      { ...opts, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        region,
        bucket: logs.id,
        rules: [
          {
            id: "drkit-logs",
            status: "Enabled",
            filter: {},
            expiration: { days: ACCESS_LOG_RETENTION_DAYS },
            noncurrentVersionExpiration: { noncurrentDays: 30 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      { ...opts, dependsOn: [versioning] },
    );
    new aws.s3.BucketLogging(`${args.name}-logging`, { region, bucket: args.source.id, targetBucket: logs.id, targetPrefix: `s3-access/${args.bucketName}/` }, opts);
    return logs.bucket;
  }
}
