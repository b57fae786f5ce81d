import { formatDuration, formatSize } from "../../components/config";
import type { DrillReport, StoreResult } from "./drill";

const seconds = (s: number) => (s < 60 ? `${s.toFixed(1)} s` : formatDuration(Math.round(s)));

function rows(report: DrillReport): string[][] {
  return report.stores.flatMap((s: StoreResult) => [
    s.rpo ? [s.store, "RPO", formatDuration(s.rpo.target), seconds(s.rpo.measured), s.rpo.met ? "met" : "MISSED"] : [s.store, "RPO", "none", "-", "starts empty by design"],
    [s.store, "RTO", formatDuration(s.rto.target), seconds(s.rto.measured), s.rto.met ? "met" : "MISSED"],
  ]);
}

/** The physical reference in one line. */
function reference(report: DrillReport): string {
  const mib = report.reference.dataBytes / 2 ** 20;
  return `physical reference: cp -a of the ${mib.toFixed(0)} MiB data directory took ${report.reference.copySeconds.toFixed(1)} s (${(mib / report.reference.copySeconds).toFixed(0)} MiB/s)`;
}

/** The verdict in one line: what was missed, or that every objective held. */
export function verdict(report: DrillReport): string {
  return report.missed.length === 0 ? "every objective met" : `missed: ${report.missed.join(", ")}`;
}

export function renderText(report: DrillReport): string {
  const table = rows(report).map((r) => `  ${r[0]!.padEnd(9)} ${r[1]!.padEnd(4)} target ${r[2]!.padEnd(6)} measured ${r[3]!.padEnd(8)} ${r[4]}`);
  return [`drkit drill of stack '${report.stack}' (${formatSize(report.size)}, seed ${report.seed}): ${verdict(report)}`, ...table, ...report.stores.flatMap((s) => [`  ${s.store}: ${s.verified}`, `  ${s.store}: ${s.mechanism}`]), `  ${reference(report)}`].join("\n");
}

export function renderJson(report: DrillReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function renderMarkdown(report: DrillReport): string {
  return [
    `# drkit drill: stack \`${report.stack}\``,
    "",
    `${report.startedAt}, ${formatSize(report.size)} of data, seed ${report.seed}: **${verdict(report)}**.`,
    "",
    "| store | objective | target | measured | result |",
    "|---|---|---|---|---|",
    ...rows(report).map((r) => `| ${r.join(" | ")} |`),
    "",
    ...report.stores.flatMap((s) => [`- ${s.store}: ${s.verified}`, `- ${s.store}: ${s.mechanism}`]),
    `- ${reference(report)}`,
    "",
    "| phase | start | duration |",
    "|---|---|---|",
    ...report.phases.map((p) => `| ${p.name} | +${(p.start / 1000).toFixed(1)} s | ${((p.end - p.start) / 1000).toFixed(1)} s |`),
    "",
  ].join("\n");
}

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The timeline as SVG: phases as bars, events as marks, the disaster in red. */
export function renderTimeline(report: DrillReport): string {
  const width = 960;
  const left = 330;
  const rowHeight = 22;
  const end = Math.max(...report.phases.map((p) => p.end), ...report.events.map((e) => e.at), 1);
  const x = (ms: number) => left + ((width - left - 20) * ms) / end;
  const height = (report.phases.length + 3) * rowHeight + 20;
  const disaster = report.events.find((e) => e.name === "disaster");
  const bars = report.phases.map((p, i) => {
    const y = 10 + i * rowHeight;
    return `<text x="5" y="${y + 14}" font-size="12">${escape(p.name.slice(0, 52))}</text><rect x="${x(p.start).toFixed(1)}" y="${y + 3}" width="${Math.max(1, x(p.end) - x(p.start)).toFixed(1)}" height="14" fill="#4c78a8"/>`;
  });
  const marksY = 10 + report.phases.length * rowHeight + 10;
  const marks = report.events.map((e, i) => {
    const color = e.name === "disaster" ? "#d62728" : e.name.endsWith("recovered") ? "#2ca02c" : "#555";
    return `<line x1="${x(e.at).toFixed(1)}" y1="5" x2="${x(e.at).toFixed(1)}" y2="${marksY}" stroke="${color}" stroke-dasharray="${e.name === "disaster" ? "" : "3,3"}"/><text x="${x(e.at).toFixed(1)}" y="${marksY + 14 + (i % 2) * 14}" font-size="11" fill="${color}" text-anchor="middle">${escape(e.name)}</text>`;
  });
  const axis = `<text x="${left}" y="${height - 4}" font-size="11">0 s</text><text x="${width - 20}" y="${height - 4}" font-size="11" text-anchor="end">${(end / 1000).toFixed(0)} s</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">${bars.join("")}${marks.join("")}${disaster ? "" : ""}${axis}</svg>`;
}

export function renderHtml(report: DrillReport): string {
  const table = rows(report)
    .map((r) => `<tr>${r.map((c, i) => `<td${i === 4 ? ` class="${c === "met" ? "met" : "missed"}"` : ""}>${escape(c)}</td>`).join("")}</tr>`)
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>drkit drill: ${escape(report.stack)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1000px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}.met{color:#2ca02c;font-weight:bold}.missed{color:#d62728;font-weight:bold}</style></head>
<body>
<h1>drkit drill: stack <code>${escape(report.stack)}</code></h1>
<p>${escape(report.startedAt)}, ${escape(formatSize(report.size))} of data, seed ${report.seed}: <strong>${escape(verdict(report))}</strong></p>
<table><tr><th>store</th><th>objective</th><th>target</th><th>measured</th><th>result</th></tr>
${table}
</table>
<ul>${report.stores.map((s) => `<li>${escape(s.store)}: ${escape(s.verified)}</li>`).join("")}<li>${escape(reference(report))}</li></ul>
<h2>Timeline</h2>
${renderTimeline(report)}
</body></html>
`;
}

/** The report in the format its file name asks for. */
export function renderReport(report: DrillReport, file: string): string {
  if (file.endsWith(".json")) return renderJson(report);
  if (file.endsWith(".html")) return renderHtml(report);
  if (file.endsWith(".md")) return renderMarkdown(report);
  throw new Error(`--report ${file}: use a .json, .md or .html file`);
}
