import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "./harness/renderStack";

/** Every source file a reader may follow a reference from. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ["node_modules", "dist", ".git", "golden"].includes(entry.name) ? [] : sources(path);
    return /\.(ts|sh|md)$|Dockerfile$/.test(entry.name) ? [path] : [];
  });
}

describe("docs/architecture.md", () => {
  const architecture = readFileSync(join(PROJECT_ROOT, "docs", "architecture.md"), "utf8");
  const sections = new Set([...architecture.matchAll(/^## (\d+)\. /gm)].map((m) => m[1]));

  it("has every section a comment sends the reader to, and no comment names a document that is not here", () => {
    const references: string[] = [];
    const dangling: string[] = [];
    for (const file of sources(PROJECT_ROOT)) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/architecture\.md(?:\s|\*)+§(\d+)/g)) {
        references.push(match[1]!);
        if (!sections.has(match[1]!)) dangling.push(`${relative(PROJECT_ROOT, file)}: §${match[1]}`);
      }
      if (/\bdesign\.md\b/.test(text) && !file.endsWith(join("test", "docs.test.ts"))) dangling.push(`${relative(PROJECT_ROOT, file)}: design.md`);
    }
    expect(dangling).toEqual([]);
    expect(references.length).toBeGreaterThan(5);
  });
});
