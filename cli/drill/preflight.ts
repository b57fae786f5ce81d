import { execFileSync } from "node:child_process";
import type { DrSpec } from "../../components/config";
import { engineStatus } from "../containers/docker";

/** The PostgreSQL major versions Debian bookworm packages (drkit's postgres image installs from it). */
export const DEBIAN_POSTGRES_VERSIONS = [15];

/** What the drill needs on this machine, each missing thing with its fix; empty when it can run. */
export async function preflight(spec: DrSpec): Promise<{ problem: string; fix: string }[]> {
  const problems: { problem: string; fix: string }[] = [];
  const engine = await engineStatus();
  if (!engine.ok) problems.push({ problem: `no Docker engine answers (${engine.reason})`, fix: "run scripts/setup.sh: it installs Debian's docker.io and starts it" });
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
  } catch {
    problems.push({ problem: "openssl is missing (the local endpoint's and the pods' certificates)", fix: "sudo apt-get install -y openssl" });
  }
  const version = spec.postgres.version;
  if (spec.postgres.enabled && !spec.images.postgres && !DEBIAN_POSTGRES_VERSIONS.includes(version)) {
    problems.push({
      problem: `PostgreSQL ${version} is not packaged in Debian bookworm (it has ${DEBIAN_POSTGRES_VERSIONS.join(", ")}), so drkit's postgres image cannot be built from it`,
      fix: `set drkit:images.postgres to an image with PostgreSQL ${version}, pgBackRest and postgres_exporter (for example one built from images/postgres/Dockerfile with the PostgreSQL apt repository, apt.postgresql.org, added), or drill with drkit:postgres.version: 15`,
    });
  }
  return problems;
}
