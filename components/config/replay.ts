import { cronForInterval, longestCombinedGap } from "./cron";
import { HOUR, MINUTE, type Seconds } from "./units";

/**
 * How much faster than the application writes WAL a restore replays it. A planning figure, not
 * a measurement: replay is single-threaded and applies only the changes, so a day of a typical
 * web backend's WAL replays in well under an hour. `drkit drill` measures the real restore time.
 */
export const REPLAY_SPEEDUP = 48;

/**
 * The longest stretch of WAL a restore may have to replay and still meet the RTO: half the RTO
 * (the other half is fetching the backup and starting), times the replay speed-up.
 */
export function replayBudget(rto: Seconds): Seconds {
  return (rto / 2) * REPLAY_SPEEDUP;
}

/**
 * The default incremental schedule: none when full and differential backups alone keep the
 * replay window inside the budget, else the longest interval that fits: every k hours at minute
 * 30, or every m minutes offset by m/2, so it never collides with the 01:00 full or differential
 * run (pgBackRest's lock would fail one of them). Every four minutes fits any RTO the review
 * accepts (at least RESTORE_FLOOR: a budget of 4 minutes), so the derived schedule always
 * passes the replay rule.
 */
export function defaultIncrementalSchedule(full: string, diff: string | null, rto: Seconds, timeZone: string): string | null {
  const budget = replayBudget(rto);
  const base = [full, ...(diff ? [diff] : [])];
  if (longestCombinedGap(base, timeZone) <= budget) return null;
  const candidates = [
    ...[12, 8, 6, 4, 3, 2, 1].map((hours) => ({ every: hours * HOUR, schedule: cronForInterval(hours * HOUR)!.replace(/^0 /, "30 ") })),
    ...[30, 20, 15, 10, 5, 4].map((minutes) => ({ every: minutes * MINUTE, schedule: `${Math.floor(minutes / 2)}-59/${minutes} * * * *` })),
  ];
  for (const { every, schedule } of candidates) {
    if (every <= budget && longestCombinedGap([...base, schedule], timeZone) <= budget) return schedule;
  }
  return candidates.at(-1)!.schedule;
}

/**
 * The least time any restore takes, whatever the data size: start the container, read the
 * backup's manifest, start PostgreSQL or Redis, promote. The fastest restores `drkit drill` has
 * measured, on a two-core machine with the images present: 10.1 s for Redis, 13.6 s for 256 MiB
 * of PostgreSQL. An RTO under this cannot be met by any restore.
 */
export const RESTORE_FLOOR: Seconds = 10;

/**
 * The fixed part of a restore on a cluster, for planning: the floor above plus scheduling the pod
 * and attaching its volume. The estimate the review warns with starts here.
 */
export const RESTORE_OVERHEAD: Seconds = 30;

/**
 * The planning figure for fetching, decrypting, decompressing and writing a backup, when the
 * stack does not declare its own: below the 121 MiB/s a pgBackRest restore of incompressible
 * data reached on a two-core machine, and the 219 MiB/s of pgbench data in `bench/drill.ts`.
 * The restore verification job logs the throughput it measured: feed that back.
 */
export const DEFAULT_RESTORE_THROUGHPUT = "100Mi/s";

/** Seconds to fetch and write `bytes` at `throughput` bytes per second, plus the fixed part. */
export function restoreSeconds(bytes: number, throughput: number): Seconds {
  return RESTORE_OVERHEAD + Math.ceil(bytes / throughput);
}
