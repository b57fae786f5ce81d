import * as pulumi from "@pulumi/pulumi";
import type { PostgresCluster } from "../postgres/PostgresCluster";
import type { S3Access } from "../storage/BackupStorage";
import { configObjects, jobObject } from "../workloads/kubernetes";
import { postgresObjects } from "../workloads/names";
import type { S3Identity, SecretValue } from "../workloads/plan";
import { planAccess } from "../storage/WorkloadRole";
import type { WorkloadIdentityArgs } from "../workloads/webIdentity";
import { repositoryAt } from "../postgres/layout";
import { storeAt } from "../redis/layout";
import { backupLabels, backupPlan, type BackupInput } from "./plan";
import type { HostPlacement } from "../host/placement";

export interface BackupScheduleArgs {
  /**
   * The cluster the jobs back up: they are built from its settings and repositories, named after
   * it, and reach it through its pgBackRest server in its namespace.
   */
  cluster: PostgresCluster;
  /** Namespace of every object: the cluster's. */
  namespace: pulumi.Input<string>;
  /** Time zone of the schedules (an IANA name, `drkit:timeZone`). @default "UTC" */
  timeZone?: string;
  /** drkit's images (`DrkitImages.refs`): backups and verification run in `postgres`, uploads and the gateway client in `jobs`. */
  images: { postgres: pulumi.Input<string>; jobs: pulumi.Input<string> };
  /** Write access to the cluster's pgBackRest repository (backups): `BackupStorage.writers.pgbackrest`. */
  repository: S3Access;
  /** Read-only access to the same repository (restore verification): `BackupStorage.repositoryReader`. */
  repositoryReader: S3Access;
  /** Read-only access to the repository's replica, when the bucket replicates (the archive check measures the lag). */
  replicaRepositoryReader?: S3Access;
  /** Write access to where the dumps go: required when the cluster's `postgres.dumps.enabled`. */
  dumps?: S3Access;
  /** Read access to the repository the cluster restored from: a drill verifies it at once. Required for a drill. */
  restoreSource?: S3Access;
  /**
   * Write access to the copy (`BackupStorage.copy.writers`): the repository the backups are also
   * taken to (required when the cluster was given a copy) and the dumps' prefix there, with the
   * copy's own dump retention (seconds) and count. @default none
   */
  copy?: { repository: S3Access; dumps?: S3Access; dumpRetention: { retention: number; keepLast: number } };
  /** The source repository's passphrase (a drill whose source is encrypted). */
  sourceCipherPassphrase?: pulumi.Input<string>;
  /**
   * Roles for service accounts (IRSA): each pod that reaches the bucket assumes a role of its own,
   * and no key is created or held. Needs accesses made with `credentials: "web-identity"`.
   * @default none: the accesses' static keys, in Secrets
   */
  workloadIdentity?: WorkloadIdentityArgs;
  /**
   * Place the plan on a Docker host (`DockerHost` maps it) instead of creating Kubernetes
   * objects. @default Kubernetes
   */
  placement?: HostPlacement;
}

/**
 * The scheduled jobs that make backups real: the Kubernetes mapping of `backupPlan` (pgBackRest
 * full, differential and incremental backups over mutual TLS, logical dumps, the restore
 * verification as CronJobs; in a drill stack the verification of the source also as a Job that
 * runs at deployment).
 */
export class BackupSchedule extends pulumi.ComponentResource {
  /** The CronJobs by role: full, diff, incr, dump, verify, archiveCheck. */
  /** The IAM roles its pods assume, by ServiceAccount (none with static keys). */
  public readonly workloadRoleArns: Record<string, pulumi.Output<string>>;
  public readonly cronJobNames: Record<string, string>;

  constructor(name: string, args: BackupScheduleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:backup:BackupSchedule", name, {}, opts);
    const { cluster } = args;
    const clusterName = cluster.workloadName;
    const { postgres, role } = cluster.input;
    if (postgres.dumps.enabled && !args.dumps) throw new Error(`BackupSchedule '${name}' needs dumps (BackupStorage.writers.dumps): the cluster's postgres.dumps.enabled is true`);
    if (role === "drill" && !args.restoreSource) throw new Error(`BackupSchedule '${name}' needs restoreSource: a drill verifies the backups it restored from`);
    const replica = args.replicaRepositoryReader?.location;
    const input: BackupInput = {
      ...cluster.input,
      credentials: args.workloadIdentity ? "web-identity" : "static-keys",
      timeZone: args.timeZone ?? "UTC",
      ...(args.dumps && postgres.dumps.enabled ? { dumps: storeAt(args.dumps.location) } : {}),
      ...(replica ? { replica: repositoryAt(replica, postgres.backups.stanza, postgres.backups.encrypt) } : {}),
      ...(args.copy?.dumps && postgres.dumps.enabled ? { dumpsCopy: { store: storeAt(args.copy.dumps.location), ...args.copy.dumpRetention } } : {}),
    };
    if (cluster.input.copy && !args.copy) throw new Error(`BackupSchedule '${name}' needs copy (BackupStorage.copy.writers): the cluster archives to a copy, which its backups must reach too`);
    const plan = backupPlan(input, { cluster: clusterName });
    const accesses: Partial<Record<S3Identity, S3Access>> = {
      pgbackrest: args.repository,
      pgbackrestReader: args.repositoryReader,
      ...(args.replicaRepositoryReader ? { pgbackrestReplica: args.replicaRepositoryReader } : {}),
      ...(args.restoreSource ? { pgbackrestSource: args.restoreSource } : {}),
      ...(args.dumps ? { dumps: args.dumps } : {}),
      ...(args.copy ? { pgbackrestCopy: args.copy.repository } : {}),
      ...(args.copy?.dumps ? { dumpsCopy: args.copy.dumps } : {}),
    };
    const access = planAccess(`BackupSchedule '${name}'`, plan, { accesses, namespace: args.namespace, ...(args.workloadIdentity ? { workloadIdentity: args.workloadIdentity } : {}) }, this);
    this.workloadRoleArns = access.roleArns;
    const secretValue = (value: SecretValue): pulumi.Input<string> => {
      switch (value.kind) {
        case "s3Key":
          return access.s3Key(value);
        case "cipher":
          if (value.repository === "own") return cluster.repoCipherPassphrase;
          if (!args.sourceCipherPassphrase) throw new Error(`BackupSchedule '${name}' needs sourceCipherPassphrase: the source repository is encrypted`);
          return args.sourceCipherPassphrase;
        default:
          throw new Error(`a backup plan has no ${value.kind} secret of its own`);
      }
    };
    if (args.placement) {
      args.placement.add(`BackupSchedule '${name}'`, plan, secretValue);
    } else {
      const mapping = { namespace: args.namespace, images: args.images, secretValue, labels: backupLabels(cluster.input.stack, clusterName), roleArn: access.roleArn };
      const { secrets, configMaps } = configObjects(plan, mapping, this);
      // The jobs also read the cluster's Secrets (owner passwords, the client certificate).
      const dependsOn: pulumi.Resource[] = [...Object.values(secrets), ...Object.values(configMaps), cluster];
      for (const job of plan.jobs) {
        // A Job that runs at deployment is reported by `pulumi up` as soon as it ends.
        const timeouts = job.schedule ? {} : { customTimeouts: { create: `${Math.ceil(job.activeDeadlineSeconds / 60)}m` } };
        jobObject(job, mapping, { parent: this, dependsOn, ...timeouts });
      }
    }
    const objects = postgresObjects(clusterName);
    const byRole = { full: objects.backupJob("full"), diff: objects.backupJob("diff"), incr: objects.backupJob("incr"), dump: objects.dumpJob, verify: objects.verifyJob, archiveCheck: objects.archiveCheckJob };
    const scheduled = new Set(plan.jobs.filter((job) => job.schedule).map((job) => job.name));
    this.cronJobNames = Object.fromEntries(Object.entries(byRole).filter(([, jobName]) => scheduled.has(jobName)));
    this.registerOutputs({ cronJobNames: this.cronJobNames });
  }
}
