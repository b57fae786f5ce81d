import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The scripts drkit's workloads run are real files beside this one (`*.sh`, helpers in `lib/`),
 * checked with `shellcheck --enable=all` as they are. A script declares the values it is rendered
 * with on its guard lines (`: "${STANZA:?}"`); rendering puts the values above the script's body
 * and inlines each `. lib/NAME.sh`, so what a pod runs is one self-contained file that the
 * golden files under test/golden show line by line.
 */
export const SHELL_DIR = __dirname;

/** A value for a script: strings are single-quoted, numbers written as they are. */
export type ShellValue = string | number;

/** A value as a single-quoted shell word. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const GUARD = /\$\{([A-Z][A-Z0-9_]*):?\?\}/g;
const SOURCE_LIB = /^\. (lib\/[a-z0-9-]+\.sh)$/;

function read(file: string): string {
  return readFileSync(join(SHELL_DIR, file), "utf8");
}

/** Names on a file's guard lines (`: "${NAME:?}" "${OTHER?}"`). */
function guarded(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith(': "${'))
    .flatMap((line) => [...line.matchAll(GUARD)].map((m) => m[1]!));
}

/** Names the script assigns itself (`SCRIPT=drkit-dump`): a library's guard on them is met. */
function assigned(text: string): Set<string> {
  return new Set([...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
}

/**
 * Renders `file` (relative to {@link SHELL_DIR}) with `variables`. `about` is one line saying what
 * the rendering is for (`stack 'prod' (role primary)`). Throws when the variables and the
 * script's guards disagree: a value the script does not declare, or one it declares and is not
 * given, is a defect in drkit, never something a stack file can cause.
 */
export function renderScript(file: string, about: string, variables: Record<string, ShellValue>): string {
  const source = read(file);
  const lines = source.split("\n");
  const libraries = new Map<string, string>();
  for (const line of lines) {
    const lib = SOURCE_LIB.exec(line)?.[1];
    if (lib) libraries.set(lib, read(lib));
  }
  const own = assigned(source);
  const declared = new Set([source, ...libraries.values()].flatMap(guarded).filter((name) => !own.has(name)));
  const given = Object.keys(variables);
  const missing = [...declared].filter((name) => !(name in variables));
  const undeclared = given.filter((name) => !declared.has(name));
  if (missing.length > 0 || undeclared.length > 0) {
    throw new Error(`rendering ${file}: ${[missing.length > 0 ? `missing ${missing.join(", ")}` : "", undeclared.length > 0 ? `not declared by the script ${undeclared.join(", ")}` : ""].filter(Boolean).join("; ")}`);
  }
  const strict = lines.indexOf("set -euo pipefail");
  if (lines[0] !== "#!/usr/bin/env bash" || strict < 0) throw new Error(`${file} must start with the bash shebang and set -euo pipefail`);
  const header = lines.slice(0, strict).filter((line) => !line.startsWith("# shellcheck "));
  const block = Object.entries(variables).map(([name, value]) => `${name}=${typeof value === "number" ? String(value) : shellQuote(value)}`);
  const body = lines.slice(strict + 1).flatMap((line) => {
    const lib = SOURCE_LIB.exec(line)?.[1];
    if (!lib) return [line];
    const text = libraries.get(lib)!.replace(/\n$/, "");
    return text.split("\n").filter((l) => !l.startsWith("# shellcheck "));
  });
  return [...header, `# Rendered by drkit from ${file} for ${about}.`, "set -euo pipefail", "", ...block, ...body].join("\n");
}

/**
 * Shell variables for a set of metric names: `{ lastRun: "drkit_x" }` gives `METRIC_LAST_RUN`.
 * The names stay defined once, in TypeScript, where the alert rules read them too.
 */
export function metricVariables(metrics: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metrics).map(([key, name]) => [`METRIC_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`, name]));
}

/** Where a script reads and writes objects: lib/s3.sh's settings and the key prefix. */
export interface ObjectStoreLocation {
  bucket: string;
  /** Key prefix, ending in `/` (or empty). */
  prefix: string;
  region: string;
  endpointUrl: string;
  /** false only for an endpoint with a self-signed certificate. */
  verifyTls: boolean;
}

/** lib/s3.sh's variables for a location. */
export function objectStoreVariables(store: ObjectStoreLocation): Record<string, ShellValue> {
  return { BUCKET: store.bucket, PREFIX: store.prefix, REGION: store.region, ENDPOINT_URL: store.endpointUrl, VERIFY_TLS: store.verifyTls ? "yes" : "no" };
}

/** One library of lib/ as it is inlined (for a caller that assembles its own shell, like a bench). */
export function shellLibrary(name: string): string {
  return read(`lib/${name}.sh`)
    .split("\n")
    .filter((line) => !line.startsWith("# shellcheck "))
    .join("\n");
}
