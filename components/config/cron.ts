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
  // Kubernetes parses schedules with robfig/cron's standard parser: no L, W or # (cron-parser
  // knows them, the API server refuses them).
  if (/[LW#]/i.test(fields.slice(2, 5).join(" ").replace(/[A-Z]{3}/gi, (name) => (/^(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT)$/i.test(name) ? "" : name)))) {
    return { ok: false, message: `uses L, W or #, which Kubernetes schedules do not support: '${input}'`, hint: CRON_HINT };
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
// Two years and a bit: a yearly schedule shows two whole gaps.
const HORIZON_DAYS = 800;

/**
 * The longest time between two consecutive runs of a schedule, in seconds, over two years from
 * a fixed reference date in the given time zone. This is what bounds "how old can the newest
 * backup be", so it is the number alerts and RTO rules use, not the average interval.
 */
export function longestGap(schedule: string, timeZone = "UTC"): Seconds {
  return longestCombinedGap([schedule], timeZone);
}

const gaps = new Map<string, Seconds>();
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
 *
 * Runs are marked on a minute timeline from each schedule's expanded fields rather than by
 * stepping a cron iterator: an every-minute schedule has over a million runs in the horizon,
 * and stepping gave up early (an hourly incremental then looked like no incremental at all).
 */
export function longestCombinedGap(schedules: string[], timeZone = "UTC"): Seconds {
  if (schedules.length === 0) return Infinity;
  // Pure and called by several rules for the same few schedules: remember the answers.
  const key = `${timeZone}\u0000${[...new Set(schedules)].sort().join("\u0000")}`;
  let gap = gaps.get(key);
  if (gap === undefined) {
    gap = computeCombinedGap(schedules, timeZone);
    gaps.set(key, gap);
  }
  return gap;
}

function computeCombinedGap(schedules: string[], timeZone: string): Seconds {
  const timeline = new Uint8Array(HORIZON_DAYS * 1440);
  const toMinutes = localMinutes(timeZone);
  for (const schedule of schedules) {
    const { fields } = CronExpressionParser.parse(schedule, { currentDate: REFERENCE, tz: timeZone });
    const minutes = fields.minute.values as number[];
    const hours = fields.hour.values as number[];
    const months = new Set(fields.month.values as number[]);
    const daysOfMonth = new Set(fields.dayOfMonth.values as (number | string)[]);
    const daysOfWeek = new Set((fields.dayOfWeek.values as (number | string)[]).map((d) => (d === 7 ? 0 : d)));
    const domRestricted = !fields.dayOfMonth.isWildcard;
    const dowRestricted = !fields.dayOfWeek.isWildcard;
    for (let day = 0; day < HORIZON_DAYS; day++) {
      // The calendar date of local day `day`: a UTC date carries the local date's fields.
      const date = new Date(REFERENCE.getTime() + day * DAY * 1000);
      if (!months.has(date.getUTCMonth() + 1)) continue;
      const dom = daysOfMonth.has(date.getUTCDate());
      const dow = daysOfWeek.has(date.getUTCDay());
      // Vixie cron's rule, as cron-parser and Kubernetes apply it: both restricted -> either.
      const matches = domRestricted && dowRestricted ? dom || dow : (!domRestricted || dom) && (!dowRestricted || dow);
      if (!matches) continue;
      for (const hour of hours) {
        for (const minute of minutes) {
          for (const index of toMinutes(day, hour, minute)) if (index >= 0 && index < timeline.length) timeline[index] = 1;
        }
      }
    }
  }
  let previous = -1;
  let longest = 0;
  for (let i = 0; i < timeline.length; i++) {
    if (timeline[i] === 0) continue;
    if (previous >= 0) longest = Math.max(longest, i - previous);
    previous = i;
  }
  // A schedule that runs once or never in two years has no gap to bound it.
  return previous < 0 || longest === 0 ? Infinity : longest * MINUTE;
}

/**
 * Maps a local wall-clock time (day index from REFERENCE's date, hour, minute) to its minutes on
 * the UTC timeline: none for a time skipped when daylight saving time starts, two for a time
 * repeated when it ends. Kubernetes steps its schedules through absolute time and matches the
 * local fields (robfig/cron), so it runs at both occurrences and at neither.
 */
function localMinutes(timeZone: string): (day: number, hour: number, minute: number) => number[] {
  const formatter = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
  });
  const start = Math.round(REFERENCE.getTime() / 60_000);
  // The zone's offset in minutes at a UTC minute; cached per half hour, the finest step zones change at.
  const offsets = new Map<number, number>();
  const offsetAt = (utcMinute: number): number => {
    const slot = Math.floor(utcMinute / 30);
    let offset = offsets.get(slot);
    if (offset === undefined) {
      const parts = Object.fromEntries(formatter.formatToParts(new Date(slot * 30 * 60_000)).map((p) => [p.type, p.value]));
      const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
      offset = Math.round(local / 60_000) - slot * 30;
      offsets.set(slot, offset);
    }
    return offset;
  };
  // Most days have one offset from end to end; only the days around a change need the search.
  const dayOffsets = new Map<number, number | undefined>();
  const offsetOfDay = (day: number): number | undefined => {
    if (!dayOffsets.has(day)) {
      const wall = start + day * 1440;
      const before = offsetAt(wall - 1440);
      dayOffsets.set(day, before === offsetAt(wall + 2 * 1440) ? before : undefined);
    }
    return dayOffsets.get(day);
  };
  return (day, hour, minute) => {
    const wall = start + day * 1440 + hour * 60 + minute;
    const offset = offsetOfDay(day);
    if (offset !== undefined) return [wall - offset - start];
    const candidates = new Set([wall - offsetAt(wall - 1440), wall - offsetAt(wall + 1440)]);
    return [...candidates].filter((utc) => utc + offsetAt(utc) === wall).map((utc) => utc - start);
  };
}
