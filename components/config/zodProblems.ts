import type { z } from "zod";
import { error, type Problem } from "./problems";
import { REQUIRED_HINTS } from "./schema";
import { describe } from "./units";

/**
 * Turns zod issues into Problems a person can act on: the key path, what is wrong in plain
 * words, and the fix (a "did you mean" for typos, the allowed values for enums).
 */
export function zodProblems(section: string, schema: z.ZodType, issues: readonly z.core.$ZodIssue[]): Problem[] {
  return issues.flatMap((issue) => toProblems(section, schema, issue));
}

function toProblems(section: string, schema: z.ZodType, issue: z.core.$ZodIssue): Problem[] {
  const path = [section, ...issue.path];
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = keysAt(schema, issue.path);
      return issue.keys.map((key) => {
        const guess = closest(key, known);
        const hint = guess
          ? `did you mean '${guess}'?`
          : known.length > 0
            ? `known keys here: ${known.join(", ")}`
            : "remove it";
        return error([...path, key], "is not a known setting", hint);
      });
    }
    case "invalid_type": {
      if (input === undefined) {
        return [error(path, "is required", REQUIRED_HINTS[hintKey(path)])];
      }
      return [error(path, `must be ${article(issue.expected)}, got ${describe(input)}`, typeHint(issue.expected))];
    }
    case "invalid_value": {
      if (input === undefined) return [error(path, "is required", REQUIRED_HINTS[hintKey(path)])];
      const allowed = issue.values.map((v) => `'${String(v)}'`).join(", ");
      const guess = typeof input === "string" ? closest(input, issue.values.map(String)) : undefined;
      return [
        error(path, `must be one of ${allowed}, got ${describe(input)}`, guess ? `did you mean '${guess}'?` : `use one of ${allowed}`),
      ];
    }
    case "invalid_union": {
      // A discriminated union (drkit:cluster) whose discriminator is missing or unknown;
      // zod already points the path at the discriminator key.
      const options = (issue as { options?: unknown[] }).options?.map(String) ?? [];
      if (options.length > 0) {
        const value = input && typeof input === "object" ? (input as Record<string, unknown>)[String(issue.path.at(-1))] : undefined;
        const allowed = options.map((o) => `'${o}'`).join(", ");
        const guess = typeof value === "string" ? closest(value, options) : undefined;
        return [
          error(
            path,
            value === undefined ? "is required" : `must be one of ${allowed}, got ${describe(value)}`,
            guess ? `did you mean '${guess}'?` : `use one of ${allowed}`,
          ),
        ];
      }
      return [error(path, "does not match any accepted form", "check the stack file reference in the README")];
    }
    case "too_small": {
      if (issue.origin === "array") return [error(path, `needs at least ${issue.minimum} entr${Number(issue.minimum) === 1 ? "y" : "ies"}`, "add an entry or remove the key to use the default")];
      if (issue.origin === "string") return [error(path, "must not be empty", "set a value or remove the key to use the default")];
      return [error(path, `must be at least ${issue.minimum}`)];
    }
    case "too_big":
      return [error(path, `must be at most ${issue.maximum}`)];
    case "custom": {
      const hint = (issue.params as { hint?: string } | undefined)?.hint;
      return [error(path, issue.message, hint)];
    }
    default:
      return [error(path, issue.message)];
  }
}

const article = (expected: string) =>
  ({ object: "a map of settings", array: "a list", string: "a string", number: "a number", boolean: "true or false" })[expected] ??
  expected;

const typeHint = (expected: string) =>
  ({
    object: "write nested keys under it (a YAML map)",
    array: "write a YAML list ('- item' lines or [a, b])",
    string: "quote the value",
    number: "write a plain number without quotes",
    boolean: "write true or false without quotes",
  })[expected];

/** `postgres.databases[0].name` looks up its hint as `postgres.databases.name`. */
function hintKey(path: readonly PropertyKey[]): string {
  return path.filter((segment) => typeof segment !== "number").map(String).join(".");
}

// --- reading the schema, to name the keys that are allowed where a typo was made -------------

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
};

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "nonoptional", "readonly", "catch"]);

/** Strips defaults, optionals and transforms down to the schema that checks the shape. */
function unwrap(schema: z.ZodType): Def {
  let def = defOf(schema);
  for (;;) {
    if (WRAPPERS.has(def.type)) def = defOf(def.innerType!);
    // A preprocess step is a pipe from a transform into the real schema: follow the real one.
    else if (def.type === "pipe") def = defOf(["transform", "unknown"].includes(defOf(def.in!).type) ? def.out! : def.in!);
    else return def;
  }
}

/** The object schemas a value at `path` may be checked against (several for unions). */
function objectsAt(schema: z.ZodType, path: readonly PropertyKey[]): Def[] {
  const def = unwrap(schema);
  const [head, ...rest] = path;
  switch (def.type) {
    case "union":
      return def.options!.flatMap((option) => objectsAt(option, path));
    case "array":
      return typeof head === "number" ? objectsAt(def.element!, rest) : [];
    case "record":
      return path.length > 0 ? objectsAt(def.valueType!, rest) : [];
    case "object": {
      if (path.length === 0) return [def];
      const child = def.shape![String(head)];
      return child ? objectsAt(child, rest) : [];
    }
    default:
      return [];
  }
}

function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  return [...new Set(objectsAt(schema, path).flatMap((def) => Object.keys(def.shape ?? {})))].sort();
}

/** The closest candidate by edit distance, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
