import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jobMetricsPlan } from "../../components/alerts/jobMetricsPlan";
import { backupInput, backupPlan } from "../../components/backup/plan";
import { postgresHosts, postgresPlan } from "../../components/postgres/plan";
import { postgresInput } from "../../components/postgres/input";
import { redisInput } from "../../components/redis/input";
import { redisPlan } from "../../components/redis/plan";
import { mediaInput, mediaPlan } from "../../components/media/plan";
import type { DrSpec } from "../../components/config";
import { mergePlans, type ImageName, type SecretValue, type WorkloadPlan } from "../../components/workloads/plan";
import { docker, type DockerResult } from "./docker";
import { localSecretValues } from "./localSecrets";
import { PATH, redisObjects, redisServerNames } from "../../components/workloads/names";
import { redisCliTls } from "../../components/redis/redisConf";
import { dockerHostPlan, hostWorkloadPlan } from "../../components/host/plan";
import { withSecretFiles } from "../../components/host/secretFiles";
import { HostRun } from "./host";
import { PlanRunner } from "./runner";
import { startLocalS3, type LocalS3 } from "./s3";
import { psql, redisCli } from "./stores";

/** One stack's whole plan (PostgreSQL, its jobs, the job-metrics gateway, Redis when enabled) running in the cluster. */
export interface StackRun {
  spec: DrSpec;
  plan: WorkloadPlan;
  runner: PlanRunner;
  /** The secret values this run made (passwords, certificates), for logging in. */
  secretValue: (value: SecretValue) => string;
  /** SQL as the superuser through the postgres container's socket. */
  psql(sql: string, database?: string): Promise<string>;
  /** redis-cli in the redis container. */
  redisCli(args: string[], input?: string): Promise<string>;
  /** How a client verifies this stack's Redis over TLS (its CA, the Service's name); none without TLS. */
  redisTls?: { ca: string; servername: string };
}

/** A docker stack deployed on this engine as on its host. */
export interface HostStackRun {
  spec: DrSpec;
  /** The host form of the stack's plan (secret variables as files, the scheduler). */
  plan: WorkloadPlan;
  host: HostRun;
  secretValue: (value: SecretValue) => string;
  psql(sql: string, database?: string): Promise<string>;
  redisCli(args: string[], input?: string): Promise<string>;
}

export interface LocalCluster {
  /** Prefix of every label `drkit.run` this cluster puts on containers, volumes and networks. */
  id: string;
  s3: LocalS3;
  /**
   * Runs a stack's plan against the shared S3 endpoint, on the shared network; with
   * `endpoints: "configured"`, against the endpoints the spec names instead (S3-compatible
   * stores a test started, which the containers must reach), so the spec's own endpoint
   * settings are what runs.
   */
  stack(spec: DrSpec, cipher: { own: string; source?: string }, options?: { endpoints?: "local" | "configured" }): Promise<StackRun>;
  /**
   * Deploys a docker stack's host plan (`dockerHostPlan`) against the shared S3 endpoint, as
   * `pulumi up` would on its host: under a project of its own, removed with the cluster.
   */
  host(spec: DrSpec, cipher: { own: string; source?: string }): Promise<HostStackRun>;
  /** The aws CLI of the jobs image against the local endpoint; `seed` is bind-mounted at /seed. */
  aws(args: string[], seed?: string): Promise<DockerResult>;
  /** Removes every container, volume and network, and the endpoint's files. */
  destroy(): Promise<void>;
}

export interface LocalClusterOptions {
  /** Names the cluster's objects: `<prefix>-<random>`. */
  prefix: string;
  /** drkit's images in the engine (`ensureLocalImages`). */
  images: Record<ImageName, string>;
  /** The helper containers' image (the stacks' base image). */
  helperImage: string;
  /** Buckets the local S3 endpoint holds. */
  buckets: string[];
  /** The region the aws CLI names. @default "us-east-1" */
  region?: string;
}

/**
 * A stand-in for the clusters and the bucket of a disaster: one local S3 endpoint over TLS, and
 * any number of stacks' plans, each on a Docker network of its own, run exactly as rendered.
 * The S3 endpoint (and, for pods that assume roles, STS and the token issuer) are the only
 * substitutions. Used by `drkit drill`, the container tests and the benchmarks.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const id = `${options.prefix}-${randomBytes(3).toString("hex")}`;
  const root = mkdtempSync(join(tmpdir(), `${id}-`));
  const network = await PlanRunner.create({ configMaps: [], secrets: [], servers: [], jobs: [] }, { runId: id, namespace: "none", images: options.images, secretValue: () => "", helperImage: options.helperImage });
  const runners: PlanRunner[] = [network];
  let s3: LocalS3;
  try {
    // By address: s3rver takes any other host name for a virtual-hosted bucket.
    s3 = await startLocalS3(join(root, "s3"), options.buckets, network.gateway);
  } catch (error) {
    await network.destroy();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  let index = 0;
  const hosts: HostRun[] = [];
  // The media mirror's jobs (drkit:media), when the stack has them.
  const media = (spec: DrSpec, substitute: { host: string; port: number } | undefined) => {
    const input = mediaInput(spec, substitute);
    return input ? [mediaPlan(input)] : [];
  };
  const stackPlan = (spec: DrSpec, endpoints: "local" | "configured" = "local") => {
    const substitute = endpoints === "local" ? { host: s3.host, port: s3.port } : undefined;
    return mergePlans(
      ...(spec.postgres.enabled ? [postgresPlan(postgresInput(spec, substitute)), backupPlan(backupInput(spec, substitute)), jobMetricsPlan({ stack: spec.stack, retainData: spec.role !== "drill" })] : []),
      ...(spec.redis.enabled ? [redisPlan(redisInput(spec, substitute))] : []),
      ...media(spec, substitute),
    );
  };
  const secretsOf = (spec: DrSpec, cipher: { own: string; source?: string }) =>
    localSecretValues({ spec, s3, cipher, serverNames: postgresHosts(spec.cluster.namespace).serverNames, redisNames: redisServerNames("redis", spec.cluster.namespace) });
  return {
    id,
    s3,
    async stack(spec, cipher, stackOptions = {}) {
      // A docker stack's workloads as its host runs them: secret variables as files.
      const planned = stackPlan(spec, stackOptions.endpoints);
      const plan = spec.target === "docker" ? withSecretFiles(planned) : planned;
      const secretValue = secretsOf(spec, cipher);
      // Each stack on a network of its own, as each has a cluster (or namespace) of its own: two
      // stacks' pods carry the same DNS names. The S3 endpoint is reached across networks.
      // Where the pods assume roles, the local STS grants the endpoint's key pair; the aws CLI asks
      // it in each region a store of the stack is in.
      const regions = [spec.region, spec.storage.replication?.region, spec.postgres.restoreFrom?.region, spec.redis.restoreFrom?.region].filter((r): r is string => !!r);
      const runner = await PlanRunner.create(plan, {
        runId: `${id}-${++index}-${spec.stack}`,
        namespace: spec.cluster.namespace,
        images: options.images,
        secretValue,
        helperImage: options.helperImage,
        webIdentity: { credentials: s3, regions },
      });
      runners.push(runner);
      const redisTls = spec.redis.enabled && spec.redis.tls ? { ca: secretValue({ kind: "redisTls", part: "ca.crt" }), servername: redisObjects("redis").client } : undefined;
      return { spec, plan, runner, secretValue, psql: (sql, database) => psql(runner, sql, database), redisCli: (args, input) => redisCli(runner, args, input), ...(redisTls ? { redisTls } : {}) };
    },
    async host(spec, cipher) {
      const project = `${id}-${++index}-${spec.stack}`;
      const plan = hostWorkloadPlan(stackPlan(spec), project);
      const secretValue = secretsOf(spec, cipher);
      const host = await HostRun.deploy(dockerHostPlan(plan, { stack: spec.stack, project, namespace: spec.cluster.namespace, publishAddress: "127.0.0.1" }), { images: options.images, secretValue });
      hosts.push(host);
      const psqlHost = async (sql: string, database = "postgres") => {
        const result = await host.exec("postgres", "postgres", ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", PATH.postgresSocket, "-U", "postgres", "-d", database], { input: sql });
        if (result.code !== 0) throw new Error(`psql failed: ${result.stderr.trim()}`);
        return result.stdout.trim();
      };
      const redisHost = async (args: string[], input?: string) => {
        const tls = redisCliTls(spec.redis.tls, `${PATH.redisTls}/ca.crt`);
        const result = await host.exec("redis", "redis", ["redis-cli", ...tls, "--no-auth-warning", ...args], input === undefined ? {} : { input });
        if (result.code !== 0) throw new Error(`redis-cli failed: ${result.stderr.trim()}`);
        return result.stdout.trim();
      };
      return { spec, plan, host, secretValue, psql: psqlHost, redisCli: redisHost };
    },
    aws(args, seed) {
      return docker([
        "run", "--rm", "--network", network.network, "--label", `drkit.run=${id}`,
        "-e", `AWS_ACCESS_KEY_ID=${s3.accessKeyId}`, "-e", `AWS_SECRET_ACCESS_KEY=${s3.secretAccessKey}`,
        ...(seed ? ["-v", `${seed}:/seed:ro`] : []),
        options.images.jobs, "aws", "--endpoint-url", `https://${s3.host}:${s3.port}`, "--region", options.region ?? "us-east-1", "--no-verify-ssl", ...args,
      ]);
    },
    async destroy() {
      await s3.stop();
      for (const host of hosts.splice(0)) await host.remove();
      for (const runner of runners.splice(0).reverse()) await runner.destroy();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
