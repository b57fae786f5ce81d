/**
 * IAM documents for the backup bucket and the identities that use it. Pure: ARNs come in as
 * plain strings (the components resolve Outputs first), documents go out as plain objects.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { AWS?: string | string[]; Service?: string | string[] };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

const document = (...statements: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement: statements });

/**
 * What only an admin may do to a backup bucket: remove history (versions, the bucket), or
 * change the rules that keep it (lifecycle, versioning, policy, Object Lock, replication).
 * A stolen backup credential or a buggy script can then at worst add delete markers.
 */
export const ADMIN_ONLY_ACTIONS = [
  "s3:DeleteObjectVersion",
  "s3:DeleteBucket",
  "s3:PutLifecycleConfiguration",
  "s3:PutBucketVersioning",
  "s3:PutBucketPolicy",
  "s3:DeleteBucketPolicy",
  "s3:PutBucketObjectLockConfiguration",
  "s3:BypassGovernanceRetention",
  "s3:PutReplicationConfiguration",
] as const;

function denyInsecureTransport(bucketArn: string): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

export interface BucketPolicyInput {
  bucketArn: string;
  /**
   * Principals (role or user ARNs) exempt from the admin-only deny: the configured admin role
   * and whoever runs `pulumi up` (it must be able to update lifecycle and policy).
   */
  adminArns: string[];
}

/** The backup bucket's policy: TLS only; history and its rules changed by admins only. */
export function backupBucketPolicy({ bucketArn, adminArns }: BucketPolicyInput): PolicyDocument {
  return document(denyInsecureTransport(bucketArn), {
    Sid: "DenyHistoryAndRuleChangesExceptAdmins",
    Effect: "Deny",
    Principal: "*",
    Action: [...ADMIN_ONLY_ACTIONS],
    Resource: [bucketArn, `${bucketArn}/*`],
    // aws:PrincipalArn is the role ARN for assumed-role sessions, so a role is matched whatever
    // its session name.
    Condition: { ArnNotEquals: { "aws:PrincipalArn": [...new Set(adminArns)] } },
  });
}

/** The access-log bucket's policy: TLS only, and the S3 logging service may write this source's logs. */
export function logBucketPolicy({ logBucketArn, sourceBucketArn, accountId }: { logBucketArn: string; sourceBucketArn: string; accountId: string }): PolicyDocument {
  return document(denyInsecureTransport(logBucketArn), {
    Sid: "AllowServerAccessLogs",
    Effect: "Allow",
    Principal: { Service: "logging.s3.amazonaws.com" },
    Action: "s3:PutObject",
    Resource: `${logBucketArn}/*`,
    Condition: { ArnLike: { "aws:SourceArn": sourceBucketArn }, StringEquals: { "aws:SourceAccount": accountId } },
  });
}

/** Lets the S3 service assume the replication role. */
export function s3AssumeRolePolicy(): PolicyDocument {
  return document({ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" });
}

export interface ReplicationPolicyInput {
  sourceBucketArn: string;
  destinationBucketArn: string;
  sourceKeyArn: string;
  destinationKeyArn: string;
}

/** The least the replication role needs: read versions at the source, replicate to the destination. */
export function replicationRolePolicy(input: ReplicationPolicyInput): PolicyDocument {
  return document(
    { Sid: "ReadSourceConfiguration", Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: input.sourceBucketArn },
    {
      Sid: "ReadSourceVersions",
      Effect: "Allow",
      Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"],
      Resource: `${input.sourceBucketArn}/*`,
    },
    { Sid: "WriteReplicas", Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: `${input.destinationBucketArn}/*` },
    { Sid: "DecryptSource", Effect: "Allow", Action: "kms:Decrypt", Resource: input.sourceKeyArn },
    { Sid: "EncryptReplicas", Effect: "Allow", Action: ["kms:Encrypt", "kms:GenerateDataKey"], Resource: input.destinationKeyArn },
  );
}

export interface DataPathPolicyInput {
  bucketArn: string;
  /** Key prefixes this identity may use, each ending in `/`, e.g. `pgbackrest/prod/`. */
  prefixes: string[];
  /** `write`: put, get, list and delete (a delete marker only); `read`: get and list. */
  access: "write" | "read";
  /** The bucket's KMS key. Unknown for another stack's bucket: then any key, used through S3 in `region` for this bucket only. */
  kmsKeyArn?: string;
  region: string;
}

/**
 * An identity scoped to some prefixes of one bucket. A writer can add and replace objects and
 * remove current ones (which leaves a noncurrent version behind); nobody here can remove a
 * version or change the bucket's rules, and the explicit deny says so even if another policy
 * were attached by mistake.
 */
export function dataPathPolicy({ bucketArn, prefixes, access, kmsKeyArn, region }: DataPathPolicyInput): PolicyDocument {
  const objects = prefixes.map((p) => `${bucketArn}/${p}*`);
  // ListBucket is matched against the prefix asked for: the path itself (pgBackRest lists
  // "pgbackrest/prod" too) and anything under it.
  const listable = prefixes.flatMap((p) => [p.replace(/\/$/, ""), `${p}*`]);
  const objectActions = access === "write" ? ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"] : ["s3:GetObject"];
  const kmsActions = access === "write" ? ["kms:Decrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"];
  return document(
    { Sid: "LocateBucket", Effect: "Allow", Action: "s3:GetBucketLocation", Resource: bucketArn },
    { Sid: "ListOwnPrefixes", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn, Condition: { StringLike: { "s3:prefix": listable } } },
    ...(access === "write" ? [{ Sid: "ListOwnUploads", Effect: "Allow" as const, Action: "s3:ListBucketMultipartUploads", Resource: bucketArn }] : []),
    { Sid: access === "write" ? "ReadWriteOwnObjects" : "ReadOwnObjects", Effect: "Allow", Action: objectActions, Resource: objects },
    kmsKeyArn
      ? { Sid: "UseBucketKey", Effect: "Allow", Action: kmsActions, Resource: kmsKeyArn }
      : {
          Sid: "UseBucketKeyThroughS3",
          Effect: "Allow",
          Action: kmsActions,
          Resource: "*",
          Condition: {
            StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` },
            // With an S3 bucket key the encryption context is the bucket ARN, else the object's.
            StringLike: { "kms:EncryptionContext:aws:s3:arn": [bucketArn, `${bucketArn}/*`] },
          },
        },
    { Sid: "NeverRemoveHistoryOrRules", Effect: "Deny", Action: [...ADMIN_ONLY_ACTIONS], Resource: [bucketArn, `${bucketArn}/*`] },
  );
}
