import { HOUR, MINUTE, type Seconds } from "./units";

/**
 * The timing of Redis's off-site snapshots, in one place: the snapshot CronJob's deadlines, the
 * age at which RedisSnapshotTooOld pages, and the default interval, all from the interval, the
 * data size and the RPO. The loss after a disaster is the age of the newest off-site snapshot,
 * so the alert must page while some of the RPO is left, and a snapshot run that keeps within
 * its deadlines must never trip it.
 */

/** The rate a snapshot run is given to copy and upload `maxmemory` within its deadline. */
export const SNAPSHOT_UPLOAD_RATE = 50 * 2 ** 20;

/** A run that could not start this long after its time is skipped. */
export const snapshotStartingDeadline = (interval: Seconds): Seconds => Math.max(30, Math.floor(interval / 4));

/** A run is stopped (and counts as failed) after this long: half an interval, or the upload of maxmemory. */
export const snapshotRunDeadline = (interval: Seconds, maxmemory: number): Seconds => Math.max(60, Math.floor(interval / 2), Math.ceil(maxmemory / SNAPSHOT_UPLOAD_RATE));

/** The newest snapshot's age, at most, while every run keeps within its deadlines. */
export const snapshotWorstAge = (interval: Seconds, maxmemory: number): Seconds => interval + snapshotStartingDeadline(interval) + snapshotRunDeadline(interval, maxmemory);

/** RedisSnapshotTooOld pages at this age: a fifth of the RPO (at least 30 s) before it is breached. */
export const snapshotAlertAge = (rpo: Seconds): Seconds => rpo - Math.max(30, Math.round(rpo / 5));

/** Intervals cron can run evenly (divisors of an hour or of a day), longest first. */
const CRON_INTERVALS: Seconds[] = [
  ...[24, 12, 8, 6, 4, 3, 2, 1].map((hours) => hours * HOUR),
  ...[30, 20, 15, 12, 10, 6, 5, 4, 3, 2, 1].map((minutes) => minutes * MINUTE),
];

/** The longest cron interval whose snapshots page before the RPO is breached; one minute when none does (the review says why). */
export function defaultSnapshotInterval(rpo: Seconds, maxmemory: number): Seconds {
  return CRON_INTERVALS.find((interval) => snapshotWorstAge(interval, maxmemory) <= snapshotAlertAge(rpo)) ?? MINUTE;
}
