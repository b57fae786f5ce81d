import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ObjectLockSpec } from "../config";
import { DAY } from "../config";
import { backupBucketPolicy } from "./policies";

export interface HardenedBucketArgs {
  bucketName: string;
  region: string;
  /** Principals exempt from the admin-only deny in the bucket policy. */
  adminArns: pulumi.Input<pulumi.Input<string>[]>;
  objectLock?: ObjectLockSpec;
  /** Drill stacks only: let `pulumi destroy` empty the bucket. */
  forceDestroy: boolean;
  /** protect/retainOnDelete for everything that holds or unlocks data (bucket, key). */
  keep: pulumi.CustomResourceOptions;
}

export interface HardenedBucket {
  bucket: aws.s3.Bucket;
  key: aws.kms.Key;
  versioning: aws.s3.BucketVersioning;
}

/**
 * A bucket as every copy of the backups needs it: versioned, SSE-KMS with its own rotating
 * customer-managed key and an S3 bucket key, no public access, no ACLs, TLS only, and history
 * that only admins can remove. Used for the backup bucket and its replica alike.
 */
export function hardenedBucket(name: string, args: HardenedBucketArgs, parent: pulumi.Resource): HardenedBucket {
  const { region } = args;
  const key = new aws.kms.Key(
    `${name}-key`,
    {
      region,
      description: `drkit: encrypts the backups in ${args.bucketName}`,
      enableKeyRotation: true,
      // Deleting this key makes every backup in the bucket unreadable: the longest wait.
      deletionWindowInDays: 30,
    },
    { parent, ...args.keep },
  );
  new aws.kms.Alias(`${name}-key-alias`, { region, name: `alias/drkit/${args.bucketName}`, targetKeyId: key.keyId }, { parent });

  const bucket = new aws.s3.Bucket(
    name,
    {
      region,
      bucket: args.bucketName,
      forceDestroy: args.forceDestroy,
      // Object Lock can only be turned on when the bucket is created.
      ...(args.objectLock ? { objectLockEnabled: true } : {}),
    },
    { parent, ...args.keep },
  );
  const versioning = new aws.s3.BucketVersioning(
    `${name}-versioning`,
    { region, bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
    { parent },
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    {
      region,
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }],
    },
    { parent },
  );
  const publicAccess = new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    { region, bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    { parent },
  );
  new aws.s3.BucketOwnershipControls(`${name}-ownership`, { region, bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent });
  new aws.s3.BucketPolicy(
    `${name}-policy`,
    {
      region,
      bucket: bucket.id,
      policy: pulumi.all([bucket.arn, args.adminArns]).apply(([bucketArn, adminArns]) => JSON.stringify(backupBucketPolicy({ bucketArn, adminArns }))),
    },
    // S3 refuses policies while the public access block is being created.
    { parent, dependsOn: [publicAccess] },
  );
  if (args.objectLock) {
    new aws.s3.BucketObjectLockConfiguration(
      `${name}-object-lock`,
      {
        region,
        bucket: bucket.id,
        rule: { defaultRetention: { mode: args.objectLock.mode, days: Math.round(args.objectLock.retention / DAY) } },
      },
      { parent, dependsOn: [versioning] },
    );
  }
  return { bucket, key, versioning };
}
