import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ObjectLockSpec } from "../config";
import { DAY } from "../config";
import { bucketArn } from "./paths";
import { backupBucketPolicy, eventTopicPolicy, keyPolicy } from "./policies";

export interface HardenedBucketArgs {
  bucketName: string;
  region: string;
  /** The account the bucket and its key live in: its IAM may grant the key's use. */
  accountId: pulumi.Input<string>;
  /** Principals that may remove history: delete versions, bypass retention, delete or disable the key. */
  historyAdmins: pulumi.Input<pulumi.Input<string>[]>;
  /** Principals that may change the bucket's rules and administer its key. */
  ruleAdmins: pulumi.Input<pulumi.Input<string>[]>;
  objectLock?: ObjectLockSpec;
  /**
   * A vault in another account: the source's replication role may replicate in, the reader
   * accounts may read, and the key's policy is sealed (changed by the history admins only).
   */
  vault?: { replicationRoleArn: pulumi.Input<string>; readerAccounts: pulumi.Input<pulumi.Input<string>[]> };
  /** Drill stacks only: let `pulumi destroy` empty the bucket. */
  forceDestroy: boolean;
  /** protect/retainOnDelete for everything that holds or unlocks data (bucket, key). */
  keep: pulumi.CustomResourceOptions;
  /** The provider of the bucket's account (a vault's assumes a role there). @default the stack's */
  provider?: pulumi.ProviderResource;
  /** The events its `<bucket>-events` SNS topic receives (`bucketEvents`). */
  events: string[];
}

export interface HardenedBucket {
  bucket: aws.s3.Bucket;
  key: aws.kms.Key;
  versioning: aws.s3.BucketVersioning;
  /** The SNS topic its events go to, encrypted with its key: subscribe an on-call integration. */
  eventsTopic: aws.sns.Topic;
}

/**
 * A bucket as every copy of the backups needs it: versioned, SSE-KMS with its own rotating
 * customer-managed key and an S3 bucket key, no public access, no ACLs, TLS only, and history
 * that only the admin role can remove, rules only admins and the deployer can change, and a key
 * policy of its own. Used for the backup bucket and its replica (or vault) alike.
 */
export function hardenedBucket(name: string, args: HardenedBucketArgs, parentResource: pulumi.Resource): HardenedBucket {
  const { region } = args;
  const opts: pulumi.CustomResourceOptions = { parent: parentResource, ...(args.provider ? { provider: args.provider } : {}) };
  const sealed = args.vault !== undefined;
  // Who the bucket's policy and its key's policy exempt or grant: the same principals for both.
  const principals = pulumi
    .all([args.historyAdmins, args.ruleAdmins, args.vault?.replicationRoleArn, args.vault?.readerAccounts])
    .apply(([historyAdmins, ruleAdmins, replicationRoleArn, readerAccounts]) => ({
      historyAdmins,
      ruleAdmins,
      crossAccount: replicationRoleArn ? { replicationRoleArn, readerAccounts: readerAccounts ?? [] } : undefined,
    }));
  const key = new aws.kms.Key(
    `${name}-key`,
    {
      region,
      description: `drkit: encrypts the backups in ${args.bucketName}`,
      enableKeyRotation: true,
      // Deleting this key makes every backup in the bucket unreadable: the longest wait.
      deletionWindowInDays: 30,
      policy: pulumi.all([args.accountId, principals]).apply(([accountId, who]) =>
        JSON.stringify(
          keyPolicy({
            accountId,
            historyAdmins: who.historyAdmins,
            ruleAdmins: who.ruleAdmins,
            sealed,
            eventsOf: bucketArn(args.bucketName, region),
            ...(who.crossAccount ? { crossAccount: { ...who.crossAccount, region } } : {}),
          }),
        ),
      ),
      // A sealed policy denies the deployer creating the key any later policy change, which
      // KMS's lockout check would refuse: that is the point (the break-glass role can).
      ...(sealed ? { bypassPolicyLockoutSafetyCheck: true } : {}),
    },
    { ...opts, ...args.keep },
  );
  new aws.kms.Alias(`${name}-key-alias`, { region, name: `alias/drkit/${args.bucketName}`, targetKeyId: key.keyId }, opts);

  const bucket = new aws.s3.Bucket(
    name,
    {
      region,
      bucket: args.bucketName,
      forceDestroy: args.forceDestroy,
      // Object Lock can only be turned on when the bucket is created.
      ...(args.objectLock ? { objectLockEnabled: true } : {}),
    },
    { ...opts, ...args.keep },
  );
  const versioning = new aws.s3.BucketVersioning(
    `${name}-versioning`,
    { region, bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
    opts,
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    {
      region,
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }],
    },
    opts,
  );
  const publicAccess = new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    { region, bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    opts,
  );
  new aws.s3.BucketOwnershipControls(`${name}-ownership`, { region, bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
  new aws.s3.BucketPolicy(
    `${name}-policy`,
    {
      region,
      bucket: bucket.id,
      policy: pulumi.all([bucket.arn, principals]).apply(([arn, who]) =>
        JSON.stringify(backupBucketPolicy({ bucketArn: arn, historyAdmins: who.historyAdmins, ruleAdmins: who.ruleAdmins, ...(who.crossAccount ? { crossAccount: who.crossAccount } : {}) })),
      ),
    },
    // S3 refuses policies while the public access block is being created.
    { ...opts, dependsOn: [publicAccess] },
  );
  if (args.objectLock) {
    new aws.s3.BucketObjectLockConfiguration(
      `${name}-object-lock`,
      {
        region,
        bucket: bucket.id,
        rule: { defaultRetention: { mode: args.objectLock.mode, days: Math.round(args.objectLock.retention / DAY) } },
      },
      { ...opts, dependsOn: [versioning] },
    );
  }
  const eventsTopic = new aws.sns.Topic(`${name}-events`, { region, name: `${args.bucketName}-events`, kmsMasterKeyId: key.arn }, opts);
  const topicPolicy = new aws.sns.TopicPolicy(
    `${name}-events-policy`,
    {
      region,
      arn: eventsTopic.arn,
      policy: pulumi
        .all([eventsTopic.arn, bucket.arn, args.accountId])
        .apply(([topicArn, bucketArnValue, accountId]) => JSON.stringify(eventTopicPolicy({ topicArn, bucketArn: bucketArnValue, accountId }))),
    },
    opts,
  );
  // S3 checks that it may publish when the notification is set: after the topic's policy.
  new aws.s3.BucketNotification(`${name}-notification`, { region, bucket: bucket.id, topics: [{ topicArn: eventsTopic.arn, events: args.events }] }, { ...opts, dependsOn: [topicPolicy] });
  return { bucket, key, versioning, eventsTopic };
}
