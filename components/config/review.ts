import { parseSpec, type ParseOptions, type ParseResult } from "./parse";
import { errorsIn, sortProblems, type Problem } from "./problems";
import { crossFieldProblems } from "./rules";
import type { DrSpec } from "./types";
import { validatePostgres } from "./postgresRules";
import { validateStorage } from "./storageRules";

/**
 * The policy review of a parsed spec: every module's validator, each pure. These are the
 * findings that need the whole spec (lifecycle against objectives, retention against Object
 * Lock); shape and unit mistakes were already caught by parseSpec.
 */
export function reviewSpec(spec: DrSpec): Problem[] {
  return [...validateStorage(spec), ...(spec.postgres.enabled ? validatePostgres(spec) : [])];
}

/**
 * Every rule that reads a parsed spec, for a spec that did not come through parseSpec (a program
 * may build or change the one it passes to drkit's components; the policy pack reviews that).
 */
export function reviewWholeSpec(spec: DrSpec): Problem[] {
  return sortProblems([...crossFieldProblems(spec), ...reviewSpec(spec)]);
}

/**
 * Parses a stack's `drkit:*` configuration and reviews it: the one check `pulumi up`,
 * `drkit review` and `drkit drill` all run before doing anything.
 */
export function checkConfig(raw: unknown, options: ParseOptions = {}): ParseResult {
  const parsed = parseSpec(raw, options);
  if (!parsed.ok) return parsed;
  const problems = sortProblems([...parsed.warnings, ...reviewSpec(parsed.spec)]);
  if (errorsIn(problems).length > 0) return { ok: false, problems };
  return { ok: true, spec: parsed.spec, warnings: problems };
}
