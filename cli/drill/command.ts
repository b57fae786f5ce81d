import { rmSync, writeFileSync } from "node:fs";
import { parseSize } from "../../components/spec";
import { stopAll } from "../local/processes";
import { loadStack } from "../stackSpec";
import { runDrill } from "./drill";
import { missingBinaries } from "./preflight";
import { renderReport, renderText, verdict } from "./report";

export interface DrillCommandOptions {
  stack: string;
  file?: string;
  size: string;
  seed: string;
  report?: string;
  cwd?: string;
}

/**
 * `drkit drill`: exit 0 when every objective was met, 1 when one was missed (named), 2 when the
 * drill could not run (bad input, a missing binary, a failed step).
 */
export async function drillCommand(options: DrillCommandOptions, out: (line: string) => void): Promise<number> {
  const size = parseSize(options.size);
  if (!size.ok) {
    out(`drkit drill: --size ${size.message}\nfix: ${size.hint}`);
    return 2;
  }
  const seed = Number(options.seed);
  if (!Number.isInteger(seed)) {
    out(`drkit drill: --seed must be a whole number, got '${options.seed}'`);
    return 2;
  }
  if (options.report && !/\.(json|md|html)$/.test(options.report)) {
    out(`drkit drill: --report ${options.report}: use a .json, .md or .html file`);
    return 2;
  }
  const loaded = loadStack({ stack: options.stack, ...(options.file ? { file: options.file } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) });
  if ("missing" in loaded) {
    out(`drkit drill: no stack file ${loaded.missing}\nfix: run it in the project directory, or pass --file`);
    return 2;
  }
  if (!loaded.result.ok) {
    out(`drkit drill: stack '${options.stack}' has problems; run: drkit review --stack ${options.stack}`);
    for (const p of loaded.result.problems.filter((x) => x.severity === "error")) out(`  ${p.path} ${p.message}`);
    return 2;
  }
  const spec = loaded.result.spec;
  const { missing, install } = missingBinaries(spec);
  if (missing.length > 0) {
    out(`drkit drill: missing ${missing.join(", ")}\nfix: ${install}`);
    return 2;
  }
  let workdir: string | undefined;
  const interrupted = async () => {
    out("drkit drill: interrupted; stopping every process it started");
    await stopAll();
    if (workdir) rmSync(workdir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const report = await runDrill({ spec, sizeBytes: size.value, seed, log: out, onWorkdir: (dir) => (workdir = dir) });
    out("");
    out(renderText(report));
    if (options.report) {
      writeFileSync(options.report, renderReport(report, options.report));
      out(`report written to ${options.report}`);
    }
    if (report.missed.length > 0) {
      out(`drkit drill: ${verdict(report)}`);
      return 1;
    }
    return 0;
  } catch (error) {
    out(`drkit drill: FAILED: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  } finally {
    process.removeListener("SIGINT", interrupted);
    process.removeListener("SIGTERM", interrupted);
  }
}
