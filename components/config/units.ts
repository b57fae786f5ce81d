/**
 * Human units used in stack configuration, and their canonical numeric forms in a DrSpec:
 * durations become seconds, sizes bytes, CPU millicores and percentages fractions.
 *
 * Every parser returns a `UnitResult` instead of throwing, so that a config with ten mistakes
 * produces ten problems, each naming the key it came from.
 */

/** A duration in whole seconds. */
export type Seconds = number;
/** A size in bytes. */
export type Bytes = number;
/** CPU in thousandths of a core (Kubernetes `m`). */
export type Millicores = number;
/** A fraction between 0 and 1 (written as a percentage in config). */
export type Fraction = number;

export type UnitResult<T> = { ok: true; value: T } | { ok: false; message: string; hint: string };

const ok = <T>(value: T): UnitResult<T> => ({ ok: true, value });
const fail = (message: string, hint: string): UnitResult<never> => ({ ok: false, message, hint });

export const MINUTE = 60;
export const HOUR = 3600;
export const DAY = 86_400;
export const WEEK = 7 * DAY;

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: MINUTE, h: HOUR, d: DAY, w: WEEK };
const DURATION_HINT = "write a number with a unit: ms, s, m, h, d or w, e.g. '90s', '5m', '7d' or '1h30m'";

/**
 * Parses `90s`, `5m`, `1h30m`, `7d`, `2w` (and `250ms`, for latencies) into seconds.
 * Bare numbers are refused: "30" could be seconds, minutes or days.
 */
export function parseDuration(input: unknown): UnitResult<Seconds> {
  if (typeof input === "number") {
    return fail(`is a bare number (${input}); a duration needs a unit`, DURATION_HINT);
  }
  if (typeof input !== "string") return fail(`must be a duration string, got ${describe(input)}`, DURATION_HINT);
  const text = input.trim();
  const whole = /^(?:\d+(?:ms|[smhdw]))+$/;
  if (!whole.test(text)) return fail(`is not a duration: '${input}'`, DURATION_HINT);
  let seconds = 0;
  const seen = new Set<string>();
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|[smhdw])/g)) {
    if (seen.has(unit!)) return fail(`repeats the unit '${unit}' in '${input}'`, DURATION_HINT);
    seen.add(unit!);
    seconds += Number(amount) * DURATION_UNITS[unit!]!;
  }
  if (seconds <= 0) return fail(`must be longer than zero, got '${input}'`, DURATION_HINT);
  if (seconds > 100 * 365 * DAY) return fail(`is too long: '${input}'`, DURATION_HINT);
  return ok(Math.round(seconds * 1000) / 1000);
}

/** Formats seconds in the largest units that divide it exactly: 5400 -> "1h30m". */
export function formatDuration(seconds: Seconds): string {
  if (seconds <= 0) return "0s";
  if (!Number.isInteger(seconds)) {
    const millis = Math.round(seconds * 1000);
    return millis % 1000 === 0 ? formatDuration(millis / 1000) : `${millis}ms`;
  }
  // Days, not weeks: retention is written and read in days ("7d", "30d").
  const order: [string, number][] = [["d", DAY], ["h", HOUR], ["m", MINUTE], ["s", 1]];
  let rest = seconds;
  let out = "";
  for (const [unit, size] of order) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };
const SIZE_HINT = "use binary Ki, Mi, Gi, Ti (e.g. '50Gi' or '50GiB') or decimal k, M, G, T (e.g. '500M')";

/** Parses a Kubernetes quantity such as `50Gi` (or `50GiB`), `512Mi` or `1G` into bytes. */
export function parseSize(input: unknown): UnitResult<Bytes> {
  if (typeof input === "number") return fail(`is a bare number (${input}); a size needs a unit`, SIZE_HINT);
  if (typeof input !== "string") return fail(`must be a size string, got ${describe(input)}`, SIZE_HINT);
  const match = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(input.trim());
  if (!match) return fail(`is not a size: '${input}'`, SIZE_HINT);
  const [, amountText, unit] = match;
  // "GiB" is how people write Kubernetes' "Gi": the same binary unit.
  const factor = BINARY[unit!] ?? BINARY[unit!.replace(/B$/, "")] ?? DECIMAL[unit!];
  if (factor === undefined) {
    const lower = unit!.toLowerCase();
    const guess = lower.startsWith("g") ? "Gi" : lower.startsWith("m") ? "Mi" : lower.startsWith("t") ? "Ti" : "Gi";
    return fail(`has an unknown unit '${unit}' in '${input}'`, `${SIZE_HINT}; did you mean '${amountText}${guess}'?`);
  }
  const bytes = Math.round(Number(amountText) * factor);
  if (bytes <= 0) return fail(`must be larger than zero, got '${input}'`, SIZE_HINT);
  if (!Number.isSafeInteger(bytes)) return fail(`is too large: '${input}'`, SIZE_HINT);
  return ok(bytes);
}

const THROUGHPUT_HINT = "write a size per second, e.g. '100Mi/s' or '1Gi/s'";

/** Parses a rate such as `100Mi/s` into bytes per second. */
export function parseThroughput(input: unknown): UnitResult<Bytes> {
  if (typeof input !== "string" || !/\/s$/.test(input.trim())) {
    return fail(`must be a size per second, got ${describe(input)}`, THROUGHPUT_HINT);
  }
  const size = parseSize(input.trim().slice(0, -2));
  return size.ok ? size : { ...size, hint: THROUGHPUT_HINT };
}

/** Formats bytes as the exact Kubernetes quantity, preferring the largest binary unit. */
export function formatSize(bytes: Bytes): string {
  for (const unit of ["Pi", "Ti", "Gi", "Mi", "Ki"]) {
    const factor = BINARY[unit]!;
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

const CPU_HINT = "use cores ('1', '0.5') or millicores ('500m')";

/** Parses Kubernetes CPU (`500m`, `2`, `0.5`, or a number of cores) into millicores. */
export function parseCpu(input: unknown): UnitResult<Millicores> {
  if (typeof input === "number") {
    if (!(input > 0) || !Number.isFinite(input)) return fail(`must be more than zero cores, got ${input}`, CPU_HINT);
    return toMillicores(input * 1000, String(input));
  }
  if (typeof input !== "string") return fail(`must be a CPU quantity, got ${describe(input)}`, CPU_HINT);
  const text = input.trim();
  const milli = /^(\d+)m$/.exec(text);
  if (milli) return toMillicores(Number(milli[1]), input);
  if (/^\d+(?:\.\d+)?$/.test(text)) return toMillicores(Number(text) * 1000, input);
  return fail(`is not a CPU quantity: '${input}'`, CPU_HINT);
}

function toMillicores(value: number, original: string): UnitResult<Millicores> {
  // Cores are multiplied by 1000 in floating point ("0.3" -> 300.00000000000006): round first.
  const rounded = Math.round(value);
  if (Math.abs(value - rounded) > 1e-6) return fail(`is finer than a millicore: '${original}'`, CPU_HINT);
  if (rounded < 1) return fail(`must be at least 1m, got '${original}'`, CPU_HINT);
  if (!Number.isSafeInteger(rounded)) return fail(`is too large: '${original}'`, CPU_HINT);
  return ok(rounded);
}

/** Formats millicores as Kubernetes CPU: 1000 -> "1", 500 -> "500m". */
export function formatCpu(millicores: Millicores): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

const PERCENT_HINT = "write a percentage with the % sign, e.g. '10%' or '0.5%'";

/** Parses `10%` into 0.1. Only (0 %, 100 %] is accepted. */
export function parsePercent(input: unknown): UnitResult<Fraction> {
  if (typeof input === "number") return fail(`is a bare number (${input}); write it as a percentage`, PERCENT_HINT);
  if (typeof input !== "string") return fail(`must be a percentage, got ${describe(input)}`, PERCENT_HINT);
  const match = /^(\d+(?:\.\d+)?)\s*%$/.exec(input.trim());
  if (!match) return fail(`is not a percentage: '${input}'`, PERCENT_HINT);
  const percent = Number(match[1]);
  if (!(percent > 0 && percent <= 100)) return fail(`must be above 0% and at most 100%, got '${input}'`, PERCENT_HINT);
  return ok(percent / 100);
}

/** Formats a fraction as a percentage without float noise: 0.1 -> "10%". */
export function formatPercent(fraction: Fraction): string {
  return `${Number((fraction * 100).toFixed(4))}%`;
}

/** A short, safe description of an unexpected value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `'${value}'`;
  return `${typeof value} ${String(value)}`;
}
