import { snapshotRunDeadline, snapshotStartingDeadline } from "../config";
import { configHash } from "../postgres/plan";
import { ENV, PATH, PORT, REDIS_ACL_KEY, REDIS_PASSWORD_KEY, TLS_KEYS, UID, redisObjects } from "../workloads/names";
import type { RedisInput } from "./input";
import type { ContainerPlan, EnvSource, JobPlan, Mount, Probe, SecretValue, VolumePlan, WorkloadPlan } from "../workloads/plan";
import { withCredentials } from "../workloads/webIdentity";
import { redisContainerLayout } from "./layout";
import { redisCliTls, renderRedisConf } from "./redisConf";
import { renderRestoreScript, renderSnapshotScript } from "./scripts";

/** The label a pod needs for the NetworkPolicy to let it reach Redis. */
export const REDIS_CLIENT_LABEL = { "drkit.dev/redis-client": "true" };
/** The label of snapshot job pods. */
export const REDIS_SNAPSHOT_LABEL = { "drkit.dev/role": "redis-snapshot" };

export interface RedisPlanOptions {
  /** The server's name: every object name derives from it. @default "redis" */
  name?: string;
}

/** Labels of the Redis pod (the Services, the PodDisruptionBudget and the PodMonitor select on them). */
export function redisPodLabels(stack: string, name = "redis"): Record<string, string> {
  return {
    "app.kubernetes.io/name": "redis",
    "app.kubernetes.io/instance": `${stack}-${name}`,
    "app.kubernetes.io/component": "cache",
    "app.kubernetes.io/part-of": "drkit",
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/**
 * Labels of the snapshot job pods: never the Redis pod's own, which the PodDisruptionBudget and
 * the Services select on.
 */
export function redisSnapshotLabels(stack: string, name = "redis"): Record<string, string> {
  return {
    "app.kubernetes.io/name": "redis-snapshot",
    "app.kubernetes.io/instance": `${stack}-${name}`,
    "app.kubernetes.io/component": "backup",
    "app.kubernetes.io/part-of": "drkit",
    ...REDIS_SNAPSHOT_LABEL,
  };
}

const SMALL = { requests: { cpu: 50, memory: 64 * 2 ** 20 }, limits: { cpu: 500, memory: 256 * 2 ** 20 } };

/**
 * Redis with AOF on a volume and off-site RDB snapshots: the pod (restore init
 * containers in dr/drill stacks, redis, the exporter) and the snapshot job.
 */
export function redisPlan(spec: RedisInput, options: RedisPlanOptions = {}): WorkloadPlan {
  const name = options.name ?? "redis";
  const objects = redisObjects(name);
  const { redis } = spec;
  const layout = redisContainerLayout();
  // The snapshot job runs in the server's namespace and reaches it by its Service's name there.
  const host = objects.client;
  // Snapshots off: nothing leaves the pod, and a dr/drill stack starts empty whatever the bucket holds.
  const snapshotsOn = redis.snapshots.enabled;
  const own = snapshotsOn ? spec.snapshots : undefined;
  if (snapshotsOn && !own) throw new Error("the Redis plan needs the snapshots' store when redis.snapshots.enabled is true");
  const source = spec.role === "primary" || !snapshotsOn ? undefined : spec.source;
  const copy = own ? spec.snapshotsCopy : undefined;
  if (spec.role !== "primary" && snapshotsOn && !source) throw new Error(`a ${spec.role} stack's Redis needs the snapshots to seed from (drkit:redis.restoreFrom)`);

  const files: Record<string, string> = {
    "redis.conf": renderRedisConf(spec, layout),
    ...(own ? { "snapshot.sh": renderSnapshotScript(spec, layout, own, host) } : {}),
    ...(copy ? { "snapshot-copy.sh": renderSnapshotScript(spec, layout, copy.store, host, copy.keep) } : {}),
    ...(source ? { "restore.sh": renderRestoreScript(spec, layout, source) } : {}),
  };
  const s3Secret = (identity: "redis" | "redisSource" | "redisCopy"): Record<string, SecretValue> => ({
    [ENV.awsKeyId]: { kind: "s3Key", identity, part: "id" },
    [ENV.awsSecret]: { kind: "s3Key", identity, part: "secret" },
  });
  const password: EnvSource = { secret: objects.auth, key: REDIS_PASSWORD_KEY };
  const s3Env = (secret: string): [string, EnvSource][] => [
    [ENV.awsKeyId, { secret, key: ENV.awsKeyId }],
    [ENV.awsSecret, { secret, key: ENV.awsSecret }],
    // The aws CLI keeps its cache in HOME; the root filesystem is read-only.
    ["HOME", { value: PATH.tmp }],
  ];
  const resources = { cpu: redis.resources.cpu, memory: redis.resources.memory };
  const configMount: Mount = { volume: "config", path: layout.configDir, readOnly: true };
  const dataMount: Mount = { volume: "data", path: layout.dataDir };
  const workMount: Mount = { volume: "work", path: layout.workDir };
  const tmpMount: Mount = { volume: "tmp", path: PATH.tmp };
  const tls = redis.tls;
  const caFile = `${layout.tlsDir}/ca.crt`;
  const ping: Probe["exec"] = ["sh", "-c", `redis-cli -p ${layout.port} ${redisCliTls(tls, caFile).join(" ")} --no-auth-warning ping | grep -q PONG`];
  // The server mounts its pair and CA; a client (the snapshot job) the CA alone, from the auth Secret.
  const tlsVolume: VolumePlan = { name: "tls", kind: "secret", object: objects.tls, items: [...TLS_KEYS], mode: 0o440 };
  const caVolume: VolumePlan = { name: "redis-ca", kind: "secret", object: objects.auth, items: ["ca.crt"], mode: 0o444 };
  const tlsMount: Mount = { volume: "tls", path: layout.tlsDir, readOnly: true };
  const caMount: Mount = { volume: "redis-ca", path: layout.tlsDir, readOnly: true };
  const configVolume: VolumePlan = { name: "config", kind: "configMap", object: objects.config, mode: 0o444 };
  const work: VolumePlan = { name: "work", kind: "scratch", size: redis.maxmemory * 2 };
  const tmp: VolumePlan = { name: "tmp", kind: "scratch", size: 64 * 2 ** 20 };
  const security = { uid: UID.redis, gid: UID.redis, fsGroup: UID.redis, fsGroupChangePolicy: "OnRootMismatch" as const };

  // In a dr/drill stack an empty volume is filled from the newest good snapshot first.
  const restoreSteps: ContainerPlan[] = source
    ? [
        {
          name: "restore-fetch",
          image: "jobs",
          command: ["bash", `${layout.configDir}/restore.sh`, "fetch"],
          env: s3Env(objects.restoreCredentials),
          mounts: [configMount, dataMount, workMount, tmpMount],
          ports: [],
          ...SMALL,
        },
        {
          name: "restore-seed",
          image: "redis",
          command: ["bash", `${layout.configDir}/restore.sh`, "seed"],
          env: [],
          mounts: [configMount, dataMount, workMount],
          ports: [],
          requests: resources,
          limits: resources,
        },
      ]
    : [];

  const snapshotJob: JobPlan | undefined = own && {
    name: objects.snapshotJob,
    schedule: redis.snapshots.schedule,
    timeZone: spec.timeZone,
    // Together with the interval, these bound the newest snapshot's age below the age
    // RedisSnapshotTooOld pages at (the review refuses an interval that does not fit).
    startingDeadlineSeconds: snapshotStartingDeadline(redis.snapshots.interval),
    activeDeadlineSeconds: snapshotRunDeadline(redis.snapshots.interval, redis.maxmemory),
    backoffLimit: 2,
    pod: {
      name: objects.snapshotJob,
      labels: redisSnapshotLabels(spec.stack, name),
      annotations: {},
      security: { uid: UID.jobs, gid: UID.jobs, fsGroup: UID.jobs, fsGroupChangePolicy: "OnRootMismatch" },
      initContainers: [
        {
          name: "dump",
          image: "jobs",
          command: ["bash", `${layout.configDir}/snapshot.sh`, "dump"],
          env: [[ENV.redisPassword, password]],
          mounts: [configMount, workMount, ...(tls ? [caMount] : [])],
          ports: [],
          ...SMALL,
        },
      ],
      containers: [
        {
          name: "upload",
          image: "jobs",
          command: ["bash", `${layout.configDir}/snapshot.sh`, "upload"],
          env: s3Env(objects.snapshotCredentials),
          mounts: [configMount, workMount, tmpMount],
          ports: [],
          ...SMALL,
        },
        // The copy's upload runs beside the bucket's: an outage of either store leaves the
        // other's snapshots current; the job fails when either fails.
        ...(copy
          ? [
              {
                name: "upload-copy",
                image: "jobs" as const,
                command: ["bash", `${layout.configDir}/snapshot-copy.sh`, "upload"],
                env: s3Env(objects.snapshotCopyCredentials),
                mounts: [configMount, workMount, tmpMount],
                ports: [],
                ...SMALL,
              },
            ]
          : []),
      ],
      volumes: [configVolume, work, tmp, ...(tls ? [caVolume] : [])],
      restartPolicy: "Never",
      terminationGracePeriodSeconds: 30,
      objectStorage: true,
    },
  };

  return withCredentials({
    configMaps: [{ name: objects.config, files }],
    secrets: [
      {
        name: objects.auth,
        data: {
          [REDIS_PASSWORD_KEY]: { kind: "password", id: "redis" },
          [REDIS_ACL_KEY]: { kind: "redisAcl", passwordId: "redis" },
          // What a client needs to verify the server, next to the password it logs in with.
          ...(tls ? { "ca.crt": { kind: "redisTls", part: "ca.crt" } as SecretValue } : {}),
        },
      },
      ...(tls ? [{ name: objects.tls, data: Object.fromEntries(TLS_KEYS.map((part) => [part, { kind: "redisTls", part } as SecretValue])) }] : []),
      ...(own ? [{ name: objects.snapshotCredentials, data: s3Secret("redis") }] : []),
      ...(copy ? [{ name: objects.snapshotCopyCredentials, data: s3Secret("redisCopy") }] : []),
      ...(source ? [{ name: objects.restoreCredentials, data: s3Secret("redisSource") }] : []),
    ],
    servers: [
      {
        pod: {
          name: objects.statefulSet,
          labels: redisPodLabels(spec.stack, name),
          annotations: { "drkit.dev/config-hash": configHash(files) },
          security,
          initContainers: restoreSteps,
          containers: [
            {
              name: "redis",
              image: "redis",
              command: ["redis-server", `${layout.configDir}/redis.conf`],
              env: [[ENV.redisPassword, password]],
              mounts: [configMount, dataMount, { volume: "acl", path: PATH.redisAclDir, readOnly: true }, ...(tls ? [tlsMount] : [])],
              ports: [{ name: "redis", port: layout.port }],
              requests: resources,
              limits: resources,
              // Loading a large AOF takes a while: the startup probe allows for it.
              startupProbe: { exec: ping, periodSeconds: 5, failureThreshold: 360 },
              readinessProbe: { exec: ping, periodSeconds: 5 },
              livenessProbe: { exec: ping, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
            },
            {
              name: "exporter",
              image: "redis",
              // Over TLS like every client when it is on; loopback, so not verified (as PostgreSQL's exporter).
              command: ["prometheus-redis-exporter", `-web.listen-address=:${PORT.redisMetrics}`, ...(tls ? ["-skip-tls-verification"] : [])],
              env: [
                ["REDIS_ADDR", { value: `${tls ? "rediss" : "redis"}://127.0.0.1:${layout.port}` }],
                ["REDIS_PASSWORD", password],
              ],
              mounts: [],
              ports: [{ name: "metrics", port: PORT.redisMetrics }],
              ...SMALL,
              readinessProbe: { http: { path: "/metrics", port: PORT.redisMetrics }, periodSeconds: 15 },
            },
          ],
          volumes: [
            { name: "data", kind: "data", size: redis.storage.size, ...(redis.storage.storageClass ? { storageClass: redis.storage.storageClass } : {}) },
            configVolume,
            { name: "acl", kind: "secret", object: objects.auth, items: [REDIS_ACL_KEY], mode: 0o440 },
            work,
            ...(source ? [tmp] : []),
            ...(tls ? [tlsVolume] : []),
          ],
          restartPolicy: "Always",
          terminationGracePeriodSeconds: 60,
          // Only a dr/drill server fetches a snapshot (its restore step); a primary's never leaves the cluster.
          objectStorage: source !== undefined,
        },
        headlessService: objects.headless,
        services: [
          { name: objects.headless, headless: true, ports: [{ name: "redis", port: layout.port }] },
          { name: objects.client, headless: false, ports: [{ name: "redis", port: layout.port }] },
        ],
        retainData: spec.role !== "drill",
      },
    ],
    jobs: snapshotJob ? [snapshotJob] : [],
  }, spec.credentials ?? "static-keys");
}
