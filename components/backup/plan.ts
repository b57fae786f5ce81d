import { JOB_METRICS_CLIENT_LABEL, jobMetricsUrl } from "../alerts/jobMetricsPlan";
import { monitorLabels } from "../alerts/targets";
import { postgresInput, type PostgresInput } from "../postgres/input";
import { containerLayout, type PgbackrestRepository } from "../postgres/layout";
import { BACKUP_JOB_LABEL, POSTGRES_CLIENT_LABEL } from "../postgres/plan";
import type { SnapshotStore } from "../redis/layout";
import { longestGap, type DrSpec } from "../config";
import { bucketEndpoint, bucketStore, type S3Substitute } from "../workloads/endpoints";
import { ENV, PATH, PORT, UID, ownerPasswordVariable, pgbackrestRepoEnv, postgresObjects } from "../workloads/names";
import type { ContainerPlan, EnvSource, JobPlan, Mount, PodPlan, SecretValue, VolumePlan, WorkloadPlan } from "../workloads/plan";
import { withCredentials } from "../workloads/webIdentity";
import { renderArchiveCheckScript, renderReplicaConf } from "./archiveCheck";
import { backupJobLayout, deadlineForData } from "./layout";
import { renderBackupJobConf, renderBackupScript, renderDumpScript, renderVerifyConf, renderVerifyScript } from "./render";

export interface BackupPlanOptions {
  /** The PostgreSQL cluster's name: the jobs and their objects are named after it. @default "postgres" */
  cluster?: string;
}

/** Everything the backup jobs of one PostgreSQL cluster are made from. */
export interface BackupInput extends PostgresInput {
  /** Time zone of the schedules (IANA name, `drkit:timeZone`). */
  timeZone: string;
  /** Where the logical dumps go: required when `postgres.dumps.enabled`. */
  dumps?: SnapshotStore;
  /** The replica of `repository`, when the bucket replicates: the archive check measures its lag. */
  replica?: PgbackrestRepository;
  /** The copy of the dumps (`drkit:storage.copy`), kept for its own retention. */
  dumpsCopy?: { store: SnapshotStore; retention: number; keepLast: number };
}

/** A stack spec's backup input: its stores at their cloud endpoints, or all at one local endpoint (`s3`). */
export function backupInput(spec: DrSpec, s3?: S3Substitute): BackupInput {
  const input = postgresInput(spec, s3);
  const replication = spec.storage.provider === "aws" ? spec.storage.replication : undefined;
  const copy = spec.storage.copy;
  return {
    ...input,
    timeZone: spec.timeZone,
    ...(spec.postgres.dumps.enabled ? { dumps: bucketStore(spec.storage.provider, spec.storage.bucket, spec.region, spec.storage.endpoint, spec.storage.lifecycle.dumps.prefix, s3) } : {}),
    ...(copy && spec.postgres.dumps.enabled
      ? { dumpsCopy: { store: bucketStore("s3-compatible", copy.bucket, copy.region, copy.endpoint, spec.storage.lifecycle.dumps.prefix, s3), ...copy.dumps } }
      : {}),
    ...(replication ? { replica: { ...input.repository, endpoint: bucketEndpoint("aws", replication.bucket, replication.region, undefined, s3) } } : {}),
  };
}

export type BackupKind = "full" | "diff" | "incr";

/** Labels of every backup job pod. */
export const backupLabels = (stack: string, cluster = "postgres") => ({
  "app.kubernetes.io/part-of": "drkit",
  "app.kubernetes.io/component": "backup",
  "app.kubernetes.io/instance": `${stack}-${cluster}`,
});

/** When a scheduled backup job runs and how long it may wait and run: what its CronJob says and its alerts read. */
export type JobTiming = Pick<JobPlan, "schedule" | "timeZone" | "startingDeadlineSeconds" | "activeDeadlineSeconds">;

/**
 * The timing of each scheduled job of the backup plan of cluster `cluster`, by job name: the
 * plan's CronJobs carry it, and the alert thresholds are derived from it.
 */
export function backupJobTimings(spec: Pick<BackupInput, "postgres" | "objectives" | "timeZone">, cluster = "postgres"): Map<string, JobTiming> {
  const { postgres, timeZone } = spec;
  const objects = postgresObjects(cluster);
  const dataDeadline = deadlineForData(postgres.storage.size);
  const timing = (schedule: string, deadline: number): JobTiming => ({
    schedule,
    timeZone,
    // A run that could not start within a quarter of its interval (at most an hour) is skipped.
    startingDeadlineSeconds: Math.min(3600, Math.max(60, Math.floor(longestGap(schedule, timeZone) / 4))),
    activeDeadlineSeconds: deadline,
  });
  const timings = new Map<string, JobTiming>();
  for (const kind of ["full", "diff", "incr"] as const) {
    const schedule = postgres.backups[kind];
    if (schedule) timings.set(objects.backupJob(kind), timing(schedule, dataDeadline));
  }
  timings.set(objects.archiveCheckJob, timing(postgres.backups.archiveCheck, dataDeadline));
  if (postgres.dumps.enabled) timings.set(objects.dumpJob, timing(postgres.dumps.schedule, dataDeadline));
  // A verification restores the whole cluster: the data's deadline and the RTO.
  timings.set(objects.verifyJob, timing(postgres.verification.schedule, dataDeadline + spec.objectives.postgres.rto));
  return timings;
}

const JOB_RESOURCES = { requests: { cpu: 250, memory: 256 * 2 ** 20 }, limits: { cpu: 2000, memory: 2 ** 30 } };

/**
 * The scheduled jobs that make backups real: pgBackRest full, differential and
 * incremental backups over mutual TLS, logical dumps of every database for the long-term tier,
 * and a restore verification that measures the restore time against the RTO. A drill stack also
 * verifies, once at deployment, the source backups it restored from.
 */
export function backupPlan(spec: BackupInput, options: BackupPlanOptions = {}): WorkloadPlan {
  const cluster = options.cluster ?? "postgres";
  const objects = postgresObjects(cluster);
  const { postgres } = spec;
  const pgLayout = containerLayout(postgres.version);
  const layout = backupJobLayout(pgLayout);
  // The jobs run in the cluster's namespace and reach it by its names there.
  const pgHost = `${objects.pod}.${objects.headless}`;
  const own = spec.repository;
  const dumps = spec.dumps;
  if (postgres.dumps.enabled && !dumps) throw new Error("the backup plan needs the dumps' store when postgres.dumps.enabled is true");
  const labels = backupLabels(spec.stack, cluster);
  const repoEnv = pgbackrestRepoEnv(1);
  const replicaEnv = pgbackrestRepoEnv(2);
  // The replica of this stack's repository, when the bucket replicates: the archive check lists it.
  const replica = spec.replica;

  const copy = spec.copy;
  const copyEnv = pgbackrestRepoEnv(3);
  const dumpsCopy = postgres.dumps.enabled ? spec.dumpsCopy : undefined;
  if (postgres.dumps.enabled && copy && !dumpsCopy) throw new Error("the backup plan needs the copy's dump store when the stack keeps a copy and postgres.dumps.enabled is true");

  const metrics = { url: jobMetricsUrl(), labels: { ...monitorLabels(spec, "postgres"), cluster } };
  const files: Record<string, string> = {
    "pgbackrest.conf": renderBackupJobConf(spec, layout, own, pgHost, PORT.pgbackrestTls, copy),
    "verify.conf": renderVerifyConf(spec, layout, own),
    "backup.sh": renderBackupScript(spec, layout, copy !== undefined),
    "verify.sh": renderVerifyScript(spec, layout, pgLayout.pgBin, metrics),
    "archive-check.sh": renderArchiveCheckScript(spec, layout, metrics, replica !== undefined, copy !== undefined),
    ...(replica ? { "replica.conf": renderReplicaConf(spec, layout, replica) } : {}),
    ...(dumps && postgres.dumps.enabled ? { "dump.sh": renderDumpScript(spec, layout, dumps, objects.client) } : {}),
    ...(dumpsCopy ? { "dump-copy.sh": renderDumpScript(spec, layout, dumpsCopy.store, objects.client, dumpsCopy) } : {}),
  };
  const repositorySecret = (identity: "pgbackrest" | "pgbackrestReader" | "pgbackrestSource", cipher: "own" | "source" | undefined): Record<string, SecretValue> => ({
    [repoEnv.key]: { kind: "s3Key", identity, part: "id" },
    [repoEnv.secret]: { kind: "s3Key", identity, part: "secret" },
    ...(cipher ? { [repoEnv.cipher]: { kind: "cipher", repository: cipher } as SecretValue } : {}),
  });
  // The writer's Secret holds the copy's pair too: the backups and the archive check write both.
  const copySecret = (): Record<string, SecretValue> =>
    copy
      ? {
          [copyEnv.key]: { kind: "s3Key", identity: "pgbackrestCopy", part: "id" },
          [copyEnv.secret]: { kind: "s3Key", identity: "pgbackrestCopy", part: "secret" },
          ...(postgres.backups.encrypt ? { [copyEnv.cipher]: { kind: "cipher", repository: "own" } as SecretValue } : {}),
        }
      : {};
  const fromSecret = (secret: string, keys: string[]): [string, EnvSource][] => keys.map((key) => [key, { secret, key }]);
  const repoKeys = [repoEnv, ...(copy ? [copyEnv] : [])].flatMap((env) => [env.key, env.secret, ...(postgres.backups.encrypt ? [env.cipher] : [])]);

  const configMount: Mount = { volume: "config", path: layout.configDir, readOnly: true };
  const tmpMount: Mount = { volume: "tmp", path: PATH.tmp };
  const workMount: Mount = { volume: "work", path: layout.workDir };
  const configVolume = (object: string): VolumePlan => ({ name: "config", kind: "configMap", object, mode: 0o444 });
  const tmp: VolumePlan = { name: "tmp", kind: "scratch", size: 256 * 2 ** 20 };
  // Scratch space for a whole dump or a whole restored cluster: as large as the data volume.
  const scratch: VolumePlan = { name: "work", kind: "claim", size: postgres.storage.size, ...(postgres.storage.storageClass ? { storageClass: postgres.storage.storageClass } : {}) };
  const pod = (name: string, podLabels: Record<string, string>, containers: ContainerPlan[], volumes: VolumePlan[], initContainers: ContainerPlan[] = []): PodPlan => ({
    name,
    labels: { ...labels, ...podLabels },
    annotations: {},
    security: { uid: UID.postgres, gid: UID.postgres, fsGroup: UID.postgres, fsGroupChangePolicy: "OnRootMismatch" },
    initContainers,
    containers,
    volumes,
    restartPolicy: "Never",
    terminationGracePeriodSeconds: 30,
    // Every backup job reads or writes a repository or the dumps in the bucket.
    objectStorage: true,
  });
  const timings = backupJobTimings(spec, cluster);
  const scheduled = (name: string, jobPod: PodPlan): JobPlan => ({ name, ...timings.get(name)!, backoffLimit: 2, pod: jobPod });

  const jobs: JobPlan[] = [];
  // --- pgBackRest backups over mutual TLS -----------------------------------------------------
  const backupPod = (name: string, command: string[], podLabels: Record<string, string> = BACKUP_JOB_LABEL, env: [string, EnvSource][] = []) =>
    pod(
      name,
      podLabels,
      [
        {
          name: "backup",
          image: "postgres",
          command,
          env: [...fromSecret(objects.backupRepository, repoKeys), ...env],
          mounts: [configMount, { volume: "tls", path: layout.tlsDir, readOnly: true }, tmpMount],
          ports: [],
          ...JOB_RESOURCES,
        },
      ],
      [configVolume(objects.backupConfig), { name: "tls", kind: "secret", object: objects.clientTls, mode: 0o440 }, tmp],
    );
  for (const kind of ["full", "diff", "incr"] as const) {
    const name = objects.backupJob(kind);
    if (timings.has(name)) jobs.push(scheduled(name, backupPod(name, ["bash", `${layout.configDir}/backup.sh`, kind])));
  }
  // --- WAL archive check: gaps found, a full backup taken after one -------------------------
  jobs.push(
    scheduled(
      objects.archiveCheckJob,
      backupPod(
        objects.archiveCheckJob,
        ["bash", `${layout.configDir}/archive-check.sh`],
        { ...BACKUP_JOB_LABEL, ...JOB_METRICS_CLIENT_LABEL },
        replica ? fromSecret(objects.replicaRepository, [replicaEnv.key, replicaEnv.secret, ...(replica.encrypted ? [replicaEnv.cipher] : [])]) : [],
      ),
    ),
  );

  // --- logical dumps ----------------------------------------------------------------------------
  if (postgres.dumps.enabled) {
    const owners = [...new Set(postgres.databases.map((db) => db.owner))];
    jobs.push(
      scheduled(
        objects.dumpJob,
        pod(
          objects.dumpJob,
          POSTGRES_CLIENT_LABEL,
          [
            {
              name: "upload",
              image: "jobs",
              command: ["bash", `${layout.configDir}/dump.sh`, "upload"],
              env: [...fromSecret(objects.dumpCredentials, [ENV.awsKeyId, ENV.awsSecret]), ["HOME", { value: PATH.tmp }]],
              mounts: [configMount, workMount, tmpMount],
              ports: [],
              ...JOB_RESOURCES,
            },
            // The copy's upload runs beside the bucket's, so an outage of either store leaves the
            // other's dumps current; the job fails when either fails.
            ...(dumpsCopy
              ? [
                  {
                    name: "upload-copy",
                    image: "jobs" as const,
                    command: ["bash", `${layout.configDir}/dump-copy.sh`, "upload"],
                    env: [...fromSecret(objects.dumpCopyCredentials, [ENV.awsKeyId, ENV.awsSecret]), ["HOME", { value: PATH.tmp }] as [string, EnvSource]],
                    mounts: [configMount, workMount, tmpMount],
                    ports: [],
                    ...JOB_RESOURCES,
                  },
                ]
              : []),
          ],
          [configVolume(objects.backupConfig), scratch, tmp],
          [
            {
              name: "dump",
              image: "jobs",
              command: ["bash", `${layout.configDir}/dump.sh`, "dump"],
              env: fromSecret(objects.credentials, owners.map(ownerPasswordVariable)),
              mounts: [configMount, workMount, tmpMount],
              ports: [],
              ...JOB_RESOURCES,
            },
          ],
        ),
      ),
    );
  }

  // --- restore verification -----------------------------------------------------------------
  const verifyDeadline = timings.get(objects.verifyJob)!.activeDeadlineSeconds;
  const verifyPod = (name: string, secret: string, config: string, encrypted: boolean, repository: "own" | "source") =>
    pod(
      name,
      JOB_METRICS_CLIENT_LABEL,
      [
        {
          name: "verify",
          image: "postgres",
          command: ["bash", `${layout.configDir}/verify.sh`, repository],
          env: fromSecret(secret, [repoEnv.key, repoEnv.secret, ...(encrypted ? [repoEnv.cipher] : [])]),
          mounts: [configMount, workMount, tmpMount],
          ports: [],
          requests: JOB_RESOURCES.requests,
          limits: { cpu: 2000, memory: postgres.resources.memory },
        },
      ],
      [configVolume(config), scratch, tmp],
    );
  jobs.push(scheduled(objects.verifyJob, verifyPod(objects.verifyJob, objects.verifyRepository, objects.backupConfig, postgres.backups.encrypt, "own")));

  const configMaps = [{ name: objects.backupConfig, files }];
  const awsKeys = (identity: "dumps" | "dumpsCopy"): Record<string, SecretValue> => ({ [ENV.awsKeyId]: { kind: "s3Key", identity, part: "id" }, [ENV.awsSecret]: { kind: "s3Key", identity, part: "secret" } });
  const secrets = [
    { name: objects.backupRepository, data: { ...repositorySecret("pgbackrest", postgres.backups.encrypt ? "own" : undefined), ...copySecret() } },
    { name: objects.verifyRepository, data: repositorySecret("pgbackrestReader", postgres.backups.encrypt ? "own" : undefined) },
    ...(replica
      ? [
          {
            name: objects.replicaRepository,
            data: {
              [replicaEnv.key]: { kind: "s3Key", identity: "pgbackrestReplica", part: "id" },
              [replicaEnv.secret]: { kind: "s3Key", identity: "pgbackrestReplica", part: "secret" },
              ...(replica.encrypted ? { [replicaEnv.cipher]: { kind: "cipher", repository: "own" } } : {}),
            } as Record<string, SecretValue>,
          },
        ]
      : []),
    ...(postgres.dumps.enabled ? [{ name: objects.dumpCredentials, data: awsKeys("dumps") }] : []),
    ...(dumpsCopy ? [{ name: objects.dumpCopyCredentials, data: awsKeys("dumpsCopy") }] : []),
  ];

  if (spec.role === "drill") {
    // The drill's point: prove the source's backups restore within the RTO, at once.
    const source = spec.source;
    if (!source) throw new Error("a drill stack's backup plan needs the repository it restored from (drkit:postgres.restoreFrom)");
    configMaps.push({ name: objects.verifySourceConfig, files: { "verify.conf": renderVerifyConf(spec, layout, source), "verify.sh": files["verify.sh"]! } });
    secrets.push({ name: objects.verifySource, data: repositorySecret("pgbackrestSource", source.encrypted ? "source" : undefined) });
    jobs.push({
      name: objects.verifyAtStartJob,
      timeZone: spec.timeZone,
      startingDeadlineSeconds: 0,
      activeDeadlineSeconds: verifyDeadline,
      backoffLimit: 0,
      pod: verifyPod(objects.verifyAtStartJob, objects.verifySource, objects.verifySourceConfig, source.encrypted, "source"),
    });
  }

  return withCredentials({ configMaps, secrets, servers: [], jobs }, spec.credentials ?? "static-keys");
}
