import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { NAMESPACE } from "./problems";

/**
 * The Pulumi engine hands a program its configuration as strings: `drkit:role` -> "primary",
 * and structured values (`drkit:postgres: {...}`) as JSON text. This turns that map back into
 * the plain object `parseSpec` reads, keyed without the namespace.
 */
export function rawSpecFromConfig(config: Record<string, string>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(config)) {
    if (!key.startsWith(`${NAMESPACE}:`)) continue;
    raw[key.slice(NAMESPACE.length + 1)] = decode(text);
  }
  return raw;
}

function decode(text: string): unknown {
  const trimmed = text.trim();
  // Only objects and lists are JSON; "5m" or "primary" stay strings, so does "true" or "15"
  // for a top-level key (none of which is a boolean or a number in the spec).
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return text;
}

/** What a `Pulumi.<stack>.yaml` file holds, as the Pulumi CLI would pass it to the program. */
export interface StackFile {
  /** Every config key (all namespaces) as the engine passes it: strings, objects as JSON. */
  config: Record<string, string>;
  /** Keys whose value (or part of it) is a `secure:` ciphertext. */
  secretKeys: string[];
}

/**
 * Reads a stack settings file. Structured values become JSON text, like the Pulumi CLI does.
 * `secure:` values cannot be decrypted without the CLI: they read as SECRET_PLACEHOLDER, which
 * is enough to check that they are set.
 */
export function readStackFile(path: string): StackFile {
  const document = parseStackYaml(path, readFileSync(path, "utf8"));
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(document?.config ?? {})) {
    if (containsSecure(value)) secretKeys.push(key);
    const plain = withoutCiphertext(value);
    config[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
  }
  return { config, secretKeys };
}

/** A stack file that is not valid YAML, or not a Pulumi stack file: the reason, with its line and column. */
export class StackFileError extends Error {}

const isMapping = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * The YAML of a stack file, or a StackFileError that says where and what is wrong. Aliases are
 * capped (a "billion laughs" document is refused, not expanded).
 */
function parseStackYaml(path: string, text: string): { config?: Record<string, unknown> } {
  // Errors and warnings (an unknown tag such as `!Ref`) are both refused: the Pulumi CLI would
  // not read such a file the way drkit does.
  const parsed = parseDocument(text, { prettyErrors: true, logLevel: "silent" });
  const problem = parsed.errors[0] ?? parsed.warnings[0];
  if (problem) throw new StackFileError(`${path}: ${yamlProblem(problem)}`);
  let document: unknown;
  try {
    document = parsed.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new StackFileError(`${path}: ${yamlProblem(error)}`);
  }
  if (document === null || document === undefined) return {};
  if (!isMapping(document)) throw new StackFileError(`${path}: is not a Pulumi stack file: its top level must be a mapping with a 'config:' key`);
  if (document["config"] !== undefined && document["config"] !== null && !isMapping(document["config"])) {
    throw new StackFileError(`${path}: 'config' must be a mapping of keys such as 'drkit:role: primary'`);
  }
  return document as { config?: Record<string, unknown> };
}

/** A YAML error's first line, led by its line and column when known. */
function yamlProblem(error: unknown): string {
  const position = (error as { linePos?: { line: number; col: number }[] }).linePos?.[0];
  const where = position ? `line ${position.line}, column ${position.col}: ` : "";
  const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
  return `${where}${reason}`;
}

/** What stands in for a `secure:` value that only the Pulumi CLI can decrypt. */
export const SECRET_PLACEHOLDER = "[secret]";

function isSecure(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

function withoutCiphertext(value: unknown): unknown {
  if (isSecure(value)) return SECRET_PLACEHOLDER;
  if (Array.isArray(value)) return value.map(withoutCiphertext);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutCiphertext(v)]));
  return value;
}

function containsSecure(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  return isSecure(value) || Object.values(value).some(containsSecure);
}
