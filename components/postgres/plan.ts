import { createHash } from "node:crypto";
import { ENV, MONITOR_ROLE, PATH, PORT, UID, ownerPasswordVariable, pgbackrestRepoEnv, podHost, postgresObjects, serviceHost, TLS_KEYS } from "../workloads/names";
import type { ContainerPlan, EnvSource, Probe, SecretValue, WorkloadPlan } from "../workloads/plan";
import { withCredentials } from "../workloads/webIdentity";
import { bootstrapEnvironment, renderBootstrapScript } from "./bootstrap";
import { renderExporterQueries } from "./exporterQueries";
import type { PostgresInput } from "./input";
import { containerLayout } from "./layout";
import { renderArchivePushScript, renderCopyArchiveConf, renderPgbackrestConf, renderRestoreConf, tlsServerCommand } from "./pgbackrestConf";
import { renderPgHba, renderPostgresqlConf } from "./postgresqlConf";

/** The label a pod needs for the NetworkPolicy to let it reach PostgreSQL. */
export const POSTGRES_CLIENT_LABEL = { "drkit.dev/postgres-client": "true" };
/** The label backup and verification job pods carry, admitted to the pgBackRest TLS server. */
export const BACKUP_JOB_LABEL = { "drkit.dev/role": "backup-job" };

export interface PostgresPlanOptions {
  /** The cluster's name: every object name derives from it. @default "postgres" */
  name?: string;
}

/** Labels of a PostgreSQL pod (the Services, the PodDisruptionBudget and the PodMonitor select on them). */
export function postgresPodLabels(stack: string, name = "postgres"): Record<string, string> {
  return {
    "app.kubernetes.io/name": "postgres",
    "app.kubernetes.io/instance": `${stack}-${name}`,
    "app.kubernetes.io/component": "database",
    "app.kubernetes.io/part-of": "drkit",
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/** Where clients and backup jobs reach the cluster `name` in `namespace`. */
export function postgresHosts(namespace: string, name = "postgres") {
  const objects = postgresObjects(name);
  const client = serviceHost(objects.client, namespace);
  const pod = podHost(objects.pod, objects.headless, namespace);
  const podShort = `${objects.pod}.${objects.headless}`;
  return {
    /** The client Service. */
    client,
    /** The pod's stable name, for the pgBackRest TLS server (its certificate names it). */
    pod,
    /** The same, within the namespace. */
    podShort,
    /** Every name the server certificate is for: the pod's (pgBackRest) and the client Service's (PostgreSQL). */
    serverNames: [pod, podShort, client, objects.client, `${objects.client}.${namespace}`],
  };
}

/** A short hash of rendered files: a changed configuration rolls the pod. */
export const configHash = (files: Record<string, string>) => createHash("sha256").update(JSON.stringify(files)).digest("hex").slice(0, 16);

const secretEnv = (secret: string, keys: string[]): [string, EnvSource][] => keys.map((key) => [key, { secret, key }]);

/**
 * One PostgreSQL primary whose WAL is archived with pgBackRest: the pod runs
 * the bootstrap init container (initdb, or restore-and-promote in dr/drill stacks), postgres,
 * the pgBackRest TLS server the backup jobs use, and postgres_exporter.
 */
export function postgresPlan(spec: PostgresInput, options: PostgresPlanOptions = {}): WorkloadPlan {
  const name = options.name ?? "postgres";
  const objects = postgresObjects(name);
  const { postgres } = spec;
  const restoring = spec.role !== "primary";
  const layout = containerLayout(postgres.version);
  const own = spec.repository;
  const source = restoring ? spec.source : undefined;
  if (restoring && !source) throw new Error(`a ${spec.role} stack's PostgreSQL needs the repository to restore from (drkit:postgres.restoreFrom)`);

  // --- secrets -----------------------------------------------------------------------------
  const ownEnv = pgbackrestRepoEnv(1);
  const sourceEnv = pgbackrestRepoEnv(2);
  const copyEnv = pgbackrestRepoEnv(3);
  const copy = spec.copy;
  const owners = [...new Set(postgres.databases.map((db) => db.owner))];
  const credentials: Record<string, SecretValue> = {
    [ENV.superuserPassword]: { kind: "password", id: "superuser" },
    [ENV.monitorPassword]: { kind: "password", id: "monitor" },
    ...Object.fromEntries(owners.map((owner) => [ownerPasswordVariable(owner), { kind: "password", id: `owner-${owner}` } as SecretValue])),
    [ownEnv.key]: { kind: "s3Key", identity: "pgbackrest", part: "id" },
    [ownEnv.secret]: { kind: "s3Key", identity: "pgbackrest", part: "secret" },
    ...(postgres.backups.encrypt ? { [ownEnv.cipher]: { kind: "cipher", repository: "own" } as SecretValue } : {}),
    ...(copy
      ? {
          [copyEnv.key]: { kind: "s3Key", identity: "pgbackrestCopy", part: "id" } as SecretValue,
          [copyEnv.secret]: { kind: "s3Key", identity: "pgbackrestCopy", part: "secret" } as SecretValue,
          // The copy is the same repository: the same passphrase.
          ...(postgres.backups.encrypt ? { [copyEnv.cipher]: { kind: "cipher", repository: "own" } as SecretValue } : {}),
        }
      : {}),
    ...(source
      ? {
          [sourceEnv.key]: { kind: "s3Key", identity: "pgbackrestSource", part: "id" } as SecretValue,
          [sourceEnv.secret]: { kind: "s3Key", identity: "pgbackrestSource", part: "secret" } as SecretValue,
          ...(source.encrypted ? { [sourceEnv.cipher]: { kind: "cipher", repository: "source" } as SecretValue } : {}),
        }
      : {}),
  };
  const tls = (peer: "server" | "client"): Record<string, SecretValue> => Object.fromEntries(TLS_KEYS.map((part) => [part, { kind: "tls", part, peer }]));

  // --- configuration (no secrets) ----------------------------------------------------------
  const files: Record<string, string> = {
    "postgresql.conf": renderPostgresqlConf(spec, layout),
    "pg_hba.conf": renderPgHba(),
    "pgbackrest.conf": renderPgbackrestConf(spec, layout, own),
    ...(copy
      ? {
          "pgbackrest-copy.conf": renderCopyArchiveConf(spec, layout, copy),
          "pgbackrest-archive-push.sh": renderArchivePushScript(spec, layout),
        }
      : {}),
    "bootstrap.sh": renderBootstrapScript({ spec, layout, ...(source ? { source } : {}) }),
    "exporter-queries.yaml": renderExporterQueries(),
    ...(source ? { "pgbackrest-restore.conf": renderRestoreConf(spec, layout, source) } : {}),
  };

  // --- the pod -------------------------------------------------------------------------------
  const resources = { cpu: postgres.resources.cpu, memory: postgres.resources.memory };
  const mounts = [
    { volume: "data", path: PATH.postgresVolume },
    { volume: "config", path: layout.configDir, readOnly: true },
    { volume: "run", path: layout.socketDir },
    { volume: "tmp", path: PATH.tmp },
  ];
  const serverTlsMount = { volume: "pgbackrest-tls", path: PATH.pgbackrestServerTls, readOnly: true };
  const pgIsReady: Probe["exec"] = ["pg_isready", "-h", layout.socketDir, "-p", String(layout.port), "-U", "postgres"];
  const archiving = [
    ...[ownEnv, ...(copy ? [copyEnv] : [])].flatMap((env) => [env.key, env.secret, ...(postgres.backups.encrypt ? [env.cipher] : [])]),
  ];
  const bootstrap: ContainerPlan = {
    name: "bootstrap",
    image: "postgres",
    command: ["bash", `${layout.configDir}/bootstrap.sh`],
    env: secretEnv(objects.credentials, Object.keys(credentials)),
    mounts,
    ports: [],
    requests: resources,
    limits: resources,
  };
  const server: ContainerPlan = {
    name: "postgres",
    image: "postgres",
    // Under tini, never as PID 1 itself: archive-push's asynchronous process detaches, and an
    // orphan is reparented to PID 1. A postmaster that reaps an unknown child exiting non-zero
    // (as that process does whenever the repository is unreachable) takes it for a crashed
    // backend and restarts the whole server. tini reaps orphans and forwards signals.
    command: ["tini", "--", "postgres", "-D", layout.dataDir, "-c", `config_file=${layout.configDir}/postgresql.conf`],
    // archive-push (and a later recovery's restore_command) read this stack's repository.
    env: secretEnv(objects.credentials, archiving),
    // The server pair serves PostgreSQL's TLS as well as pgBackRest's.
    mounts: [...mounts, serverTlsMount],
    ports: [{ name: "postgres", port: layout.port }],
    requests: resources,
    limits: resources,
    startupProbe: { exec: pgIsReady, periodSeconds: 5, failureThreshold: 720 },
    readinessProbe: { exec: pgIsReady, periodSeconds: 5, failureThreshold: 3 },
    livenessProbe: { exec: pgIsReady, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
  };
  const pgbackrest: ContainerPlan = {
    name: "pgbackrest",
    image: "postgres",
    command: tlsServerCommand(layout, postgres.backups.stanza, PATH.pgbackrestServerTls),
    env: [],
    mounts: [...mounts, serverTlsMount],
    ports: [{ name: "pgbackrest", port: PORT.pgbackrestTls }],
    requests: { cpu: 100, memory: 128 * 2 ** 20 },
    limits: { cpu: 1000, memory: 512 * 2 ** 20 },
    readinessProbe: { tcpPort: PORT.pgbackrestTls, periodSeconds: 10 },
  };
  const exporter: ContainerPlan = {
    name: "exporter",
    image: "postgres",
    command: ["prometheus-postgres-exporter", `--web.listen-address=:${PORT.postgresMetrics}`, `--extend.query-path=${layout.configDir}/exporter-queries.yaml`],
    env: [
      // Over TLS like every network client (pg_hba admits no other); loopback, so not verified.
      ["DATA_SOURCE_URI", { value: `127.0.0.1:${layout.port}/postgres?sslmode=require` }],
      ["DATA_SOURCE_USER", { value: MONITOR_ROLE }],
      ["DATA_SOURCE_PASS", { secret: objects.credentials, key: ENV.monitorPassword }],
    ],
    // exporter-queries.yaml: the age of the WAL not yet archived (PostgresWalArchiveStale).
    mounts: [{ volume: "config", path: layout.configDir, readOnly: true }],
    ports: [{ name: "metrics", port: PORT.postgresMetrics }],
    requests: { cpu: 50, memory: 64 * 2 ** 20 },
    limits: { cpu: 250, memory: 128 * 2 ** 20 },
    readinessProbe: { http: { path: "/metrics", port: PORT.postgresMetrics }, periodSeconds: 15 },
  };

  const plan = withCredentials({
    configMaps: [{ name: objects.config, files }],
    secrets: [
      { name: objects.credentials, data: credentials },
      { name: objects.serverTls, data: tls("server") },
      { name: objects.clientTls, data: tls("client") },
    ],
    servers: [
      {
        pod: {
          name: objects.statefulSet,
          labels: postgresPodLabels(spec.stack, name),
          annotations: { "drkit.dev/config-hash": configHash(files) },
          // OnRootMismatch: a large volume is not walked on every start once its root is right.
          // The bootstrap still restores PGDATA's 0700, which a full walk breaks.
          security: { uid: UID.postgres, gid: UID.postgres, fsGroup: UID.postgres, fsGroupChangePolicy: "OnRootMismatch" },
          initContainers: [bootstrap],
          containers: [server, pgbackrest, exporter],
          volumes: [
            { name: "data", kind: "data", size: postgres.storage.size, ...(postgres.storage.storageClass ? { storageClass: postgres.storage.storageClass } : {}) },
            { name: "config", kind: "configMap", object: objects.config, mode: 0o444 },
            // Group-readable for the postgres group (fsGroup); pgBackRest reads the key as uid 999.
            { name: "pgbackrest-tls", kind: "secret", object: objects.serverTls, mode: 0o440 },
            { name: "run", kind: "scratch", size: 16 * 2 ** 20, memory: true },
            { name: "tmp", kind: "scratch", size: 2 ** 30 },
          ],
          restartPolicy: "Always",
          // A fast shutdown checkpoints first; give it time before the kill.
          terminationGracePeriodSeconds: 120,
          // archive-push, and a dr/drill bootstrap's restore.
          objectStorage: true,
        },
        headlessService: objects.headless,
        services: [
          {
            name: objects.headless,
            headless: true,
            ports: [
              { name: "postgres", port: layout.port },
              { name: "pgbackrest", port: PORT.pgbackrestTls },
            ],
          },
          { name: objects.client, headless: false, ports: [{ name: "postgres", port: layout.port }] },
        ],
        retainData: spec.role !== "drill",
      },
    ],
    jobs: [],
  }, spec.credentials ?? "static-keys");
  // The bootstrap script refuses to start without these: the plan must give every one.
  const given = new Set(plan.servers[0]!.pod.initContainers[0]!.env.map(([variable]) => variable));
  const missing = bootstrapEnvironment(spec).filter((variable) => !given.has(variable));
  if (missing.length > 0) throw new Error(`the PostgreSQL plan cannot set ${missing.join(", ")}`);
  return plan;
}
