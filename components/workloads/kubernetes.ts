import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { formatCpu, formatSize } from "../config";
import { dataClaimName, DRKIT_POD_LABEL, OBJECT_STORAGE_LABEL, PORT } from "./names";
import { CONTAINER_SECURITY, type ContainerPlan, type EnvSource, type ImageName, type JobPlan, type PodPlan, type Probe, type Resources, type SecretValue, type ServerPlan, type VolumePlan, type WorkloadPlan } from "./plan";

/**
 * The Kubernetes mapping of a workload plan: one function per kind of object, nothing decided
 * here that the plan does not say. Names, commands, paths, ports and variables all come from the
 * plan.
 */

/** What a plan leaves to the target: the images' references and the secret values. */
export interface KubernetesMapping {
  namespace: pulumi.Input<string>;
  /** The images the plan's containers name (a component passes only the ones it runs). */
  images: Partial<Record<ImageName, pulumi.Input<string>>>;
  /** The value of a secret key, as the component makes it (random, tls, the storage identities). */
  secretValue: (value: SecretValue) => pulumi.Input<string>;
  /** Labels on every object (the pods' own labels come from the plan). */
  labels?: Record<string, string>;
  /** The ARN of the role a ServiceAccount's pods assume (plans `withWebIdentity`). @default none: the plan names no role */
  roleArn?: (serviceAccount: string) => pulumi.Input<string>;
}

const quantity = (r: Resources) => ({ cpu: formatCpu(r.cpu), memory: formatSize(r.memory) });

function probe(p: Probe | undefined): k8s.types.input.core.v1.Probe | undefined {
  if (!p) return undefined;
  return {
    ...(p.exec ? { exec: { command: p.exec } } : {}),
    ...(p.tcpPort !== undefined ? { tcpSocket: { port: p.tcpPort } } : {}),
    ...(p.http ? { httpGet: { path: p.http.path, port: p.http.port } } : {}),
    periodSeconds: p.periodSeconds,
    ...(p.failureThreshold !== undefined ? { failureThreshold: p.failureThreshold } : {}),
    ...(p.timeoutSeconds !== undefined ? { timeoutSeconds: p.timeoutSeconds } : {}),
  };
}

function imageOf(images: KubernetesMapping["images"], name: ImageName): pulumi.Input<string> {
  const image = images[name];
  if (image === undefined) throw new Error(`the container needs drkit's '${name}' image, which the component was not given (images.${name})`);
  return image;
}

function envOf(name: string, source: EnvSource, map: Pick<KubernetesMapping, "roleArn">): k8s.types.input.core.v1.EnvVar {
  if ("value" in source) return { name, value: source.value };
  if ("secret" in source) return { name, valueFrom: { secretKeyRef: { name: source.secret, key: source.key } } };
  if ("configMap" in source) return { name, valueFrom: { configMapKeyRef: { name: source.configMap, key: source.key } } };
  if (!map.roleArn) throw new Error(`${name} names the role of ServiceAccount '${source.roleOf}', and the component made no roles (workloadIdentity)`);
  return { name, value: map.roleArn(source.roleOf) };
}

export function containerOf(c: ContainerPlan, map: Pick<KubernetesMapping, "images" | "roleArn">): k8s.types.input.core.v1.Container {
  const startupProbe = probe(c.startupProbe);
  const readinessProbe = probe(c.readinessProbe);
  const livenessProbe = probe(c.livenessProbe);
  return {
    name: c.name,
    image: imageOf(map.images, c.image),
    command: c.command,
    ...(c.env.length > 0 ? { env: c.env.map(([name, source]) => envOf(name, source, map)) } : {}),
    ...(c.ports.length > 0 ? { ports: c.ports.map((p) => ({ name: p.name, containerPort: p.port })) } : {}),
    resources: { requests: quantity(c.requests), limits: quantity(c.limits) },
    securityContext: {
      allowPrivilegeEscalation: CONTAINER_SECURITY.allowPrivilegeEscalation,
      readOnlyRootFilesystem: CONTAINER_SECURITY.readOnlyRootFilesystem,
      capabilities: { drop: [...CONTAINER_SECURITY.dropCapabilities] },
    },
    ...(c.mounts.length > 0 ? { volumeMounts: c.mounts.map((m) => ({ name: m.volume, mountPath: m.path, ...(m.readOnly ? { readOnly: true } : {}) })) } : {}),
    ...(startupProbe ? { startupProbe } : {}),
    ...(readinessProbe ? { readinessProbe } : {}),
    ...(livenessProbe ? { livenessProbe } : {}),
  };
}

function volumeOf(v: VolumePlan, podName: string): k8s.types.input.core.v1.Volume {
  switch (v.kind) {
    case "configMap":
      return { name: v.name, configMap: { name: v.object, defaultMode: v.mode, ...(v.items ? { items: v.items.map((key) => ({ key, path: key })) } : {}) } };
    case "secret":
      return { name: v.name, secret: { secretName: v.object, defaultMode: v.mode, ...(v.items ? { items: v.items.map((key) => ({ key, path: key })) } : {}) } };
    case "scratch":
      return { name: v.name, emptyDir: { ...(v.memory ? { medium: "Memory" } : {}), sizeLimit: formatSize(v.size) } };
    case "claim":
      return {
        name: v.name,
        ephemeral: {
          volumeClaimTemplate: {
            spec: { accessModes: ["ReadWriteOnce"], ...(v.storageClass ? { storageClassName: v.storageClass } : {}), resources: { requests: { storage: formatSize(v.size) } } },
          },
        },
      };
    case "data":
      return { name: v.name, persistentVolumeClaim: { claimName: dataClaimName(podName, v.name) } };
    case "engineSocket":
      throw new Error(`volume '${v.name}' of pod ${podName} is a Docker engine's socket: only a Docker host's scheduler mounts one`);
    case "serviceAccountToken":
      return { name: v.name, projected: { sources: [{ serviceAccountToken: { audience: v.audience, expirationSeconds: v.expirationSeconds, path: "token" } }] } };
  }
}

export function podSpecOf(pod: PodPlan, map: Pick<KubernetesMapping, "images" | "roleArn">): k8s.types.input.core.v1.PodSpec {
  return {
    // The API token stays out of every pod; a role's token is projected for STS's audience only,
    // which the API server does not accept.
    automountServiceAccountToken: false,
    ...(pod.serviceAccount ? { serviceAccountName: pod.serviceAccount.name } : {}),
    restartPolicy: pod.restartPolicy,
    terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds,
    securityContext: {
      runAsUser: pod.security.uid,
      runAsGroup: pod.security.gid,
      fsGroup: pod.security.fsGroup,
      fsGroupChangePolicy: pod.security.fsGroupChangePolicy,
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    },
    initContainers: pod.initContainers.map((c) => containerOf(c, map)),
    containers: pod.containers.map((c) => containerOf(c, map)),
    volumes: pod.volumes.map((v) => volumeOf(v, pod.name)),
  };
}

/** A pod template's labels: the pod's (which selectors use), and the object-storage mark its egress policy selects on. */
function templateLabels(pod: PodPlan): Record<string, string> {
  return { ...pod.labels, ...(pod.objectStorage ? OBJECT_STORAGE_LABEL : {}) };
}

/** Ports drkit's pods serve each other on: PostgreSQL, pgBackRest's TLS server, Redis, the job-metrics gateway. */
const PEER_PORTS = [PORT.postgres, PORT.pgbackrestTls, PORT.redis, PORT.jobMetrics];

export interface NamespaceNetworkPolicyArgs {
  /** The namespace drkit's workloads run in. */
  namespace: pulumi.Input<string>;
  /** Where cluster DNS runs. @default "kube-system" */
  dnsNamespace?: string;
  /** The TCP ports of the object stores the pods reach (`objectStorePorts(spec)`): 443, and an S3-compatible endpoint's own. @default [443] */
  objectStorePorts?: number[];
}

/**
 * Least privilege for every pod drkit runs in a namespace (servers and job pods alike), three
 * NetworkPolicies on top of each server's ingress policy:
 * - `drkit-default-deny`: nothing in or out of a drkit pod that no other policy admits;
 * - `drkit-egress-cluster`: out to cluster DNS (port 53) and to drkit's own pods in the namespace
 *   on the ports they serve (each server's ingress policy decides who gets in);
 * - `drkit-egress-object-storage`: pods marked as reaching the object store out on its ports
 *   (HTTPS's 443, an S3-compatible endpoint's own, such as MinIO's 9000), to any address: NetworkPolicy matches addresses, not host names, and S3's change (an FQDN
 *   policy needs a CNI extension such as Cilium's). Everything else stays in the cluster.
 * Application pods are not selected: a default deny for them is the application's decision.
 */
export function namespaceNetworkPolicies(name: string, args: NamespaceNetworkPolicyArgs, opts: pulumi.CustomResourceOptions): k8s.networking.v1.NetworkPolicy[] {
  const metadata = (object: string) => ({ name: object, namespace: args.namespace, labels: { ...DRKIT_POD_LABEL } });
  const drkitPods = { matchLabels: { ...DRKIT_POD_LABEL } };
  return [
    new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, { metadata: metadata("drkit-default-deny"), spec: { podSelector: drkitPods, policyTypes: ["Ingress", "Egress"] } }, opts),
    new k8s.networking.v1.NetworkPolicy(
      `${name}-egress-cluster`,
      {
        metadata: metadata("drkit-egress-cluster"),
        spec: {
          podSelector: drkitPods,
          policyTypes: ["Egress"],
          egress: [
            {
              to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.dnsNamespace ?? "kube-system" } } }],
              ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
            },
            { to: [{ podSelector: drkitPods }], ports: PEER_PORTS.map((port) => ({ protocol: "TCP", port })) },
          ],
        },
      },
      opts,
    ),
    new k8s.networking.v1.NetworkPolicy(
      `${name}-egress-object-storage`,
      {
        metadata: metadata("drkit-egress-object-storage"),
        spec: {
          podSelector: { matchLabels: { ...DRKIT_POD_LABEL, ...OBJECT_STORAGE_LABEL } },
          policyTypes: ["Egress"],
          egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }], ports: (args.objectStorePorts ?? [443]).map((port) => ({ protocol: "TCP", port })) }],
        },
      },
      opts,
    ),
  ];
}

/**
 * Who may connect as a client: pods carrying the client label in the stack's namespace and in
 * each of `drkit:cluster.clientNamespaces`, never in any other namespace.
 */
export function clientPeers(namespace: pulumi.Input<string>, clientNamespaces: string[], clientLabel: Record<string, string>): pulumi.Output<k8s.types.input.networking.v1.NetworkPolicyPeer[]> {
  return pulumi.output(namespace).apply((own) =>
    [...new Set([own, ...clientNamespaces])].map((peer) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": peer } },
      podSelector: { matchLabels: clientLabel },
    })),
  );
}

/** What a server's NetworkPolicy admits. */
export interface ServerNetworkPolicyArgs {
  /** The policy's name: the server's StatefulSet's. */
  objectName: string;
  namespace: pulumi.Input<string>;
  /** The server's pod labels: the policy applies to its pods. */
  podLabels: Record<string, string>;
  /** Who may reach which port. */
  ingress: { from: pulumi.Input<pulumi.Input<k8s.types.input.networking.v1.NetworkPolicyPeer>[]>; port: number }[];
  /** Prometheus's namespace, admitted to the exporter's port. */
  monitoringNamespace: string;
  metricsPort: number;
}

/** A server's ingress NetworkPolicy: the peers it names per port, and Prometheus to its metrics. */
export function serverNetworkPolicy(name: string, args: ServerNetworkPolicyArgs, opts: pulumi.CustomResourceOptions): k8s.networking.v1.NetworkPolicy {
  return new k8s.networking.v1.NetworkPolicy(
    name,
    {
      metadata: { name: args.objectName, namespace: args.namespace, labels: args.podLabels },
      spec: {
        podSelector: { matchLabels: args.podLabels },
        policyTypes: ["Ingress"],
        ingress: [
          ...args.ingress.map(({ from, port }) => ({ from, ports: [{ protocol: "TCP", port }] })),
          { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.monitoringNamespace } } }], ports: [{ protocol: "TCP", port: args.metricsPort }] },
        ],
      },
    },
    opts,
  );
}

/** The plan's Secrets and ConfigMaps, by plan name. */
export function configObjects(plan: WorkloadPlan, map: KubernetesMapping, parent: pulumi.Resource): { secrets: Record<string, k8s.core.v1.Secret>; configMaps: Record<string, k8s.core.v1.ConfigMap> } {
  const labels = map.labels ?? {};
  const secrets: Record<string, k8s.core.v1.Secret> = {};
  for (const secret of plan.secrets) {
    const data = Object.fromEntries(Object.entries(secret.data).map(([key, value]) => [key, map.secretValue(value)]));
    secrets[secret.name] = new k8s.core.v1.Secret(
      secret.name,
      { metadata: { name: secret.name, namespace: map.namespace, labels }, type: "Opaque", stringData: pulumi.secret(data) as pulumi.Input<Record<string, pulumi.Input<string>>> },
      { parent },
    );
  }
  const configMaps: Record<string, k8s.core.v1.ConfigMap> = {};
  for (const config of plan.configMaps) {
    configMaps[config.name] = new k8s.core.v1.ConfigMap(config.name, { metadata: { name: config.name, namespace: map.namespace, labels }, data: config.files }, { parent });
  }
  return { secrets, configMaps };
}

/**
 * A server as a one-replica StatefulSet with its data claim, Services and a PodDisruptionBudget.
 *
 * The claim is its own object rather than the StatefulSet's claim template: a template can never
 * change (the API refuses it, and Pulumi would replace the protected StatefulSet), so a larger
 * `storage.size` could not reach a full volume. As an object it is expanded in place by
 * `pulumi up` (where the StorageClass allows expansion).
 */
export function serverObjects(server: ServerPlan, map: KubernetesMapping, opts: { parent: pulumi.Resource; serviceAccountName: pulumi.Input<string>; dependsOn: pulumi.Resource[]; keep: pulumi.CustomResourceOptions }) {
  const { pod } = server;
  const labels = pod.labels;
  const metadata = (name: string) => ({ name, namespace: map.namespace, labels });
  const claims = pod.volumes
    .filter((v): v is Extract<VolumePlan, { kind: "data" }> => v.kind === "data")
    .map(
      (data) =>
        new k8s.core.v1.PersistentVolumeClaim(
          dataClaimName(pod.name, data.name),
          {
            metadata: {
              ...metadata(dataClaimName(pod.name, data.name)),
              // A claim of a WaitForFirstConsumer class binds only once the pod exists, and some
              // provider versions wait for the binding on create and on resize (pulumi-kubernetes
              // #895, #4179): the pod's readiness, awaited on the StatefulSet, is the real check.
              annotations: { "pulumi.com/skipAwait": "true" },
            },
            spec: { accessModes: ["ReadWriteOnce"], ...(data.storageClass ? { storageClassName: data.storageClass } : {}), resources: { requests: { storage: formatSize(data.size) } } },
          },
          // The data outlives the server wherever the plan says so (a drill's goes with it).
          { parent: opts.parent, ...opts.keep, ...(server.retainData ? { retainOnDelete: true } : {}) },
        ),
    );
  const statefulSet = new k8s.apps.v1.StatefulSet(
    pod.name,
    {
      metadata: metadata(pod.name),
      spec: {
        serviceName: server.headlessService,
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels: templateLabels(pod), annotations: pod.annotations },
          spec: { serviceAccountName: opts.serviceAccountName, ...podSpecOf(pod, map) },
        },
      },
    },
    { parent: opts.parent, dependsOn: [...opts.dependsOn, ...claims], ...opts.keep },
  );
  const services = server.services.map(
    (service) =>
      new k8s.core.v1.Service(
        service.headless ? service.name : `${service.name}-client`,
        {
          metadata: metadata(service.name),
          spec: {
            ...(service.headless ? { clusterIP: "None" } : {}),
            selector: labels,
            ports: service.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name })),
          },
        },
        { parent: opts.parent },
      ),
  );
  // One primary: a drain must wait for an operator's decision instead of evicting it.
  const disruptionBudget = server.evictable ? undefined : new k8s.policy.v1.PodDisruptionBudget(pod.name, { metadata: metadata(pod.name), spec: { minAvailable: 1, selector: { matchLabels: labels } } }, { parent: opts.parent });
  return { statefulSet, claims, services, disruptionBudget };
}

/** A scheduled job as a CronJob, a job without a schedule as a Job that runs at deployment. */
export function jobObject(job: JobPlan, map: KubernetesMapping, opts: { parent: pulumi.Resource; dependsOn: pulumi.Resource[]; customTimeouts?: pulumi.CustomTimeouts }) {
  const labels = job.pod.labels;
  const metadata = { name: job.name, namespace: map.namespace, labels };
  // A job whose pod assumes a role runs as a ServiceAccount of its own: the role trusts only it.
  const serviceAccount = job.pod.serviceAccount
    ? new k8s.core.v1.ServiceAccount(`${job.name}-account`, { metadata: { name: job.pod.serviceAccount.name, namespace: map.namespace, labels }, automountServiceAccountToken: false }, { parent: opts.parent })
    : undefined;
  const dependsOn = [...opts.dependsOn, ...(serviceAccount ? [serviceAccount] : [])];
  const template = { metadata: { labels: templateLabels(job.pod) }, spec: podSpecOf(job.pod, map) };
  if (!job.schedule) {
    return new k8s.batch.v1.Job(
      job.name,
      { metadata, spec: { backoffLimit: job.backoffLimit, activeDeadlineSeconds: job.activeDeadlineSeconds, template } },
      { parent: opts.parent, dependsOn, ...(opts.customTimeouts ? { customTimeouts: opts.customTimeouts } : {}) },
    );
  }
  return new k8s.batch.v1.CronJob(
    job.name,
    {
      metadata,
      spec: {
        schedule: job.schedule,
        timeZone: job.timeZone,
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: job.startingDeadlineSeconds,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: { backoffLimit: job.backoffLimit, activeDeadlineSeconds: job.activeDeadlineSeconds, ttlSecondsAfterFinished: 24 * 3600, template },
        },
      },
    },
    { parent: opts.parent, dependsOn },
  );
}
