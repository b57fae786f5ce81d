import { redisCliTls } from "../../components/redis/redisConf";
import { PATH } from "../../components/workloads/names";
import type { PlanRunner } from "./runner";
import { waitFor } from "./wait";

/**
 * Talking to a running plan's stores the way an operator would with kubectl exec: psql over
 * the PostgreSQL pod's socket, redis-cli in the Redis container.
 */

/** SQL as the superuser through the socket of the `postgres` container; psql's unaligned output. */
export async function psql(runner: PlanRunner, sql: string, database = "postgres", server = "postgres"): Promise<string> {
  const result = await runner.exec(server, "postgres", ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", PATH.postgresSocket, "-U", "postgres", "-d", database], { input: sql });
  if (result.code !== 0) throw new Error(`psql in ${server} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/**
 * redis-cli in the `redis` container (the password comes from its environment), over TLS against
 * the server's CA when the plan mounts one there, as an operator would.
 */
export async function redisCli(runner: PlanRunner, args: string[], input?: string, server = "redis"): Promise<string> {
  const result = await runner.exec(server, "redis", ["redis-cli", ...redisCliArgs(runner, server), ...args], input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`redis-cli in ${server} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** What redis-cli needs to reach the plan's Redis `server` from inside its pod: TLS flags when it serves TLS, and no auth warning. */
export function redisCliArgs(runner: PlanRunner, server = "redis"): string[] {
  const pod = runner.plan.servers.find((s) => s.pod.name === server)?.pod;
  const tls = pod?.containers.find((c) => c.name === "redis")?.mounts.some((m) => m.path === PATH.redisTls) ?? false;
  return [...redisCliTls(tls, `${PATH.redisTls}/ca.crt`), "--no-auth-warning"];
}

/**
 * Switches to a new WAL segment and waits until the segment it closed is archived: its
 * archive status is `.done`, or a later segment was archived. (The last archived file may be a
 * backup history file of an earlier segment, archived after it: the name alone does not say.)
 */
export async function switchAndWaitArchived(runner: PlanRunner, timeoutMs = 120_000): Promise<void> {
  const lsn = await psql(runner, "SELECT pg_switch_wal()");
  const segment = `pg_walfile_name('${lsn}'::pg_lsn - 1)`;
  await waitFor(
    `WAL up to ${lsn} archived`,
    async () =>
      (await psql(
        runner,
        `SELECT EXISTS (SELECT FROM pg_ls_archive_statusdir() WHERE name = ${segment} || '.done') OR coalesce(left(last_archived_wal, 24) >= ${segment} AND last_archived_wal NOT LIKE '%.backup', false) FROM pg_stat_archiver`,
      )) === "t",
    timeoutMs,
    250,
  );
}
