import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { checkConfig } from "../components/config";
import { rawSpecFromConfig, readStackFile, StackFileError, type ParseResult } from "../components/config";

export interface StackSource {
  /** The stack name: names the file `Pulumi.<stack>.yaml` and the stack's own bucket paths. */
  stack: string;
  /** An explicit stack file instead of `Pulumi.<stack>.yaml` in `cwd`. */
  file?: string;
  cwd?: string;
}

export type LoadedStack = { file: string; result: ParseResult };

/**
 * Finds and parses a stack file the way the Pulumi CLI would pass it to the program: `missing`
 * when there is no file, `invalid` (with line and column) when it is not a stack file's YAML.
 */
export function loadStack({ stack, file, cwd = process.cwd() }: StackSource): LoadedStack | { missing: string } | { invalid: string } {
  const path = resolve(cwd, file ?? `Pulumi.${stack}.yaml`);
  if (!existsSync(path)) return { missing: path };
  try {
    return { file: path, result: checkConfig(rawSpecFromConfig(readStackFile(path).config), { stack }) };
  } catch (error) {
    if (error instanceof StackFileError) return { invalid: error.message };
    throw error;
  }
}
