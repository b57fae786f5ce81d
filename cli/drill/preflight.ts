import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { DrSpec } from "../../components/spec";

/** A binary the drill runs, and the Debian package that has it. */
const BINARIES: [string, string][] = [
  ["pgbackrest", "pgbackrest"],
  ["redis-server", "redis-server"],
  ["redis-cli", "redis-tools"],
  ["aws", "awscli"],
  ["openssl", "openssl"],
];

const onPath = (binary: string) => (process.env["PATH"] ?? "").split(delimiter).some((dir) => existsSync(join(dir, binary)));

/** Every missing binary with its package, and the one install command for all of them. */
export function missingBinaries(spec: DrSpec): { missing: string[]; install?: string } {
  const packages = new Set<string>();
  const missing: string[] = [];
  const pgBin = `/usr/lib/postgresql/${spec.postgres.version}/bin`;
  if (!existsSync(join(pgBin, "postgres"))) {
    missing.push(`PostgreSQL ${spec.postgres.version} (${pgBin}/postgres)`);
    packages.add(`postgresql-${spec.postgres.version}`);
    packages.add("postgresql-contrib");
  }
  for (const [binary, pkg] of BINARIES) {
    if (!onPath(binary)) {
      missing.push(binary);
      packages.add(pkg);
    }
  }
  return missing.length === 0 ? { missing } : { missing, install: `sudo apt-get install -y ${[...packages].join(" ")}` };
}
