import { archiveTimeout } from "../postgres/settings";
import type { DrSpec, Seconds } from "../spec";
import { longestGap } from "../spec";

/**
 * Alert thresholds, derived from the objectives and schedules (design.md §6), never constants.
 */
export interface AlertThresholds {
  /** WAL archive age that means the RPO is at risk: fires with half the RPO still to go. */
  walArchiveStale: Seconds;
  /** How long archive failures must persist: one archive_timeout (one missed forced switch). */
  walArchiveFailingFor: Seconds;
  /** Age of the newest successful run of each backup CronJob before it is too old. */
  backupTooOld: Record<string, Seconds>;
  /** Age of the newest restore verification before it counts as failed. */
  verificationTooOld: Seconds;
  /** Age of the newest off-site Redis snapshot: one missed run. */
  redisSnapshotTooOld: Seconds;
}

/**
 * A scheduled job is late when the longest gap between its runs, plus a quarter of that gap for
 * the run itself and its retries, has passed without a success.
 */
const lateAfter = (schedule: string, timeZone: string) => Math.round(longestGap(schedule, timeZone) * 1.25);

export function alertThresholds(spec: DrSpec): AlertThresholds {
  const { postgres, redis, objectives, timeZone } = spec;
  const timeout = archiveTimeout(objectives.postgres.rpo);
  const backups: Record<string, Seconds> = { full: lateAfter(postgres.backups.full, timeZone) };
  if (postgres.backups.diff) backups["diff"] = lateAfter(postgres.backups.diff, timeZone);
  if (postgres.backups.incr) backups["incr"] = lateAfter(postgres.backups.incr, timeZone);
  if (postgres.dumps.enabled) backups["dump"] = lateAfter(postgres.dumps.schedule, timeZone);
  return {
    walArchiveStale: Math.max(2 * timeout, Math.floor(objectives.postgres.rpo / 2)),
    walArchiveFailingFor: Math.max(60, timeout),
    backupTooOld: backups,
    verificationTooOld: lateAfter(postgres.verification.schedule, timeZone),
    redisSnapshotTooOld: 2 * redis.snapshots.interval,
  };
}
