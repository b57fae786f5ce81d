/** The configuration namespace: every key path in a problem starts with it. */
export const NAMESPACE = "drkit";

/**
 * One thing wrong with a stack's configuration: the key, the fault and the fix.
 * Validators return all of them at once and never throw on user input.
 */
export interface Problem {
  /** The config key path, e.g. `drkit:postgres.backups.full` or `drkit:postgres.databases[0].name`. */
  path: string;
  /** What is wrong, e.g. "is not a cron expression: 'every day'". */
  message: string;
  /** How to fix it, e.g. "use five fields, e.g. '0 3 * * 0' for Sundays 03:00". */
  hint?: string;
  severity: "error" | "warning";
}

/** Builds the display path `drkit:a.b[0].c` from path segments. */
export function keyPath(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return `${NAMESPACE}:${out}`;
}

export function error(segments: readonly PropertyKey[], message: string, hint?: string): Problem {
  return { path: keyPath(segments), message, ...(hint ? { hint } : {}), severity: "error" };
}

export function warning(segments: readonly PropertyKey[], message: string, hint?: string): Problem {
  return { path: keyPath(segments), message, ...(hint ? { hint } : {}), severity: "warning" };
}

export const errorsIn = (problems: readonly Problem[]) => problems.filter((p) => p.severity === "error");

/** Orders problems by severity (errors first), then by key path, so output is stable. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      Number(a.severity === "warning") - Number(b.severity === "warning") ||
      a.path.localeCompare(b.path) ||
      a.message.localeCompare(b.message),
  );
}

/** Plain-text rendering for logs and thrown errors: one problem per line, fix indented below. */
export function formatProblems(problems: readonly Problem[]): string {
  return sortProblems(problems)
    .map((p) => `${p.severity === "error" ? "error  " : "warning"} ${p.path} ${p.message}${p.hint ? `\n        fix: ${p.hint}` : ""}`)
    .join("\n");
}
