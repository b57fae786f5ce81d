import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { DrSpec } from "../spec";
import { formatCpu, formatSize } from "../spec";
import type { S3Access } from "../storage/BackupStorage";
import { ownSnapshotStore, redisContainerLayout, sourceSnapshotStore, type SnapshotStore } from "./layout";
import { renderRedisAcl, renderRedisConf } from "./redisConf";
import { renderRestoreScript, renderSnapshotScript } from "./scripts";

/** redis_exporter, for redis_up and the AOF status metrics (design.md §6). */
export const REDIS_EXPORTER_IMAGE = "oliver006/redis_exporter:v1.62.0";
/** The aws CLI, for the upload and download halves of snapshots and restores. */
export const AWS_CLI_IMAGE = "amazon/aws-cli:2.17.0";
/** uid/gid of the redis user in the official image. */
const REDIS_UID = 999;

/** The label a pod needs for the NetworkPolicy to let it reach Redis. */
export const REDIS_CLIENT_LABEL = { "drkit.dev/redis-client": "true" };
/** The label of snapshot job pods. */
export const REDIS_SNAPSHOT_LABEL = { "drkit.dev/role": "redis-snapshot" };

export interface RedisServerArgs {
  /** The parsed stack spec. */
  spec: DrSpec;
  /** Namespace of every object. */
  namespace: pulumi.Input<string>;
  /** Write access to this stack's snapshot prefix. */
  snapshots: S3Access;
  /** Read access to the snapshots to restore from. Required for dr and drill stacks. */
  restoreSource?: S3Access;
}

/**
 * Redis with AOF on a volume and off-site RDB snapshots (design.md §5): a StatefulSet (with
 * restore-on-bootstrap init containers in dr/drill stacks), a redis_exporter sidecar, the
 * snapshot CronJob, a Secret with the password (in the ACL file, never in the ConfigMap),
 * Services, a PodDisruptionBudget and a NetworkPolicy.
 */
export class RedisServer extends pulumi.ComponentResource {
  /** In-cluster address, host:port. */
  public readonly endpoint: pulumi.Output<string>;
  /** Secret holding the password under `password`. */
  public readonly passwordSecretName: pulumi.Output<string>;
  /** Labels on the Redis pod (PodMonitors select on them). */
  public readonly podLabels: Record<string, string>;

  constructor(name: string, args: RedisServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:redis:RedisServer", name, {}, opts);
    const { spec, namespace } = args;
    const { redis } = spec;
    const restoring = spec.role !== "primary";
    if (restoring && !args.restoreSource) throw new Error(`a ${spec.role} stack's RedisServer needs restoreSource`);
    const layout = redisContainerLayout();
    const parent = { parent: this };
    const keep: pulumi.CustomResourceOptions = spec.role === "drill" ? {} : { protect: true, retainOnDelete: true };
    this.podLabels = {
      "app.kubernetes.io/name": "redis",
      "app.kubernetes.io/instance": `${spec.stack}-${name}`,
      "app.kubernetes.io/component": "cache",
      "app.kubernetes.io/part-of": "drkit",
      "app.kubernetes.io/managed-by": "pulumi",
    };
    const metadata = (suffix: string) => ({ name: suffix ? `${name}-${suffix}` : name, namespace, labels: this.podLabels });
    const host = pulumi.interpolate`${name}.${namespace}.svc`;
    this.endpoint = pulumi.interpolate`${host}:${layout.port}`;

    // --- secrets -------------------------------------------------------------------------
    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, parent).result;
    const auth = new k8s.core.v1.Secret(
      `${name}-auth`,
      {
        metadata: metadata("auth"),
        type: "Opaque",
        stringData: pulumi.secret({ password, "users.acl": password.apply((p) => renderRedisAcl(spec, p)) }),
      },
      parent,
    );
    this.passwordSecretName = auth.metadata.name;
    const s3Secret = (part: string, access: S3Access) =>
      new k8s.core.v1.Secret(
        `${name}-${part}`,
        {
          metadata: metadata(part),
          type: "Opaque",
          stringData: pulumi.secret({ AWS_ACCESS_KEY_ID: access.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: access.credentials.secretAccessKey }),
        },
        parent,
      );
    const snapshotCredentials = s3Secret("snapshot-s3", args.snapshots);
    const restoreCredentials = restoring && args.restoreSource ? s3Secret("restore-s3", args.restoreSource) : undefined;

    // --- configuration (no secrets) ----------------------------------------------------
    const source: SnapshotStore | undefined = restoring ? sourceSnapshotStore(spec) : undefined;
    const files = pulumi.output(host).apply((redisHost) => ({
      "redis.conf": renderRedisConf(spec, layout),
      "snapshot.sh": renderSnapshotScript(spec, layout, ownSnapshotStore(spec), redisHost),
      ...(source ? { "restore.sh": renderRestoreScript(spec, layout, source) } : {}),
    }));
    const config = new k8s.core.v1.ConfigMap(`${name}-config`, { metadata: metadata("config"), data: files }, parent);

    const serviceAccount = new k8s.core.v1.ServiceAccount(name, { metadata: metadata(""), automountServiceAccountToken: false }, parent);
    const hardened = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
    const resources = { cpu: formatCpu(redis.resources.cpu), memory: formatSize(redis.resources.memory) };
    const small = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } };
    const passwordEnv = (variable: string) => ({ name: variable, valueFrom: { secretKeyRef: { name: auth.metadata.name, key: "password" } } });
    const configMount = { name: "config", mountPath: layout.configDir, readOnly: true };
    const dataMount = { name: "data", mountPath: layout.dataDir };
    const workMount = { name: "work", mountPath: layout.workDir };
    const ping = ["sh", "-c", `redis-cli -p ${layout.port} --no-auth-warning ping | grep -q PONG`];

    // In a dr/drill stack an empty volume is filled from the newest good snapshot first.
    const restoreSteps = restoreCredentials
      ? [
          {
            name: "restore-fetch",
            image: AWS_CLI_IMAGE,
            command: ["bash", `${layout.configDir}/restore.sh`, "fetch"],
            envFrom: [{ secretRef: { name: restoreCredentials.metadata.name } }],
            resources: small,
            securityContext: hardened,
            volumeMounts: [configMount, dataMount, workMount, { name: "aws-home", mountPath: "/home/aws" }],
            env: [{ name: "HOME", value: "/home/aws" }],
          },
          {
            name: "restore-seed",
            image: redis.image,
            command: ["bash", `${layout.configDir}/restore.sh`, "seed"],
            resources: { requests: resources, limits: resources },
            securityContext: hardened,
            volumeMounts: [configMount, dataMount, workMount],
          },
        ]
      : [];

    new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: metadata(""),
        spec: {
          serviceName: `${name}-headless`,
          replicas: 1,
          selector: { matchLabels: this.podLabels },
          persistentVolumeClaimRetentionPolicy: spec.role === "drill" ? { whenDeleted: "Delete", whenScaled: "Delete" } : { whenDeleted: "Retain", whenScaled: "Retain" },
          template: {
            metadata: { labels: this.podLabels, annotations: { "drkit.dev/config-hash": files.apply((f) => createHash("sha256").update(JSON.stringify(f)).digest("hex").slice(0, 16)) } },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              automountServiceAccountToken: false,
              securityContext: { runAsUser: REDIS_UID, runAsGroup: REDIS_UID, fsGroup: REDIS_UID, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
              initContainers: restoreSteps,
              containers: [
                {
                  name: "redis",
                  image: redis.image,
                  command: ["redis-server", `${layout.configDir}/redis.conf`],
                  env: [passwordEnv("REDISCLI_AUTH")],
                  ports: [{ name: "redis", containerPort: layout.port }],
                  resources: { requests: resources, limits: resources },
                  securityContext: hardened,
                  volumeMounts: [configMount, dataMount, { name: "acl", mountPath: "/etc/drkit-redis-acl", readOnly: true }],
                  // Loading a large AOF takes a while: the startup probe allows for it.
                  startupProbe: { exec: { command: ping }, periodSeconds: 5, failureThreshold: 360 },
                  readinessProbe: { exec: { command: ping }, periodSeconds: 5 },
                  livenessProbe: { exec: { command: ping }, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
                },
                {
                  name: "exporter",
                  image: REDIS_EXPORTER_IMAGE,
                  env: [{ name: "REDIS_ADDR", value: `redis://127.0.0.1:${layout.port}` }, passwordEnv("REDIS_PASSWORD")],
                  ports: [{ name: "metrics", containerPort: 9121 }],
                  resources: small,
                  securityContext: hardened,
                },
              ],
              volumes: [
                { name: "config", configMap: { name: config.metadata.name, defaultMode: 0o444 } },
                { name: "acl", secret: { secretName: auth.metadata.name, items: [{ key: "users.acl", path: "users.acl" }], defaultMode: 0o440 } },
                { name: "work", emptyDir: { sizeLimit: formatSize(redis.maxmemory * 2) } },
                { name: "aws-home", emptyDir: { sizeLimit: "64Mi" } },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data", labels: this.podLabels },
              spec: {
                accessModes: ["ReadWriteOnce"],
                ...(redis.storage.storageClass ? { storageClassName: redis.storage.storageClass } : {}),
                resources: { requests: { storage: formatSize(redis.storage.size) } },
              },
            },
          ],
        },
      },
      { parent: this, ...keep },
    );

    new k8s.core.v1.Service(`${name}-headless`, { metadata: metadata("headless"), spec: { clusterIP: "None", selector: this.podLabels, ports: [{ name: "redis", port: layout.port }] } }, parent);
    new k8s.core.v1.Service(`${name}-client`, { metadata: metadata(""), spec: { selector: this.podLabels, ports: [{ name: "redis", port: layout.port, targetPort: "redis" }] } }, parent);
    new k8s.policy.v1.PodDisruptionBudget(name, { metadata: metadata(""), spec: { minAvailable: 1, selector: { matchLabels: this.podLabels } } }, parent);
    new k8s.networking.v1.NetworkPolicy(
      name,
      {
        metadata: metadata(""),
        spec: {
          podSelector: { matchLabels: this.podLabels },
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: [{ namespaceSelector: {}, podSelector: { matchLabels: REDIS_CLIENT_LABEL } }, { podSelector: { matchLabels: REDIS_SNAPSHOT_LABEL } }],
              ports: [{ protocol: "TCP", port: layout.port }],
            },
            { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": spec.alerts.namespace } } }], ports: [{ protocol: "TCP", port: 9121 }] },
          ],
        },
      },
      parent,
    );

    // --- off-site snapshots ----------------------------------------------------------------
    const interval = redis.snapshots.interval;
    new k8s.batch.v1.CronJob(
      `${name}-snapshot`,
      {
        metadata: metadata("snapshot"),
        spec: {
          schedule: redis.snapshots.schedule,
          timeZone: spec.timeZone,
          // One snapshot at a time; a run that could not start within half an interval is skipped.
          concurrencyPolicy: "Forbid",
          startingDeadlineSeconds: Math.max(30, Math.floor(interval / 2)),
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            metadata: { labels: { ...this.podLabels, ...REDIS_SNAPSHOT_LABEL } },
            spec: {
              backoffLimit: 2,
              // A snapshot that outlives its interval is late already: give the next run its turn.
              activeDeadlineSeconds: interval,
              ttlSecondsAfterFinished: 24 * 3600,
              template: {
                metadata: { labels: { ...this.podLabels, ...REDIS_SNAPSHOT_LABEL } },
                spec: {
                  restartPolicy: "Never",
                  serviceAccountName: serviceAccount.metadata.name,
                  automountServiceAccountToken: false,
                  securityContext: { runAsUser: REDIS_UID, runAsGroup: REDIS_UID, fsGroup: REDIS_UID, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
                  initContainers: [
                    {
                      name: "dump",
                      image: redis.image,
                      command: ["bash", `${layout.configDir}/snapshot.sh`, "dump"],
                      env: [passwordEnv("REDISCLI_AUTH")],
                      resources: small,
                      securityContext: hardened,
                      volumeMounts: [configMount, workMount],
                    },
                  ],
                  containers: [
                    {
                      name: "upload",
                      image: AWS_CLI_IMAGE,
                      command: ["bash", `${layout.configDir}/snapshot.sh`, "upload"],
                      envFrom: [{ secretRef: { name: snapshotCredentials.metadata.name } }],
                      env: [{ name: "HOME", value: "/home/aws" }],
                      resources: small,
                      securityContext: hardened,
                      volumeMounts: [configMount, workMount, { name: "aws-home", mountPath: "/home/aws" }],
                    },
                  ],
                  volumes: [
                    { name: "config", configMap: { name: config.metadata.name, defaultMode: 0o444 } },
                    { name: "work", emptyDir: { sizeLimit: formatSize(redis.maxmemory * 2) } },
                    { name: "aws-home", emptyDir: { sizeLimit: "64Mi" } },
                  ],
                },
              },
            },
          },
        },
      },
      parent,
    );

    this.registerOutputs({ endpoint: this.endpoint, passwordSecretName: this.passwordSecretName });
  }
}
