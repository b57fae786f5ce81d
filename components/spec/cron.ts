import { CronExpressionParser } from "cron-parser";
import { DAY, HOUR, MINUTE, type Seconds, type UnitResult } from "./units";

/** Macros that Kubernetes CronJobs accept besides five-field expressions. */
const MACROS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);
const CRON_HINT =
  "use five fields 'minute hour day-of-month month day-of-week', e.g. '0 3 * * 0' for Sundays 03:00, or @daily/@weekly";

/**
 * Checks a Kubernetes CronJob schedule with a real cron parser. Kubernetes takes exactly five
 * fields (no seconds) or one of its macros, so six-field expressions are refused here rather
 * than by the API server at deploy time.
 */
export function parseCron(input: unknown): UnitResult<string> {
  if (typeof input !== "string") {
    return { ok: false, message: `must be a cron string, got ${typeof input}`, hint: CRON_HINT };
  }
  const text = input.trim().replace(/\s+/g, " ");
  if (text.startsWith("@")) {
    if (MACROS.has(text)) return { ok: true, value: text };
    return { ok: false, message: `is not a cron macro Kubernetes knows: '${input}'`, hint: CRON_HINT };
  }
  const fields = text.split(" ");
  if (fields.length !== 5) {
    return {
      ok: false,
      message: `has ${fields.length} field${fields.length === 1 ? "" : "s"}, a Kubernetes schedule has 5: '${input}'`,
      hint: CRON_HINT,
    };
  }
  try {
    CronExpressionParser.parse(text, { currentDate: REFERENCE, tz: "UTC" }).next();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `is not a cron expression: '${input}' (${reason})`, hint: CRON_HINT };
  }
  return { ok: true, value: text };
}

// A fixed start makes every derived interval reproducible; a leap year covers Feb 29 schedules.
const REFERENCE = new Date("2024-01-01T00:00:00Z");
const HORIZON_MS = 400 * DAY * 1000;
const MAX_RUNS = 5000;

/**
 * The longest time between two consecutive runs of a schedule, in seconds, over a year from a
 * fixed reference date in the given time zone. This is what bounds "how old can the newest
 * backup be", so it is the number alerts and RTO rules use, not the average interval.
 */
export function longestGap(schedule: string, timeZone = "UTC"): Seconds {
  // Pure and called by several rules for the same few schedules: remember the answers.
  const key = `${timeZone}\u0000${schedule}`;
  let gap = gaps.get(key);
  if (gap === undefined) {
    gap = computeLongestGap(schedule, timeZone);
    gaps.set(key, gap);
  }
  return gap;
}

const gaps = new Map<string, Seconds>();

function computeLongestGap(schedule: string, timeZone: string): Seconds {
  const runs = CronExpressionParser.parse(schedule, { currentDate: REFERENCE, tz: timeZone });
  let previous = runs.next().toDate().getTime();
  const end = previous + HORIZON_MS;
  let longest = 0;
  for (let count = 0; count < MAX_RUNS; count++) {
    const next = runs.next().toDate().getTime();
    longest = Math.max(longest, next - previous);
    previous = next;
    if (next > end) break;
  }
  return Math.round(longest / 1000);
}

/**
 * A cron schedule that runs every `interval`, when cron can express it exactly (a divisor of an
 * hour in minutes, a divisor of a day in hours, or one day). Returns undefined otherwise.
 */
export function cronForInterval(interval: Seconds): string | undefined {
  if (interval % MINUTE !== 0) return undefined;
  const minutes = interval / MINUTE;
  if (minutes < 60 && 60 % minutes === 0) return minutes === 1 ? "* * * * *" : `*/${minutes} * * * *`;
  if (interval === HOUR) return "0 * * * *";
  if (interval % HOUR === 0 && interval < DAY && DAY % interval === 0) return `0 */${interval / HOUR} * * *`;
  if (interval === DAY) return "0 0 * * *";
  return undefined;
}

/** Whether a string names a time zone this runtime knows (IANA database). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * The longest time without any run of several schedules together: how old the newest backup
 * of any kind can get, which bounds the WAL a restore must replay.
 */
export function longestCombinedGap(schedules: string[], timeZone = "UTC"): Seconds {
  if (schedules.length === 0) return Infinity;
  if (schedules.length === 1) return longestGap(schedules[0]!, timeZone);
  const key = `${timeZone}\u0000${[...schedules].sort().join("\u0000")}`;
  let gap = gaps.get(key);
  if (gap === undefined) {
    gap = computeCombinedGap(schedules, timeZone);
    gaps.set(key, gap);
  }
  return gap;
}

function computeCombinedGap(schedules: string[], timeZone: string): Seconds {
  const times: number[] = [];
  for (const schedule of schedules) {
    const runs = CronExpressionParser.parse(schedule, { currentDate: REFERENCE, tz: timeZone });
    for (let count = 0; count < MAX_RUNS; count++) {
      const next = runs.next().toDate().getTime();
      if (next > REFERENCE.getTime() + HORIZON_MS) break;
      times.push(next);
    }
  }
  times.sort((a, b) => a - b);
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
  return Math.round(longest / 1000);
}
