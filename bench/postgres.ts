/**
 * What the PostgreSQL benchmarks share: a primary stack's spec sized for them, and shell, SQL and
 * timing inside the plan's own PostgreSQL container (its image, volume and limits).
 */
import type { StackRun } from "../cli/containers/cluster";
import { parseSpec, type DrSpec } from "../components/config";
import { PATH } from "../components/workloads/names";

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
export const PGDATA = `${PATH.postgresVolume}/pgdata`;
/** Scratch space on the same volume as the data directory: the same disk for every figure. */
export const WORK = `${PATH.postgresVolume}/bench`;
export const SOCKET = PATH.postgresSocket;
/** drkit's own pgbackrest.conf in the container (the repository on the local S3 endpoint). */
export const PGBACKREST_CONF = `${PATH.postgresConfig}/pgbackrest.conf`;

/** A primary stack with 2 cores and 2 GiB, as the benchmarks run it; no dumps, no Redis. */
export function benchSpec(stack: string, volume = "40Gi"): DrSpec {
  const parsed = parseSpec(
    {
      role: "primary",
      region: "us-east-1",
      storage: { bucket: "drkit-bench" },
      images: { registry: "local" },
      postgres: { resources: { cpu: "2", memory: "2Gi" }, storage: { size: volume }, dumps: { enabled: false } },
      redis: { enabled: false },
      // Keys, as the baselines were measured with: no STS exchange in the timings.
      cluster: { workloadIdentity: { type: "static-keys" } },
    },
    { stack },
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.spec;
}

export interface InPostgres {
  /** A bash script (`set -euo pipefail`) as the postgres user; its trimmed stdout. */
  sh(script: string): Promise<string>;
  /** Milliseconds the script took, measured inside the container (no `docker exec` in the figure). */
  timed(script: string): Promise<number>;
  /** CPU seconds (user + system) of the script and its children, with its wall time: `bash time`. */
  cpu(script: string): Promise<{ wallMs: number; cpuMs: number }>;
  /** One SQL statement as the superuser over the socket; the unaligned result. */
  psql(sql: string, database?: string): Promise<string>;
  /** Bytes under a path (`du -sb`). */
  bytes(path: string): Promise<number>;
}

export function inPostgres(run: StackRun): InPostgres {
  const sh = async (script: string): Promise<string> => {
    const result = await run.runner.exec("postgres", "postgres", ["bash", "-c", `set -euo pipefail\n${script}`], { timeoutMs: 3_600_000 });
    if (result.code !== 0) throw new Error(`${script}\n${result.stderr}`);
    return result.stdout.trim();
  };
  return {
    sh,
    timed: async (script) => Number(await sh(`t0=$(date +%s%3N)\n{ ${script}\n} >&2\necho $(($(date +%s%3N) - t0))`)),
    cpu: async (script) => {
      // bash's `time` keyword counts the children it waited for: pgBackRest's worker processes.
      const [wall, user, system] = (await sh(`TIMEFORMAT='%3R %3U %3S'\n{ time { ${script}\n} >/dev/null 2>/dev/null; } 2>&1 | tail -n 1`)).split(" ").map(Number);
      return { wallMs: wall! * 1000, cpuMs: (user! + system!) * 1000 };
    },
    psql: (sql, database = "app") => sh(`psql -X -At -v ON_ERROR_STOP=1 -h ${SOCKET} -U postgres -d ${database} -c "${sql}"`),
    bytes: async (path) => Number((await sh(`du -sb ${path}`)).split("\t")[0]),
  };
}

/**
 * Adds `mib` MiB of incompressible data to database `app`: rows of one MiB of /dev/urandom as
 * bytea, TOASTed; pglz gives up on them, as on compressed media or encrypted columns.
 */
export async function addRandomBytes(pg: InPostgres, mib: number): Promise<void> {
  await pg.psql("CREATE TABLE IF NOT EXISTS blobs (id int PRIMARY KEY, payload bytea)");
  const first = Number(await pg.psql("SELECT coalesce(max(id), 0) + 1 FROM blobs"));
  await pg.sh(
    `for i in $(seq ${first} ${first + mib - 1}); do head -c ${MiB} /dev/urandom > ${WORK}/blob; psql -X -q -h ${SOCKET} -U postgres -d app -c "INSERT INTO blobs VALUES ($i, pg_read_binary_file('${WORK}/blob'))"; done; rm ${WORK}/blob`,
  );
}

/** Waits until the WAL written so far is in the repository (pg_stat_archiver), 5 min at most. */
export async function waitArchived(pg: InPostgres): Promise<void> {
  const last = await pg.psql("SELECT pg_walfile_name(pg_current_wal_lsn())");
  await pg.psql("SELECT pg_switch_wal()");
  await pg.sh(
    `for _ in $(seq 600); do [ "$(psql -X -At -h ${SOCKET} -U postgres -d postgres -c "SELECT last_archived_wal >= '${last}' FROM pg_stat_archiver")" = t ] && exit 0; sleep 0.5; done; echo "WAL up to ${last} was not archived within 5 minutes" >&2; exit 1`,
  );
}

/** Right-pads a table cell. */
export const cell = (text: string, width: number) => text.padEnd(width);

/**
 * Writes a pgbackrest.conf for a repository on the local filesystem at `repoPath` (besides
 * `settings`) and creates its stanza. Returns the command prefix that runs pgBackRest with it:
 * drkit's PGBACKREST_* environment (the S3 repository's) is unset, so only this file counts.
 */
export async function localRepository(pg: InPostgres, conf: string, repoPath: string, settings: string[]): Promise<string> {
  const lines = [
    "[global]",
    "repo1-type=posix",
    `repo1-path=${repoPath}`,
    "repo1-retention-full=1",
    ...settings,
    // Not a default: without it a backup waits for the next scheduled checkpoint.
    "start-fast=y",
    // These repositories receive no WAL; only the backup and restore of the files are timed.
    "archive-check=n",
    "lock-path=/tmp/pgbackrest-bench",
    "log-level-console=warn",
    "log-level-file=off",
    "[main]",
    `pg1-path=${PGDATA}`,
    `pg1-socket-path=${SOCKET}`,
  ];
  const pgbackrest = `env $(env | grep -o '^PGBACKREST_[A-Z0-9_]*' | sed 's/^/-u /') pgbackrest --config=${conf} --stanza=main`;
  await pg.sh(`mkdir -p ${WORK}; printf '%s\\n' ${lines.map((l) => `'${l}'`).join(" ")} > ${conf}; ${pgbackrest} stanza-create`);
  return pgbackrest;
}

/** Runs a benchmark, printing only the message of an error and exiting 1. */
export function runBenchmark(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
