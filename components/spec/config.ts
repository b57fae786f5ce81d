import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
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
  const document = parseYaml(readFileSync(path, "utf8")) as { config?: Record<string, unknown> } | null;
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(document?.config ?? {})) {
    if (containsSecure(value)) secretKeys.push(key);
    const plain = withoutCiphertext(value);
    config[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
  }
  return { config, secretKeys };
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
