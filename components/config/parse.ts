import { cronForInterval } from "./cron";
import { defaultIncrementalSchedule } from "./replay";
import { defaultSnapshotInterval } from "./snapshotTiming";
import { error, errorsIn, sortProblems, type Problem } from "./problems";
import { crossFieldProblems } from "./rules";
import { KEY_PAIR_SETTINGS, SECTION_SCHEMAS, type SectionName, type Sections } from "./schema";
import type { CopySpec, DrSpec, MediaSpec, LifecycleRule, LifecycleSpec, Objectives, PartialSpec, PostgresSpec, RedisSpec, S3EndpointSpec, StorageProvider, StorageSpec, Transition } from "./types";
import { DAY, formatDuration, HOUR, type Seconds } from "./units";
import { closest, zodProblems } from "./zodProblems";

export interface ParseOptions {
  /**
   * The Pulumi stack name. It names this stack's own paths in the bucket
   * (`pgbackrest/<stack>`, `redis/<stack>/`). @default "dev"
   */
  stack?: string;
}

export type ParseResult =
  | { ok: true; spec: DrSpec; warnings: Problem[] }
  | { ok: false; problems: Problem[] };

/** A DrSpec whose sections may be missing because they failed to parse. */

/**
 * Parses a stack's `drkit:*` configuration (keys without the namespace, values already decoded
 * from YAML/JSON) into a fully defaulted DrSpec, or returns every problem found.
 *
 * Never throws on user input. Each key is checked on its own, so a typo in one section does not
 * hide mistakes in another; rules across sections run whenever the sections they read parsed.
 */
export function parseSpec(raw: unknown, options: ParseOptions = {}): ParseResult {
  const stack = options.stack ?? "dev";
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return {
      ok: false,
      problems: [error([], "must be a map of drkit:* settings", "write settings as 'drkit:<key>: <value>' under 'config:' in Pulumi.<stack>.yaml")],
    };
  }
  const input = raw as Record<string, unknown>;
  const problems: Problem[] = [];
  const known = Object.keys(SECTION_SCHEMAS);
  for (const key of Object.keys(input)) {
    if (!(key in SECTION_SCHEMAS)) {
      const guess = closest(key, known);
      problems.push(error([key], "is not a known setting", guess ? `did you mean 'drkit:${guess}'?` : `known keys: ${known.join(", ")}`));
    }
  }

  const sections: Partial<Sections> = {};
  for (const name of known as SectionName[]) {
    const schema = SECTION_SCHEMAS[name];
    const result = schema.safeParse(input[name], { reportInput: true });
    if (result.success) (sections as Record<string, unknown>)[name] = result.data;
    else problems.push(...zodProblems(name, schema, result.error.issues));
  }

  // Each target has its own section: the other's would silently do nothing.
  const target = sections.target ?? "kubernetes";
  if (target === "docker" && input.cluster !== undefined) problems.push(error(["cluster"], "is set, and drkit:target is docker: the workloads run on drkit:host", "remove drkit:cluster, or set drkit:target: kubernetes"));
  if (target === "kubernetes" && input.host !== undefined) problems.push(error(["host"], "is set, and drkit:target is kubernetes (the default): a cluster has no Docker host", "set drkit:target: docker to run on this host, or remove drkit:host"));

  const { spec, problems: derivationProblems } = derive(sections, stack);
  problems.push(...derivationProblems, ...crossFieldProblems(spec));

  const sorted = sortProblems(problems);
  if (errorsIn(sorted).length > 0) return { ok: false, problems: sorted };
  return { ok: true, spec: spec as DrSpec, warnings: sorted };
}

/**
 * Fills the defaults that depend on other keys. A section that failed to parse stays missing;
 * a default that depends on a missing section falls back to that section's own default.
 */
export function derive(sections: Partial<Sections>, stack: string): { spec: PartialSpec; problems: Problem[] } {
  const problems: Problem[] = [];
  const spec: PartialSpec = { stack };
  if (sections.role !== undefined) spec.role = sections.role;
  if (sections.region !== undefined) spec.region = sections.region;
  if (sections.timeZone !== undefined) spec.timeZone = sections.timeZone;
  if (sections.tags !== undefined) spec.tags = sections.tags;
  if (sections.alerts !== undefined) spec.alerts = sections.alerts;
  if (sections.images !== undefined) spec.images = sections.images;
  if (sections.target !== undefined) spec.target = sections.target;
  if (sections.host) {
    const { provision, docker, publishAddress, project } = sections.host;
    spec.host = {
      project: project ?? `drkit-${stack}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 63),
      // A host drkit creates is reached over ssh at its new address, and its firewall guards every address.
      ...(provision ? {} : { docker: docker ?? "unix:///var/run/docker.sock" }),
      publishAddress: publishAddress ?? (provision ? "0.0.0.0" : "127.0.0.1"),
      ...(provision ? { provision: provision.provider === "digitalocean" ? { ...provision, region: provision.region ?? spec.region ?? "" } : provision } : {}),
    };
    if (provision && docker !== undefined) problems.push(error(["host", "docker"], "is set together with drkit:host.provision: drkit creates that host and reaches it over ssh itself", "remove drkit:host.docker to create the host, or remove drkit:host.provision to use the one it names"));
    if (provision && publishAddress !== undefined) problems.push(error(["host", "publishAddress"], "is set together with drkit:host.provision: a new host's addresses are not known before it exists", "remove it: the ports are published on every address, and the firewall admits drkit:host.provision.allowFrom only"));
  }
  if (sections.storage) {
    spec.storage = deriveStorage(sections.storage);
    problems.push(...endpointProblems(["storage"], sections.storage.provider, sections.storage.endpoint));
  }

  const lifecycle = spec.storage?.lifecycle;
  if (sections.objectives) spec.objectives = deriveObjectives(sections.objectives, lifecycle?.media !== undefined);
  if (sections.postgres) {
    spec.postgres = derivePostgres(sections.postgres, stack, {
      repoPrefix: lifecycle?.pgbackrest.prefix ?? "pgbackrest/",
      provider: spec.storage?.provider ?? "aws",
      endpoint: spec.storage?.endpoint,
      rto: spec.objectives?.postgres.rto ?? HOUR,
      timeZone: spec.timeZone ?? "UTC",
    });
  }
  if (sections.redis) {
    const derived = deriveRedis(sections.redis, stack, {
      rpo: spec.objectives?.redis.rpo ?? HOUR,
      prefix: lifecycle?.redis.prefix ?? "redis/",
      // A disabled PostgreSQL lends Redis no source: Redis names its own bucket and region.
      postgresSource: spec.postgres?.enabled === false ? undefined : spec.postgres?.restoreFrom,
      postgresEnabled: spec.postgres?.enabled !== false,
      storage: { provider: spec.storage?.provider ?? "aws", endpoint: spec.storage?.endpoint },
    });
    spec.redis = derived.redis;
    problems.push(...derived.problems);
  }
  const restoring = spec.role !== undefined && spec.role !== "primary";
  const pgFrom = spec.postgres?.enabled !== false ? spec.postgres?.restoreFrom : undefined;
  if (restoring && pgFrom) problems.push(...endpointProblems(["postgres", "restoreFrom"], pgFrom.provider, pgFrom.endpoint, sections.postgres?.restoreFrom?.endpoint === undefined));
  const redisFrom = spec.redis?.enabled && spec.redis.snapshots.enabled ? spec.redis.restoreFrom : undefined;
  // A source Redis inherited from PostgreSQL's is reported there, once.
  if (restoring && redisFrom && (sections.redis?.restoreFrom?.provider !== undefined || sections.redis?.restoreFrom?.endpoint !== undefined || !pgFrom)) {
    problems.push(...endpointProblems(["redis", "restoreFrom"], redisFrom.provider, redisFrom.endpoint, sections.redis?.restoreFrom?.endpoint === undefined));
  }
  if (spec.storage && sections.storage?.copy) spec.storage.copy = deriveCopy(sections.storage.copy, spec.postgres, spec.redis);
  if (sections.media && spec.storage) {
    const derived = deriveMedia(sections.media, {
      storage: spec.storage,
      region: spec.region ?? "",
      rpo: spec.objectives?.media?.rpo ?? 24 * HOUR,
      restoring,
      // The reverse copy reads where the stack's other restores read, unless told otherwise.
      source: pgFrom ?? (spec.redis?.enabled ? spec.redis.restoreFrom : undefined),
    });
    spec.media = derived.media;
    problems.push(...derived.problems);
  }
  // Keys drkit cannot make (an S3-compatible store has no API drkit could create them with) are
  // secrets the deployer sets; a missing one is reported like any other missing setting.
  const keyPair = (key: (typeof KEY_PAIR_SETTINGS)[number], why: string) => {
    if (key in sections && sections[key] === undefined) {
      problems.push(error([key], `is required: ${why}`, `set the key pair as a secret: pulumi config set --secret drkit:${key} '{"accessKeyId":"…","secretAccessKey":"…"}'`));
    }
  };
  if (spec.storage?.provider === "s3-compatible") keyPair("storageCredentials", "drkit:storage.provider is 's3-compatible', and drkit creates no keys there: pulumi up and the workloads use this pair");
  if (spec.storage?.copy) keyPair("copyCredentials", "drkit:storage.copy is set: pulumi up and the workloads write the copy with this pair");
  const mediaFrom = restoring ? spec.media?.restoreFrom : undefined;
  if (restoring && (pgFrom?.provider === "s3-compatible" || redisFrom?.provider === "s3-compatible" || mediaFrom?.provider === "s3-compatible")) {
    keyPair("restoreCredentials", "the source to restore from is 's3-compatible': the restore reads it with this pair");
  }
  if (spec.media) keyPair("mediaCredentials", "drkit:media is set: the mirror reads the application's media bucket (and a dr stack's reverse copy writes it) with this pair");
  // An encrypted source repository needs its passphrase: from the source stack's outputs, or
  // from a secret config key (the spec itself never holds a secret).
  const source = spec.role !== undefined && spec.role !== "primary" ? spec.postgres?.restoreFrom : undefined;
  const passphraseSet = "restoreCipherPassphrase" in sections && sections.restoreCipherPassphrase !== undefined;
  if (source?.encrypted && source.stackReference === undefined && "restoreCipherPassphrase" in sections && !passphraseSet) {
    problems.push(
      error(
        ["postgres", "restoreFrom", "stackReference"],
        "is required to read the passphrase of the encrypted source repository (or set the secret drkit:restoreCipherPassphrase)",
        "name the source stack, e.g. 'acme/drkit/prod' (it exports repoCipherPassphrase), or set encrypted: false for an unencrypted repository",
      ),
    );
  }
  if (source && source.stackReference !== undefined && passphraseSet) {
    problems.push(error(["restoreCipherPassphrase"], "is set together with drkit:postgres.restoreFrom.stackReference", "keep one source for the passphrase"));
  }
  if (sections.cluster) {
    spec.cluster =
      sections.cluster.provider === "digitalocean"
        ? { ...sections.cluster, name: sections.cluster.name ?? `drkit-${stack}`.toLowerCase().slice(0, 63), region: sections.cluster.region ?? spec.region ?? "" }
        : sections.cluster;
  }
  return { spec, problems };
}

function deriveObjectives(objectives: Sections["objectives"], hasMedia: boolean): Objectives {
  const media = objectives.media ?? (hasMedia ? { rpo: 24 * HOUR, rto: 4 * HOUR } : undefined);
  return { postgres: objectives.postgres, redis: objectives.redis, ...(media ? { media } : {}) };
}

/** Dumps are the long-term tier; on AWS they go to Glacier classes by default. */
const DEFAULT_DUMP_TRANSITIONS: Transition[] = [
  { after: 30 * DAY, storageClass: "GLACIER_IR" },
  { after: 120 * DAY, storageClass: "DEEP_ARCHIVE" },
];

function deriveStorage(storage: Sections["storage"]): StorageSpec {
  const lockDays = storage.objectLock?.retention ?? 0;
  const rule = (raw: Sections["storage"]["lifecycle"]["dumps"], defaults: { transitions: Transition[]; noncurrent: Seconds | null }): LifecycleRule => {
    const { noncurrentExpiration, transitions, minObjectSize, ...rest } = raw;
    // Default transitions come with S3's own 128 KiB threshold stated explicitly (see the
    // lifecycle renderer): small checksums and markers stay in Standard and still expire.
    const threshold = minObjectSize ?? (transitions === undefined && defaults.transitions.length > 0 ? 128 * 1024 : undefined);
    return {
      ...rest,
      ...(threshold !== undefined ? { minObjectSize: threshold } : {}),
      transitions: transitions ?? defaults.transitions,
      // Noncurrent versions must outlive the Object Lock period, or S3 keeps retrying to delete them.
      ...(noncurrentExpiration === null || (noncurrentExpiration === undefined && defaults.noncurrent === null)
        ? {}
        : { noncurrentExpiration: noncurrentExpiration ?? Math.max(defaults.noncurrent ?? 0, lockDays) }),
    };
  };
  const aws = storage.provider === "aws";
  // An S3-compatible store that keeps no versions, or runs no lifecycle rules, has no noncurrent
  // versions to expire: nothing is defaulted that the review would then refuse.
  const compatible = storage.provider === "s3-compatible" ? storage.endpoint : undefined;
  const noncurrent = (days: Seconds) => (compatible && !(compatible.versioning && compatible.lifecycle) ? null : days);
  const lifecycle: LifecycleSpec = {
    pgbackrest: rule(storage.lifecycle.pgbackrest, { transitions: [], noncurrent: noncurrent(30 * DAY) }),
    dumps: rule(storage.lifecycle.dumps, { transitions: aws ? DEFAULT_DUMP_TRANSITIONS : [], noncurrent: noncurrent(30 * DAY) }),
    redis: rule(storage.lifecycle.redis, { transitions: [], noncurrent: noncurrent(30 * DAY) }),
    ...(storage.lifecycle.media ? { media: rule(storage.lifecycle.media, { transitions: [], noncurrent: noncurrent(90 * DAY) }) } : {}),
  };
  const { copy: _copy, endpoint, ...rest } = storage;
  return {
    ...rest,
    // S3 server access logs are an AWS and Spaces feature; an S3-compatible store has its own audit log.
    accessLogs: storage.accessLogs ?? storage.provider !== "s3-compatible",
    lifecycle,
    ...(endpoint ? { endpoint } : {}),
  };
}

/**
 * A source's endpoint: its own, or, for an `s3-compatible` source without one, the endpoint of
 * the same provider it inherits (`from`). Only the fields a client needs are kept.
 */
function withEndpoint<T extends { provider: StorageProvider }>(source: T, own: S3EndpointSpec | undefined, from: { provider: StorageProvider; endpoint?: S3EndpointSpec | undefined }): T & { endpoint?: S3EndpointSpec } {
  const endpoint = own ?? (source.provider === "s3-compatible" && from.provider === "s3-compatible" ? from.endpoint : undefined);
  const { endpoint: _dropped, ...rest } = source as T & { endpoint?: unknown };
  return { ...(rest as T), ...(endpoint ? { endpoint: { url: endpoint.url, pathStyle: endpoint.pathStyle, verifyTls: endpoint.verifyTls } } : {}) };
}

/** Where a bucket's S3 API is given must match its provider: an endpoint for `s3-compatible`, none for AWS and Spaces. */
function endpointProblems(path: string[], provider: StorageProvider, endpoint: unknown, inherited = false): Problem[] {
  if (provider === "s3-compatible" && endpoint === undefined) {
    return [error([...path, "endpoint"], `is required: ${path.join(".")}.provider is 's3-compatible'${inherited ? " and there is no endpoint of the same provider to take" : ""}`, "give the store's API as {url: 'https://host:port'} (pathStyle and verifyTls default to true)")];
  }
  if (provider !== "s3-compatible" && endpoint !== undefined) {
    return [error([...path, "endpoint"], `is set, and ${path.join(".")}.provider is '${provider}', whose endpoint drkit knows`, "remove it, or set provider: s3-compatible")];
  }
  return [];
}

/** Intervals cron runs evenly, longest first: the media mirror's default is the longest within half its RPO. */
const EVEN_INTERVALS: Seconds[] = [DAY, ...[12, 8, 6, 4, 3, 2, 1].map((hours) => hours * HOUR), ...[30, 20, 15, 10, 5].map((minutes) => minutes * 60)];

function deriveMedia(
  media: NonNullable<Sections["media"]>,
  context: { storage: StorageSpec; region: string; rpo: Seconds; restoring: boolean; source: { bucket: string; region: string; provider: StorageProvider; endpoint?: S3EndpointSpec | undefined } | undefined },
): { media: MediaSpec; problems: Problem[] } {
  const problems: Problem[] = [];
  const { storage } = context;
  const provider = media.provider ?? storage.provider;
  const interval = EVEN_INTERVALS.find((i) => i <= context.rpo / 2) ?? 5 * 60;
  const { restoreFrom: from, endpoint, ...rest } = media;
  const own = withEndpoint({ ...rest, provider, region: media.region ?? context.region, schedule: media.schedule ?? cronForInterval(interval)! }, endpoint, storage);
  problems.push(...endpointProblems(["media"], provider, own.endpoint, endpoint === undefined));
  let restoreFrom: MediaSpec["restoreFrom"];
  if (!context.restoring && from !== undefined) {
    problems.push(error(["media", "restoreFrom"], "is set on a primary stack", "remove it: only a dr or drill stack copies media back"));
  }
  if (context.restoring) {
    const source = context.source;
    const bucket = from?.bucket ?? source?.bucket;
    const region = from?.region ?? source?.region;
    if (!bucket) problems.push(error(["media", "restoreFrom", "bucket"], "is required: a dr or drill stack copies the source's mirrored media into drkit:media.bucket, and no other restore names a source bucket", "name the bucket holding the source stack's media prefix"));
    const sourceProvider = from?.provider ?? source?.provider ?? storage.provider;
    restoreFrom = withEndpoint(
      { bucket: bucket ?? "", region: region ?? "", provider: sourceProvider, prefix: from?.prefix ?? storage.lifecycle.media?.prefix ?? "media/" },
      from?.endpoint,
      source?.provider === sourceProvider ? { provider: sourceProvider, endpoint: source.endpoint } : storage,
    );
    problems.push(...endpointProblems(["media", "restoreFrom"], sourceProvider, restoreFrom.endpoint, from?.endpoint === undefined));
  }
  return { media: { ...own, ...(restoreFrom ? { restoreFrom } : {}) }, problems };
}

/** The copy's retention defaults to the bucket's: the same windows, in another store. */
function deriveCopy(copy: NonNullable<Sections["storage"]["copy"]>, postgres: PostgresSpec | undefined, redis: RedisSpec | undefined): CopySpec {
  return {
    bucket: copy.bucket,
    region: copy.region,
    endpoint: copy.endpoint,
    pitrWindow: copy.pitrWindow ?? postgres?.backups.pitrWindow ?? 7 * DAY,
    dumps: { retention: copy.dumps.retention ?? postgres?.dumps.retention ?? 365 * DAY, keepLast: copy.dumps.keepLast ?? postgres?.dumps.keepLast ?? 7 },
    redisKeep: copy.redisKeep ?? redis?.snapshots.keep ?? 48,
  };
}

function derivePostgres(
  postgres: Sections["postgres"],
  stack: string,
  context: { repoPrefix: string; provider: StorageSpec["provider"]; endpoint: StorageSpec["endpoint"]; rto: Seconds; timeZone: string },
): PostgresSpec {
  const { restoreFrom, databases, backups, ...rest } = postgres;
  const { repoPrefix, provider } = context;
  // Incrementals are added by default only where full and differential backups leave too much
  // WAL to replay within the RTO.
  const incr = backups.incr !== undefined ? backups.incr : defaultIncrementalSchedule(backups.full, backups.diff, context.rto, context.timeZone);
  return {
    ...rest,
    databases: databases.map((db) => ({ name: db.name, owner: db.owner ?? db.name })),
    backups: { ...backups, incr, repoPath: backups.repoPath ?? `${repoPrefix}${stack}` },
    ...(restoreFrom ? { restoreFrom: withEndpoint({ ...restoreFrom, provider: restoreFrom.provider ?? provider }, restoreFrom.endpoint, { provider, endpoint: context.endpoint }) } : {}),
  };
}

/** Intervals cron can run at, longest first: the default snapshot interval is the longest within the RPO. */
function deriveRedis(
  redis: Sections["redis"],
  stack: string,
  context: { rpo: Seconds; prefix: string; postgresSource: PostgresSpec["restoreFrom"]; postgresEnabled: boolean; storage: { provider: StorageProvider; endpoint?: S3EndpointSpec | undefined } },
): { redis: RedisSpec; problems: Problem[] } {
  const problems: Problem[] = [];
  const { restoreFrom, snapshots, maxmemory: declaredMaxmemory, ...rest } = redis;
  // A fork for BGSAVE or an AOF rewrite copies pages on write: leave half the memory for it.
  const maxmemory = declaredMaxmemory ?? Math.floor(rest.resources.memory / 2);
  // The longest interval whose snapshots stay younger than the age RedisSnapshotTooOld pages at.
  const interval = snapshots.interval ?? defaultSnapshotInterval(context.rpo, maxmemory);
  const schedule = cronForInterval(interval);
  if (schedule === undefined && rest.enabled) {
    problems.push(
      error(
        ["redis", "snapshots", "interval"],
        `cannot be run by cron: ${formatDuration(interval)}`,
        "use a divisor of an hour ('5m', '15m', '30m'), of a day ('1h', '2h', '6h', '12h') or '1d'",
      ),
    );
  }
  let source: RedisSpec["restoreFrom"];
  if (restoreFrom) {
    const bucket = restoreFrom.bucket ?? context.postgresSource?.bucket;
    const region = restoreFrom.region ?? context.postgresSource?.region;
    // Without its own bucket and region, Redis restores from where PostgreSQL does. When
    // PostgreSQL has no source either, the stack already fails on that key (a dr or drill stack
    // needs drkit:postgres.restoreFrom, a primary must not restore Redis), so no second error here;
    // without PostgreSQL, Redis must name them.
    if (!context.postgresEnabled && rest.enabled && snapshots.enabled) {
      if (!bucket) problems.push(error(["redis", "restoreFrom", "bucket"], "is required: drkit:postgres is disabled, so there is no PostgreSQL source to take it from", "name the bucket holding the source stack's snapshots"));
      if (!region) problems.push(error(["redis", "restoreFrom", "region"], "is required: drkit:postgres is disabled, so there is no PostgreSQL source to take it from", "name that bucket's region"));
    }
    const { endpoint, ...given } = restoreFrom;
    const provider = restoreFrom.provider ?? context.postgresSource?.provider ?? context.storage.provider;
    source = withEndpoint(
      { ...given, bucket: bucket ?? "", region: region ?? "", provider },
      endpoint,
      // Inherited from PostgreSQL's source first (same bucket), then from the stack's own storage.
      context.postgresSource?.provider === provider ? { provider, endpoint: context.postgresSource.endpoint } : context.storage,
    );
  }
  return {
    redis: {
      ...rest,
      maxmemory,
      snapshots: { ...snapshots, interval, schedule: schedule ?? "", prefix: snapshots.prefix ?? `${context.prefix}${stack}/` },
      ...(source ? { restoreFrom: source } : {}),
    },
    problems,
  };
}
