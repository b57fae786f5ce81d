import { longestCombinedGap, longestGap } from "./cron";
import { REPLAY_SPEEDUP, replayBudget, RESTORE_FLOOR, RESTORE_OVERHEAD, restoreSeconds } from "./replay";
import type { PartialSpec } from "./types";
import { defaultSnapshotInterval, snapshotAlertAge, snapshotRunDeadline, snapshotStartingDeadline, snapshotWorstAge } from "./snapshotTiming";
import { error, warning, type Problem } from "./problems";
import { DATA_CLASSES, type DrSpec, type StorageProvider } from "./types";
import { isPinned } from "./imageReferences";
import { mediaMirrorWorstAge } from "./mediaTiming";
import { formatDuration, formatSize } from "./units";

/**
 * Rules that read more than one key. Each names the sections it reads; it runs only when all
 * of them parsed, so a broken section never produces follow-on noise.
 */
interface Rule {
  needs: (keyof DrSpec)[];
  check(spec: DrSpec): Problem[];
  /** It needs `postgres` for a part of its checks only, and guards that part itself: it also runs when PostgreSQL is disabled. */
  alsoWithoutPostgres?: true;
}

/** Databases every cluster has from initdb; drkit must not try to create or own them. */
const BUILT_IN_DATABASES = ["postgres", "template0", "template1"];

const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/;
const DO_REGION = /^[a-z]{3}\d$/;

function regionProblems(path: string[], region: string, provider: StorageProvider): Problem[] {
  if (provider === "aws" && !AWS_REGION.test(region)) {
    return [error(path, `is not an AWS region: '${region}'`, "use e.g. 'eu-central-1' or 'us-east-1'")];
  }
  if (provider === "digitalocean" && !DO_REGION.test(region)) {
    return [error(path, `is not a DigitalOcean region: '${region}'`, "use e.g. 'fra1', 'ams3' or 'nyc3'")];
  }
  return [];
}

/** Whether two bucket paths share objects: one is the other or contains it. */
const overlaps = (a: string, b: string) => {
  const slash = (s: string) => (s.endsWith("/") ? s : `${s}/`);
  return slash(a).startsWith(slash(b)) || slash(b).startsWith(slash(a));
};

/** The RTO no restore can meet, on the objective's own key. */
function rtoBelowFloor(store: "postgres" | "redis", rto: number, how: string): Problem[] {
  if (rto >= RESTORE_FLOOR) return [];
  return [
    error(
      ["objectives", store, "rto"],
      `${formatDuration(rto)} is shorter than any restore takes (at least ${formatDuration(RESTORE_FLOOR)} to ${how}, measured by drkit drill on a local engine)`,
      `use at least '${formatDuration(RESTORE_FLOOR)}' (on a cluster, plan for ${formatDuration(RESTORE_OVERHEAD)} and more); recovering faster needs a hot standby to fail over to, not a restore`,
    ),
  ];
}

/** Objectives against what a restore can physically do. */
const OBJECTIVE_RULES: Rule[] = [
  {
    needs: ["postgres"],
    check: ({ postgres }) => {
      const { dataSize } = postgres.restoreEstimate;
      if (dataSize === undefined || dataSize <= postgres.storage.size) return [];
      return [
        error(
          ["postgres", "restoreEstimate", "dataSize"],
          `${formatSize(dataSize)} does not fit the ${formatSize(postgres.storage.size)} volume`,
          "declare the data the databases hold today (at most drkit:postgres.storage.size), or grow the volume",
        ),
      ];
    },
  },
  {
    needs: ["objectives", "postgres"],
    check: ({ objectives }) => rtoBelowFloor("postgres", objectives.postgres.rto, "start the pod, fetch the backup, start PostgreSQL, promote"),
  },
  {
    needs: ["objectives", "redis"],
    check: ({ objectives, redis }) => (redis.enabled ? rtoBelowFloor("redis", objectives.redis.rto, "start the pod, fetch the snapshot, load it") : []),
  },
  {
    // Half the RTO fetches and writes the backup, the other half replays WAL (replayBudget).
    needs: ["objectives", "postgres"],
    check: ({ objectives, postgres }) => {
      const { rto } = objectives.postgres;
      const { dataSize, throughput } = postgres.restoreEstimate;
      const bytes = dataSize ?? postgres.storage.size;
      const seconds = restoreSeconds(bytes, throughput);
      if (rto < RESTORE_FLOOR || seconds <= rto / 2) return [];
      const what = dataSize === undefined ? `the whole ${formatSize(bytes)} volume` : formatSize(bytes);
      return [
        warning(
          ["objectives", "postgres", "rto"],
          `restoring ${what} at ${formatSize(throughput)}/s takes about ${formatDuration(seconds)}, more than half the RTO of ${formatDuration(rto)} (the other half replays WAL)`,
          "set drkit:postgres.restoreEstimate.throughput to what the verification job logs, declare restoreEstimate.dataSize when the volume is mostly free, or relax the RTO",
        ),
      ];
    },
  },
  {
    needs: ["objectives", "redis"],
    check: ({ objectives, redis }) => {
      const { rto } = objectives.redis;
      const seconds = restoreSeconds(redis.maxmemory, redis.restoreEstimate.throughput);
      if (!redis.enabled || rto < RESTORE_FLOOR || seconds <= rto) return [];
      return [
        warning(
          ["objectives", "redis", "rto"],
          `restoring a full ${formatSize(redis.maxmemory)} dataset (maxmemory) at ${formatSize(redis.restoreEstimate.throughput)}/s takes about ${formatDuration(seconds)}, more than the RTO of ${formatDuration(rto)}`,
          "measure a restore with drkit drill and set drkit:redis.restoreEstimate.throughput, lower maxmemory, or relax the RTO",
        ),
      ];
    },
  },
  {
    // Restore = fetch the newest backup + replay the WAL since: the schedules bound the replay.
    needs: ["objectives", "postgres", "timeZone"],
    check: ({ objectives, postgres, timeZone }) => {
      // An RTO below any restore is reported on its own key; no schedule can make up for it.
      if (objectives.postgres.rto < RESTORE_FLOOR) return [];
      const { full, diff, incr } = postgres.backups;
      const gap = longestCombinedGap([full, ...(diff ? [diff] : []), ...(incr ? [incr] : [])], timeZone);
      const budget = replayBudget(objectives.postgres.rto);
      if (gap <= budget) return [];
      return [
        error(
          ["postgres", "backups"],
          `backups can be ${formatDuration(gap)} apart, more WAL than a restore replays within the RTO of ${formatDuration(objectives.postgres.rto)} (${formatDuration(budget)} at ${REPLAY_SPEEDUP}x)`,
          "add incremental backups, e.g. incr: '30 */6 * * *', or remove full/diff/incr to let drkit derive them, or relax the RTO",
        ),
      ];
    },
  },
];

export const RULES: Rule[] = [
  {
    // drkit's own images run by the digest of their build; a ready one is run as given.
    needs: ["images", "redis"],
    check: ({ images, redis }) =>
      (["postgres", "jobs", ...(redis.enabled ? ["redis"] : [])] as ("postgres" | "jobs" | "redis")[])
        .filter((name) => images[name] !== undefined && !isPinned(images[name]!))
        .map((name) =>
          warning(["images", name], `'${images[name]}' is a tag: the pods run whatever was pushed to it last, so a push changes what runs without a deployment`, `give the image by digest, e.g. '${images[name]!.replace(/@.*$/, "").replace(/:[^/]*$/, "")}@sha256:<digest>'`),
        ),
  },
  {
    // A Docker host builds the images it lacks on its own engine: no registry needed there.
    needs: ["images", "redis", "target"],
    check: ({ images, redis, target }) =>
      images.registry || target === "docker"
        ? []
        : (["postgres", "jobs", ...(redis.enabled ? ["redis"] : [])] as ("postgres" | "jobs" | "redis")[])
            .filter((name) => !images[name])
            .map((name) =>
              error(["images", name], "is required when drkit:images.registry is not set", "set drkit:images.registry to build and push drkit's images there, or give a ready image here"),
            ),
  },
  {
    // A primary initialises an empty database; dr and drill stacks exist to restore one.
    needs: ["role", "postgres"],
    check: ({ role, postgres }) => {
      if (role === "primary" && postgres.restoreFrom) {
        return [error(["postgres", "restoreFrom"], "must not be set on a primary stack", "remove it, or set drkit:role to 'dr' or 'drill' for a stack that restores")];
      }
      if (role !== "primary" && !postgres.restoreFrom) {
        return [error(["postgres", "restoreFrom"], `is required for a ${role} stack`, "set bucket, region and repoPath of the backups to restore, e.g. repoPath 'pgbackrest/prod'")];
      }
      return [];
    },
  },
  {
    needs: ["role", "redis"],
    check: ({ role, redis }) => {
      if (!redis.enabled) return [];
      if (role === "primary" && redis.restoreFrom) {
        return [error(["redis", "restoreFrom"], "must not be set on a primary stack", "remove it, or set drkit:role to 'dr' or 'drill'")];
      }
      // Snapshots off is the decision that this data never comes back (a task queue): a source
      // to restore from would contradict it.
      if (!redis.snapshots.enabled) {
        return role !== "primary" && redis.restoreFrom
          ? [error(["redis", "restoreFrom"], "is set, and snapshots are off (drkit:redis.snapshots.enabled false): this stack starts Redis empty by design and restores nothing", "remove restoreFrom, or turn snapshots on for data that must come back")]
          : [];
      }
      if (role !== "primary" && !redis.restoreFrom) {
        return [
          error(["redis", "restoreFrom"], `is required for a ${role} stack`, "set prefix to the source stack's snapshots, e.g. 'redis/prod/' (ifMissing: start-empty for a pure cache)"),
        ];
      }
      return [];
    },
  },
  {
    // The most reported failure of Postgres operators: a restored cluster archiving into the
    // repository it restored from ("expected empty archive"), or worse, overwriting it.
    needs: ["storage", "postgres"],
    check: ({ storage, postgres }) => {
      const source = postgres.restoreFrom;
      if (!source || source.bucket !== storage.bucket || !overlaps(source.repoPath, postgres.backups.repoPath)) return [];
      return [
        error(
          ["postgres", "restoreFrom", "repoPath"],
          `overlaps this stack's own repository '${postgres.backups.repoPath}' in bucket '${storage.bucket}'`,
          "a restored cluster must archive to its own path: point restoreFrom at the source stack's path, e.g. 'pgbackrest/prod'",
        ),
      ];
    },
  },
  {
    needs: ["storage", "redis"],
    check: ({ storage, redis }) => {
      const source = redis.restoreFrom;
      if (!redis.enabled || !redis.snapshots.enabled || !source || source.bucket !== storage.bucket || !overlaps(source.prefix, redis.snapshots.prefix)) return [];
      return [
        error(
          ["redis", "restoreFrom", "prefix"],
          `overlaps this stack's own snapshot prefix '${redis.snapshots.prefix}' in bucket '${storage.bucket}'`,
          "point it at the source stack's snapshots, e.g. 'redis/prod/'",
        ),
      ];
    },
  },
  {
    // Lifecycle rules match by prefix: data written outside its class's prefix gets no rule, or
    // the wrong one (a Glacier transition on pgBackRest files breaks every restore).
    needs: ["storage", "postgres", "redis"],
    alsoWithoutPostgres: true,
    check: ({ storage, postgres, redis }) => {
      const problems: Problem[] = [];
      const pgPrefix = storage.lifecycle.pgbackrest.prefix;
      if (postgres.enabled && !`${postgres.backups.repoPath}/`.startsWith(pgPrefix)) {
        problems.push(error(["postgres", "backups", "repoPath"], `is outside the pgBackRest data class prefix '${pgPrefix}'`, `use a path under it, e.g. '${pgPrefix}${"<stack>"}'`));
      }
      if (redis.enabled && redis.snapshots.enabled && !redis.snapshots.prefix.startsWith(storage.lifecycle.redis.prefix)) {
        problems.push(error(["redis", "snapshots", "prefix"], `is outside the Redis data class prefix '${storage.lifecycle.redis.prefix}'`, `use a prefix under it, e.g. '${storage.lifecycle.redis.prefix}<stack>/'`));
      }
      return problems;
    },
  },
  {
    needs: ["storage"],
    check: ({ storage }) => {
      const problems: Problem[] = [];
      const classes = DATA_CLASSES.filter((c) => storage.lifecycle[c] !== undefined);
      for (const [i, a] of classes.entries()) {
        for (const b of classes.slice(i + 1)) {
          const pa = storage.lifecycle[a]!.prefix;
          const pb = storage.lifecycle[b]!.prefix;
          if (overlaps(pa, pb)) {
            problems.push(
              error(["storage", "lifecycle", b, "prefix"], `'${pb}' overlaps the ${a} prefix '${pa}'`, `give each data class its own prefix (defaults: ${DATA_CLASSES.map((c) => `${c}/`).join(", ")})`),
            );
          }
        }
      }
      return problems;
    },
  },
  {
    needs: ["region", "storage"],
    check: ({ region, storage }) => [
      ...regionProblems(["region"], region, storage.provider),
      ...(storage.replication ? regionProblems(["storage", "replication", "region"], storage.replication.region, storage.provider) : []),
    ],
  },
  {
    needs: ["postgres", "redis"],
    alsoWithoutPostgres: true,
    check: ({ postgres, redis }) => [
      ...(postgres.enabled && postgres.restoreFrom ? regionProblems(["postgres", "restoreFrom", "region"], postgres.restoreFrom.region, postgres.restoreFrom.provider) : []),
      // A region Redis inherited from PostgreSQL's source is reported there, once.
      ...(redis.enabled && redis.restoreFrom && redis.restoreFrom.region !== "" && (!postgres.enabled || redis.restoreFrom.region !== postgres.restoreFrom?.region)
        ? regionProblems(["redis", "restoreFrom", "region"], redis.restoreFrom.region, redis.restoreFrom.provider) : []),
    ],
  },
  {
    needs: ["cluster"],
    check: ({ cluster }) => (cluster.provider === "digitalocean" ? regionProblems(["cluster", "region"], cluster.region, "digitalocean") : []),
  },
  {
    // A created host: a droplet in a DigitalOcean region; an instance in the stack's AWS account.
    needs: ["host", "storage", "target"],
    alsoWithoutPostgres: true,
    check: ({ host, storage, target }) => {
      const provision = target === "docker" ? host.provision : undefined;
      if (!provision) return [];
      if (provision.provider === "digitalocean") return regionProblems(["host", "provision", "region"], provision.region, "digitalocean");
      return storage.provider === "aws"
        ? []
        : [error(["host", "provision", "provider"], `is aws, and the backups are ${storage.provider === "digitalocean" ? "in DigitalOcean Spaces" : "on an S3-compatible store"}: drkit creates an EC2 instance with the stack's AWS provider, which only a stack with its backups in S3 has`, "use provider: digitalocean (a droplet), or keep the backups in S3")];
    },
  },
  {
    needs: ["postgres", "redis"],
    alsoWithoutPostgres: true,
    check: ({ postgres, redis }) =>
      postgres.enabled || redis.enabled ? [] : [error(["postgres", "enabled"], "is false, and so is drkit:redis.enabled: the stack has nothing to protect", "enable the store the stack is for")],
  },
  {
    // An access key is a credential that works from anywhere until someone revokes it: with AWS
    // storage it must be a decision written in the stack file, never what drkit falls back to.
    needs: ["cluster", "storage", "postgres", "redis", "target"],
    alsoWithoutPostgres: true,
    check: ({ cluster, storage, postgres, redis, target }) => {
      const identity = cluster.workloadIdentity;
      if (!identity) {
        // A Docker host has no ServiceAccount issuer IAM could trust: its keys are the only way.
        if (storage.provider !== "aws" || target === "docker") return [];
        return [
          error(
            ["cluster", "workloadIdentity"],
            "is required with AWS storage: say how the workloads reach the bucket",
            cluster.provider === "existing"
              ? "on EKS set {type: irsa, oidcProviderArn: <the cluster's IAM OIDC provider>} (no access keys exist then); set {type: static-keys} only for a cluster IAM cannot trust, and rotate the keys (README)"
              : "set {type: static-keys}: DigitalOcean Kubernetes has no OIDC issuer IAM trusts; rotate the keys (README)",
          ),
        ];
      }
      if (identity.type !== "irsa") return [];
      const problems: Problem[] = [];
      const where = { aws: "", digitalocean: "DigitalOcean Spaces", "s3-compatible": "an S3-compatible store" } as const;
      const noIam = (path: (string | number)[], provider: Exclude<StorageProvider, "aws">) =>
        problems.push(error(path, `is on ${where[provider]}, which IAM roles cannot reach (cluster.workloadIdentity is irsa)`, "use type 'static-keys', or keep the backups in S3"));
      if (storage.provider !== "aws") noIam(["storage", "provider"], storage.provider);
      const pgSource = postgres.enabled ? postgres.restoreFrom : undefined;
      if (pgSource && pgSource.provider !== "aws") noIam(["postgres", "restoreFrom", "provider"], pgSource.provider);
      // A source Redis inherited from PostgreSQL's is reported there, once.
      const redisSource = redis.enabled ? redis.restoreFrom : undefined;
      if (redisSource && redisSource.provider !== "aws" && pgSource?.provider !== redisSource.provider) noIam(["redis", "restoreFrom", "provider"], redisSource.provider);
      return problems;
    },
  },
  {
    needs: ["role", "region", "storage"],
    check: ({ role, region, storage }) => {
      const replication = storage.replication;
      if (!replication) return [];
      if (role === "drill") {
        return [error(["storage", "replication"], "must not be set on a drill stack", "a drill is disposable and isolated: remove replication")];
      }
      const problems: Problem[] = [];
      if (replication.region === region) {
        problems.push(error(["storage", "replication", "region"], `is this stack's own region '${region}'`, "replicate to a different region, the one a DR stack would run in"));
      }
      if (replication.bucket === storage.bucket) {
        problems.push(error(["storage", "replication", "bucket"], "is the source bucket itself", "name the replica bucket in the DR region"));
      }
      return problems;
    },
  },
  {
    // Spaces implements versioning, expiration and access logs, nothing else the S3 variant
    // offers. Asking for more must fail here, not silently deploy a bucket without it.
    needs: ["storage"],
    check: ({ storage }) => {
      if (storage.provider !== "digitalocean") return [];
      const problems: Problem[] = [];
      const refuse = (path: (string | number)[], what: string) =>
        problems.push(error(["storage", ...path], `is not supported by DigitalOcean Spaces (${what})`, "remove it, or use provider 'aws'"));
      if (storage.objectLock) refuse(["objectLock"], "no Object Lock");
      if (storage.replication) refuse(["replication"], "no cross-region replication");
      if (storage.adminRoleArn) refuse(["adminRoleArn"], "no IAM roles or bucket policy principals");
      for (const c of DATA_CLASSES) {
        const rule = storage.lifecycle[c];
        if (!rule) continue;
        if (rule.transitions.length > 0) refuse(["lifecycle", c, "transitions"], "no storage classes");
        if (rule.noncurrentTransitions.length > 0) refuse(["lifecycle", c, "noncurrentTransitions"], "no storage classes");
        if (rule.minObjectSize !== undefined) refuse(["lifecycle", c, "minObjectSize"], "no object size filters");
        if (rule.keepNoncurrentVersions !== undefined) refuse(["lifecycle", c, "keepNoncurrentVersions"], "no newer-noncurrent-versions filter");
      }
      return problems;
    },
  },
  {
    // An S3-compatible store gets what the S3 API gives every such store: a bucket, versioning and
    // expiration rules where it has them. AWS's storage classes, Object Lock through the AWS
    // provider, replication, IAM and access logs are refused by name rather than deployed without.
    needs: ["storage"],
    check: ({ storage }) => {
      const endpoint = storage.provider === "s3-compatible" ? storage.endpoint : undefined;
      if (!endpoint) return [];
      const problems: Problem[] = [];
      const refuse = (path: (string | number)[], what: string, fix = "remove it, or use provider 'aws'") =>
        problems.push(error(["storage", ...path], `is not supported on an S3-compatible store (${what})`, fix));
      if (storage.objectLock) refuse(["objectLock"], "drkit manages Object Lock on AWS only");
      if (storage.replication) refuse(["replication"], "replication is AWS's", "remove it; keep a second copy with drkit:storage.copy instead");
      if (storage.adminRoleArn) refuse(["adminRoleArn"], "no IAM roles or bucket policy principals");
      if (storage.accessLogs) refuse(["accessLogs"], "no S3 server access logs; the store keeps its own audit log", "remove it (the default is off there)");
      for (const c of DATA_CLASSES) {
        const rule = storage.lifecycle[c];
        if (!rule) continue;
        const at = (key: string) => ["lifecycle", c, key];
        if (rule.transitions.length > 0) refuse(at("transitions"), "storage classes are AWS's");
        if (rule.noncurrentTransitions.length > 0) refuse(at("noncurrentTransitions"), "storage classes are AWS's");
        if (rule.minObjectSize !== undefined) refuse(at("minObjectSize"), "it only limits transitions, which are AWS's");
        if (!endpoint.versioning) {
          for (const key of ["noncurrentExpiration", "keepNoncurrentVersions"] as const) {
            if (rule[key] !== undefined) refuse(at(key), "storage.endpoint.versioning is false: the store keeps no noncurrent versions", "remove it, or set storage.endpoint.versioning: true if the store keeps versions");
          }
          if (rule.expiredObjectDeleteMarker) refuse(at("expiredObjectDeleteMarker"), "storage.endpoint.versioning is false: there are no delete markers", "remove it");
        }
        if (!endpoint.lifecycle) {
          for (const key of ["expiration", "noncurrentExpiration", "keepNoncurrentVersions"] as const) {
            if (rule[key] !== undefined) refuse(at(key), "storage.endpoint.lifecycle is false: the store runs no lifecycle rules", "remove it, or set storage.endpoint.lifecycle: true if the store runs them");
          }
          if (rule.expiredObjectDeleteMarker) refuse(at("expiredObjectDeleteMarker"), "storage.endpoint.lifecycle is false: the store runs no lifecycle rules", "remove it");
        }
      }
      if (!endpoint.versioning) {
        problems.push(warning(["storage", "endpoint", "versioning"], "is false: a backup overwritten or deleted by a compromised key or a bad script is gone for good", "use a store that keeps versions (MinIO, Ceph, B2, Wasabi), or keep a copy elsewhere (drkit:storage.copy)"));
      }
      if (!endpoint.lifecycle) {
        problems.push(warning(["storage", "endpoint", "lifecycle"], "is false: unfinished multipart uploads are never aborted and noncurrent versions never expire, so the bucket only grows", "clean them up with the store's own tools (mc ilm, radosgw-admin)"));
      }
      return problems;
    },
  },
  {
    // pgBackRest speaks S3 over TLS only (it has no http option), and a copy or a source it
    // reads must be on TLS. An unverified certificate is a decision, never a default.
    needs: ["storage", "postgres", "redis", "role"],
    alsoWithoutPostgres: true,
    check: ({ storage, postgres, redis, role, media }) => {
      const problems: Problem[] = [];
      const restoring = role !== "primary";
      const endpoints: [(string | number)[], { url: string; verifyTls: boolean } | undefined, boolean][] = [
        [["storage", "endpoint"], storage.provider === "s3-compatible" ? storage.endpoint : undefined, postgres.enabled],
        [["storage", "copy", "endpoint"], storage.copy?.endpoint, postgres.enabled],
        [["postgres", "restoreFrom", "endpoint"], restoring && postgres.enabled ? postgres.restoreFrom?.endpoint : undefined, true],
        [["redis", "restoreFrom", "endpoint"], restoring && redis.enabled && redis.snapshots.enabled && redis.restoreFrom?.endpoint !== postgres.restoreFrom?.endpoint ? redis.restoreFrom?.endpoint : undefined, false],
        [["media", "endpoint"], media?.endpoint?.url !== storage.endpoint?.url ? media?.endpoint : undefined, false],
        [["media", "restoreFrom", "endpoint"], restoring && media?.restoreFrom?.endpoint?.url !== postgres.restoreFrom?.endpoint?.url ? media?.restoreFrom?.endpoint : undefined, false],
      ];
      for (const [path, endpoint, pgbackrest] of endpoints) {
        if (!endpoint) continue;
        if (pgbackrest && endpoint.url.startsWith("http://")) {
          problems.push(error([...path, "url"], `is plain http, and pgBackRest reaches S3 over TLS only: '${endpoint.url}'`, "serve the store over https (MinIO: put a certificate in its certs directory) and use https://"));
        }
        if (!endpoint.verifyTls) {
          problems.push(warning([...path, "verifyTls"], "is false: anyone on the path can read or replace the backups in transit", "give the store a certificate the hosts trust, and remove it"));
        }
      }
      return problems;
    },
  },
  {
    // The mirror writes under the media prefix, whose rule keeps what the application replaced.
    needs: ["storage", "objectives", "timeZone", "cluster"],
    check: ({ media, storage, objectives, timeZone, cluster }) => {
      if (!media) return [];
      const problems: Problem[] = [];
      if (!storage.lifecycle.media) {
        problems.push(error(["media"], "is set, and the backup bucket has no media class", "add drkit:storage.lifecycle.media ({} keeps replaced media 90 days): the mirror writes under its prefix"));
      }
      const rpo = objectives.media?.rpo;
      const worst = mediaMirrorWorstAge(media.schedule, timeZone);
      if (rpo !== undefined && worst > rpo) {
        problems.push(
          error(
            ["media", "schedule"],
            `'${media.schedule}' leaves the mirror up to ${formatDuration(worst)} old (its longest gap, a late start and a full run), beyond the ${formatDuration(rpo)} media RPO`,
            "run it more often (leave it out: the default fits the RPO), or raise drkit:objectives.media.rpo",
          ),
        );
      }
      if (cluster.workloadIdentity?.type === "irsa" && media.restoreFrom && media.restoreFrom.provider !== "aws") {
        problems.push(error(["media", "restoreFrom", "provider"], "is not AWS, which IAM roles cannot reach (cluster.workloadIdentity is irsa)", "use type 'static-keys', or keep the backups in S3"));
      }
      return problems;
    },
  },
  {
    needs: ["role", "storage"],
    check: ({ role, storage }) => {
      const copy = storage.copy;
      if (!copy) return [];
      const problems: Problem[] = [];
      if (role === "drill") problems.push(error(["storage", "copy"], "must not be set on a drill stack", "a drill is disposable and isolated: remove the copy"));
      if (copy.bucket === storage.bucket && storage.provider === "s3-compatible" && storage.endpoint?.url === copy.endpoint.url) {
        problems.push(error(["storage", "copy", "bucket"], "is the backup bucket itself: a copy in the same bucket dies with it", "name a bucket in another store"));
      }
      if (!copy.endpoint.versioning) {
        problems.push(warning(["storage", "copy", "endpoint", "versioning"], "is false: a copy overwritten or deleted by a compromised key is gone for good", "use a store that keeps versions"));
      }
      return problems;
    },
  },
  {
    needs: ["role", "storage"],
    check: ({ role, storage }) => {
      if (role !== "drill" || !storage.objectLock) return [];
      if (storage.objectLock.mode === "COMPLIANCE") {
        return [error(["storage", "objectLock", "mode"], "COMPLIANCE on a drill stack makes it impossible to destroy for the whole retention", "use GOVERNANCE or no Object Lock for a disposable drill")];
      }
      return [warning(["storage", "objectLock"], "on a drill stack keeps `pulumi destroy` from emptying the bucket until the retention ends", "remove it unless the drill must prove Object Lock itself")];
    },
  },
  {
    // Snapshots copied off-site are all that survives losing the volume or the region.
    needs: ["objectives", "redis"],
    check: ({ objectives, redis }) => {
      if (!redis.enabled || !redis.snapshots.enabled) return [];
      const problems: Problem[] = [];
      const { interval } = redis.snapshots;
      const worst = snapshotWorstAge(interval, redis.maxmemory);
      const pagesAt = snapshotAlertAge(objectives.redis.rpo);
      if (worst > pagesAt) {
        const fits = defaultSnapshotInterval(objectives.redis.rpo, redis.maxmemory);
        const fix =
          snapshotWorstAge(fits, redis.maxmemory) <= pagesAt
            ? `use '${formatDuration(fits)}' or less (or leave it out: that is the default for this RPO)`
            : `no snapshot interval fits a Redis RPO of ${formatDuration(objectives.redis.rpo)}: raise drkit:objectives.redis.rpo, or lower maxmemory`;
        problems.push(
          error(
            ["redis", "snapshots", "interval"],
            `a snapshot every ${formatDuration(interval)}, started up to ${formatDuration(snapshotStartingDeadline(interval))} late and running up to ${formatDuration(snapshotRunDeadline(interval, redis.maxmemory))}, can be ${formatDuration(worst)} old; RedisSnapshotTooOld pages at ${formatDuration(pagesAt)}, before the ${formatDuration(objectives.redis.rpo)} RPO is breached`,
            fix,
          ),
        );
      }
      if (redis.restoreFrom?.ifMissing === "start-empty") {
        problems.push(warning(["redis", "restoreFrom", "ifMissing"], "'start-empty' accepts starting with no data when no snapshot can be restored", "keep it only for caches whose data can be rebuilt"));
      }
      if (redis.snapshots.keep === 1) {
        problems.push(warning(["redis", "snapshots", "keep"], "keeps a single snapshot: a corrupt newest one leaves nothing to restore", "keep at least 2"));
      }
      return problems;
    },
  },
  {
    needs: ["redis"],
    check: ({ redis }) => {
      if (!redis.enabled) return [];
      const { maxmemory, resources } = redis;
      if (maxmemory >= resources.memory) {
        return [error(["redis", "maxmemory"], `${formatSize(maxmemory)} is not below the container memory ${formatSize(resources.memory)}`, "leave room for the fork that writes snapshots, e.g. half the memory")];
      }
      if (maxmemory > resources.memory * 0.75) {
        return [warning(["redis", "maxmemory"], `${formatSize(maxmemory)} leaves under a quarter of ${formatSize(resources.memory)} for copy-on-write during BGSAVE`, "the kernel may kill Redis mid-snapshot: lower maxmemory or raise resources.memory")];
      }
      return [];
    },
  },
  {
    needs: ["postgres"],
    check: ({ postgres }) => {
      const problems: Problem[] = [];
      const names = new Set<string>();
      for (const [i, db] of postgres.databases.entries()) {
        if (BUILT_IN_DATABASES.includes(db.name)) {
          problems.push(error(["postgres", "databases", i, "name"], `'${db.name}' is a database PostgreSQL creates itself`, "name the application's database, e.g. 'app'"));
        }
        if (names.has(db.name)) problems.push(error(["postgres", "databases", i, "name"], `'${db.name}' is listed twice`, "list each database once"));
        names.add(db.name);
        // An owner defaulted from a database named 'postgres' is the name's error, reported above.
        if (db.owner === "postgres" && db.name !== "postgres") problems.push(error(["postgres", "databases", i, "owner"], "is the superuser", "give each database its own owner role"));
      }
      for (const [i, table] of postgres.verification.tables.entries()) {
        if (!names.has(table.database)) {
          problems.push(error(["postgres", "verification", "tables", i, "database"], `'${table.database}' is not in drkit:postgres.databases`, `use one of: ${[...names].join(", ")}`));
        }
      }
      const freshness = postgres.verification.freshness;
      if (freshness && !names.has(freshness.database)) {
        problems.push(error(["postgres", "verification", "freshness", "database"], `'${freshness.database}' is not in drkit:postgres.databases`, `use one of: ${[...names].join(", ")}`));
      }
      return problems;
    },
  },
  {
    // The retention windows must nest: PITR (short, exact) inside dumps (long, portable).
    needs: ["postgres", "timeZone"],
    check: ({ postgres, timeZone }) => {
      const problems: Problem[] = [];
      const { backups, dumps } = postgres;
      if (dumps.enabled && dumps.retention < backups.pitrWindow) {
        problems.push(
          error(
            ["postgres", "dumps", "retention"],
            `${formatDuration(dumps.retention)} is shorter than the PITR window ${formatDuration(backups.pitrWindow)}`,
            "logical dumps are the long-term tier: keep them at least as long as the point-in-time window",
          ),
        );
      }
      if (dumps.enabled) {
        const covered = dumps.keepLast * longestGap(dumps.schedule, timeZone);
        if (covered > dumps.retention) {
          problems.push(
            warning(
              ["postgres", "dumps", "keepLast"],
              `${dumps.keepLast} dumps at '${dumps.schedule}' span ${formatDuration(covered)}, longer than retention ${formatDuration(dumps.retention)}`,
              "pruning never goes below keepLast, so retention has no effect: lower keepLast or raise retention",
            ),
          );
        }
      }
      const fullGap = longestGap(backups.full, timeZone);
      for (const kind of ["diff", "incr"] as const) {
        const schedule = backups[kind];
        if (schedule && longestGap(schedule, timeZone) > fullGap) {
          problems.push(warning(["postgres", "backups", kind], `runs less often than the full backup ('${backups.full}')`, `a ${kind} backup only helps between fulls: run it more often than the full`));
        }
      }
      return problems;
    },
  },
  {
    needs: ["objectives", "storage"],
    check: ({ objectives, storage }) =>
      objectives.media && !storage.lifecycle.media
        ? [warning(["objectives", "media"], "is set but the bucket has no media class", "add drkit:storage.lifecycle.media, or remove the objective")]
        : [],
  },
  {
    // AWS refuses more than 50 tags, keys over 128 or values over 256 characters.
    needs: ["tags"],
    check: ({ tags }) => {
      const problems: Problem[] = [];
      const entries = Object.entries(tags);
      if (entries.length > 50) problems.push(error(["tags"], `has ${entries.length} tags, AWS allows 50`, "drop the least useful tags"));
      for (const [key, value] of entries) {
        if (key.length > 128 || key.startsWith("aws:")) problems.push(error(["tags", key], "is not a valid tag key", "use at most 128 characters, not starting with 'aws:'"));
        if (value.length > 256) problems.push(error(["tags", key], "has a value over 256 characters", "shorten the value"));
      }
      return problems;
    },
  },
  ...OBJECTIVE_RULES,
];

/** Runs every rule whose sections parsed. */
export function crossFieldProblems(spec: PartialSpec): Problem[] {
  // A disabled PostgreSQL has nothing to check: its keys are ignored, like a section that failed to parse.
  const withoutPostgres = spec.postgres?.enabled === false;
  return RULES.filter((rule) => rule.needs.every((key) => spec[key] !== undefined) && !(withoutPostgres && rule.needs.includes("postgres") && !rule.alsoWithoutPostgres)).flatMap((rule) => rule.check(spec as DrSpec));
}
