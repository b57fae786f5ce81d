import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { checkConfig } from "../components/policy";
import { rawSpecFromConfig, readStackFile, type ParseResult } from "../components/spec";

export interface StackSource {
  /** The stack name: names the file `Pulumi.<stack>.yaml` and the stack's own bucket paths. */
  stack: string;
  /** An explicit stack file instead of `Pulumi.<stack>.yaml` in `cwd`. */
  file?: string;
  cwd?: string;
}

export type LoadedStack = { file: string; result: ParseResult };

/** Finds and parses a stack file the way the Pulumi CLI would pass it to the program. */
export function loadStack({ stack, file, cwd = process.cwd() }: StackSource): LoadedStack | { missing: string } {
  const path = resolve(cwd, file ?? `Pulumi.${stack}.yaml`);
  if (!existsSync(path)) return { missing: path };
  return { file: path, result: checkConfig(rawSpecFromConfig(readStackFile(path).config), { stack }) };
}
