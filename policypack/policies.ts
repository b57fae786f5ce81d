import type { PolicyResource, ReportViolation, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { reviewWholeSpec } from "../components/config/review";
import { DAY, type DrSpec, type Problem } from "../components/config";
import { readS3LifecycleRules, readSpacesLifecycleRules, type ReadRule } from "../components/storage/readLifecycle";
import { lockedVersionProblems, repositoryRuleProblems, s3RuleProblems, snapshotRuleProblems } from "../components/config/storageRules";

/**
 * drkit's checks as Pulumi policies, for `pulumi preview --policy-pack`: the buckets of any
 * program (versioning, lifecycle against S3's rules and the restore rules, Object Lock against
 * noncurrent expiration, encryption, public access, TLS only) and drkit's own components
 * (objectives against mechanisms). Every finding comes from the validators `drkit review` runs;
 * nothing here restates a rule.
 */

/** The policy pack's configuration (`pulumi policy enable --config` or PulumiPolicy.yaml). */
export interface DrkitPolicyConfig {
  /** Key prefixes holding pgBackRest repositories: no transitions, no expiration. @default ["pgbackrest/"] */
  repositoryPrefixes?: string[];
  /** Key prefixes holding Redis snapshots: no transitions. @default ["redis/"] */
  snapshotPrefixes?: string[];
}

const configSchema = {
  properties: {
    repositoryPrefixes: { type: "array" as const, items: { type: "string" as const }, default: ["pgbackrest/"] },
    snapshotPrefixes: { type: "array" as const, items: { type: "string" as const }, default: ["redis/"] },
  },
};

const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration";
const LIFECYCLE_V2 = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2";
const SPACES_BUCKET = "digitalocean:index/spacesBucket:SpacesBucket";

/** One line per problem: what, then the fix. */
const say = (problem: Problem, where: string) => `${where}: ${problem.message}${problem.hint ? ` (fix: ${problem.hint})` : ""}`;

/** Whether two key prefixes share objects ("" is the whole bucket). */
const overlaps = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);

/**
 * Every problem of one rule: S3's own rules, and the restore rules of the data classes it covers
 * (not in a bucket that only receives access logs: no backup lives there).
 */
function ruleProblems(read: ReadRule, config: DrkitPolicyConfig, backups: boolean): Problem[] {
  const at = (...rest: (string | number)[]) => ["rules", read.id, ...rest];
  const covers = (prefixes: string[] | undefined, fallback: string) => backups && (prefixes ?? [fallback]).some((p) => overlaps(read.prefix, p));
  return [
    ...s3RuleProblems(read.rule, at),
    ...(covers(config.repositoryPrefixes, "pgbackrest/") ? repositoryRuleProblems(read.rule, at) : []),
    ...(covers(config.snapshotPrefixes, "redis/") ? snapshotRuleProblems(read.rule, at) : []),
  ];
}

function lifecycleRulesOf(type: string, props: Record<string, unknown>): ReadRule[] {
  if (type === LIFECYCLE || type === LIFECYCLE_V2) return readS3LifecycleRules(props["rules"]);
  if (type === SPACES_BUCKET) return readSpacesLifecycleRules(props["lifecycleRules"]);
  return [];
}

/** Reports the problems of one severity in every lifecycle configuration of the stack. */
function lifecycleValidation(severity: Problem["severity"]) {
  return (args: StackValidationArgs, report: ReportViolation) => {
    const config = args.getConfig<DrkitPolicyConfig>();
    const views = bucketViews(args.resources);
    for (const resource of args.resources) {
      const reads = lifecycleRulesOf(resource.type, resource.props);
      if (reads.length === 0) continue;
      const bucket = resource.type === SPACES_BUCKET ? undefined : views.find((v) => v.parts(resource.type).includes(resource));
      for (const read of reads) {
        for (const problem of ruleProblems(read, config, !bucket?.isLogTarget)) {
          if (problem.severity === severity) report(say(problem, `lifecycle rule '${read.id}' (prefix '${read.prefix}')`), resource.urn);
        }
      }
    }
  };
}

const lifecycleValid: StackValidationPolicy = {
  name: "drkit-lifecycle-valid",
  description: "Lifecycle rules S3 accepts and a restore survives: transitions S3 supports, expirations after transitions, no transitions or expiration over pgBackRest repositories, Redis snapshots kept in Standard.",
  enforcementLevel: "mandatory",
  configSchema,
  validateStack: lifecycleValidation("error"),
};

const lifecycleCosts: StackValidationPolicy = {
  name: "drkit-lifecycle-costs",
  description: "Lifecycle rules that bill more than they seem to (objects leaving a storage class before its minimum storage duration).",
  enforcementLevel: "advisory",
  configSchema,
  validateStack: lifecycleValidation("warning"),
};

const spacesBucket: ResourceValidationPolicy = {
  name: "drkit-spaces-bucket",
  description: "A Spaces bucket for backups is versioned and private.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== SPACES_BUCKET) return;
    const versioning = args.props["versioning"] as { enabled?: unknown } | undefined;
    if (versioning?.enabled !== true) report("versioning is off: an overwritten or deleted backup cannot be recovered (fix: versioning: { enabled: true })");
    if (typeof args.props["acl"] === "string" && args.props["acl"] !== "private") report(`acl '${String(args.props["acl"])}' exposes backups (fix: acl: 'private')`);
  },
};

// --- relations between a bucket and its configuration resources ------------------------------

/** The bucket a configuration resource (versioning, policy, lifecycle...) belongs to. */
function bucketOf(resource: PolicyResource, buckets: PolicyResource[], property = "bucket"): PolicyResource | undefined {
  const dependency = resource.propertyDependencies?.[property]?.find((d) => BUCKET_TYPES.includes(d.type));
  if (dependency) return buckets.find((b) => b.urn === dependency.urn);
  const name = resource.props[property];
  return typeof name === "string" ? buckets.find((b) => b.props["bucket"] === name || b.props["id"] === name) : undefined;
}

interface BucketView {
  bucket: PolicyResource;
  /** The configuration resources of this bucket, by type token. */
  parts: (type: string) => PolicyResource[];
  /** Receives another bucket's access logs: exempt from the rules for backup buckets. */
  isLogTarget: boolean;
  /** Any resource of the program, by URN. */
  resource: (urn: string) => PolicyResource | undefined;
}

function bucketViews(resources: PolicyResource[]): BucketView[] {
  const buckets = resources.filter((r) => BUCKET_TYPES.includes(r.type));
  const logTargets = new Set(
    resources.filter((r) => r.type === "aws:s3/bucketLogging:BucketLogging" || r.type === "aws:s3/bucketLoggingV2:BucketLoggingV2").flatMap((r) => bucketOf(r, buckets, "targetBucket")?.urn ?? []),
  );
  return buckets.map((bucket) => ({
    bucket,
    parts: (type) => resources.filter((r) => r.type === type && bucketOf(r, buckets)?.urn === bucket.urn),
    isLogTarget: logTargets.has(bucket.urn),
    resource: (urn) => resources.find((r) => r.urn === urn),
  }));
}

/**
 * Whether a bucket is made in an S3-compatible store (MinIO, Ceph, R2...): through an AWS
 * provider whose S3 endpoint is not AWS's. Public access blocks, bucket policies and KMS are
 * AWS's; such a store's own settings protect its buckets, and drkit's review judges them.
 */
function inCompatibleStore(bucket: PolicyResource): boolean {
  const endpoints = bucket.provider?.props["endpoints"];
  const list = typeof endpoints === "string" ? (JSON.parse(endpoints) as unknown) : endpoints;
  return Array.isArray(list) && list.some((e) => typeof (e as { s3?: unknown } | null)?.s3 === "string" && !/amazonaws\.com(\.cn)?(:\d+)?\/?$/.test((e as { s3: string }).s3));
}

/** A stack policy over every backup bucket in AWS (every bucket that is not an access-log target, nor in an S3-compatible store). */
function bucketPolicy(name: string, description: string, check: (view: BucketView, report: (message: string) => void) => void): StackValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      for (const view of bucketViews(args.resources)) {
        if (!view.isLogTarget && !inCompatibleStore(view.bucket)) check(view, (message) => report(message, view.bucket.urn));
      }
    },
  };
}

const versioned = bucketPolicy("drkit-bucket-versioned", "A backup bucket keeps every version: an overwrite or a delete can be undone.", (view, report) => {
  const inline = (view.bucket.props["versioning"] as { enabled?: unknown } | undefined)?.enabled === true;
  const separate = view.parts("aws:s3/bucketVersioning:BucketVersioning").concat(view.parts("aws:s3/bucketVersioningV2:BucketVersioningV2"));
  const enabled = separate.some((v) => (v.props["versioningConfiguration"] as { status?: unknown } | undefined)?.status === "Enabled");
  if (!inline && !enabled) report("versioning is not enabled: a deleted or overwritten backup is gone (fix: aws.s3.BucketVersioning with status 'Enabled')");
});

const publicAccessBlocked = bucketPolicy("drkit-bucket-private", "A backup bucket blocks every form of public access.", (view, report) => {
  const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
  const blocks = view.parts("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
  if (!blocks.some((b) => flags.every((f) => b.props[f] === true))) report(`no public access block with ${flags.join(", ")} all true (fix: aws.s3.BucketPublicAccessBlock)`);
});

const tlsOnly = bucketPolicy("drkit-bucket-tls-only", "A backup bucket refuses requests without TLS.", (view, report) => {
  const policies = view.parts("aws:s3/bucketPolicy:BucketPolicy");
  if (!policies.some((p) => deniesInsecureTransport(p.props["policy"]))) {
    report("its bucket policy does not deny requests with aws:SecureTransport false (fix: a Deny statement on s3:* with Condition Bool aws:SecureTransport 'false')");
  }
});

const encrypted = bucketPolicy("drkit-bucket-kms", "A backup bucket encrypts with a KMS key whose policy decides who can decrypt.", (view, report) => {
  const configurations = view.parts("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
  const kms = configurations.some((c) =>
    ((c.props["rules"] as { applyServerSideEncryptionByDefault?: { sseAlgorithm?: unknown } }[] | undefined) ?? []).some((r) => String(r.applyServerSideEncryptionByDefault?.sseAlgorithm ?? "").startsWith("aws:kms")),
  );
  if (!kms) report("no default encryption with aws:kms: anyone with s3:GetObject reads the backups (fix: aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm 'aws:kms' and a customer key)");
});

const KEY = "aws:kms/key:Key";

const keyKeepsBackups = bucketPolicy(
  "drkit-bucket-key-policy",
  "A backup bucket's KMS key (made in the same program) has an explicit policy that denies scheduling its deletion, so no account administrator can destroy every backup by deleting the key.",
  (view, report) => {
    for (const configuration of view.parts("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")) {
      // The key the encryption names, when the program makes it; an existing key's policy is not in the program to judge.
      for (const dependency of configuration.propertyDependencies?.["rules"]?.filter((d) => d.type === KEY) ?? []) {
        const key = view.resource(dependency.urn);
        if (key && !deniesKeyDeletion(key.props["policy"])) {
          report(
            `its KMS key '${key.name}' has ${key.props["policy"] === undefined ? "the default policy, which lets any administrator of the account schedule its deletion" : "a policy that does not deny kms:ScheduleKeyDeletion"} (fix: a Deny of kms:ScheduleKeyDeletion and kms:DisableKey to every principal but a break-glass role, e.g. drkit's keyPolicy)`,
          );
        }
      }
    }
  },
);

/** Whether a key policy document (JSON text or object) denies kms:ScheduleKeyDeletion to Principal "*". */
export function deniesKeyDeletion(policy: unknown): boolean {
  return statementsOf(policy).some((s) => {
    const statement = s as { Effect?: unknown; Principal?: unknown; Action?: unknown } | undefined;
    const actions = [statement?.Action].flat();
    return statement?.Effect === "Deny" && statement.Principal === "*" && actions.some((a) => a === "kms:ScheduleKeyDeletion" || a === "kms:*");
  });
}

const lockOutlivesVersions = bucketPolicy("drkit-bucket-lock-vs-lifecycle", "Noncurrent versions do not expire while Object Lock still holds them.", (view, report) => {
  for (const lock of view.parts("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")) {
    const retention = (lock.props["rule"] as { defaultRetention?: { days?: unknown; years?: unknown } } | undefined)?.defaultRetention;
    const days = typeof retention?.days === "number" ? retention.days : typeof retention?.years === "number" ? retention.years * 365 : undefined;
    if (days === undefined) continue;
    for (const lifecycle of view.parts(LIFECYCLE)) {
      for (const read of readS3LifecycleRules(lifecycle.props["rules"])) {
        for (const problem of lockedVersionProblems(read.rule, days * DAY, (...rest) => ["rules", read.id, ...rest])) report(say(problem, `lifecycle rule '${read.id}'`));
      }
    }
  }
});

/** Whether a bucket policy document (JSON text or object) denies requests made without TLS. */
export function deniesInsecureTransport(policy: unknown): boolean {
  return statementsOf(policy).some((s) => {
    const statement = s as { Effect?: unknown; Condition?: Record<string, Record<string, unknown>> } | undefined;
    const secure = statement?.Condition?.["Bool"]?.["aws:SecureTransport"];
    return statement?.Effect === "Deny" && (secure === "false" || secure === false);
  });
}

/** The statements of a policy document given as JSON text or as an object; none when it does not parse. */
function statementsOf(policy: unknown): unknown[] {
  let document: unknown = policy;
  if (typeof policy === "string") {
    try {
      document = JSON.parse(policy);
    } catch {
      return [];
    }
  }
  const statements = (document as { Statement?: unknown } | undefined)?.Statement;
  return Array.isArray(statements) ? statements : [statements];
}

// --- drkit's own components ------------------------------------------------------------------

/** The specs drkit's components registered (each distinct one once). */
function specsOf(resources: PolicyResource[]): { spec: DrSpec; urn: string }[] {
  const seen = new Map<string, { spec: DrSpec; urn: string }>();
  for (const r of resources) {
    const spec = r.type.startsWith("drkit:") ? (r.props["drSpec"] as DrSpec | undefined) : undefined;
    if (spec && typeof spec === "object") {
      const key = JSON.stringify(spec);
      if (!seen.has(key)) seen.set(key, { spec, urn: r.urn });
    }
  }
  return [...seen.values()];
}

/** The review of a component's spec: the validators of `drkit review`, on what the program really passed. */
function specReview(severity: Problem["severity"]) {
  return (args: StackValidationArgs, report: ReportViolation) => {
    for (const { spec, urn } of specsOf(args.resources)) {
      let problems: Problem[];
      try {
        problems = reviewWholeSpec(spec);
      } catch (error) {
        // A spec written by hand (not parsed from a stack file) may lack a field a validator reads.
        if (severity === "error") report(`the DR spec of stack '${spec.stack}' cannot be reviewed: ${error instanceof Error ? error.message : String(error)} (fix: build it with parseSpec)`, urn);
        continue;
      }
      for (const problem of problems) if (problem.severity === severity) report(say(problem, problem.path), urn);
    }
  };
}

const objectivesMet: StackValidationPolicy = {
  name: "drkit-objectives",
  description: "drkit's components meet the stack's RPO and RTO with the mechanisms they are given: the errors of `drkit review`.",
  enforcementLevel: "mandatory",
  validateStack: specReview("error"),
};

const objectivesAdvice: StackValidationPolicy = {
  name: "drkit-objectives-advice",
  description: "The warnings of `drkit review` on drkit's components: restore estimates near the RTO, costs, single snapshots.",
  enforcementLevel: "advisory",
  validateStack: specReview("warning"),
};

/** Access keys: what a stack whose workloads assume roles must not hold, whoever added them. */
const ACCESS_KEY_TYPES = ["aws:iam/user:User", "aws:iam/accessKey:AccessKey"];

const noAccessKeys: StackValidationPolicy = {
  name: "drkit-no-access-keys",
  description: "A stack whose workloads assume roles (drkit:cluster.workloadIdentity irsa) holds no IAM user and no access key.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    if (!specsOf(args.resources).some(({ spec }) => spec.cluster?.workloadIdentity?.type === "irsa")) return;
    for (const r of args.resources.filter((resource) => ACCESS_KEY_TYPES.includes(resource.type))) {
      report(`${r.type.split(":").at(-1)} '${r.name}' in a stack whose workloads assume roles: a long-lived key works from anywhere until revoked (fix: grant its data path through the pod's role, or set workloadIdentity to static-keys on purpose)`, r.urn);
    }
  },
};

/** Every policy of the pack, in the order `pulumi preview` lists them. */
export const POLICIES: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  lifecycleValid,
  lifecycleCosts,
  spacesBucket,
  versioned,
  publicAccessBlocked,
  tlsOnly,
  encrypted,
  keyKeepsBackups,
  lockOutlivesVersions,
  objectivesMet,
  objectivesAdvice,
  noAccessKeys,
];
