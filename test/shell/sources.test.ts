import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderScript, shellLibrary, SHELL_DIR } from "../../components/shell/render";
import { PROJECT_ROOT } from "../harness/renderStack";
import { shellcheck, shellcheckTexts } from "../harness/shellcheck";

const scripts = readdirSync(SHELL_DIR).filter((f) => f.endsWith(".sh"));
const libraries = readdirSync(join(SHELL_DIR, "lib")).filter((f) => f.endsWith(".sh"));

describe("the workloads' scripts as files", () => {
  it("pass shellcheck with every check on, as written, following their libraries", () => {
    expect(scripts.length).toBeGreaterThanOrEqual(7);
    expect(shellcheck([...scripts.map((f) => join(SHELL_DIR, f)), ...libraries.map((f) => join(SHELL_DIR, "lib", f))], { followSources: true })).toBe("");
  });

  it("and so do the setup, build and CI scripts", () => {
    const tools = readdirSync(join(PROJECT_ROOT, "scripts")).filter((f) => f.endsWith(".sh")).map((f) => join(PROJECT_ROOT, "scripts", f));
    expect(shellcheck([...tools, join(PROJECT_ROOT, ".ci", "run")])).toBe("");
  });

  it("share their helpers through lib/ instead of copying them", () => {
    // The top-level functions of every file, by body: a body in two files is a copied helper.
    // (Two scripts' own `dump` or `prune` steps share a name, not a body.)
    const byBody = new Map<string, string[]>();
    for (const file of [...scripts, ...libraries.map((f) => `lib/${f}`)]) {
      const text = readFileSync(join(SHELL_DIR, file), "utf8");
      for (const match of text.matchAll(/^[a-z0-9_]+\(\) \{(?: .*\}$|\n(?:.*\n)*?\}$)/gm)) {
        const body = match[0].replace(/^[a-z0-9_]+/, "");
        byBody.set(body, [...(byBody.get(body) ?? []), `${file}: ${match[0].split("(")[0]}`]);
      }
    }
    expect(byBody.size).toBeGreaterThan(20);
    expect([...byBody.values()].filter((where) => where.length > 1)).toEqual([]);
  });
});

describe("renderScript", () => {
  const variables = { CONFIG: "/etc/drkit-backup/pgbackrest.conf", STANZA: "it's", REPOS: "1 3" };

  it("puts the values above the body and inlines the libraries: one self-contained file", () => {
    const rendered = renderScript("pg-backup.sh", "stack 'test'", variables);
    const lines = rendered.split("\n");
    expect(lines[0]).toBe("#!/usr/bin/env bash");
    expect(lines).toContain("# Rendered by drkit from pg-backup.sh for stack 'test'.");
    expect(lines.indexOf("CONFIG='/etc/drkit-backup/pgbackrest.conf'")).toBeLessThan(lines.indexOf('"${CONFIG:?}" "${STANZA:?}"'.replace(/^/, ": ")));
    expect(lines).toContain(`STANZA='it'\\''s'`);
    expect(rendered).not.toMatch(/^\. lib\//m);
    expect(rendered).toContain(shellLibrary("log").trim());
    expect(shellcheckTexts({ "backup.sh": rendered })).toBe("");
  });

  it("refuses a value the script does not declare and a declared one left out, naming them", () => {
    expect(() => renderScript("pg-backup.sh", "test", { ...variables, EXTRA: 1 })).toThrow(/not declared by the script EXTRA/);
    expect(() => renderScript("pg-backup.sh", "test", { CONFIG: "x" })).toThrow(/missing STANZA/);
    // A library's declarations count: lib/s3.sh needs the endpoint of the data path.
    expect(() => renderScript("redis-snapshot.sh", "test", { REDIS_HOST: "r", REDIS_PORT: 6379, REDIS_CA: "", WORK: "/w", KEEP: 1, PREFIX: "p/" })).toThrow(/missing ENDPOINT_URL, REGION, VERIFY_TLS, BUCKET/);
  });

  it("renders numbers bare and every string as one quoted word", () => {
    const rendered = renderScript("pg-backup.sh", "test", { CONFIG: "$(rm -rf /) `x` \"y\"", STANZA: "main", REPOS: 1 });
    expect(rendered).toContain(`CONFIG='$(rm -rf /) \`x\` "y"'`);
  });
});
