import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { RedisSpec, Role } from "../config";
import type { S3Access } from "../storage/BackupStorage";
import { planAccess } from "../storage/WorkloadRole";
import type { WorkloadIdentityArgs } from "../workloads/webIdentity";
import { clientPeers, configObjects, jobObject, serverNetworkPolicy, serverObjects } from "../workloads/kubernetes";
import { certificateAuthority } from "../workloads/certificates";
import { PORT, redisObjects, redisServerNames, serviceHost } from "../workloads/names";
import type { SecretValue } from "../workloads/plan";
import type { RedisInput } from "./input";
import { storeAt } from "./layout";
import { REDIS_CLIENT_LABEL, REDIS_SNAPSHOT_LABEL, redisPlan } from "./plan";
import { renderRedisAcl } from "./redisConf";
import type { HostPlacement } from "../host/placement";

export { REDIS_CLIENT_LABEL, REDIS_SNAPSHOT_LABEL };

export interface RedisServerArgs {
  /** The stack's name: pod labels and configuration comments. */
  stack: string;
  /**
   * What an empty data volume gets: `primary` starts empty; `dr` and `drill` seed it from the
   * newest complete snapshot at `restoreSource`. Outside `drill`, the data is protected and retained.
   * @default "primary"
   */
  role?: Role;
  /** Namespace of every object (a Namespace resource's name, or the name of one that exists). */
  namespace: pulumi.Input<string>;
  /** Namespaces besides `namespace` whose pods labelled `drkit.dev/redis-client` may connect. @default [] */
  clientNamespaces?: string[];
  /** The namespace Prometheus scrapes from: the exporter's port is open to it. @default "monitoring" */
  monitoringNamespace?: string;
  /** The store's settings: `drkit:redis` parsed (`checkConfig(...).spec.redis`), or built in code. */
  redis: RedisSpec;
  /** Time zone of the snapshot schedule (an IANA name, `drkit:timeZone`). @default "UTC" */
  timeZone?: string;
  /** drkit's images (`DrkitImages.refs`): Redis runs in `redis`, snapshot uploads in `jobs`. */
  images: { redis: pulumi.Input<string>; jobs: pulumi.Input<string> };
  /** Write access to where the snapshots go: its location is the snapshot prefix (`BackupStorage.writers.redis`). Required unless `redis.snapshots.enabled` is false. */
  snapshots?: S3Access;
  /** Read access to the snapshots to seed from (`BackupStorage.restore.redis`). Required unless `role` is `primary`. */
  restoreSource?: S3Access;
  /** Write access to a copy of the snapshots in another store (`BackupStorage.copy.writers.redis`) and how many it keeps. @default none */
  snapshotsCopy?: { access: S3Access; keep: number };
  /**
   * Roles for service accounts (IRSA): each pod that reaches the bucket assumes a role of its own,
   * and no key is created or held. Needs accesses made with `credentials: "web-identity"`.
   * @default none: the accesses' static keys, in Secrets
   */
  workloadIdentity?: WorkloadIdentityArgs;
  /**
   * Place the plan on a Docker host (`DockerHost` maps it) instead of creating Kubernetes
   * objects; `passwordSecretName` is undefined there. @default Kubernetes
   */
  placement?: HostPlacement;
}

/**
 * Redis with AOF on a volume and off-site RDB snapshots: the Kubernetes mapping of `redisPlan`
 * (a StatefulSet with restore-on-bootstrap init containers in dr/drill stacks and the exporter,
 * the snapshot CronJob, the Secrets and ConfigMap, Services, a PodDisruptionBudget) plus the
 * generated password and a NetworkPolicy.
 */
export class RedisServer extends pulumi.ComponentResource {
  /** In-cluster address, host:port. */
  /** The IAM roles its pods assume, by ServiceAccount (none with static keys). */
  public readonly workloadRoleArns: Record<string, pulumi.Output<string>>;
  public readonly endpoint: pulumi.Output<string>;
  /** Secret holding the password under `password` (Kubernetes; undefined on a Docker host). */
  public readonly passwordSecretName?: pulumi.Output<string>;
  /** The password clients authenticate with (a Pulumi secret), on either target. */
  public readonly password: pulumi.Output<string>;
  /** Labels on the Redis pod (PodMonitors select on them). */
  public readonly podLabels: Record<string, string>;
  /** The name its Kubernetes objects, its snapshot job and its alerts are named after: the component's name. */
  public readonly workloadName: string;

  constructor(name: string, args: RedisServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:redis:RedisServer", name, {}, opts);
    const { namespace, redis } = args;
    const role = args.role ?? "primary";
    const snapshotsOn = redis.snapshots.enabled;
    if (snapshotsOn && !args.snapshots) throw new Error(`RedisServer '${name}' needs snapshots (BackupStorage.writers.redis): redis.snapshots.enabled is true`);
    if (role !== "primary" && snapshotsOn && !args.restoreSource) throw new Error(`RedisServer '${name}' (role ${role}) needs restoreSource: the snapshots to seed from`);
    // The storage accesses are the one source of where the snapshots are.
    const input: RedisInput = {
      stack: args.stack,
      role,
      redis,
      timeZone: args.timeZone ?? "UTC",
      ...(snapshotsOn && args.snapshots ? { snapshots: storeAt(args.snapshots.location) } : {}),
      ...(role !== "primary" && snapshotsOn && args.restoreSource ? { source: storeAt(args.restoreSource.location) } : {}),
      ...(snapshotsOn && args.snapshotsCopy ? { snapshotsCopy: { store: storeAt(args.snapshotsCopy.access.location), keep: args.snapshotsCopy.keep } } : {}),
      credentials: args.workloadIdentity ? "web-identity" : "static-keys",
    };
    const plan = redisPlan(input, { name });
    const objects = redisObjects(name);
    const server = plan.servers[0]!;
    this.workloadName = name;
    const parent = { parent: this };
    const keep: pulumi.CustomResourceOptions = role === "drill" ? {} : { protect: true, retainOnDelete: true };
    this.podLabels = server.pod.labels;
    this.endpoint = pulumi.output(namespace).apply((ns) => `${serviceHost(objects.client, ns)}:${PORT.redis}`);

    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, parent).result;
    // TLS for every client: a CA of this server's own and a pair for the names clients use.
    let tlsPair: { ca: pulumi.Output<string>; cert: pulumi.Output<string>; key: pulumi.Output<string> } | undefined;
    if (redis.tls) {
      const ca = certificateAuthority(name, `drkit ${args.stack} ${name} Redis CA`, parent);
      const names = pulumi.output(namespace).apply((ns) => redisServerNames(name, ns));
      const server = ca.issue("server", objects.client, ["server_auth"], names.dnsNames, names.ipAddresses);
      tlsPair = { ca: ca.certPem, ...server };
    }
    const access = planAccess(`RedisServer '${name}'`, plan, { accesses: { ...(args.snapshots ? { redis: args.snapshots } : {}), ...(args.restoreSource ? { redisSource: args.restoreSource } : {}), ...(args.snapshotsCopy ? { redisCopy: args.snapshotsCopy.access } : {}) }, namespace, ...(args.workloadIdentity ? { workloadIdentity: args.workloadIdentity } : {}) }, this);
    this.workloadRoleArns = access.roleArns;
    const secretValue = (value: SecretValue): pulumi.Input<string> => {
      switch (value.kind) {
        case "password":
          return password;
        case "redisAcl":
          return password.apply((p) => renderRedisAcl(input, p));
        case "s3Key":
          return access.s3Key(value);
        case "redisTls":
          if (!tlsPair) throw new Error(`RedisServer '${name}' runs without TLS (redis.tls is off)`);
          return value.part === "ca.crt" ? tlsPair.ca : value.part === "tls.crt" ? tlsPair.cert : tlsPair.key;
        default:
          throw new Error(`a Redis plan has no ${value.kind} secret`);
      }
    };
    this.password = pulumi.secret(password);
    if (args.placement) {
      args.placement.add(`RedisServer '${name}'`, plan, secretValue);
    } else {
      const mapping = { namespace, images: args.images, secretValue, labels: this.podLabels, roleArn: access.roleArn };
      const { secrets, configMaps } = configObjects(plan, mapping, this);
      this.passwordSecretName = secrets[objects.auth]!.metadata.name;
      const dependsOn = [...Object.values(secrets), ...Object.values(configMaps)];
      const serviceAccount = new k8s.core.v1.ServiceAccount(name, { metadata: { name: objects.statefulSet, namespace, labels: this.podLabels }, automountServiceAccountToken: false }, parent);
      serverObjects(server, mapping, { parent: this, serviceAccountName: serviceAccount.metadata.name, dependsOn, keep });
      for (const job of plan.jobs) jobObject(job, mapping, { parent: this, dependsOn });

      serverNetworkPolicy(
        name,
        {
          objectName: objects.statefulSet,
          namespace,
          podLabels: this.podLabels,
          ingress: [{ from: clientPeers(namespace, args.clientNamespaces ?? [], REDIS_CLIENT_LABEL).apply((peers) => [...peers, { podSelector: { matchLabels: REDIS_SNAPSHOT_LABEL } }]), port: PORT.redis }],
          monitoringNamespace: args.monitoringNamespace ?? "monitoring",
          metricsPort: PORT.redisMetrics,
        },
        parent,
      );
    }

    this.registerOutputs({ endpoint: this.endpoint, passwordSecretName: this.passwordSecretName });
  }
}
