import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { DrSpec } from "../config";
import type { S3Access } from "../storage/BackupStorage";
import { clientPeers, configObjects, jobObject, serverObjects } from "../workloads/kubernetes";
import { PORT, redisObjects, serviceHost } from "../workloads/names";
import type { SecretValue } from "../workloads/plan";
import { REDIS_CLIENT_LABEL, REDIS_SNAPSHOT_LABEL, redisPlan } from "./plan";
import { renderRedisAcl } from "./redisConf";

export { REDIS_CLIENT_LABEL, REDIS_SNAPSHOT_LABEL };

export interface RedisServerArgs {
  /** The parsed stack spec. */
  spec: DrSpec;
  /** Namespace of every object: the Namespace resource named `spec.cluster.namespace`. */
  namespace: pulumi.Input<string>;
  /** drkit's images (`DrkitImages.refs`): Redis runs in `redis`, snapshot uploads in `jobs`. */
  images: { redis: pulumi.Input<string>; jobs: pulumi.Input<string> };
  /** Write access to this stack's snapshot prefix. */
  snapshots: S3Access;
  /** Read access to the snapshots to restore from. Required for dr and drill stacks. */
  restoreSource?: S3Access;
}

/**
 * Redis with AOF on a volume and off-site RDB snapshots: the Kubernetes mapping of `redisPlan`
 * (a StatefulSet with restore-on-bootstrap init containers in dr/drill stacks and the exporter,
 * the snapshot CronJob, the Secrets and ConfigMap, Services, a PodDisruptionBudget) plus the
 * generated password and a NetworkPolicy.
 */
export class RedisServer extends pulumi.ComponentResource {
  /** In-cluster address, host:port. */
  public readonly endpoint: pulumi.Output<string>;
  /** Secret holding the password under `password`. */
  public readonly passwordSecretName: pulumi.Output<string>;
  /** Labels on the Redis pod (PodMonitors select on them). */
  public readonly podLabels: Record<string, string>;
  /** The name its Kubernetes objects, its snapshot job and its alerts are named after: the component's name. */
  public readonly workloadName: string;

  constructor(name: string, args: RedisServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:redis:RedisServer", name, {}, opts);
    const { spec, namespace } = args;
    if (spec.role !== "primary" && !args.restoreSource) throw new Error(`a ${spec.role} stack's RedisServer needs restoreSource`);
    const plan = redisPlan(spec, { name });
    const objects = redisObjects(name);
    const server = plan.servers[0]!;
    this.workloadName = name;
    const parent = { parent: this };
    const keep: pulumi.CustomResourceOptions = spec.role === "drill" ? {} : { protect: true, retainOnDelete: true };
    this.podLabels = server.pod.labels;
    this.endpoint = pulumi.output(`${serviceHost(objects.client, spec.cluster.namespace)}:${PORT.redis}`);

    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, parent).result;
    const secretValue = (value: SecretValue): pulumi.Input<string> => {
      switch (value.kind) {
        case "password":
          return password;
        case "redisAcl":
          return password.apply((p) => renderRedisAcl(spec, p));
        case "s3Key": {
          const access = value.identity === "redis" ? args.snapshots : value.identity === "redisSource" ? args.restoreSource : undefined;
          if (!access) throw new Error(`RedisServer '${name}' has no S3 identity '${value.identity}'`);
          return value.part === "id" ? access.credentials.accessKeyId : access.credentials.secretAccessKey;
        }
        default:
          throw new Error(`a Redis plan has no ${value.kind} secret`);
      }
    };
    const mapping = { namespace, images: args.images, secretValue, labels: this.podLabels };
    const { secrets, configMaps } = configObjects(plan, mapping, this);
    this.passwordSecretName = secrets[objects.auth]!.metadata.name;
    const dependsOn = [...Object.values(secrets), ...Object.values(configMaps)];
    const serviceAccount = new k8s.core.v1.ServiceAccount(name, { metadata: { name: objects.statefulSet, namespace, labels: this.podLabels }, automountServiceAccountToken: false }, parent);
    serverObjects(server, mapping, { parent: this, serviceAccountName: serviceAccount.metadata.name, dependsOn, keep });
    for (const job of plan.jobs) jobObject(job, mapping, { parent: this, dependsOn });

    new k8s.networking.v1.NetworkPolicy(
      name,
      {
        metadata: { name: objects.statefulSet, namespace, labels: this.podLabels },
        spec: {
          podSelector: { matchLabels: this.podLabels },
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: clientPeers(namespace, spec.cluster.clientNamespaces, REDIS_CLIENT_LABEL).apply((peers) => [...peers, { podSelector: { matchLabels: REDIS_SNAPSHOT_LABEL } }]),
              ports: [{ protocol: "TCP", port: PORT.redis }],
            },
            { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": spec.alerts.namespace } } }], ports: [{ protocol: "TCP", port: PORT.redisMetrics }] },
          ],
        },
      },
      parent,
    );

    this.registerOutputs({ endpoint: this.endpoint, passwordSecretName: this.passwordSecretName });
  }
}
