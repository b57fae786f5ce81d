import { longestGap } from "./cron";
import type { Seconds } from "./units";

/**
 * When the media mirror may start and how long it may run: a run that could not start within a
 * quarter of its interval (a minute to an hour) is skipped, and one runs at most half its interval
 * (five minutes at least), so runs never overlap. The CronJob, the scheduler and the alert all
 * read these.
 */
export function mediaMirrorTiming(schedule: string, timeZone: string): { startingDeadlineSeconds: Seconds; activeDeadlineSeconds: Seconds } {
  const gap = longestGap(schedule, timeZone);
  return { startingDeadlineSeconds: Math.min(3600, Math.max(60, Math.floor(gap / 4))), activeDeadlineSeconds: Math.max(300, Math.floor(gap / 2)) };
}

/** The mirror's worst age: the longest gap between runs, plus a run that starts and ends as late as it may. */
export function mediaMirrorWorstAge(schedule: string, timeZone: string): Seconds {
  const timing = mediaMirrorTiming(schedule, timeZone);
  return longestGap(schedule, timeZone) + timing.startingDeadlineSeconds + timing.activeDeadlineSeconds;
}
