import { cronForInterval, longestCombinedGap } from "./cron";
import { HOUR, type Seconds } from "./units";

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
 * replay window inside the budget, else every k hours (the longest divisor of a day that fits),
 * at minute 30 so it never collides with the 01:00 full or differential run.
 */
export function defaultIncrementalSchedule(full: string, diff: string | null, rto: Seconds, timeZone: string): string | null {
  const budget = replayBudget(rto);
  const base = [full, ...(diff ? [diff] : [])];
  if (longestCombinedGap(base, timeZone) <= budget) return null;
  for (const hours of [12, 8, 6, 4, 3, 2, 1]) {
    const every = cronForInterval(hours * HOUR)!.replace(/^0 /, "30 ");
    if (hours * HOUR <= budget && longestCombinedGap([...base, every], timeZone) <= budget) return every;
  }
  return "30 * * * *";
}
