import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkConfig } from "../../components/config";
import { rawSpecFromConfig, readStackFile } from "../../components/config";
import { PROJECT_ROOT } from "../harness/renderStack";

const STACKS = ["prod", "staging"] as const;
const fileOf = (stack: string) => join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);

describe.each(STACKS)("Pulumi.%s.yaml", (stack) => {
  const result = checkConfig(rawSpecFromConfig(readStackFile(fileOf(stack)).config), { stack });

  it("parses and passes the review with no errors and no warnings", () => {
    expect(result.ok ? result.warnings : result.problems).toEqual([]);
  });

  it("is documented line by line", () => {
    const lines = readFileSync(fileOf(stack), "utf8").split("\n");
    const undocumented = lines.flatMap((line, i) => {
      const text = line.trim();
      if (text === "" || text.startsWith("#") || text === "config:") return [];
      const inline = /\s#\s/.test(line);
      const above = (lines[i - 1] ?? "").trim().startsWith("#");
      return inline || above ? [] : [`${i + 1}: ${line}`];
    });
    expect(undocumented).toEqual([]);
  });
});

describe("prod and staging together", () => {
  const spec = (stack: string) => {
    const result = checkConfig(rawSpecFromConfig(readStackFile(fileOf(stack)).config), { stack });
    if (!result.ok) throw new Error(`${stack} does not parse`);
    return result.spec;
  };
  const prod = spec("prod");
  const staging = spec("staging");

  it("model the written plan: PG 5m/15m, Redis 5m/10m, weekly full + daily diff, 7 days of PITR", () => {
    expect(prod.objectives.postgres).toEqual({ rpo: 300, rto: 900 });
    expect(prod.objectives.redis).toEqual({ rpo: 300, rto: 600 });
    expect(prod.postgres.backups).toMatchObject({ full: "0 1 * * 0", diff: "0 1 * * 1-6", pitrWindow: 7 * 86_400 });
    expect(prod.postgres.dumps).toMatchObject({ enabled: true, schedule: "30 2 * * *" });
    expect(prod.storage.lifecycle.dumps.transitions.map((t) => t.storageClass)).toEqual(["GLACIER_IR", "DEEP_ARCHIVE"]);
    expect(prod.storage.lifecycle.dumps.transitions[0]!.after).toBe(30 * 86_400);
    expect(prod.storage.objectLock?.mode).toBe("COMPLIANCE");
    expect(prod.storage.replication?.vault?.retention).toBe(14 * 86400);
    expect(prod.storage.lifecycle.media?.prefix).toBe("media/");
  });

  it("put the drill where prod replicates, restoring prod's repository", () => {
    expect(staging.role).toBe("drill");
    expect(staging.region).toBe(prod.storage.replication!.region);
    expect(staging.postgres.restoreFrom).toMatchObject({
      bucket: prod.storage.replication!.bucket,
      region: prod.storage.replication!.region,
      repoPath: prod.postgres.backups.repoPath,
      stanza: prod.postgres.backups.stanza,
    });
    expect(staging.redis.restoreFrom?.prefix).toBe(prod.redis.snapshots.prefix);
    expect(staging.postgres.version).toBe(prod.postgres.version);
    expect(staging.postgres.databases).toEqual(prod.postgres.databases);
  });
});
