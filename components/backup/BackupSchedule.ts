import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { backupCronJobName, dumpCronJobName, verifyCronJobName } from "../alerts/targets";
import { ownerPasswordVariable } from "../postgres/bootstrap";
import { containerLayout, ownRepository, sourceRepository } from "../postgres/layout";
import { PGBACKREST_TLS_PORT } from "../postgres/pgbackrestConf";
import { BACKUP_JOB_LABEL, POSTGRES_CLIENT_LABEL, type PostgresCluster } from "../postgres/PostgresCluster";
import { AWS_CLI_IMAGE } from "../redis/RedisServer";
import type { DrSpec } from "../spec";
import { formatSize, longestGap } from "../spec";
import type { S3Access } from "../storage/BackupStorage";
import { s3Endpoint } from "../storage/paths";
import { backupJobLayout, deadlineForData } from "./layout";
import { renderBackupJobConf, renderBackupScript, renderDumpScript, renderVerifyConf, renderVerifyScript } from "./render";

const POSTGRES_UID = 999;

export interface BackupScheduleArgs {
  /** The parsed stack spec. */
  spec: DrSpec;
  /** Namespace of every object (the cluster's). */
  namespace: pulumi.Input<string>;
  /** The PostgreSQL + pgBackRest image (the cluster's). */
  image: pulumi.Input<string>;
  /** The cluster the jobs back up, and its name (CronJobs are named after it). */
  cluster: PostgresCluster;
  clusterName: string;
  /** Write access to the pgBackRest repository prefix (backups). */
  repository: S3Access;
  /** Read-only access to the same prefix (restore verification). */
  repositoryReader: S3Access;
  /** Write access to the dumps prefix, when dumps are enabled. */
  dumps?: S3Access;
  /** Read access to the source repository: a drill verifies the backups it restored from, at once. */
  restoreSource?: S3Access;
  /** The source repository's passphrase (drill). */
  sourceCipherPassphrase?: pulumi.Input<string>;
}

/**
 * The scheduled jobs that make backups real (design.md §4, §5): pgBackRest full, differential
 * and incremental backups over mutual TLS, logical dumps of every database for the long-term
 * tier, and a restore verification that measures the restore time against the RTO. In a drill
 * stack the verification also runs once at start, against the repository it restored from.
 */
export class BackupSchedule extends pulumi.ComponentResource {
  /** The CronJobs by role: full, diff, incr, dump, verify. */
  public readonly cronJobNames: Record<string, string>;

  constructor(name: string, args: BackupScheduleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:backup:BackupSchedule", name, {}, opts);
    const { spec, namespace, cluster, clusterName } = args;
    const { postgres } = spec;
    const parent = { parent: this };
    const layout = backupJobLayout(containerLayout(postgres.version));
    const labels = { "app.kubernetes.io/part-of": "drkit", "app.kubernetes.io/component": "backup", "app.kubernetes.io/instance": `${spec.stack}-${clusterName}` };
    const metadata = (objectName: string) => ({ name: objectName, namespace, labels });

    // --- configuration and credentials ------------------------------------------------------
    const dumpStore = { bucket: spec.storage.bucket, region: spec.region, endpointUrl: `https://${s3Endpoint(spec.storage.provider, spec.region)}`, verifyTls: true, prefix: spec.storage.lifecycle.dumps.prefix };
    const files = pulumi.all([cluster.pgbackrestHost, cluster.host]).apply(([pgbackrestHost, host]) => ({
      "pgbackrest.conf": renderBackupJobConf(spec, layout, ownRepository(spec), pgbackrestHost, PGBACKREST_TLS_PORT),
      "verify.conf": renderVerifyConf(spec, layout, ownRepository(spec)),
      "backup.sh": renderBackupScript(spec, layout),
      "verify.sh": renderVerifyScript(spec, layout, `/usr/lib/postgresql/${postgres.version}/bin`),
      ...(postgres.dumps.enabled ? { "dump.sh": renderDumpScript(spec, layout, dumpStore, host) } : {}),
    }));
    const config = new k8s.core.v1.ConfigMap(`${name}-config`, { metadata: metadata(`${clusterName}-backup-config`), data: files }, parent);
    const repositorySecret = new k8s.core.v1.Secret(
      `${name}-repository`,
      {
        metadata: metadata(`${clusterName}-backup-repository`),
        type: "Opaque",
        stringData: pulumi.secret({
          PGBACKREST_REPO1_S3_KEY: args.repository.credentials.accessKeyId,
          PGBACKREST_REPO1_S3_KEY_SECRET: args.repository.credentials.secretAccessKey,
          ...(postgres.backups.encrypt ? { PGBACKREST_REPO1_CIPHER_PASS: cluster.repoCipherPassphrase } : {}),
        }),
      },
      parent,
    );

    const verifySecret = new k8s.core.v1.Secret(
      `${name}-verify-repository`,
      {
        metadata: metadata(`${clusterName}-verify-repository`),
        type: "Opaque",
        stringData: pulumi.secret({
          PGBACKREST_REPO1_S3_KEY: args.repositoryReader.credentials.accessKeyId,
          PGBACKREST_REPO1_S3_KEY_SECRET: args.repositoryReader.credentials.secretAccessKey,
          ...(postgres.backups.encrypt ? { PGBACKREST_REPO1_CIPHER_PASS: cluster.repoCipherPassphrase } : {}),
        }),
      },
      parent,
    );

    const hardened = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
    const podSecurity = { runAsUser: POSTGRES_UID, runAsGroup: POSTGRES_UID, fsGroup: POSTGRES_UID, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
    const jobResources = { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "2", memory: "1Gi" } };
    const configVolume = { name: "config", configMap: { name: config.metadata.name, defaultMode: 0o444 } };
    const configMount = { name: "config", mountPath: layout.configDir, readOnly: true };
    const tmp = { volume: { name: "tmp", emptyDir: { sizeLimit: "256Mi" } }, mount: { name: "tmp", mountPath: "/tmp" } };
    // Scratch space for a whole dump or a whole restored cluster: as large as the data volume.
    const scratch = {
      name: "work",
      ephemeral: {
        volumeClaimTemplate: {
          spec: {
            accessModes: ["ReadWriteOnce"],
            ...(postgres.storage.storageClass ? { storageClassName: postgres.storage.storageClass } : {}),
            resources: { requests: { storage: formatSize(postgres.storage.size) } },
          },
        },
      },
    };
    const dataDeadline = deadlineForData(postgres.storage.size);

    const cronJob = (objectName: string, schedule: string, deadline: number, podLabels: Record<string, string>, pod: k8s.types.input.core.v1.PodSpec) =>
      new k8s.batch.v1.CronJob(
        `${name}-${objectName}`,
        {
          metadata: metadata(objectName),
          spec: {
            schedule,
            timeZone: spec.timeZone,
            concurrencyPolicy: "Forbid",
            // A run that could not start within a quarter of its interval (at most an hour) is skipped.
            startingDeadlineSeconds: Math.min(3600, Math.max(60, Math.floor(longestGap(schedule, spec.timeZone) / 4))),
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            jobTemplate: {
              metadata: { labels: { ...labels, ...podLabels } },
              spec: {
                backoffLimit: 2,
                activeDeadlineSeconds: deadline,
                ttlSecondsAfterFinished: 24 * 3600,
                template: { metadata: { labels: { ...labels, ...podLabels } }, spec: { restartPolicy: "Never", automountServiceAccountToken: false, securityContext: podSecurity, ...pod } },
              },
            },
          },
        },
        parent,
      );

    // --- pgBackRest backups over mutual TLS ---------------------------------------------------
    this.cronJobNames = {};
    const schedules: [("full" | "diff" | "incr"), string | null][] = [
      ["full", postgres.backups.full],
      ["diff", postgres.backups.diff],
      ["incr", postgres.backups.incr],
    ];
    for (const [kind, schedule] of schedules) {
      if (!schedule) continue;
      const jobName = backupCronJobName(clusterName, kind);
      this.cronJobNames[kind] = jobName;
      cronJob(jobName, schedule, dataDeadline, BACKUP_JOB_LABEL, {
        containers: [
          {
            name: "backup",
            image: args.image,
            command: ["bash", `${layout.configDir}/backup.sh`, kind],
            envFrom: [{ secretRef: { name: repositorySecret.metadata.name } }],
            resources: jobResources,
            securityContext: hardened,
            volumeMounts: [configMount, { name: "tls", mountPath: layout.tlsDir, readOnly: true }, tmp.mount],
          },
        ],
        volumes: [configVolume, { name: "tls", secret: { secretName: cluster.backupClientSecretName, defaultMode: 0o440 } }, tmp.volume],
      });
    }

    // --- logical dumps ----------------------------------------------------------------------
    if (postgres.dumps.enabled) {
      if (!args.dumps) throw new Error("BackupSchedule needs dumps access when drkit:postgres.dumps.enabled is true");
      const dumpSecret = new k8s.core.v1.Secret(
        `${name}-dumps-s3`,
        {
          metadata: metadata(`${clusterName}-dumps-s3`),
          type: "Opaque",
          stringData: pulumi.secret({ AWS_ACCESS_KEY_ID: args.dumps.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: args.dumps.credentials.secretAccessKey }),
        },
        parent,
      );
      const owners = [...new Set(postgres.databases.map((db) => db.owner))];
      const jobName = dumpCronJobName(clusterName);
      this.cronJobNames["dump"] = jobName;
      cronJob(jobName, postgres.dumps.schedule, dataDeadline, POSTGRES_CLIENT_LABEL, {
        initContainers: [
          {
            name: "dump",
            image: args.image,
            command: ["bash", `${layout.configDir}/dump.sh`, "dump"],
            env: owners.map((owner) => ({ name: ownerPasswordVariable(owner), valueFrom: { secretKeyRef: { name: cluster.credentialsSecretName, key: ownerPasswordVariable(owner) } } })),
            resources: jobResources,
            securityContext: hardened,
            volumeMounts: [configMount, { name: "work", mountPath: layout.workDir }, tmp.mount],
          },
        ],
        containers: [
          {
            name: "upload",
            image: AWS_CLI_IMAGE,
            command: ["bash", `${layout.configDir}/dump.sh`, "upload"],
            envFrom: [{ secretRef: { name: dumpSecret.metadata.name } }],
            env: [{ name: "HOME", value: "/tmp" }],
            resources: jobResources,
            securityContext: hardened,
            volumeMounts: [configMount, { name: "work", mountPath: layout.workDir }, tmp.mount],
          },
        ],
        volumes: [configVolume, scratch, tmp.volume],
      });
    }

    // --- restore verification ---------------------------------------------------------------
    const verifyPod = (secretName: pulumi.Input<string>, configName: pulumi.Input<string>): k8s.types.input.core.v1.PodSpec => ({
      containers: [
        {
          name: "verify",
          image: args.image,
          command: ["bash", `${layout.configDir}/verify.sh`],
          envFrom: [{ secretRef: { name: secretName } }],
          resources: { requests: jobResources.requests, limits: { cpu: "2", memory: formatSize(postgres.resources.memory) } },
          securityContext: hardened,
          volumeMounts: [configMount, { name: "work", mountPath: layout.workDir }, tmp.mount],
        },
      ],
      volumes: [{ name: "config", configMap: { name: configName, defaultMode: 0o444 } }, scratch, tmp.volume],
    });
    const verifyDeadline = dataDeadline + spec.objectives.postgres.rto;
    const verifyName = verifyCronJobName(clusterName);
    this.cronJobNames["verify"] = verifyName;
    cronJob(verifyName, postgres.verification.schedule, verifyDeadline, {}, verifyPod(verifySecret.metadata.name, config.metadata.name));

    if (spec.role === "drill") {
      // The drill's point: prove the source's backups restore within the RTO, at once.
      const source = sourceRepository(spec);
      if (!source || !args.restoreSource) throw new Error("a drill's BackupSchedule needs restoreSource");
      const sourceConfig = new k8s.core.v1.ConfigMap(
        `${name}-verify-source-config`,
        { metadata: metadata(`${clusterName}-verify-source-config`), data: { "verify.conf": renderVerifyConf(spec, layout, source), "verify.sh": renderVerifyScript(spec, layout, `/usr/lib/postgresql/${postgres.version}/bin`) } },
        parent,
      );
      const sourceSecret = new k8s.core.v1.Secret(
        `${name}-verify-source`,
        {
          metadata: metadata(`${clusterName}-verify-source`),
          type: "Opaque",
          stringData: pulumi.secret({
            PGBACKREST_REPO1_S3_KEY: args.restoreSource.credentials.accessKeyId,
            PGBACKREST_REPO1_S3_KEY_SECRET: args.restoreSource.credentials.secretAccessKey,
            ...(source.encrypted && args.sourceCipherPassphrase ? { PGBACKREST_REPO1_CIPHER_PASS: args.sourceCipherPassphrase } : {}),
          }),
        },
        parent,
      );
      new k8s.batch.v1.Job(
        `${name}-verify-at-start`,
        {
          metadata: metadata(`${verifyName}-at-start`),
          spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: verifyDeadline,
            template: { metadata: { labels }, spec: { restartPolicy: "Never", automountServiceAccountToken: false, securityContext: podSecurity, ...verifyPod(sourceSecret.metadata.name, sourceConfig.metadata.name) } },
          },
        },
        // Reported by `pulumi up` as soon as it runs; the stack stays up either way.
        { parent: this, customTimeouts: { create: `${Math.ceil(verifyDeadline / 60)}m` } },
      );
    }

    this.registerOutputs({ cronJobNames: this.cronJobNames });
  }
}
