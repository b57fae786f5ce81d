import { DAY, STORAGE_CLASSES, type LifecycleRule, type StorageClass, type Transition } from "../config";

/**
 * Lifecycle rules read back from a bucket's resource properties (the inverse of lifecycle.ts), so
 * that the policy pack checks any program's buckets with the same validators as `drkit review`.
 * Properties arrive untyped and may be unknown during a preview: whatever is not a plain number
 * or string is left out rather than guessed.
 */
export interface ReadRule {
  /** The rule's id, for messages. */
  id: string;
  /** The key prefix the rule applies to ("" for the whole bucket). */
  prefix: string;
  rule: LifecycleRule;
}

type Props = Record<string, unknown>;
const record = (value: unknown): Props => (value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Props) : {});
const list = (value: unknown): Props[] => (Array.isArray(value) ? value.map(record) : []);
const number = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : undefined);
const isStorageClass = (value: unknown): value is StorageClass => typeof value === "string" && (STORAGE_CLASSES as readonly string[]).includes(value);

function transitions(items: Props[], daysKey: string): Transition[] {
  return items.flatMap((t) => {
    const days = number(t[daysKey]);
    return days !== undefined && isStorageClass(t["storageClass"]) ? [{ after: days * DAY, storageClass: t["storageClass"] }] : [];
  });
}

/** The enabled rules of an `aws.s3.BucketLifecycleConfiguration` (its `rules` property). */
export function readS3LifecycleRules(rules: unknown): ReadRule[] {
  return list(rules)
    .filter((r) => r["status"] === "Enabled")
    .map((r, i) => {
      const filter = record(r["filter"]);
      const and = record(filter["and"]);
      const prefix = [filter["prefix"], and["prefix"], r["prefix"]].find((p): p is string => typeof p === "string") ?? "";
      const minObjectSize = number(filter["objectSizeGreaterThan"]) ?? number(and["objectSizeGreaterThan"]);
      const expiration = record(r["expiration"]);
      const noncurrent = record(r["noncurrentVersionExpiration"]);
      const expirationDays = number(expiration["days"]);
      const noncurrentDays = number(noncurrent["noncurrentDays"]);
      const keep = number(noncurrent["newerNoncurrentVersions"]);
      return {
        id: typeof r["id"] === "string" ? r["id"] : `rule ${i}`,
        prefix,
        rule: {
          prefix,
          transitions: transitions(list(r["transitions"]), "days"),
          noncurrentTransitions: transitions(list(r["noncurrentVersionTransitions"]), "noncurrentDays"),
          expiredObjectDeleteMarker: expiration["expiredObjectDeleteMarker"] === true,
          abortIncompleteMultipartUpload: (number(record(r["abortIncompleteMultipartUpload"])["daysAfterInitiation"]) ?? 0) * DAY,
          ...(expirationDays !== undefined ? { expiration: expirationDays * DAY } : {}),
          ...(noncurrentDays !== undefined ? { noncurrentExpiration: noncurrentDays * DAY } : {}),
          ...(keep !== undefined ? { keepNoncurrentVersions: keep } : {}),
          ...(minObjectSize !== undefined ? { minObjectSize } : {}),
        },
      };
    });
}

/** The enabled rules of a `digitalocean.SpacesBucket` (its `lifecycleRules` property). */
export function readSpacesLifecycleRules(rules: unknown): ReadRule[] {
  return list(rules)
    .filter((r) => r["enabled"] === true)
    .map((r, i) => {
      const prefix = typeof r["prefix"] === "string" ? r["prefix"] : "";
      const expiration = record(r["expiration"]);
      const expirationDays = number(expiration["days"]);
      const noncurrentDays = number(record(r["noncurrentVersionExpiration"])["days"]);
      return {
        id: typeof r["id"] === "string" ? r["id"] : `rule ${i}`,
        prefix,
        rule: {
          prefix,
          transitions: [],
          noncurrentTransitions: [],
          expiredObjectDeleteMarker: expiration["expiredObjectDeleteMarker"] === true,
          abortIncompleteMultipartUpload: (number(r["abortIncompleteMultipartUploadDays"]) ?? 0) * DAY,
          ...(expirationDays !== undefined ? { expiration: expirationDays * DAY } : {}),
          ...(noncurrentDays !== undefined ? { noncurrentExpiration: noncurrentDays * DAY } : {}),
        },
      };
    });
}
