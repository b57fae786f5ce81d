import Table from "cli-table3";
import { sortProblems, summarizeSpec, type Problem } from "../components/config";
import { loadStack, type StackSource } from "./stackSpec";

export interface ReviewOptions extends StackSource {
  /** `table` for people, `json` for pipelines. @default "table" */
  format?: "table" | "json";
}

export interface ReviewOutcome {
  /** 0: no errors (warnings allowed); 1: errors; 2: the stack file was not found or is not valid YAML. */
  exitCode: number;
  output: string;
}

/**
 * `drkit review`: the offline policy review of one stack's configuration. Prints what the stack
 * declares (with derived paths and schedules) and every problem, each with its key and fix.
 */
export function review(options: ReviewOptions): ReviewOutcome {
  const loaded = loadStack(options);
  if ("missing" in loaded) {
    return { exitCode: 2, output: `drkit review: no stack file ${loaded.missing}\nfix: run it in the project directory, or pass --file` };
  }
  if ("invalid" in loaded) return { exitCode: 2, output: `drkit review: ${loaded.invalid}\nfix: correct the YAML there; a stack file is 'config:' with keys such as 'drkit:role: primary'` };
  const { result, file } = loaded;
  const problems = sortProblems(result.ok ? result.warnings : result.problems);
  const errors = problems.filter((p) => p.severity === "error").length;
  const warnings = problems.length - errors;
  const exitCode = errors > 0 ? 1 : 0;

  if (options.format === "json") {
    const body = { stack: options.stack, file, ok: result.ok, summary: result.ok ? summarizeSpec(result.spec) : undefined, problems };
    return { exitCode, output: JSON.stringify(body, null, 2) };
  }

  const lines = [`drkit review: stack '${options.stack}' (${file})`, ""];
  if (result.ok) lines.push(formatSummary(summarizeSpec(result.spec)), "");
  lines.push(problems.length > 0 ? problemTable(problems) : "No problems found.");
  lines.push("", `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`);
  return { exitCode, output: lines.join("\n") };
}

const KEY_WIDTH = 34;

function problemTable(problems: Problem[]): string {
  const table = new Table({
    head: ["", "key", "problem", "fix"],
    colWidths: [9, KEY_WIDTH, 44, 44],
    wordWrap: true,
    style: { head: [], border: [] },
  });
  for (const p of problems) table.push([p.severity, wrapKey(p.path, KEY_WIDTH - 2), p.message, p.hint ?? ""]);
  return table.toString();
}

/** A key path broken after its dots and brackets to fit a column: wrapped, never cut. */
export function wrapKey(path: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const part of path.split(/(?<=[.\]])/)) {
    if (line !== "" && line.length + part.length > width) {
      lines.push(line);
      line = part;
    } else line += part;
  }
  lines.push(line);
  return lines.join("\n");
}

/** Indented `key: value` lines, nested objects one level deeper. */
function formatSummary(value: unknown, indent = ""): string {
  if (value === null || typeof value !== "object") return `${indent}${String(value)}`;
  return Object.entries(value)
    .map(([key, v]) => {
      if (Array.isArray(v)) return `${indent}${key}: ${v.join(", ")}`;
      if (v !== null && typeof v === "object") return `${indent}${key}:\n${formatSummary(v, `${indent}  `)}`;
      return `${indent}${key}: ${String(v)}`;
    })
    .join("\n");
}
