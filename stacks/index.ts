/**
 * The drkit Pulumi program: one stack = one region's disaster-recovery footprint, driven
 * entirely by its `drkit:*` configuration (Pulumi.<stack>.yaml).
 */
import * as pulumi from "@pulumi/pulumi";
import { AlertRules, JobMetrics } from "../components/alerts";
import { BackupSchedule } from "../components/backup";
import { PostgresCluster } from "../components/postgres";
import { RedisServer } from "../components/redis";
import { kubernetesTarget } from "../components/region/kubernetes";
import { summarizeSpec } from "../components/spec";
import { BackupStorage } from "../components/storage";
import { DrkitImages } from "../components/workloads/DrkitImages";
import { loadSpec } from "./loadSpec";
import { cloudProviders } from "./providers";

const spec = loadSpec();
const providers = cloudProviders(spec);

const storage = new BackupStorage("backups", { spec }, { providers });
const kubernetes = kubernetesTarget(spec);

const images = new DrkitImages("images", { spec, only: spec.redis.enabled ? ["postgres", "redis", "jobs"] : ["postgres", "jobs"] }).refs;
const sourcePassphrase = spec.role !== "primary" && spec.postgres.restoreFrom?.encrypted ? sourceCipherPassphrase() : undefined;
const postgres = new PostgresCluster(
  "postgres",
  {
    spec,
    namespace: kubernetes.namespace,
    images,
    repository: storage.writers.pgbackrest!,
    ...(storage.restore.postgres ? { restoreSource: storage.restore.postgres } : {}),
    ...(sourcePassphrase ? { sourceCipherPassphrase: sourcePassphrase } : {}),
  },
  { provider: kubernetes.provider },
);

const backups = new BackupSchedule(
  "backup-schedule",
  {
    spec,
    namespace: kubernetes.namespace,
    images,
    cluster: postgres,
    clusterName: "postgres",
    repository: storage.writers.pgbackrest!,
    repositoryReader: storage.repositoryReader,
    ...(storage.replicaRepositoryReader ? { replicaRepositoryReader: storage.replicaRepositoryReader } : {}),
    ...(storage.writers.dumps ? { dumps: storage.writers.dumps } : {}),
    ...(spec.role === "drill" && storage.restore.postgres ? { restoreSource: storage.restore.postgres } : {}),
    ...(spec.role === "drill" && sourcePassphrase ? { sourceCipherPassphrase: sourcePassphrase } : {}),
  },
  { provider: kubernetes.provider },
);

const redis = spec.redis.enabled
  ? new RedisServer(
      "redis",
      {
        spec,
        namespace: kubernetes.namespace,
        images,
        snapshots: storage.writers.redis!,
        ...(storage.restore.redis ? { restoreSource: storage.restore.redis } : {}),
      },
      { provider: kubernetes.provider },
    )
  : undefined;

const jobMetrics = new JobMetrics("job-metrics", { spec, namespace: kubernetes.namespace, images }, { provider: kubernetes.provider });

new AlertRules(
  "alerts",
  { spec, postgresPodLabels: postgres.podLabels, jobMetricsPodLabels: jobMetrics.podLabels, ...(redis ? { redisPodLabels: redis.podLabels } : {}) },
  { provider: kubernetes.provider },
);

/** The source repository's passphrase: the source stack's output, or the secret config key. */
function sourceCipherPassphrase(): pulumi.Output<string> {
  const reference = spec.postgres.restoreFrom?.stackReference;
  if (reference) return new pulumi.StackReference(reference).requireOutput("repoCipherPassphrase") as pulumi.Output<string>;
  return new pulumi.Config("drkit").requireSecret("restoreCipherPassphrase");
}

/** What this stack declares, with derived paths and schedules, in human units. */
export const drkit = summarizeSpec(spec);

/** The backup bucket, its replica, the (non-secret) key ids of the data-path identities, the CronJobs. */
export const backupStorage = {
  bucket: storage.bucketName,
  replicaBucket: storage.replicaBucketName,
  writerKeyIds: Object.fromEntries(Object.entries(storage.writers).map(([path, access]) => [path, access.credentials.accessKeyId])),
  restoreKeyIds: Object.fromEntries(Object.entries(storage.restore).map(([store, access]) => [store, access.credentials.accessKeyId])),
  cronJobs: backups.cronJobNames,
};

/** Where applications connect, and the Secrets that hold their credentials. */
export const database = {
  host: postgres.host,
  port: postgres.port,
  secrets: postgres.databaseSecretNames,
};

/** Where applications reach Redis, and the Secret with its password. */
export const cache = redis ? { endpoint: redis.endpoint, passwordSecret: redis.passwordSecretName } : undefined;

/**
 * The pgBackRest repository passphrase (secret). A dr or drill stack restoring these backups
 * reads it through `drkit:postgres.restoreFrom.stackReference`.
 */
export const repoCipherPassphrase = postgres.repoCipherPassphrase;
