/**
 * The workload plan: what runs, described once and purely (no `@pulumi/*` imports). The
 * Kubernetes components map it onto StatefulSets, CronJobs, Secrets and ConfigMaps; the container
 * runner executes it in a Docker engine the way a kubelet would; `drkit drill` and the
 * integration tests run exactly the plan a cluster runs.
 */

/** drkit's images (images/<name>/Dockerfile). Resolved to references by whoever runs the plan. */
export type ImageName = "postgres" | "redis" | "jobs";

/** Where a secret value comes from; each runner of the plan knows how to make it. */
export type SecretValue =
  /** A generated password; the same id is the same password wherever it appears. */
  | { kind: "password"; id: string }
  /** An access key of one of the stack's S3 identities (BackupStorage's writers and readers). */
  | { kind: "s3Key"; identity: S3Identity; part: "id" | "secret" }
  /** A pgBackRest repository passphrase: this stack's own, or the one of the repository it restores from. */
  | { kind: "cipher"; repository: "own" | "source" }
  /** The pgBackRest mutual-TLS material: the CA certificate, or a server/client pair. */
  | { kind: "tls"; part: "ca.crt" | "tls.crt" | "tls.key"; peer: "server" | "client" }
  /** The Redis ACL file, holding the password with this id. */
  | { kind: "redisAcl"; passwordId: string }
  /** Redis's TLS material: its CA's certificate, or its server pair. */
  | { kind: "redisTls"; part: "ca.crt" | "tls.crt" | "tls.key" };

/** The stack's S3 identities, one per data path and use. */
export type S3Identity = "pgbackrest" | "pgbackrestReader" | "pgbackrestReplica" | "pgbackrestSource" | "pgbackrestCopy" | "dumps" | "dumpsCopy" | "redis" | "redisSource" | "redisCopy" | "media" | "mediaSource" | "mediaApp" | "mediaCopy";

export interface SecretPlan {
  /** Object name (a Kubernetes Secret). */
  name: string;
  /** Every key and where its value comes from. */
  data: Record<string, SecretValue>;
  /**
   * For a Secret assembled from other Secrets' keys (a Docker host's secret variables,
   * `withSecretFiles`): the Secret each key was taken from, whose owner makes its value.
   * @default every key is this Secret's own
   */
  from?: Record<string, string>;
}

export interface ConfigMapPlan {
  /** Object name (a Kubernetes ConfigMap). */
  name: string;
  /** Rendered files by key: configuration and scripts, never a secret. */
  files: Record<string, string>;
}

/**
 * An environment variable: a literal, one key of a Secret, one key of a ConfigMap, or the ARN of
 * the IAM role a ServiceAccount's pods assume (known only once the role exists).
 */
export type EnvSource = { value: string } | { secret: string; key: string } | { configMap: string; key: string } | { roleOf: string };

export interface Probe {
  /** A command run in the container; exit 0 is healthy. */
  exec?: string[];
  /** A TCP port that accepts connections. */
  tcpPort?: number;
  /** An HTTP GET on a port that answers 2xx. */
  http?: { path: string; port: number };
  periodSeconds: number;
  failureThreshold?: number;
  timeoutSeconds?: number;
}

export interface Resources {
  /** Millicores. */
  cpu: number;
  /** Bytes. */
  memory: number;
}

export interface Mount {
  volume: string;
  path: string;
  readOnly?: boolean;
}

export interface ContainerPlan {
  name: string;
  image: ImageName;
  command: string[];
  /** In order; a container reads no environment other than this. */
  env: [string, EnvSource][];
  mounts: Mount[];
  ports: { name: string; port: number }[];
  requests: Resources;
  limits: Resources;
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}

export type VolumePlan =
  /** Files of a ConfigMap or a Secret, each with `mode` (as Kubernetes projects them: read-only). */
  | { name: string; kind: "configMap" | "secret"; object: string; mode: number; items?: string[] }
  /** The pod's persistent data (a StatefulSet volume claim; a named volume on a Docker host). */
  | { name: string; kind: "data"; size: number; storageClass?: string }
  /** Scratch space that lives as long as the pod (emptyDir); `memory` for a tmpfs. */
  | { name: string; kind: "scratch"; size: number; memory?: boolean }
  /** Scratch space as large as a volume (an ephemeral claim), for a whole dump or restored cluster. */
  | { name: string; kind: "claim"; size: number; storageClass?: string }
  /** A token of the pod's ServiceAccount for `audience`, in the file `token`, renewed before it expires (a projected volume). */
  | { name: string; kind: "serviceAccountToken"; audience: string; expirationSeconds: number }
  /** The Docker engine's API socket, for a Docker host's job scheduler (which starts the jobs' containers). */
  | { name: string; kind: "engineSocket" };

export interface PodSecurity {
  uid: number;
  gid: number;
  /** Group given to every volume (and its files) on each mount, as kubelet does. */
  fsGroup: number;
  /** Kubelet skips the recursive ownership change when the volume's root already matches. */
  fsGroupChangePolicy: "OnRootMismatch" | "Always";
}

export interface PodPlan {
  /** The pod's name (a StatefulSet's pods are `<name>-0`). */
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  security: PodSecurity;
  /** Run in order, each to completion, before the containers start. */
  initContainers: ContainerPlan[];
  containers: ContainerPlan[];
  volumes: VolumePlan[];
  restartPolicy: "Always" | "Never";
  terminationGracePeriodSeconds: number;
  /**
   * Its containers reach the object store (S3, Spaces) over HTTPS: the stack's NetworkPolicies
   * let it out on 443. Nothing else leaves the cluster. @default false
   */
  objectStorage?: boolean;
  /**
   * Where workloads have roles (`withWebIdentity`): the pod's own ServiceAccount, and the S3
   * identities the role it assumes grants (the union of what its containers use). @default none
   */
  serviceAccount?: { name: string; s3: S3Identity[] };
}

/** A long-running pod with a stable name and its data volume (a one-replica StatefulSet). */
export interface ServerPlan {
  pod: PodPlan;
  /** The headless Service that gives the pod `<pod>-0.<headless>.<namespace>.svc`. */
  headlessService: string;
  /** Services selecting the pod, with their ports. */
  services: { name: string; headless: boolean; ports: { name: string; port: number }[] }[];
  /** Deleting the workload keeps the data volume (everything but a drill). */
  retainData: boolean;
  /** A drain may evict the pod (no PodDisruptionBudget): it holds nothing a restart loses. @default false */
  evictable?: boolean;
}

export interface JobPlan {
  /** Object name (CronJob, or Job when it runs once). */
  name: string;
  /** Five-field cron in the stack's time zone; absent for a job that runs once, at deployment. */
  schedule?: string;
  timeZone: string;
  /** A run that could not start this long after its time is skipped. */
  startingDeadlineSeconds: number;
  /** A run is killed (and counts as failed) after this long. */
  activeDeadlineSeconds: number;
  backoffLimit: number;
  pod: PodPlan;
}

/** Everything one store runs: its objects, its server and its jobs. */
export interface WorkloadPlan {
  configMaps: ConfigMapPlan[];
  secrets: SecretPlan[];
  servers: ServerPlan[];
  jobs: JobPlan[];
}

/** Volumes whose files are projected, read-only: ConfigMaps, Secrets, tokens. */
export const isProjected = (volume: VolumePlan) => volume.kind === "configMap" || volume.kind === "secret" || volume.kind === "serviceAccountToken";

/** The hardened defaults every drkit container runs with (a read-only root, no privileges). */
export const CONTAINER_SECURITY = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, dropCapabilities: ["ALL"] } as const;

/** Merges several stores' plans into one. */
export function mergePlans(...plans: WorkloadPlan[]): WorkloadPlan {
  return {
    configMaps: plans.flatMap((p) => p.configMaps),
    secrets: plans.flatMap((p) => p.secrets),
    servers: plans.flatMap((p) => p.servers),
    jobs: plans.flatMap((p) => p.jobs),
  };
}
