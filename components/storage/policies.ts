/**
 * IAM documents for the backup bucket and the identities that use it. Pure: ARNs come in as
 * plain strings (the components resolve Outputs first), documents go out as plain objects.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { AWS?: string | string[]; Service?: string | string[]; Federated?: string };
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
 * What removes history from a backup bucket: deleting versions or the bucket, bypassing or
 * shortening Object Lock retention, lifting a legal hold. Only the break-glass admin role may
 * (and the deployer of a disposable drill bucket, which `pulumi destroy` empties); never the
 * identity that runs `pulumi up` on a bucket anyone relies on, whose credentials sit in CI.
 */
export const HISTORY_ACTIONS = [
  "s3:DeleteObjectVersion",
  "s3:DeleteBucket",
  "s3:BypassGovernanceRetention",
  "s3:PutObjectRetention",
  "s3:PutObjectLegalHold",
] as const;

/**
 * The rules that keep history: lifecycle, versioning, policy, Object Lock, replication,
 * encryption, logging, public access and ownership (ACLs). The deployer manages these, so it is
 * exempt from this deny with the admin role; a stolen workload key never is.
 */
export const RULE_ACTIONS = [
  "s3:PutLifecycleConfiguration",
  "s3:PutBucketVersioning",
  "s3:PutBucketPolicy",
  "s3:DeleteBucketPolicy",
  "s3:PutBucketObjectLockConfiguration",
  "s3:PutReplicationConfiguration",
  "s3:PutEncryptionConfiguration",
  "s3:PutBucketLogging",
  "s3:PutBucketPublicAccessBlock",
  "s3:PutBucketOwnershipControls",
  "s3:PutBucketAcl",
] as const;

/** Everything no data path may ever do to a backup bucket. */
export const ADMIN_ONLY_ACTIONS = [...HISTORY_ACTIONS, ...RULE_ACTIONS] as const;

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

/**
 * Denies `actions` on `resources` to every principal but `exempt`. An empty exemption denies
 * everyone (a condition over no ARNs would be refused by IAM). aws:PrincipalArn is the role ARN
 * for assumed-role sessions, so a role is matched whatever its session name.
 */
function denyExcept(sid: string, actions: readonly string[], resources: string[], exempt: string[]): PolicyStatement {
  const arns = [...new Set(exempt)];
  return {
    Sid: sid,
    Effect: "Deny",
    Principal: "*",
    Action: [...actions],
    Resource: resources,
    ...(arns.length > 0 ? { Condition: { ArnNotEquals: { "aws:PrincipalArn": arns } } } : {}),
  };
}

export interface BucketPolicyInput {
  bucketArn: string;
  /** Principals (role ARNs) that may remove history: the admin role (break-glass). */
  historyAdmins: string[];
  /** Principals that may change the bucket's rules: the admin role and the deployer. */
  ruleAdmins: string[];
  /**
   * A replica in another account (the vault): the source's replication role may replicate into
   * it, and these accounts may read it (DR restores, the archive check). @default none
   */
  crossAccount?: { replicationRoleArn: string; readerAccounts: string[] };
}

/** The backup bucket's policy: TLS only; history removed by the admin role only; rules changed by admins and the deployer only. */
export function backupBucketPolicy({ bucketArn, historyAdmins, ruleAdmins, crossAccount }: BucketPolicyInput): PolicyDocument {
  const everything = [bucketArn, `${bucketArn}/*`];
  return document(
    denyInsecureTransport(bucketArn),
    denyExcept("DenyHistoryRemovalExceptAdmins", HISTORY_ACTIONS, everything, historyAdmins),
    denyExcept("DenyRuleChangesExceptAdmins", RULE_ACTIONS, everything, ruleAdmins),
    ...(crossAccount ? vaultGrants(bucketArn, crossAccount) : []),
  );
}

/**
 * What a vault grants the primary's account: replication in (S3 writes the replicas as the
 * source's replication role; BucketOwnerEnforced makes the vault own them), and reads. Nothing
 * that removes a version or changes a rule: those stay with the vault's own roles.
 */
function vaultGrants(bucketArn: string, { replicationRoleArn, readerAccounts }: { replicationRoleArn: string; readerAccounts: string[] }): PolicyStatement[] {
  const readers = [...new Set(readerAccounts)].map((account) => `arn:aws:iam::${account}:root`);
  return [
    { Sid: "ReplicateFromSource", Effect: "Allow", Principal: { AWS: replicationRoleArn }, Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: `${bucketArn}/*` },
    { Sid: "SourceChecksVersioning", Effect: "Allow", Principal: { AWS: replicationRoleArn }, Action: ["s3:GetBucketVersioning", "s3:GetBucketObjectLockConfiguration"], Resource: bucketArn },
    ...(readers.length > 0
      ? [
          { Sid: "ReadersList", Effect: "Allow" as const, Principal: { AWS: readers }, Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: bucketArn },
          { Sid: "ReadersGet", Effect: "Allow" as const, Principal: { AWS: readers }, Action: "s3:GetObject", Resource: `${bucketArn}/*` },
        ]
      : []),
  ];
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

/**
 * One role's grants over several data paths (a pod whose containers use more than one, such as
 * PostgreSQL archiving to its own repository while restoring from its source): each data path's
 * statements, named after it so that every Sid stays unique.
 */
export function dataPathsPolicy(grants: { name: string; grant: DataPathPolicyInput }[]): PolicyDocument {
  const sid = (name: string) => name.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_, _sep: string, c: string) => c.toUpperCase());
  return document(...grants.flatMap(({ name, grant }) => dataPathPolicy(grant).Statement.map((s) => ({ ...s, Sid: `${sid(name)}${s.Sid ?? ""}` }))));
}

/** The issuer an IAM OIDC provider's ARN names: `oidc.eks.<region>.amazonaws.com/id/<id>`, the prefix of its condition keys. */
export function oidcIssuerOf(oidcProviderArn: string): string {
  const issuer = oidcProviderArn.split(":oidc-provider/")[1];
  if (!issuer) throw new Error(`'${oidcProviderArn}' is not an IAM OIDC provider ARN`);
  return issuer;
}

export interface WebIdentityTrustInput {
  oidcProviderArn: string;
  namespace: string;
  serviceAccount: string;
  /** The audience the pod's token is for. */
  audience: string;
}

/**
 * Who may assume a workload's role: tokens of one ServiceAccount in one namespace, issued by the
 * cluster's OIDC issuer for STS's audience. Another pod, even in the same namespace, cannot.
 */
export function webIdentityTrustPolicy({ oidcProviderArn, namespace, serviceAccount, audience }: WebIdentityTrustInput): PolicyDocument {
  const issuer = oidcIssuerOf(oidcProviderArn);
  return document({
    Sid: "OnlyThisServiceAccount",
    Effect: "Allow",
    Principal: { Federated: oidcProviderArn },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: { StringEquals: { [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`, [`${issuer}:aud`]: audience } },
  });
}

/**
 * What makes a key's ciphertext unreadable, and so destroys every backup it encrypts: deleting
 * or disabling it, removing imported material, turning rotation off (kept with the rest so a
 * key's settings change only through the admin role).
 */
export const KEY_DESTRUCTION_ACTIONS = ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DeleteImportedKeyMaterial", "kms:DisableKeyRotation"] as const;

/** Managing a key without destroying it: what the deployer does on `pulumi up`. */
const KEY_ADMINISTRATION_ACTIONS = [
  "kms:DescribeKey",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListResourceTags",
  "kms:ListAliases",
  "kms:PutKeyPolicy",
  "kms:EnableKeyRotation",
  "kms:UpdateKeyDescription",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:CreateAlias",
  "kms:UpdateAlias",
  "kms:DeleteAlias",
  "kms:CancelKeyDeletion",
];

/** Encrypting and decrypting: what S3 does for the identities IAM lets use the key. */
const KEY_USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"];

export interface KeyPolicyInput {
  /** The key's account: IAM policies there may grant the key's use (never its administration). */
  accountId: string;
  /** May delete or disable the key: the admin (break-glass) role. */
  historyAdmins: string[];
  /** May administer it without destroying it: the admin role and the deployer. */
  ruleAdmins: string[];
  /**
   * A vault's key: its policy, too, is changed by the break-glass role only, so no one else can
   * first grant themselves deletion. Created with the lockout safety check bypassed for that reason.
   * @default false
   */
  sealed?: boolean;
  /** A vault's key: the source's replication role encrypts replicas, reader accounts decrypt through S3 in `region`. */
  crossAccount?: { replicationRoleArn: string; readerAccounts: string[]; region: string };
  /** The bucket whose event notifications S3 publishes to a topic encrypted with this key. @default none */
  eventsOf?: string;
}

/**
 * An explicit key policy for a backup bucket's key, instead of the default that hands the whole
 * key to the account's IAM (where any administrator could schedule its deletion): the account's
 * IAM may grant its use, the admins administer it, and only the break-glass role may destroy it.
 */
export function keyPolicy({ accountId, historyAdmins, ruleAdmins, sealed = false, crossAccount, eventsOf }: KeyPolicyInput): PolicyDocument {
  const administrators = [...new Set([...ruleAdmins, ...historyAdmins])];
  const readers = [...new Set(crossAccount?.readerAccounts ?? [])].map((account) => `arn:aws:iam::${account}:root`);
  return document(
    { Sid: "UseThroughIam", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: KEY_USE_ACTIONS, Resource: "*" },
    ...(administrators.length > 0 ? [{ Sid: "Administer", Effect: "Allow" as const, Principal: { AWS: administrators }, Action: KEY_ADMINISTRATION_ACTIONS, Resource: "*" }] : []),
    ...(historyAdmins.length > 0 ? [{ Sid: "BreakGlass", Effect: "Allow" as const, Principal: { AWS: [...new Set(historyAdmins)] }, Action: "kms:*", Resource: "*" }] : []),
    ...(crossAccount
      ? [
          { Sid: "ReplicationEncrypts", Effect: "Allow" as const, Principal: { AWS: crossAccount.replicationRoleArn }, Action: ["kms:Encrypt", "kms:GenerateDataKey"], Resource: "*" },
          ...(readers.length > 0
            ? [
                {
                  Sid: "ReadersDecryptThroughS3",
                  Effect: "Allow" as const,
                  Principal: { AWS: readers },
                  Action: "kms:Decrypt",
                  Resource: "*",
                  Condition: { StringEquals: { "kms:ViaService": `s3.${crossAccount.region}.amazonaws.com` } },
                },
              ]
            : []),
        ]
      : []),
    ...(eventsOf
      ? [
          {
            Sid: "S3PublishesThisBucketsEvents",
            Effect: "Allow" as const,
            Principal: { Service: "s3.amazonaws.com" },
            Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
            Resource: "*",
            Condition: { ArnLike: { "aws:SourceArn": eventsOf }, StringEquals: { "aws:SourceAccount": accountId } },
          },
        ]
      : []),
    denyExcept("DenyDestructionExceptBreakGlass", sealed ? [...KEY_DESTRUCTION_ACTIONS, "kms:PutKeyPolicy"] : KEY_DESTRUCTION_ACTIONS, ["*"], historyAdmins),
  );
}

/**
 * The events topic's policy: S3 may publish this bucket's events, and no one else may publish;
 * who subscribes is the account's business (an on-call integration).
 */
export function eventTopicPolicy({ topicArn, bucketArn, accountId }: { topicArn: string; bucketArn: string; accountId: string }): PolicyDocument {
  return document({
    Sid: "S3PublishesThisBucketsEvents",
    Effect: "Allow",
    Principal: { Service: "s3.amazonaws.com" },
    Action: "sns:Publish",
    Resource: topicArn,
    Condition: { ArnLike: { "aws:SourceArn": bucketArn }, StringEquals: { "aws:SourceAccount": accountId } },
  });
}

/**
 * The events a backup bucket reports: a version removed for good (only the admin role can, or a
 * lifecycle rule, which reports as LifecycleExpiration, not this), and, where S3 replication
 * metrics are on, an object that failed to replicate or missed the 15-minute threshold.
 */
export function bucketEvents(replicationMetrics: boolean): string[] {
  return ["s3:ObjectRemoved:Delete", ...(replicationMetrics ? ["s3:Replication:OperationFailedReplication", "s3:Replication:OperationMissedThreshold"] : [])];
}
