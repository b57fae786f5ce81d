import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The repository's .shellcheckrc: every optional check, less the notes it disables (with why). */
const RC = readFileSync(resolve(__dirname, "..", "..", ".shellcheckrc"), "utf8");
const DISABLED = /^disable=(.+)$/m.exec(RC)?.[1] ?? "";

/**
 * shellcheck's findings on files, with every optional check on and the repository's
 * .shellcheckrc's exclusions (files written to a temporary directory are out of its reach).
 * Empty when clean; throws when shellcheck is missing.
 */
export function shellcheck(files: string[], options: { followSources?: boolean } = {}): string {
  const result = spawnSync("shellcheck", ["--enable=all", ...(DISABLED ? [`--exclude=${DISABLED}`] : []), ...(options.followSources ? ["-x"] : []), ...files], { encoding: "utf8" });
  if (result.error) throw new Error(`shellcheck is not installed (apt-get install shellcheck): ${result.error.message}`);
  return result.stdout + result.stderr;
}

/** shellcheck's findings on scripts given as text, by name. */
export function shellcheckTexts(scripts: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "drkit-shellcheck-"));
  try {
    const files = Object.entries(scripts).map(([name, text]) => {
      const file = join(dir, name.endsWith(".sh") ? name : `${name}.sh`);
      writeFileSync(file, text);
      return file;
    });
    return shellcheck(files);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
