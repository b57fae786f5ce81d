import type { StorageClass } from "../config/types";
import { DAY, HOUR, type Seconds } from "../config/units";

/**
 * What S3 storage classes cost in time and money, as far as lifecycle rules and restores care.
 * Sources: the S3 User Guide's storage-class comparison, "Transitioning objects using Amazon
 * S3 Lifecycle" and the restore (retrieval) options of the archive classes.
 */
export interface StorageClassFacts {
  /** Position in the transition waterfall: a rule may only move objects to a higher one. */
  rank: number;
  /** Minimum storage duration billed: deleting or moving earlier still pays for it. */
  minimumStorage: Seconds;
  /** Time to first byte of a restore with the standard retrieval tier (what an RTO can count on). */
  retrieval: Seconds;
  /** How that retrieval time is described to people. */
  retrievalText: string;
  /** The IA classes: S3 refuses to move current objects there before they are 30 days old. */
  infrequentAccess: boolean;
  /** Glacier classes: must come at least 30 days after an IA transition in the same rule. */
  archive: boolean;
}

export const STORAGE_CLASS_FACTS: Record<StorageClass, StorageClassFacts> = {
  STANDARD_IA: { rank: 1, minimumStorage: 30 * DAY, retrieval: 0, retrievalText: "milliseconds", infrequentAccess: true, archive: false },
  INTELLIGENT_TIERING: { rank: 2, minimumStorage: 0, retrieval: 0, retrievalText: "milliseconds", infrequentAccess: false, archive: false },
  ONEZONE_IA: { rank: 3, minimumStorage: 30 * DAY, retrieval: 0, retrievalText: "milliseconds", infrequentAccess: true, archive: false },
  GLACIER_IR: { rank: 4, minimumStorage: 90 * DAY, retrieval: 0, retrievalText: "milliseconds", infrequentAccess: false, archive: true },
  // Expedited retrieval (1-5 min) depends on capacity that is not guaranteed without provisioned
  // capacity units; an objective can only count on the standard tier.
  GLACIER: { rank: 5, minimumStorage: 90 * DAY, retrieval: 5 * HOUR, retrievalText: "3-5 hours (standard retrieval; expedited 1-5 minutes is best effort)", infrequentAccess: false, archive: true },
  DEEP_ARCHIVE: { rank: 6, minimumStorage: 180 * DAY, retrieval: 12 * HOUR, retrievalText: "up to 12 hours (standard), 48 hours (bulk)", infrequentAccess: false, archive: true },
};

/** Transitions S3 refuses although they go down the waterfall. */
const UNSUPPORTED: ReadonlySet<string> = new Set(["ONEZONE_IA>GLACIER_IR"]);

/** Whether S3 supports a lifecycle transition from one class to the next (STANDARD as start). */
export function canTransition(from: StorageClass | "STANDARD", to: StorageClass): boolean {
  if (UNSUPPORTED.has(`${from}>${to}`)) return false;
  const fromRank = from === "STANDARD" ? 0 : STORAGE_CLASS_FACTS[from].rank;
  return STORAGE_CLASS_FACTS[to].rank > fromRank;
}

/** S3 does not transition objects under 128 KiB unless a rule sets an object size filter. */
export const SMALL_OBJECT_LIMIT = 128 * 1024;
