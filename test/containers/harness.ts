import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { backupPlan } from "../../components/backup/plan";
import { postgresHosts, postgresPlan } from "../../components/postgres/plan";
import { redisPlan } from "../../components/redis/plan";
import type { DrSpec } from "../../components/spec";
import { mergePlans, type SecretValue, type WorkloadPlan } from "../../components/workloads/plan";
import { ensureLocalImages } from "../../cli/containers/images";
import { localSecretValues } from "../../cli/containers/localSecrets";
import { PlanRunner } from "../../cli/containers/runner";
import { waitFor } from "../../cli/local/processes";
import { startLocalS3, type LocalS3 } from "../../cli/local/s3";
import { checkConfig } from "../../components/policy";
import { rawSpecFromConfig, readStackFile } from "../../components/spec";
import { docker, type DockerResult } from "../../cli/containers/docker";

const PROJECT_ROOT = resolve(__dirname, "..", "..");

/** A stack file of the project, parsed as the Pulumi program parses it. */
export function stackSpec(stack: string): DrSpec {
  const result = checkConfig(rawSpecFromConfig(readStackFile(join(PROJECT_ROOT, `Pulumi.${stack}.yaml`)).config), { stack });
  if (!result.ok) throw new Error(`Pulumi.${stack}.yaml has problems: ${JSON.stringify(result.problems)}`);
  return result.spec;
}

export interface StackRun {
  spec: DrSpec;
  plan: WorkloadPlan;
  runner: PlanRunner;
  secretValue: (value: SecretValue) => string;
  /** SQL as the superuser through the postgres container's socket. */
  psql(sql: string, database?: string): Promise<string>;
  /** redis-cli in the redis container. */
  redisCli(args: string[]): Promise<string>;
}

export interface Cluster {
  s3: LocalS3;
  /** The aws CLI of the jobs image against the local endpoint; `seed` is bind-mounted at /seed. */
  aws(args: string[], seed?: string): Promise<DockerResult>;
  /** Where s3rver keeps the objects: bucket/key. */
  s3Directory: string;
  /** Runs one stack's whole plan (PostgreSQL, its jobs, Redis) against the shared S3 endpoint. */
  stack(spec: DrSpec, cipher: { own: string; source?: string }): Promise<StackRun>;
  destroy(): Promise<void>;
}

/**
 * Containers of one or more stacks on one Docker network with one local S3 endpoint, as a test
 * file needs them: each stack's plan runs exactly as rendered, with only the S3 endpoint
 * substituted. Everything is removed by `destroy`.
 */
export async function startCluster(name: string, buckets: string[], specForImages: DrSpec): Promise<Cluster> {
  const runId = `drkit-it-${name}-${randomBytes(3).toString("hex")}`;
  const images = await ensureLocalImages(specForImages.images, specForImages.postgres.version);
  const root = mkdtempSync(join(tmpdir(), `${runId}-`));
  const runners: PlanRunner[] = [];
  // One network for every stack: the first runner creates it; the S3 endpoint listens on its gateway.
  const networkRunner = await PlanRunner.create({ configMaps: [], secrets: [], servers: [], jobs: [] }, {
    runId,
    namespace: "none",
    images,
    secretValue: () => "",
    helperImage: specForImages.images.base,
  });
  runners.push(networkRunner);
  const s3 = await startLocalS3(join(root, "s3"), buckets, networkRunner.gateway);
  let index = 0;
  return {
    s3,
    aws(args, seed) {
      return docker([
        "run", "--rm", "--network", networkRunner.network, "--label", `drkit.run=${runId}`,
        "-e", `AWS_ACCESS_KEY_ID=${s3.accessKeyId}`, "-e", `AWS_SECRET_ACCESS_KEY=${s3.secretAccessKey}`,
        ...(seed ? ["-v", `${seed}:/seed:ro`] : []),
        images.jobs, "aws", "--endpoint-url", `https://${s3.host}:${s3.port}`, "--region", specForImages.region, "--no-verify-ssl", ...args,
      ]);
    },
    s3Directory: s3.directory,
    async stack(spec, cipher) {
      // By address: s3rver takes any other host name for a virtual-hosted bucket.
      const substitute = { host: s3.host, port: s3.port };
      const plan = mergePlans(postgresPlan(spec, { s3: substitute }), backupPlan(spec, { s3: substitute }), ...(spec.redis.enabled ? [redisPlan(spec, { s3: substitute })] : []));
      const hosts = postgresHosts(spec);
      const secretValue = localSecretValues({ spec, s3, cipher, serverNames: [hosts.pod, hosts.podShort] });
      const runner = await PlanRunner.attach(plan, {
        runId: `${runId}-${++index}`,
        namespace: spec.cluster.namespace,
        images,
        secretValue,
        helperImage: spec.images.base,
      }, networkRunner.network, networkRunner.gateway);
      runners.push(runner);
      const run: StackRun = {
        spec,
        plan,
        runner,
        secretValue,
        async psql(sql, database = "postgres") {
          const result = await runner.exec("postgres", "postgres", ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "/var/run/postgresql", "-U", "postgres", "-d", database], { input: sql });
          if (result.code !== 0) throw new Error(`psql failed: ${result.stderr}`);
          return result.stdout.trim();
        },
        async redisCli(args) {
          const result = await runner.exec("redis", "redis", ["redis-cli", "--no-auth-warning", ...args]);
          if (result.code !== 0) throw new Error(`redis-cli failed: ${result.stderr}`);
          return result.stdout.trim();
        },
      };
      return run;
    },
    async destroy() {
      await s3.stop();
      for (const runner of runners.reverse()) await runner.destroy();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Switches to a new WAL segment and waits until the segment it closed is archived. */
export async function switchAndWaitArchived(run: StackRun): Promise<void> {
  const lsn = await run.psql("SELECT pg_switch_wal()");
  await waitFor(
    `WAL up to ${lsn} archived`,
    async () => (await run.psql(`SELECT coalesce(last_archived_wal >= pg_walfile_name('${lsn}'::pg_lsn - 1), false) FROM pg_stat_archiver`)) === "t",
    120_000,
    250,
  );
}

