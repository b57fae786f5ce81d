/**
 * Every name the workloads share, in one place: user ids, ports, mount paths, object names,
 * environment variables and Secret keys. The plan builders, the renderers of the scripts that
 * read them, the Kubernetes components and the container runner all take them from here.
 */

/** The users the images run as (images/*\/Dockerfile create them with these ids). */
export const UID = { postgres: 999, redis: 999, jobs: 999 } as const;

export const PORT = {
  postgres: 5432,
  /** pgBackRest's TLS server on the PostgreSQL pod, for the backup jobs. */
  pgbackrestTls: 8432,
  postgresMetrics: 9187,
  redis: 6379,
  redisMetrics: 9121,
  /** The Pushgateway the jobs report their results to. */
  jobMetrics: 9091,
  /** A Docker host's job scheduler: its jobs' metrics (what kube-state-metrics says on a cluster). */
  schedulerMetrics: 9095,
} as const;

/** Mount paths inside drkit's images. */
export const PATH = {
  postgresVolume: "/var/lib/postgresql/data",
  postgresConfig: "/etc/drkit",
  postgresSocket: "/var/run/postgresql",
  // Never under postgresConfig: a mount point cannot be made inside a read-only volume (runc).
  pgbackrestServerTls: "/etc/drkit-tls",
  backupConfig: "/etc/drkit-backup",
  mediaConfig: "/etc/drkit-media",
  backupTls: "/etc/drkit-backup-tls",
  redisData: "/data",
  redisConfig: "/etc/drkit-redis",
  redisAclDir: "/etc/drkit-redis-acl",
  /** Redis's server pair and CA (the server), or the CA alone (the snapshot job). */
  redisTls: "/etc/drkit-redis-tls",
  jobMetricsData: "/var/lib/pushgateway",
  schedulerConfig: "/etc/drkit-scheduler",
  schedulerState: "/var/lib/drkit-scheduler",
  /** Where the Docker engine's API socket is, on the host and in the scheduler. */
  engineSocket: "/var/run/docker.sock",
  /** The projected ServiceAccount token a pod exchanges for its role's credentials (web identity). */
  awsToken: "/var/run/secrets/drkit/aws",
  work: "/work",
  tmp: "/tmp",
} as const;

/** Environment variables the scripts and servers read. */
export const ENV = {
  superuserPassword: "POSTGRES_PASSWORD",
  monitorPassword: "DRKIT_MONITOR_PASSWORD",
  /** Followed by the owner's role name. */
  ownerPasswordPrefix: "DRKIT_PASSWORD_",
  redisPassword: "REDISCLI_AUTH",
  awsKeyId: "AWS_ACCESS_KEY_ID",
  awsSecret: "AWS_SECRET_ACCESS_KEY",
} as const;

/** The variable that carries a database owner's password. */
export const ownerPasswordVariable = (owner: string) => `${ENV.ownerPasswordPrefix}${owner}`;

/**
 * pgBackRest's repository variables: repo1 is the stack's own; repo2 the one it restores from
 * (or, in the archive check, the replica it reads); repo3 the copy (`drkit:storage.copy`), which
 * the stack writes like repo1. A source's credentials can then never be mistaken for a writer's.
 */
export const pgbackrestRepoEnv = (index: 1 | 2 | 3) => ({
  key: `PGBACKREST_REPO${index}_S3_KEY`,
  secret: `PGBACKREST_REPO${index}_S3_KEY_SECRET`,
  cipher: `PGBACKREST_REPO${index}_CIPHER_PASS`,
});

/**
 * The PersistentVolumeClaim of a server's data volume: `data-postgres-0`, the name a StatefulSet's
 * claim template would give it, so that the alerts, the runbook and `kubectl` name one object.
 */
export const dataClaimName = (server: string, volume = "data") => `${volume}-${server}-0`;

/** The monitoring role the exporter logs in as. */
export const MONITOR_ROLE = "drkit_monitor";

/** Object names of a PostgreSQL cluster called `name` (the component's name, "postgres" in a stack). */
export const postgresObjects = (name: string) => ({
  statefulSet: name,
  pod: `${name}-0`,
  headless: `${name}-headless`,
  client: name,
  config: `${name}-config`,
  credentials: `${name}-credentials`,
  serverTls: `${name}-pgbackrest-server`,
  clientTls: `${name}-pgbackrest-client`,
  backupConfig: `${name}-backup-config`,
  backupRepository: `${name}-backup-repository`,
  verifyRepository: `${name}-verify-repository`,
  replicaRepository: `${name}-replica-repository`,
  verifySourceConfig: `${name}-verify-source-config`,
  verifySource: `${name}-verify-source`,
  dumpCredentials: `${name}-dumps-s3`,
  dumpCopyCredentials: `${name}-dumps-copy-s3`,
  backupJob: (kind: "full" | "diff" | "incr") => `${name}-backup-${kind}`,
  dumpJob: `${name}-dump`,
  verifyJob: `${name}-verify`,
  archiveCheckJob: `${name}-archive-check`,
  verifyAtStartJob: `${name}-verify-at-start`,
});

/** Object names of a Redis server called `name`. */
export const redisObjects = (name: string) => ({
  statefulSet: name,
  pod: `${name}-0`,
  headless: `${name}-headless`,
  client: name,
  config: `${name}-config`,
  auth: `${name}-auth`,
  tls: `${name}-tls`,
  snapshotCredentials: `${name}-snapshot-s3`,
  snapshotCopyCredentials: `${name}-snapshot-copy-s3`,
  restoreCredentials: `${name}-restore-s3`,
  snapshotJob: `${name}-snapshot`,
});

/**
 * Every name Redis's certificate is for: the client Service's and the pod's, short and qualified,
 * and the loopback the probes and the exporter use.
 */
export const redisServerNames = (name: string, namespace: string) => {
  const objects = redisObjects(name);
  return {
    dnsNames: [objects.client, `${objects.client}.${namespace}`, serviceHost(objects.client, namespace), `${serviceHost(objects.client, namespace)}.cluster.local`, `${objects.pod}.${objects.headless}`, podHost(objects.pod, objects.headless, namespace), "localhost"],
    ipAddresses: ["127.0.0.1"],
  };
};

/** Every pod drkit runs carries this label: the namespace's default-deny NetworkPolicy selects on it. */
export const DRKIT_POD_LABEL = { "app.kubernetes.io/part-of": "drkit" } as const;
/** Pods that reach the object store carry this label (on the pod template, never in a selector). */
export const OBJECT_STORAGE_LABEL = { "drkit.dev/object-storage": "true" } as const;

/** Object names of the stack's job-metrics gateway (a Prometheus Pushgateway). */
export const JOB_METRICS_OBJECTS = {
  statefulSet: "job-metrics",
  headless: "job-metrics-headless",
  client: "job-metrics",
} as const;

/** Object names of a Docker host's job scheduler. */
export const SCHEDULER_OBJECTS = {
  statefulSet: "scheduler",
  headless: "scheduler-headless",
  client: "scheduler",
  config: "scheduler-config",
} as const;

/** A Service's in-cluster DNS name. */
export const serviceHost = (service: string, namespace: string) => `${service}.${namespace}.svc`;
/** A StatefulSet pod's stable DNS name through its headless Service. */
export const podHost = (pod: string, headless: string, namespace: string) => `${pod}.${headless}.${namespace}.svc`;

/** Secret keys of the pgBackRest TLS material and the Redis ACL. */
export const TLS_KEYS = ["ca.crt", "tls.crt", "tls.key"] as const;
export const REDIS_ACL_KEY = "users.acl";
export const REDIS_PASSWORD_KEY = "password";
