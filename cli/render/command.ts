import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { review } from "../review";
import type { StackSource } from "../stackSpec";

export interface RenderOptions extends StackSource {
  /** Write every file under this directory instead of printing the Kubernetes objects. */
  out?: string;
}

/** The directories `drkit render --out` owns: emptied before each render, so a removed object disappears. */
const OWNED = ["kubernetes", "host", "files", "alerts", "cloud"];

/**
 * `drkit render`: what a stack deploys, offline, for GitOps review and diffs. Reviews the stack
 * first (a stack the review refuses is not rendered), previews drkit's program under Pulumi's
 * mocks, and prints every Kubernetes object as one YAML stream, or writes every file with --out.
 */
export async function renderCommand(options: RenderOptions, print: (text: string) => void, report: (line: string) => void): Promise<number> {
  const checked = review({ ...options, format: "table" });
  if (checked.exitCode !== 0) {
    report(checked.output);
    report("drkit render: the stack has errors (above); nothing rendered");
    return checked.exitCode;
  }
  const stackFile = resolve(options.cwd ?? process.cwd(), options.file ?? `Pulumi.${options.stack}.yaml`);
  // Loaded only here: the Pulumi SDK and providers are not needed by any other command.
  const { previewStack } = await import("./preview.js");
  const { renderedFiles } = await import("./files.js");
  const files = renderedFiles(await previewStack({ project: projectName(dirname(stackFile)), stack: options.stack, stackFile }));

  if (options.out === undefined) {
    print(
      files
        .filter((f) => f.path.startsWith("kubernetes/"))
        .map((f) => `---\n# Source: ${f.path}\n${f.content}`)
        .join(""),
    );
    return 0;
  }
  const out = resolve(options.cwd ?? process.cwd(), options.out);
  for (const dir of OWNED) rmSync(join(out, dir), { recursive: true, force: true });
  for (const file of files) {
    const path = join(out, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
  }
  // The directories this target writes: a cluster's stack has no host/, a host's no kubernetes/.
  const counts = OWNED.map((dir) => [dir, files.filter((f) => f.path.startsWith(`${dir}/`)).length] as const)
    .filter(([dir, count]) => count > 0 || dir === "files")
    .map(([dir, count]) => `${count} in ${dir}/`)
    .join(", ");
  report(`drkit render: stack '${options.stack}': ${files.length} files written to ${out} (${counts})`);
  return 0;
}

/** The project's name from Pulumi.yaml next to the stack file (it is part of every URN). */
function projectName(dir: string): string {
  const file = join(dir, "Pulumi.yaml");
  if (!existsSync(file)) return "drkit";
  const name = (parseYaml(readFileSync(file, "utf8")) as { name?: unknown } | null)?.name;
  return typeof name === "string" && name !== "" ? name : "drkit";
}
