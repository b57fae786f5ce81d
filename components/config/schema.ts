import { z } from "zod";
import { isTimeZone, parseCron } from "./cron";
import { DEFAULT_RESTORE_THROUGHPUT } from "./replay";
import { STORAGE_CLASSES } from "./types";
import { SECRET_PLACEHOLDER } from "./config";
import { DAY, formatCpu, formatDuration, formatSize, parseCpu, parseDuration, parsePercent, parseSize, parseThroughput, type UnitResult } from "./units";

/**
 * The zod schema of each `drkit:*` config key. Schemas check shape and units and fill the
 * defaults that depend on nothing else; defaults derived from other keys (a repository path
 * from the stack name, lifecycle defaults from the provider) are filled in `parse.ts`, and
 * rules across keys live in `rules.ts`.
 *
 * Objects are strict: an unknown key is a typo until proven otherwise.
 */

/** A zod step that runs a unit parser and turns its failure into an issue carrying the fix. */
function unit<T>(parse: (input: unknown) => UnitResult<T>) {
  return z.unknown().transform((input, ctx): T => {
    const result = parse(input);
    if (result.ok) return result.value;
    ctx.addIssue({ code: "custom", message: result.message, params: { hint: result.hint } });
    return z.NEVER;
  });
}

function check<T>(predicate: (value: T) => boolean, message: (value: T) => string, hint: string) {
  return (value: T, ctx: z.RefinementCtx) => {
    if (!predicate(value)) ctx.addIssue({ code: "custom", message: message(value), params: { hint } });
  };
}

interface DurationLimits {
  /** Smallest accepted value in seconds. */
  min?: number;
  /** Refuse fractions of a second (everything except latencies). @default true */
  wholeSeconds?: boolean;
}

export const duration = ({ min, wholeSeconds = true }: DurationLimits = {}) =>
  unit(parseDuration)
    .superRefine(
      check<number>((s) => !wholeSeconds || Number.isInteger(s), (s) => `must be whole seconds, got ${s}s`, "drop the milliseconds, e.g. '1s'"),
    )
    .superRefine(check<number>((s) => min === undefined || s >= min, () => `must be at least ${min}s`, `use a value of ${min}s or more`));

const DAYS_HINT = "write whole days, e.g. '30d' or '2w'";

/** Lifecycle ages: S3 counts whole days, so every hint shows days. */
export const days = () =>
  unit((input) => {
    const result = parseDuration(input);
    return result.ok ? result : { ...result, hint: DAYS_HINT };
  }).superRefine(
    check<number>(
      (s) => s >= DAY && s % DAY === 0,
      (s) => `must be whole days, got ${formatDuration(s)}`,
      DAYS_HINT,
    ),
  );

/** An upper bound on a unit-bearing value, with the reason a larger one cannot be real. */
interface Bound {
  max: number;
  why: string;
}

const bounded = (bound: Bound | undefined, format: (n: number) => string) =>
  check<number>((n) => bound === undefined || n <= bound.max, (n) => `${format(n)} is more than ${format(bound!.max)}`, bound?.why ?? "");

export const size = (bound?: Bound) => unit(parseSize).superRefine(bounded(bound, formatSize));
export const throughput = (bound?: Bound) => unit(parseThroughput).superRefine(bounded(bound, (n) => `${formatSize(n)}/s`));
export const cpu = (bound?: Bound) => unit(parseCpu).superRefine(bounded(bound, formatCpu));

// Bounds no real setting reaches, so a typo (an extra digit, Ti for Gi) is caught here and not
// by the cloud API in the middle of a deployment.
const VOLUME: Bound = { max: 64 * 1024 ** 4, why: "no cloud offers a larger block volume (EBS io2 and GCE disks stop at 64Ti): check the unit" };
const MEMORY: Bound = { max: 32 * 1024 ** 4, why: "no machine has more memory than 32Ti: check the unit" };
const CPU: Bound = { max: 1024 * 1000, why: "no machine has more than 1024 cores: check the unit" };
const THROUGHPUT: Bound = { max: 100 * 1024 ** 3, why: "no restore moves more than 100Gi/s: use the figure the verification job logs" };
// S3's largest object is 5 TB; a larger threshold would transition nothing.
const OBJECT_SIZE: Bound = { max: 5 * 1000 ** 4, why: "S3's largest object is 5 TB: a larger threshold would transition nothing" };
export const percent = () => unit(parsePercent);
export const cron = () => unit(parseCron);

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export const identifier = () =>
  z
    .string()
    .superRefine(
      check<string>(
        (s) => IDENTIFIER.test(s),
        (s) => `is not a plain PostgreSQL identifier: '${s}'`,
        "use lowercase letters, digits and underscores, starting with a letter, at most 63 characters",
      ),
    );

const BUCKET = /^(?!xn--)(?!.*\.\.)(?!.*-s3alias$)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
export const bucketName = () =>
  z
    .string()
    .superRefine(
      check<string>(
        (s) => BUCKET.test(s),
        (s) => `is not a valid bucket name: '${s}'`,
        "use 3-63 lowercase letters, digits, hyphens and dots, starting and ending with a letter or digit",
      ),
    );

/** A key prefix in the bucket: relative, no leading slash, ending in `/`. */
export const keyPrefix = () =>
  z
    .string()
    .superRefine(
      check<string>(
        (s) => /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/.test(s),
        (s) => `is not a key prefix: '${s}'`,
        "use path segments ending with '/', e.g. 'dumps/' or 'redis/prod/'",
      ),
    );

/** A pgBackRest repository path: like a prefix but without the trailing slash. */
export const repoPath = () =>
  z
    .string()
    .superRefine(
      check<string>(
        (s) => /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(s),
        (s) => `is not a repository path: '${s}'`,
        "use path segments without leading or trailing '/', e.g. 'pgbackrest/prod'",
      ),
    );

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
export const kubernetesLabels = () =>
  z.record(z.string(), z.string()).superRefine((labels, ctx) => {
    for (const [key, value] of Object.entries(labels)) {
      if (!LABEL_KEY.test(key)) {
        ctx.addIssue({ code: "custom", path: [key], message: `is not a valid Kubernetes label key: '${key}'`, params: { hint: "use e.g. 'release' or 'example.com/team'" } });
      } else if (!LABEL_VALUE.test(value)) {
        ctx.addIssue({ code: "custom", path: [key], message: `is not a valid Kubernetes label value: '${value}'`, params: { hint: "use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit" } });
      }
    }
  });

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const namespaceName = () =>
  z
    .string()
    .superRefine(
      check<string>(
        (s) => DNS_LABEL.test(s),
        (s) => `is not a valid Kubernetes namespace: '${s}'`,
        "use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
      ),
    );

const MATCHER = String.raw`\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"\s*`;
const MATCHERS = new RegExp(`^${MATCHER}(,${MATCHER})*$`);
/** PromQL label matchers as written inside `{}`: `job="api", code=~"5.."`. */
export const promSelector = () =>
  z
    .string()
    .superRefine(
      check<string>(
        (s) => MATCHERS.test(s),
        (s) => `is not a list of PromQL label matchers: '${s}'`,
        `write matchers as inside braces, e.g. 'job="api"' or 'job="api", code=~"5.."'`,
      ),
    );

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const metricName = () =>
  z.string().superRefine(check<string>((s) => METRIC.test(s), (s) => `is not a Prometheus metric name: '${s}'`, "use letters, digits, '_' and ':'"));

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/;
/** `latest` or an ISO-8601 instant with an explicit zone (a restore target must be unambiguous). */
export const restoreTarget = () =>
  z
    .string()
    .superRefine(
      check<string>(
        (s) => s === "latest" || (ISO_INSTANT.test(s) && !Number.isNaN(Date.parse(s.replace(" ", "T")))),
        (s) => `is neither 'latest' nor an ISO-8601 time with a zone: '${s}'`,
        "use 'latest' or e.g. '2026-11-20T14:30:00Z' (the zone is required)",
      ),
    )
    .superRefine(
      // Only a parsed time can be in the future; the check above reports anything else.
      check<string>(
        (s) => s === "latest" || !ISO_INSTANT.test(s) || !(Date.parse(s.replace(" ", "T")) > Date.now()),
        (s) => `is in the future: '${s}'; a recovery never reaches it, and PostgreSQL refuses to start from such a restore`,
        "use 'latest' or a time that has passed, within the source's point-in-time window",
      ),
    );

/** A count: a whole number from 1 to `max` (a bound that no real setting reaches and that a script can print as it is). */
const positiveInt = (what: string, max = 100_000) =>
  z
    .number()
    .superRefine(
      check<number>((n) => Number.isInteger(n) && n >= 1 && n <= max, (n) => `must be a whole number from 1 to ${max}, got ${n}`, `set a whole number of ${what} between 1 and ${max}`),
    );

// ---------------------------------------------------------------------------------------------

export const roleSchema = z.enum(["primary", "dr", "drill"]);

export const regionSchema = z.string().min(1);

export const timeZoneSchema = z
  .string()
  .superRefine(check<string>(isTimeZone, (s) => `is not a time zone: '${s}'`, "use an IANA name such as 'UTC' or 'Europe/Berlin'"))
  .default("UTC");

export const tagsSchema = z.record(z.string(), z.string()).default({});

const objective = (rpo: string, rto: string) =>
  z.strictObject({ rpo: duration().prefault(rpo), rto: duration().prefault(rto) }).prefault({});

export const objectivesSchema = z
  .strictObject({
    postgres: objective("5m", "1h"),
    redis: objective("1h", "30m"),
    media: z.strictObject({ rpo: duration().prefault("24h"), rto: duration().prefault("4h") }).optional(),
  })
  .prefault({});

const transition = z.strictObject({ after: days(), storageClass: z.enum(STORAGE_CLASSES) });

/**
 * One data class's lifecycle rule. `transitions` and `noncurrentExpiration` are left undefined
 * when omitted, because their defaults depend on the provider and the Object Lock period.
 * `null` means "explicitly none".
 */
const lifecycleRule = (prefix: string) =>
  z.strictObject({
    prefix: keyPrefix().default(prefix),
    transitions: z.array(transition).optional(),
    expiration: days().optional(),
    expiredObjectDeleteMarker: z.boolean().default(false),
    noncurrentTransitions: z.array(transition).default([]),
    noncurrentExpiration: days().nullable().optional(),
    // S3 keeps at most 100 newer noncurrent versions per rule.
    keepNoncurrentVersions: positiveInt("versions", 100).optional(),
    abortIncompleteMultipartUpload: days().prefault("7d"),
    minObjectSize: size(OBJECT_SIZE).optional(),
  });

const roleArn = (example: string) =>
  z
    .string()
    .superRefine(
      check<string>(
        (s) => /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(s),
        (s) => `is not an IAM role ARN: '${s}'`,
        `use e.g. '${example}'`,
      ),
    );

const oidcProviderArn = z
  .string()
  .superRefine(
    check<string>(
      (s) => /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/[a-z0-9.-]+(\/[\w.-]+)*$/.test(s),
      (s) => `is not an IAM OIDC provider ARN: '${s}'`,
      "use the ARN IAM gives the cluster's OIDC issuer, e.g. 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B7' (EKS: `eksctl utils associate-iam-oidc-provider --cluster <name> --approve` creates it)",
    ),
  );

/** How the workloads reach the bucket: roles for service accounts, or access keys chosen explicitly. */
const workloadIdentity = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("irsa"), oidcProviderArn }),
  z.strictObject({ type: z.literal("static-keys") }),
]);

const accountId = z.string().superRefine(check<string>((s) => /^\d{12}$/.test(s), (s) => `is not an AWS account id (12 digits): '${s}'`, "use the account's 12-digit id, e.g. '123456789012'"));

/** The secret config keys that hold an S3-compatible store's key pair (`{"accessKeyId", "secretAccessKey"}`). */
export const KEY_PAIR_SETTINGS = ["storageCredentials", "copyCredentials", "restoreCredentials", "mediaCredentials"] as const;

/** `https://host[:port]` (or http): the root of an S3 API, nothing after the authority. */
const endpointUrl = z.string().superRefine(
  check<string>(
    (s) => {
      try {
        const url = new URL(s);
        return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "" && (url.pathname === "/" || url.pathname === "") && !url.search && !url.hash && !url.username && !url.password && !s.endsWith("/");
      } catch {
        return false;
      }
    },
    (s) => `is not an S3 endpoint: '${s}'`,
    "use the API's root as https://host[:port], without a path or a trailing slash, e.g. 'https://minio.internal:9000'",
  ),
);

const s3EndpointFields = { url: endpointUrl, pathStyle: z.boolean().default(true), verifyTls: z.boolean().default(true) };
/** An S3 API drkit only reads or writes. */
export const s3EndpointSchema = z.strictObject(s3EndpointFields);
/** An S3 API whose bucket drkit creates, and what that store can do. */
const compatibleEndpointSchema = z.strictObject({ ...s3EndpointFields, versioning: z.boolean().default(true), lifecycle: z.boolean().default(true) });

const storageProvider = z.enum(["aws", "digitalocean", "s3-compatible"]);

/** A bucket's access key pair: a secret config key (`pulumi config set --secret`), read by the program, never part of the spec. */
const secretKeyPair = z
  .unknown()
  .superRefine((value, context) => {
    if (value === undefined || value === SECRET_PLACEHOLDER) return;
    const pair = value as Record<string, unknown> | null;
    const ok =
      pair !== null && typeof pair === "object" && !Array.isArray(pair) && Object.keys(pair).sort().join(",") === "accessKeyId,secretAccessKey" &&
      typeof pair["accessKeyId"] === "string" && pair["accessKeyId"] !== "" && typeof pair["secretAccessKey"] === "string" && pair["secretAccessKey"] !== "";
    // The value is a secret: the message never repeats it.
    if (!ok) context.addIssue({ code: "custom", message: "is not a key pair", params: { hint: `set it as a secret JSON object: pulumi config set --secret drkit:<key> '{"accessKeyId":"…","secretAccessKey":"…"}'` } });
  })
  .optional();

/** Where a restore source is, each part defaulting to another source's (Redis's and media's to PostgreSQL's). */
const sourceLocation = {
  bucket: bucketName().optional(),
  region: z.string().min(1).optional(),
  provider: storageProvider.optional(),
  endpoint: s3EndpointSchema.optional(),
};

/** `drkit:media`: the application's media bucket and its mirror (docs/architecture.md §4). */
export const mediaSchema = z
  .strictObject({
    bucket: bucketName(),
    provider: storageProvider.optional(),
    region: z.string().min(1).optional(),
    endpoint: s3EndpointSchema.optional(),
    schedule: cron().optional(),
    maxDelete: positiveInt("deletions", 10_000_000).default(1000),
    restoreFrom: z.strictObject({ ...sourceLocation, prefix: keyPrefix().optional() }).optional(),
  })
  .optional();

export const storageSchema = z.strictObject({
  provider: storageProvider.default("aws"),
  endpoint: compatibleEndpointSchema.optional(),
  copy: z
    .strictObject({
      bucket: bucketName(),
      region: z.string().min(1).default("us-east-1"),
      endpoint: compatibleEndpointSchema,
      pitrWindow: days().optional(),
      dumps: z.strictObject({ retention: days().optional(), keepLast: positiveInt("dumps").optional() }).prefault({}),
      redisKeep: positiveInt("snapshots").optional(),
    })
    .optional(),
  bucket: bucketName(),
  adminRoleArn: roleArn("arn:aws:iam::123456789012:role/backup-admin").optional(),
  accessLogs: z.boolean().optional(),
  objectLock: z
    .strictObject({ mode: z.enum(["GOVERNANCE", "COMPLIANCE"]), retention: days() })
    .optional(),
  replication: z
    .strictObject({
      region: z.string().min(1),
      bucket: bucketName(),
      replicationTimeControl: z.boolean().default(false),
      storageClass: z.enum(["STANDARD", "STANDARD_IA", "ONEZONE_IA", "GLACIER_IR"]).default("STANDARD"),
      vault: z
        .strictObject({
          deployRoleArn: roleArn("arn:aws:iam::210987654321:role/backup-vault-deployer"),
          breakGlassRoleArn: roleArn("arn:aws:iam::210987654321:role/backup-vault-break-glass"),
          retention: days(),
          readerAccounts: z.array(accountId).default([]),
        })
        .optional(),
    })
    .optional(),
  lifecycle: z
    .strictObject({
      pgbackrest: lifecycleRule("pgbackrest/").prefault({}),
      dumps: lifecycleRule("dumps/").prefault({}),
      redis: lifecycleRule("redis/").prefault({}),
      media: lifecycleRule("media/").optional(),
    })
    .prefault({}),
});

const volume = (defaultSize: string) =>
  z.strictObject({ size: size(VOLUME).prefault(defaultSize), storageClass: z.string().min(1).optional() }).prefault({});

const resources = (defaultCpu: string, defaultMemory: string) =>
  z.strictObject({ cpu: cpu(CPU).prefault(defaultCpu), memory: size(MEMORY).prefault(defaultMemory) }).prefault({});

const qualifiedTable = z
  .string()
  .superRefine(
    check<string>(
      (s) => /^([a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$/.test(s),
      (s) => `is not a table name: '${s}'`,
      "use 'table' or 'schema.table' with lowercase identifiers",
    ),
  );

export const postgresSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    version: z
      .number()
      .superRefine(check<number>((v) => Number.isInteger(v) && v >= 13 && v <= 17, (v) => `is not a supported PostgreSQL major version: ${v}`, "use 13, 14, 15, 16 or 17"))
      .default(15),
    databases: z
      .array(z.strictObject({ name: identifier(), owner: identifier().optional() }))
      .min(1)
      .default([{ name: "app" }]),
    storage: volume("20Gi"),
    resources: resources("1", "2Gi"),
    restoreEstimate: z
      .strictObject({ dataSize: size(VOLUME).optional(), throughput: throughput(THROUGHPUT).prefault(DEFAULT_RESTORE_THROUGHPUT) })
      .prefault({}),
    maxConnections: z
      .number()
      .superRefine(check<number>((n) => Number.isInteger(n) && n >= 10 && n <= 10_000, (n) => `must be a whole number from 10 to 10000, got ${n}`, "set max_connections, e.g. 100"))
      .default(100),
    backups: z
      .strictObject({
        repoPath: repoPath().optional(),
        stanza: z
          .string()
          .superRefine(check<string>((s) => /^[A-Za-z0-9_-]+$/.test(s), (s) => `is not a stanza name: '${s}'`, "use letters, digits, '-' and '_', e.g. 'main'"))
          .default("main"),
        full: cron().prefault("0 1 * * 0"),
        diff: cron().nullable().prefault("0 1 * * 1-6"),
        incr: cron().nullable().optional(),
        archiveCheck: cron().prefault("*/10 * * * *"),
        pitrWindow: days().prefault("7d"),
        encrypt: z.boolean().default(true),
      })
      .prefault({}),
    dumps: z
      .strictObject({
        enabled: z.boolean().default(true),
        schedule: cron().prefault("30 2 * * *"),
        format: z.enum(["custom", "directory"]).default("custom"),
        jobs: positiveInt("parallel jobs", 64).default(2),
        retention: days().prefault("365d"),
        keepLast: positiveInt("dumps").default(7),
      })
      .prefault({}),
    verification: z
      .strictObject({
        schedule: cron().prefault("0 6 * * 1"),
        tables: z
          .array(
            z.strictObject({
              database: identifier(),
              table: qualifiedTable,
              minRows: z
                .number()
                .superRefine(check<number>((n) => Number.isInteger(n) && n >= 0, (n) => `must be a whole number of at least 0, got ${n}`, "set the fewest rows a good restore has, e.g. 1"))
                .default(0),
            }),
          )
          .default([]),
        freshness: z.strictObject({ database: identifier(), table: qualifiedTable, column: identifier() }).optional(),
      })
      .prefault({}),
    restoreFrom: z
      .strictObject({
        bucket: bucketName(),
        region: z.string().min(1),
        provider: storageProvider.optional(),
        endpoint: s3EndpointSchema.optional(),
        repoPath: repoPath(),
        stanza: z.string().min(1).default("main"),
        target: restoreTarget().default("latest"),
        encrypted: z.boolean().default(true),
        stackReference: z
          .string()
          .superRefine(
            check<string>(
              (s) => /^([\w.-]+\/){0,2}[\w.-]+$/.test(s),
              (s) => `is not a stack name: '${s}'`,
              "use 'org/project/stack', 'project/stack' or 'stack', e.g. 'acme/drkit/prod'",
            ),
          )
          .optional(),
      })
      .optional(),
  })
  .prefault({});

export const redisSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    appendfsync: z.enum(["always", "everysec", "no"]).default("everysec"),
    maxmemory: size(MEMORY).optional(),
    maxmemoryPolicy: z
      .enum(["noeviction", "allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "allkeys-random", "volatile-random", "volatile-ttl"])
      .default("noeviction"),
    storage: volume("10Gi"),
    resources: resources("500m", "1Gi"),
    restoreEstimate: z.strictObject({ throughput: throughput(THROUGHPUT).prefault(DEFAULT_RESTORE_THROUGHPUT) }).prefault({}),
    snapshots: z
      .strictObject({
        enabled: z.boolean().default(true),
        interval: duration({ min: 60 }).optional(),
        keep: positiveInt("snapshots").default(48),
        prefix: keyPrefix().optional(),
      })
      .prefault({}),
    allowDangerousCommands: z.boolean().default(false),
    tls: z.boolean().default(true),
    restoreFrom: z
      .strictObject({
        ...sourceLocation,
        prefix: keyPrefix(),
        ifMissing: z.enum(["fail", "start-empty"]).default("fail"),
      })
      .optional(),
  })
  .prefault({});

export const alertsSchema = z
  .strictObject({
    namespace: namespaceName().default("monitoring"),
    ruleLabels: kubernetesLabels().default({ release: "kube-prometheus-stack" }),
    runbookBaseUrl: z.string().min(1).default("README.md"),
    api: z
      .strictObject({
        selector: promSelector().default('job="api"'),
        latencyMetric: metricName().default("http_request_duration_seconds"),
        requestsMetric: metricName().default("http_requests_total"),
        errorSelector: promSelector().default('code=~"5.."'),
        latencyP99: duration({ wholeSeconds: false }).prefault("1s"),
        errorRate: percent().prefault("10%"),
      })
      .prefault({}),
  })
  .prefault({});

/** `provider` may be omitted for an existing cluster: `cluster: { namespace: shop }`. */
const withDefaultProvider = (value: unknown) =>
  value !== null && typeof value === "object" && !Array.isArray(value) && !("provider" in value) ? { ...value, provider: "existing" } : value;

export const clusterSchema = z.preprocess(
  withDefaultProvider,
  z.discriminatedUnion("provider", [
    z.strictObject({
      provider: z.literal("existing"),
      namespace: namespaceName().default("drkit"),
      clientNamespaces: z.array(namespaceName()).default([]),
      kubeconfig: z.string().min(1).optional(),
      context: z.string().min(1).optional(),
      workloadIdentity: workloadIdentity.optional(),
    }),
    z.strictObject({
      provider: z.literal("digitalocean"),
      namespace: namespaceName().default("drkit"),
      clientNamespaces: z.array(namespaceName()).default([]),
      name: namespaceName().optional(),
      region: z.string().min(1).optional(),
      versionPrefix: z.string().default(""),
      ha: z.boolean().default(false),
      // DigitalOcean Kubernetes has no OIDC issuer that AWS IAM could trust.
      workloadIdentity: z.strictObject({ type: z.literal("static-keys") }).optional(),
      nodePool: z
        .strictObject({ size: z.string().min(1).default("s-4vcpu-8gb"), count: positiveInt("nodes", 512).default(3) })
        .prefault({}),
    }),
  ]),
).prefault({});

/** Where the workloads run: a Kubernetes cluster (`drkit:cluster`) or one Docker host (`drkit:host`). */
export const targetSchema = z.enum(["kubernetes", "docker"]).default("kubernetes");

const DOCKER_ENDPOINT = /^(unix:\/\/\/\S+|tcp:\/\/[^\s/]+|ssh:\/\/([^\s@/]+@)?[^\s@/:]+(:\d+)?)$/;
const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

const CIDR = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(3[0-2]|[12]?\d)$/;
const cidrs = (what: string) =>
  z.array(
    z.string().superRefine(check<string>((s) => CIDR.test(s), (s) => `is not an IPv4 CIDR block: '${s}'`, `write ${what} as 'a.b.c.d/n', e.g. '203.0.113.0/24', or '198.51.100.7/32' for one address`)),
  );

/** A host drkit creates: a droplet or an EC2 instance, a block volume for Docker's data, a firewall. */
const provisionSchema = z.discriminatedUnion("provider", [
  z.strictObject({
    provider: z.literal("digitalocean"),
    region: z.string().min(1).optional(),
    size: z.string().min(1).default("s-2vcpu-4gb"),
    image: z.string().min(1).default("debian-12-x64"),
    volumeSize: size(VOLUME).prefault("50Gi"),
    sshKeys: z.array(z.string().min(1)).min(1),
    sshFrom: cidrs("the deployer's addresses").min(1),
    allowFrom: cidrs("the clients' addresses").default([]),
  }),
  z.strictObject({
    provider: z.literal("aws"),
    instanceType: z.string().min(1).default("t3.medium"),
    ami: z
      .string()
      .superRefine(check<string>((s) => /^ami-[0-9a-f]{8,17}$/.test(s), (s) => `is not an AMI id: '${s}'`, "give an AMI id of the stack's region, e.g. 'ami-0a1b2c3d4e5f60718', or leave it out for the newest Debian 12"))
      .optional(),
    subnetId: z.string().superRefine(check<string>((s) => /^subnet-[0-9a-f]{8,17}$/.test(s), (s) => `is not a subnet id: '${s}'`, "give the id of a public subnet of the VPC, e.g. 'subnet-0a1b2c3d4e5f60718'")),
    keyName: z.string().min(1),
    volumeSize: size(VOLUME).prefault("50Gi"),
    sshFrom: cidrs("the deployer's addresses").min(1),
    allowFrom: cidrs("the clients' addresses").default([]),
  }),
]);

/** The Docker host of a `drkit:target: docker` stack. */
export const hostSchema = z
  .strictObject({
    provision: provisionSchema.optional(),
    docker: z
      .string()
      .superRefine(
        check<string>(
          (s) => DOCKER_ENDPOINT.test(s),
          (s) => `is not a Docker engine address: '${s}'`,
          "use 'unix:///var/run/docker.sock' (this machine), 'ssh://deploy@203.0.113.10' or 'tcp://10.0.0.5:2376'",
        ),
      )
      .optional(),
    project: namespaceName().optional(),
    publishAddress: z
      .string()
      .superRefine(check<string>((s) => IPV4.test(s), (s) => `is not an IPv4 address: '${s}'`, "use the host's private address, e.g. '10.0.0.5', or '127.0.0.1' for clients on the host itself"))
      .optional(),
  })
  .prefault({});

/** drkit's images: built from images/ and pushed to `registry`, or given ready. */
export const imagesSchema = z
  .strictObject({
    registry: z.string().min(1).optional(),
    base: z.string().min(1).default("debian:bookworm-slim"),
    postgres: z.string().min(1).optional(),
    redis: z.string().min(1).optional(),
    jobs: z.string().min(1).optional(),
  })
  .prefault({});

/** Every `drkit:*` key and its schema. A key not listed here is refused as unknown. */
export const SECTION_SCHEMAS = {
  role: roleSchema,
  region: regionSchema,
  timeZone: timeZoneSchema,
  tags: tagsSchema,
  objectives: objectivesSchema,
  storage: storageSchema,
  postgres: postgresSchema,
  redis: redisSchema,
  alerts: alertsSchema,
  cluster: clusterSchema,
  target: targetSchema,
  media: mediaSchema,
  host: hostSchema,
  images: imagesSchema,
  // A secret, set with `pulumi config set --secret`: read by the program as a Pulumi secret and
  // never copied into the DrSpec. Parsed here only so its absence can be reported.
  restoreCipherPassphrase: z.string().min(1).optional(),
  // The key pairs of buckets drkit cannot make keys for (S3-compatible stores), secrets as above:
  // the bucket's (`storage.provider: s3-compatible`), the copy's, an S3-compatible source's.
  storageCredentials: secretKeyPair,
  copyCredentials: secretKeyPair,
  restoreCredentials: secretKeyPair,
  mediaCredentials: secretKeyPair,
} as const;

export type SectionName = keyof typeof SECTION_SCHEMAS;
export type Sections = { [K in SectionName]: z.output<(typeof SECTION_SCHEMAS)[K]> };

/** Hints for required keys, shown when the key is missing. */
export const REQUIRED_HINTS: Record<string, string> = {
  role: "set drkit:role to 'primary', 'dr' or 'drill'",
  region: "set drkit:region to this stack's region, e.g. 'eu-central-1' (AWS) or 'fra1' (DigitalOcean)",
  storage: "add a drkit:storage section with at least 'bucket'",
  "storage.bucket": "set the backup bucket's name, e.g. 'acme-dr-prod'",
  "storage.objectLock.mode": "use 'GOVERNANCE' or 'COMPLIANCE'",
  "storage.objectLock.retention": "set the default retention in days, e.g. '14d'",
  "storage.replication.region": "set the DR region the replica lives in, e.g. 'eu-west-1'",
  "storage.replication.bucket": "set the replica bucket's name",
  "storage.replication.vault.deployRoleArn": "name the role in the vault account that pulumi assumes to create the replica",
  "storage.replication.vault.breakGlassRoleArn": "name the vault account's break-glass role: the only one that may delete its key or change its key policy",
  "storage.replication.vault.retention": "set how long every replica stays undeletable (COMPLIANCE), e.g. '14d'",
  "postgres.restoreFrom.bucket": "set the bucket holding the source stack's backups",
  "postgres.restoreFrom.region": "set that bucket's region",
  "postgres.restoreFrom.repoPath": "set the source stack's repository path, e.g. 'pgbackrest/prod'",
  "redis.restoreFrom.prefix": "set the source stack's snapshot prefix, e.g. 'redis/prod/'",
  "postgres.databases.name": "give each database a name",
  "postgres.verification.tables.database": "name the database the table is in",
  "postgres.verification.tables.table": "name the table, e.g. 'public.orders'",
};
