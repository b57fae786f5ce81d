import { writeFileSync } from "node:fs";
import { parseDuration, parseSize } from "../../components/config";
import { ensureLocalImages } from "../containers/images";
import { loadStack } from "../stackSpec";
import { runDrill } from "./drill";
import { preflight } from "./preflight";
import { renderReport, renderText, verdict } from "./report";

export interface DrillCommandOptions {
  stack: string;
  file?: string;
  size: string;
  seed: string;
  report?: string;
  /** The longest write phase before the disaster, as a duration ("2m"). */
  maxWait?: string;
  /** Latency of every object-store request during the recovery, as a duration ("100ms"). */
  restoreLatency?: string;
  cwd?: string;
}

/** Milliseconds from "250ms" or any duration drkit reads ("1s", "2m"); null when it is neither. */
function latencyMs(text: string): number | null {
  const ms = /^(\d+)ms$/.exec(text.trim());
  if (ms) return Number(ms[1]);
  const duration = parseDuration(text);
  return duration.ok ? duration.value * 1000 : null;
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
  let maxWaitSeconds: number | undefined;
  if (options.maxWait !== undefined) {
    const wait = parseDuration(options.maxWait);
    if (!wait.ok) {
      out(`drkit drill: --max-wait ${wait.message}\nfix: ${wait.hint}`);
      return 2;
    }
    maxWaitSeconds = wait.value;
  }
  const restoreLatencyMs = options.restoreLatency === undefined ? undefined : latencyMs(options.restoreLatency);
  if (restoreLatencyMs === null) {
    out(`drkit drill: --restore-latency '${options.restoreLatency}' is not a duration\nfix: give milliseconds or a duration, e.g. 100ms or 1s`);
    return 2;
  }
  const loaded = loadStack({ stack: options.stack, ...(options.file ? { file: options.file } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) });
  if ("missing" in loaded) {
    out(`drkit drill: no stack file ${loaded.missing}\nfix: run it in the project directory, or pass --file`);
    return 2;
  }
  if ("invalid" in loaded) {
    out(`drkit drill: ${loaded.invalid}\nfix: correct the YAML there, then run: drkit review --file <the file>`);
    return 2;
  }
  if (!loaded.result.ok) {
    out(`drkit drill: stack '${options.stack}' has problems; run: drkit review --stack ${options.stack}`);
    for (const p of loaded.result.problems.filter((x) => x.severity === "error")) out(`  ${p.path} ${p.message}`);
    return 2;
  }
  const spec = loaded.result.spec;
  const problems = await preflight(spec);
  if (problems.length > 0) {
    for (const { problem, fix } of problems) out(`drkit drill: ${problem}\nfix: ${fix}`);
    return 2;
  }
  let cleanup: (() => Promise<void>) | undefined;
  const interrupted = async () => {
    out("drkit drill: interrupted; removing every container, volume and network it started");
    await cleanup?.();
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const images = await ensureLocalImages(spec.images, spec.postgres.version, out);
    const report = await runDrill({
      spec,
      images,
      sizeBytes: size.value,
      seed,
      ...(maxWaitSeconds !== undefined ? { maxWaitSeconds } : {}),
      ...(restoreLatencyMs !== undefined ? { restoreLatencyMs } : {}),
      log: out,
      onCleanup: (remove) => (cleanup = remove),
    });
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
