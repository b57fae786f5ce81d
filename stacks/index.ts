/**
 * The drkit Pulumi program: one stack = one region's disaster-recovery footprint, driven
 * entirely by its `drkit:*` configuration (Pulumi.<stack>.yaml).
 */
import * as pulumi from "@pulumi/pulumi";
import { DrRegion } from "../components/region";
import { summarizeSpec, type DrSpec } from "../components/config";
import type { S3Access, S3Credentials } from "../components/storage";
import { loadSpec } from "./loadSpec";

const spec = loadSpec();
const needsPassphrase = spec.role !== "primary" && spec.postgres.restoreFrom?.encrypted === true;
const storeKeys = storeKeyPairs(spec);
const region = new DrRegion("region", { spec, ...(needsPassphrase ? { sourceCipherPassphrase: sourceCipherPassphrase(spec) } : {}), ...(storeKeys ? { storeKeys } : {}) });

/**
 * The key pairs of the S3-compatible stores the spec uses, from their secret config keys (the
 * spec's parse has reported any that is missing): `{"accessKeyId": ..., "secretAccessKey": ...}`.
 */
function storeKeyPairs(spec: DrSpec): { storage?: S3Credentials; copy?: S3Credentials; restore?: S3Credentials; media?: S3Credentials } | undefined {
  const config = new pulumi.Config("drkit");
  const pair = (key: string): S3Credentials => {
    const value = config.requireSecretObject<{ accessKeyId: string; secretAccessKey: string }>(key);
    return { accessKeyId: value.apply((v) => v.accessKeyId), secretAccessKey: value.apply((v) => v.secretAccessKey) };
  };
  const restoring = spec.role !== "primary";
  const compatibleSource =
    restoring &&
    ((spec.postgres.enabled && spec.postgres.restoreFrom?.provider === "s3-compatible") ||
      (spec.redis.enabled && spec.redis.snapshots.enabled && spec.redis.restoreFrom?.provider === "s3-compatible") ||
      spec.media?.restoreFrom?.provider === "s3-compatible");
  const keys = {
    ...(spec.storage.provider === "s3-compatible" ? { storage: pair("storageCredentials") } : {}),
    ...(spec.storage.copy ? { copy: pair("copyCredentials") } : {}),
    ...(compatibleSource ? { restore: pair("restoreCredentials") } : {}),
    ...(spec.media ? { media: pair("mediaCredentials") } : {}),
  };
  return Object.keys(keys).length > 0 ? keys : undefined;
}

/** The access key ids of accesses that hold keys (none where the workloads assume roles). */
function keyIds(accesses: Partial<Record<string, S3Access>>): Record<string, pulumi.Output<string>> {
  return Object.fromEntries(Object.entries(accesses).flatMap(([name, access]) => (access?.credentials ? [[name, access.credentials.accessKeyId]] : [])));
}

/** The source repository's passphrase: the source stack's output, or the secret config key. */
function sourceCipherPassphrase(spec: DrSpec): pulumi.Output<string> {
  const reference = spec.postgres.restoreFrom?.stackReference;
  if (reference) return new pulumi.StackReference(reference).requireOutput("repoCipherPassphrase") as pulumi.Output<string>;
  return new pulumi.Config("drkit").requireSecret("restoreCipherPassphrase");
}

/** What this stack declares, with derived paths and schedules, in human units. */
export const drkit = summarizeSpec(spec);

/**
 * The backup bucket, its replica, the IAM roles the workloads assume (IRSA) or the (non-secret)
 * key ids of the data-path identities (static keys), the CronJobs.
 */
export const backupStorage = {
  bucket: region.storage.bucketName,
  replicaBucket: region.storage.replicaBucketName,
  /** The copy's bucket in its own store (`drkit:storage.copy`), or undefined. */
  copyBucket: region.storage.copy?.bucketName,
  /** Subscribe your on-call integration: a backup version removed for good, a replication failure. */
  eventTopics: region.storage.eventTopicArns,
  workloadRoles: { ...region.postgres?.workloadRoleArns, ...region.backups?.workloadRoleArns, ...region.redis?.workloadRoleArns },
  writerKeyIds: keyIds(region.storage.writers),
  restoreKeyIds: keyIds(region.storage.restore),
  cronJobs: region.backups?.cronJobNames ?? {},
};

/** Where applications connect, and the Secrets that hold their credentials (Kubernetes). */
export const database = region.postgres ? { host: region.postgres.host, port: region.postgres.port, secrets: region.postgres.databaseSecretNames } : undefined;

/** Each database's URI with its owner's password (a secret): what a Docker host's applications are given. */
export const databaseUris = region.postgres?.databaseUris;

/** Where applications reach Redis, and the Secret with its password (Kubernetes). */
export const cache = region.redis ? { endpoint: region.redis.endpoint, passwordSecret: region.redis.passwordSecretName } : undefined;

/** Redis's password (a secret). */
export const cachePassword = region.redis?.password;

/**
 * On a Docker host (null on a cluster): the network an application's compose project joins
 * (`external: true`), the containers' names, and the alert rule file and scrape configuration for
 * the team's Prometheus (`pulumi stack output dockerHost --json | jq -r .monitoring.ruleFile`).
 */
export const dockerHost =
  region.host && region.hostMonitoring
    ? { network: region.host.network, containers: region.host.containerNames, monitoring: region.hostMonitoring, ...(region.machine ? { address: region.machine.address, docker: region.machine.dockerHost } : {}) }
    : null;

/**
 * The pgBackRest repository passphrase (secret). A dr or drill stack restoring these backups
 * reads it through `drkit:postgres.restoreFrom.stackReference`.
 */
export const repoCipherPassphrase = region.postgres?.repoCipherPassphrase;
