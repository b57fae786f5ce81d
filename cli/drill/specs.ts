import type { DrSpec } from "../../components/config";

/**
 * A drill plays both sides of a disaster: the primary whose backups are restored, and the
 * dr/drill stack that restores them. From a drill (or dr) stack's spec this derives the primary
 * it restores from; from a primary's spec, the drill that would restore it.
 */
export interface DrillSides {
  /** The primary: initdb, archive, backups, snapshots. */
  primary: DrSpec;
  /** The recovering side: restore-on-bootstrap from the primary's repository and snapshots. */
  recovery: DrSpec;
}

export function drillSides(spec: DrSpec): DrillSides {
  return spec.role === "primary" ? { primary: spec, recovery: recoveryOf(spec) } : { primary: primaryOf(spec), recovery: spec };
}

/** The primary a dr/drill spec restores from: its source bucket, repository and snapshots. */
function primaryOf(spec: DrSpec): DrSpec {
  const source = spec.postgres.enabled ? spec.postgres.restoreFrom : undefined;
  if (spec.postgres.enabled && !source) throw new Error(`stack '${spec.stack}' (role ${spec.role}) has no drkit:postgres.restoreFrom to drill`);
  const { restoreFrom: _pg, ...postgres } = spec.postgres;
  const { restoreFrom: redisSource, ...redis } = spec.redis;
  // The source stack's name: its repository's last segment, or (without PostgreSQL) its snapshots'.
  const stack = (source ? source.repoPath.split("/").at(-1) : redisSource?.prefix.split("/").filter(Boolean).at(-1)) ?? "source";
  return {
    ...spec,
    stack,
    role: "primary",
    storage: { ...spec.storage, bucket: source?.bucket ?? redisSource?.bucket ?? spec.storage.bucket, replication: undefined, objectLock: undefined, copy: undefined },
    // The primary mirrors its media where the recovery copies them back from.
    ...(spec.media ? { media: withoutRestore(spec.media) } : {}),
    postgres: source
      ? {
          ...postgres,
          backups: { ...spec.postgres.backups, repoPath: source.repoPath, stanza: source.stanza, encrypt: source.encrypted },
          dumps: { ...spec.postgres.dumps, enabled: false },
        }
      : postgres,
    redis: { ...redis, snapshots: { ...spec.redis.snapshots, prefix: redisSource?.prefix ?? `redis/${stack}/` } },
  };
}

const withoutRestore = (media: NonNullable<DrSpec["media"]>): NonNullable<DrSpec["media"]> => {
  const { restoreFrom: _restore, ...rest } = media;
  return rest;
};

/** The drill that restores a primary's backups into a stack of its own. */
function recoveryOf(spec: DrSpec): DrSpec {
  const stack = `${spec.stack}-drill`;
  return {
    ...spec,
    stack,
    role: "drill",
    // A drill keeps no copy (a copy is refused on drill stacks).
    storage: { ...spec.storage, replication: undefined, objectLock: undefined, copy: undefined },
    ...(spec.media
      ? {
          media: {
            ...spec.media,
            restoreFrom: { bucket: spec.storage.bucket, region: spec.region, provider: spec.storage.provider, ...(spec.storage.endpoint ? { endpoint: spec.storage.endpoint } : {}), prefix: spec.storage.lifecycle.media?.prefix ?? "media/" },
          },
        }
      : {}),
    postgres: spec.postgres.enabled
      ? {
          ...spec.postgres,
          backups: { ...spec.postgres.backups, repoPath: `${spec.storage.lifecycle.pgbackrest.prefix}${stack}` },
          restoreFrom: {
            bucket: spec.storage.bucket,
            region: spec.region,
            provider: spec.storage.provider,
            repoPath: spec.postgres.backups.repoPath,
            stanza: spec.postgres.backups.stanza,
            target: "latest",
            encrypted: spec.postgres.backups.encrypt,
          },
        }
      : spec.postgres,
    redis: {
      ...spec.redis,
      snapshots: { ...spec.redis.snapshots, prefix: `${spec.storage.lifecycle.redis.prefix}${stack}/` },
      // Snapshots off: the drill's Redis restores nothing, as a dr stack's would.
      ...(spec.redis.snapshots.enabled ? { restoreFrom: { bucket: spec.storage.bucket, region: spec.region, provider: spec.storage.provider, prefix: spec.redis.snapshots.prefix, ifMissing: "fail" as const } } : {}),
    },
  };
}
