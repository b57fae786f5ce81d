import { DATA_CLASSES, type DataClass, type LifecycleRule, type StorageSpec } from "../config/types";
import { DAY } from "../config/units";

/**
 * One S3 lifecycle rule, shaped like `aws.s3.BucketLifecycleConfiguration` rule inputs so the
 * component passes it through unchanged. Ages are whole days.
 */
export interface S3LifecycleRule {
  id: string;
  status: "Enabled";
  filter: { prefix: string } | { and: { prefix: string; objectSizeGreaterThan: number } };
  transitions?: { days: number; storageClass: string }[];
  expiration?: { days: number } | { expiredObjectDeleteMarker: true };
  noncurrentVersionTransitions?: { noncurrentDays: number; storageClass: string; newerNoncurrentVersions?: number }[];
  noncurrentVersionExpiration?: { noncurrentDays: number; newerNoncurrentVersions?: number };
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

/** One Spaces lifecycle rule, shaped like `digitalocean.SpacesBucket` `lifecycleRules` inputs. */
export interface SpacesLifecycleRule {
  id: string;
  enabled: true;
  prefix: string;
  expiration?: { days: number } | { expiredObjectDeleteMarker: true };
  noncurrentVersionExpiration?: { days: number };
  abortIncompleteMultipartUploadDays: number;
}

const days = (seconds: number) => Math.round(seconds / DAY);

/** The data classes present in a storage spec, in their fixed order. */
export function dataClasses(storage: StorageSpec): [DataClass, LifecycleRule][] {
  return DATA_CLASSES.flatMap((c) => (storage.lifecycle[c] ? [[c, storage.lifecycle[c]!] as [DataClass, LifecycleRule]] : []));
}

function expirationOf(rule: LifecycleRule): S3LifecycleRule["expiration"] {
  if (rule.expiration !== undefined) return { days: days(rule.expiration) };
  // S3 takes the delete-marker cleanup only as an expiration of its own, without days.
  if (rule.expiredObjectDeleteMarker) return { expiredObjectDeleteMarker: true };
  return undefined;
}

/**
 * The S3 lifecycle rules of a bucket: one per data class, filtered by its prefix. A class with a
 * size threshold gets two: the transitions filtered by size, and the expirations by prefix
 * only, because a size filter on an expiration would keep small objects (checksums, markers)
 * forever.
 */
export function renderLifecycleRules(storage: StorageSpec): S3LifecycleRule[] {
  return dataClasses(storage).flatMap(([name, rule]): S3LifecycleRule[] => {
    const keep = rule.keepNoncurrentVersions;
    const newer = keep !== undefined ? { newerNoncurrentVersions: keep } : {};
    const transitions = {
      ...(rule.transitions.length > 0 ? { transitions: rule.transitions.map((t) => ({ days: days(t.after), storageClass: t.storageClass })) } : {}),
      ...(rule.noncurrentTransitions.length > 0
        ? { noncurrentVersionTransitions: rule.noncurrentTransitions.map((t) => ({ noncurrentDays: days(t.after), storageClass: t.storageClass, ...newer })) }
        : {}),
    };
    const expiration = expirationOf(rule);
    const expirations = {
      ...(expiration ? { expiration } : {}),
      ...(rule.noncurrentExpiration !== undefined ? { noncurrentVersionExpiration: { noncurrentDays: days(rule.noncurrentExpiration), ...newer } } : {}),
      abortIncompleteMultipartUpload: { daysAfterInitiation: days(rule.abortIncompleteMultipartUpload) },
    };
    const hasTransitions = Object.keys(transitions).length > 0;
    if (rule.minObjectSize === undefined || !hasTransitions) {
      return [{ id: `drkit-${name}`, status: "Enabled" as const, filter: { prefix: rule.prefix }, ...transitions, ...expirations }];
    }
    return [
      {
        id: `drkit-${name}-transitions`,
        status: "Enabled" as const,
        filter: { and: { prefix: rule.prefix, objectSizeGreaterThan: rule.minObjectSize } },
        // No abortIncompleteMultipartUpload here: S3 does not take it with a size filter
        // (an upload in progress has no size); the prefix rule below carries it.
        ...transitions,
      },
      { id: `drkit-${name}`, status: "Enabled" as const, filter: { prefix: rule.prefix }, ...expirations },
    ];
  });
}

/**
 * The Spaces lifecycle rules. Spaces has no storage classes or size filters; the spec rules
 * refuse those options for provider `digitalocean`, so nothing is dropped here.
 */
export function renderSpacesLifecycleRules(storage: StorageSpec): SpacesLifecycleRule[] {
  return dataClasses(storage).map(([name, rule]) => {
    const expiration = expirationOf(rule);
    return {
      id: `drkit-${name}`,
      enabled: true,
      prefix: rule.prefix,
      ...(expiration ? { expiration } : {}),
      ...(rule.noncurrentExpiration !== undefined ? { noncurrentVersionExpiration: { days: days(rule.noncurrentExpiration) } } : {}),
      abortIncompleteMultipartUploadDays: days(rule.abortIncompleteMultipartUpload),
    };
  });
}

/**
 * The rules of the copy's bucket (`drkit:storage.copy`): pgBackRest and the dump and snapshot
 * jobs keep the copy's retention themselves, so no current object expires by age; old versions
 * go 30 days after they were replaced (where the store keeps versions) and unfinished uploads
 * after 7 days (replaced media after the media rule's time). One rule per data class the backup bucket has.
 */
export function copyLifecycleRules(storage: StorageSpec, versioning: boolean): S3LifecycleRule[] {
  const only = (rule: LifecycleRule): LifecycleRule => ({
    prefix: rule.prefix,
    transitions: [],
    expiredObjectDeleteMarker: false,
    noncurrentTransitions: [],
    ...(versioning ? { noncurrentExpiration: 30 * DAY } : {}),
    abortIncompleteMultipartUpload: 7 * DAY,
  });
  const { pgbackrest, dumps, redis, media } = storage.lifecycle;
  // The media mirror's copy keeps replaced media as long as the bucket does.
  const mediaRule = media ? { media: { ...only(media), ...(versioning && media.noncurrentExpiration !== undefined ? { noncurrentExpiration: media.noncurrentExpiration } : {}) } } : {};
  return renderLifecycleRules({ ...storage, lifecycle: { pgbackrest: only(pgbackrest), dumps: only(dumps), redis: only(redis), ...mediaRule } });
}
