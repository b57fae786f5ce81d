import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import type { DrSpec } from "../spec";
import { formatCpu, formatSize } from "../spec";
import type { S3Access } from "../storage/BackupStorage";
import { bootstrapEnvironment, ownerPasswordVariable, renderBootstrapScript } from "./bootstrap";
import { containerLayout, ownRepository, sourceRepository } from "./layout";
import { BACKUP_CLIENT_NAME, PGBACKREST_TLS_PORT, renderPgbackrestConf, renderRestoreConf, tlsServerCommand } from "./pgbackrestConf";
import { renderPgHba, renderPostgresqlConf } from "./postgresqlConf";

/** postgres_exporter, for pg_up, pg_stat_archiver_* and pg_stat_activity_count (design.md §6). */
export const POSTGRES_EXPORTER_IMAGE = "quay.io/prometheuscommunity/postgres-exporter:v0.16.0";
/** uid/gid of the postgres user in the official image. */
const POSTGRES_UID = 999;
const TLS_DIR = "/etc/drkit/tls";
const CERT_VALIDITY_HOURS = 5 * 365 * 24;
const CERT_RENEWAL_HOURS = 180 * 24;

/** The label a pod needs for the NetworkPolicy to let it reach PostgreSQL on 5432. */
export const POSTGRES_CLIENT_LABEL = { "drkit.dev/postgres-client": "true" };
/** The label backup and verification job pods carry, admitted to the pgBackRest TLS server. */
export const BACKUP_JOB_LABEL = { "drkit.dev/role": "backup-job" };

export interface PostgresClusterArgs {
  /** The parsed stack spec. */
  spec: DrSpec;
  /** Namespace of every object. */
  namespace: pulumi.Input<string>;
  /** The PostgreSQL + pgBackRest image (`postgresImageRef`). */
  image: pulumi.Input<string>;
  /** Write access to this stack's pgBackRest repository prefix. */
  repository: S3Access;
  /** Read access to the repository to restore from. Required for dr and drill stacks. */
  restoreSource?: S3Access;
  /** The source repository's passphrase, when it is encrypted (dr and drill stacks). */
  sourceCipherPassphrase?: pulumi.Input<string>;
}

/**
 * One PostgreSQL primary on Kubernetes whose WAL is archived with pgBackRest (design.md §3, §5):
 * a StatefulSet with the bootstrap init container (initdb, or restore-and-promote in dr/drill
 * stacks), the postgres container, a pgBackRest TLS server for backup jobs and a
 * postgres_exporter sidecar; Secrets with generated passwords, a ConfigMap with the rendered
 * configuration, Services, a PodDisruptionBudget and a NetworkPolicy.
 */
export class PostgresCluster extends pulumi.ComponentResource {
  /** The client Service's in-cluster DNS name. */
  public readonly host: pulumi.Output<string>;
  public readonly port: number;
  /** Secret with POSTGRES_PASSWORD and the other bootstrap variables. */
  public readonly credentialsSecretName: pulumi.Output<string>;
  /** Per-database Secrets (username, password, host, port, dbname, uri) for applications. */
  public readonly databaseSecretNames: Record<string, pulumi.Output<string>>;
  /** Secret with the pgBackRest client certificate (ca.crt, tls.crt, tls.key) for backup jobs. */
  public readonly backupClientSecretName: pulumi.Output<string>;
  /** The pgBackRest TLS server's address for backup jobs: the pod's stable DNS name. */
  public readonly pgbackrestHost: pulumi.Output<string>;
  /** The repository passphrase (a secret): what a dr stack needs to restore these backups. */
  public readonly repoCipherPassphrase: pulumi.Output<string>;
  /** Labels on the PostgreSQL pod (PodMonitors select on them). */
  public readonly podLabels: Record<string, string>;

  constructor(name: string, args: PostgresClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:postgres:PostgresCluster", name, {}, opts);
    const { spec, namespace } = args;
    const { postgres } = spec;
    const restoring = spec.role !== "primary";
    if (restoring && !args.restoreSource) throw new Error(`a ${spec.role} stack's PostgresCluster needs restoreSource`);
    const layout = containerLayout(postgres.version);
    const parent = { parent: this };
    // Data outlives a mistaken `pulumi destroy` everywhere but in a disposable drill.
    const keep: pulumi.CustomResourceOptions = spec.role === "drill" ? {} : { protect: true, retainOnDelete: true };

    this.podLabels = {
      "app.kubernetes.io/name": "postgres",
      "app.kubernetes.io/instance": `${spec.stack}-${name}`,
      "app.kubernetes.io/component": "database",
      "app.kubernetes.io/part-of": "drkit",
      "app.kubernetes.io/managed-by": "pulumi",
    };
    const metadata = (suffix: string) => ({ name: suffix ? `${name}-${suffix}` : name, namespace, labels: this.podLabels });
    const headless = `${name}-headless`;
    this.port = layout.port;

    // --- secrets -------------------------------------------------------------------------
    const password = (part: string) => new random.RandomPassword(`${name}-${part}`, { length: 32, special: false }, parent).result;
    const superuser = password("superuser");
    const monitor = password("monitor");
    const owners = [...new Set(postgres.databases.map((db) => db.owner))];
    const ownerPasswords = Object.fromEntries(owners.map((owner) => [owner, password(`owner-${owner}`)]));
    this.repoCipherPassphrase = pulumi.secret(new random.RandomPassword(`${name}-repo-cipher`, { length: 48, special: false }, { parent: this, ...keep }).result);

    const environment: Record<string, pulumi.Input<string>> = {
      POSTGRES_PASSWORD: superuser,
      DRKIT_MONITOR_PASSWORD: monitor,
      ...Object.fromEntries(owners.map((owner) => [ownerPasswordVariable(owner), ownerPasswords[owner]!])),
      PGBACKREST_REPO1_S3_KEY: args.repository.credentials.accessKeyId,
      PGBACKREST_REPO1_S3_KEY_SECRET: args.repository.credentials.secretAccessKey,
      ...(postgres.backups.encrypt ? { PGBACKREST_REPO1_CIPHER_PASS: this.repoCipherPassphrase } : {}),
      ...(restoring && args.restoreSource
        ? {
            PGBACKREST_REPO2_S3_KEY: args.restoreSource.credentials.accessKeyId,
            PGBACKREST_REPO2_S3_KEY_SECRET: args.restoreSource.credentials.secretAccessKey,
            ...(postgres.restoreFrom?.encrypted && args.sourceCipherPassphrase ? { PGBACKREST_REPO2_CIPHER_PASS: args.sourceCipherPassphrase } : {}),
          }
        : {}),
    };
    const missing = bootstrapEnvironment(spec).filter((variable) => !(variable in environment));
    if (missing.length > 0) throw new Error(`PostgresCluster '${name}' cannot set ${missing.join(", ")} (is sourceCipherPassphrase missing?)`);
    const credentials = new k8s.core.v1.Secret(
      `${name}-credentials`,
      { metadata: metadata("credentials"), type: "Opaque", stringData: pulumi.secret(environment) as pulumi.Input<Record<string, pulumi.Input<string>>> },
      parent,
    );
    this.credentialsSecretName = credentials.metadata.name;
    this.host = pulumi.interpolate`${name}.${namespace}.svc`;

    this.databaseSecretNames = {};
    for (const db of postgres.databases) {
      const secret = new k8s.core.v1.Secret(
        `${name}-db-${db.name}`,
        {
          metadata: metadata(`db-${db.name}`),
          type: "Opaque",
          stringData: pulumi.secret({
            username: db.owner,
            password: ownerPasswords[db.owner]!,
            host: this.host,
            port: String(layout.port),
            dbname: db.name,
            uri: pulumi.interpolate`postgresql://${db.owner}:${ownerPasswords[db.owner]!}@${this.host}:${layout.port}/${db.name}`,
          }),
        },
        parent,
      );
      this.databaseSecretNames[db.name] = secret.metadata.name;
    }

    // --- mTLS between backup jobs and the pgBackRest server --------------------------------
    const key = (part: string) => new tls.PrivateKey(`${name}-${part}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
    const caKey = key("ca");
    const ca = new tls.SelfSignedCert(
      `${name}-ca`,
      {
        privateKeyPem: caKey.privateKeyPem,
        isCaCertificate: true,
        subject: { commonName: `drkit ${spec.stack} ${name} pgBackRest CA` },
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        validityPeriodHours: CERT_VALIDITY_HOURS,
        earlyRenewalHours: CERT_RENEWAL_HOURS,
      },
      parent,
    );
    this.pgbackrestHost = pulumi.interpolate`${name}-0.${headless}.${namespace}.svc`;
    const signed = (part: string, commonName: pulumi.Input<string>, uses: string[], dnsNames: pulumi.Input<string>[]) => {
      const privateKey = key(part);
      const request = new tls.CertRequest(`${name}-${part}-request`, { privateKeyPem: privateKey.privateKeyPem, subject: { commonName }, dnsNames }, parent);
      const cert = new tls.LocallySignedCert(
        `${name}-${part}-cert`,
        {
          certRequestPem: request.certRequestPem,
          caPrivateKeyPem: caKey.privateKeyPem,
          caCertPem: ca.certPem,
          allowedUses: ["digital_signature", "key_encipherment", ...uses],
          validityPeriodHours: CERT_VALIDITY_HOURS,
          earlyRenewalHours: CERT_RENEWAL_HOURS,
        },
        parent,
      );
      return { cert: cert.certPem, key: privateKey.privateKeyPem };
    };
    const server = signed("server", this.pgbackrestHost, ["server_auth"], [this.pgbackrestHost, pulumi.interpolate`${name}-0.${headless}`]);
    const client = signed("client", BACKUP_CLIENT_NAME, ["client_auth"], []);
    const tlsSecret = (part: string, pair: { cert: pulumi.Output<string>; key: pulumi.Output<string> }) =>
      new k8s.core.v1.Secret(
        `${name}-${part}`,
        { metadata: metadata(part), type: "Opaque", stringData: pulumi.secret({ "ca.crt": ca.certPem, "tls.crt": pair.cert, "tls.key": pair.key }) },
        parent,
      );
    const serverTls = tlsSecret("pgbackrest-server", server);
    this.backupClientSecretName = tlsSecret("pgbackrest-client", client).metadata.name;

    // --- configuration (no secrets) ----------------------------------------------------
    const source = restoring ? sourceRepository(spec) : undefined;
    const files: Record<string, string> = {
      "postgresql.conf": renderPostgresqlConf(spec, layout),
      "pg_hba.conf": renderPgHba(),
      "pgbackrest.conf": renderPgbackrestConf(spec, layout, ownRepository(spec)),
      "bootstrap.sh": renderBootstrapScript({ spec, layout, ...(source ? { source } : {}) }),
      ...(source ? { "pgbackrest-restore.conf": renderRestoreConf(spec, layout, source) } : {}),
    };
    const config = new k8s.core.v1.ConfigMap(`${name}-config`, { metadata: metadata("config"), data: files }, parent);

    // --- workload ------------------------------------------------------------------------
    const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}`, { metadata: metadata(""), automountServiceAccountToken: false }, parent);
    const resources = { cpu: formatCpu(postgres.resources.cpu), memory: formatSize(postgres.resources.memory) };
    const hardened = {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    };
    const mounts = [
      { name: "data", mountPath: "/var/lib/postgresql/data" },
      { name: "config", mountPath: layout.configDir, readOnly: true },
      { name: "run", mountPath: layout.socketDir },
      { name: "tmp", mountPath: "/tmp" },
    ];
    const pgIsReady = ["pg_isready", "-h", layout.socketDir, "-p", String(layout.port), "-U", "postgres"];
    const secretEnv = [{ secretRef: { name: credentials.metadata.name } }];

    new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: metadata(""),
        spec: {
          serviceName: headless,
          replicas: 1,
          selector: { matchLabels: this.podLabels },
          // The volume is the data: deleting the StatefulSet must not delete it (drills excepted).
          persistentVolumeClaimRetentionPolicy: spec.role === "drill" ? { whenDeleted: "Delete", whenScaled: "Delete" } : { whenDeleted: "Retain", whenScaled: "Retain" },
          template: {
            metadata: { labels: this.podLabels, annotations: { "drkit.dev/config-hash": configHash(files) } },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              automountServiceAccountToken: false,
              securityContext: { runAsUser: POSTGRES_UID, runAsGroup: POSTGRES_UID, fsGroup: POSTGRES_UID, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
              // A fast shutdown checkpoints first; give it time before the kill.
              terminationGracePeriodSeconds: 120,
              initContainers: [
                {
                  name: "bootstrap",
                  image: args.image,
                  command: ["bash", `${layout.configDir}/bootstrap.sh`],
                  envFrom: secretEnv,
                  resources: { requests: resources, limits: resources },
                  securityContext: hardened,
                  volumeMounts: mounts,
                },
              ],
              containers: [
                {
                  name: "postgres",
                  image: args.image,
                  command: ["postgres", "-D", layout.dataDir, "-c", `config_file=${layout.configDir}/postgresql.conf`],
                  // archive-push reads the repository credentials from here.
                  envFrom: secretEnv,
                  ports: [{ name: "postgres", containerPort: layout.port }],
                  resources: { requests: resources, limits: resources },
                  securityContext: hardened,
                  volumeMounts: mounts,
                  startupProbe: { exec: { command: pgIsReady }, periodSeconds: 5, failureThreshold: 720 },
                  readinessProbe: { exec: { command: pgIsReady }, periodSeconds: 5, failureThreshold: 3 },
                  livenessProbe: { exec: { command: pgIsReady }, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
                },
                {
                  name: "pgbackrest",
                  image: args.image,
                  command: tlsServerCommand(layout, postgres.backups.stanza, TLS_DIR),
                  ports: [{ name: "pgbackrest", containerPort: PGBACKREST_TLS_PORT }],
                  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
                  securityContext: hardened,
                  volumeMounts: [...mounts, { name: "pgbackrest-tls", mountPath: TLS_DIR, readOnly: true }],
                  readinessProbe: { tcpSocket: { port: PGBACKREST_TLS_PORT }, periodSeconds: 10 },
                },
                {
                  name: "exporter",
                  image: POSTGRES_EXPORTER_IMAGE,
                  env: [
                    { name: "DATA_SOURCE_URI", value: `127.0.0.1:${layout.port}/postgres?sslmode=disable` },
                    { name: "DATA_SOURCE_USER", value: "drkit_monitor" },
                    { name: "DATA_SOURCE_PASS", valueFrom: { secretKeyRef: { name: credentials.metadata.name, key: "DRKIT_MONITOR_PASSWORD" } } },
                  ],
                  ports: [{ name: "metrics", containerPort: 9187 }],
                  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "128Mi" } },
                  securityContext: hardened,
                  readinessProbe: { httpGet: { path: "/metrics", port: "metrics" }, periodSeconds: 15 },
                },
              ],
              volumes: [
                { name: "config", configMap: { name: config.metadata.name, defaultMode: 0o444 } },
                // Group-readable for the postgres group (fsGroup); pgBackRest reads the key as uid 999.
                { name: "pgbackrest-tls", secret: { secretName: serverTls.metadata.name, defaultMode: 0o440 } },
                { name: "run", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
                { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data", labels: this.podLabels },
              spec: {
                accessModes: ["ReadWriteOnce"],
                ...(postgres.storage.storageClass ? { storageClassName: postgres.storage.storageClass } : {}),
                resources: { requests: { storage: formatSize(postgres.storage.size) } },
              },
            },
          ],
        },
      },
      { parent: this, ...keep },
    );

    // --- network -------------------------------------------------------------------------
    new k8s.core.v1.Service(
      headless,
      {
        metadata: metadata("headless"),
        spec: {
          clusterIP: "None",
          selector: this.podLabels,
          ports: [
            { name: "postgres", port: layout.port, targetPort: "postgres" },
            { name: "pgbackrest", port: PGBACKREST_TLS_PORT, targetPort: "pgbackrest" },
          ],
        },
      },
      parent,
    );
    new k8s.core.v1.Service(
      `${name}-client`,
      { metadata: metadata(""), spec: { selector: this.podLabels, ports: [{ name: "postgres", port: layout.port, targetPort: "postgres" }] } },
      parent,
    );
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}`,
      // One primary: a drain must wait for an operator's decision instead of evicting it.
      { metadata: metadata(""), spec: { minAvailable: 1, selector: { matchLabels: this.podLabels } } },
      parent,
    );
    new k8s.networking.v1.NetworkPolicy(
      `${name}`,
      {
        metadata: metadata(""),
        spec: {
          podSelector: { matchLabels: this.podLabels },
          policyTypes: ["Ingress"],
          ingress: [
            { from: [{ namespaceSelector: {}, podSelector: { matchLabels: POSTGRES_CLIENT_LABEL } }], ports: [{ protocol: "TCP", port: layout.port }] },
            { from: [{ podSelector: { matchLabels: BACKUP_JOB_LABEL } }], ports: [{ protocol: "TCP", port: PGBACKREST_TLS_PORT }] },
            {
              from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": spec.alerts.namespace } } }],
              ports: [{ protocol: "TCP", port: 9187 }],
            },
          ],
        },
      },
      parent,
    );

    this.registerOutputs({
      host: this.host,
      credentialsSecretName: this.credentialsSecretName,
      backupClientSecretName: this.backupClientSecretName,
      pgbackrestHost: this.pgbackrestHost,
      repoCipherPassphrase: this.repoCipherPassphrase,
    });
  }
}

/** A short hash of the rendered files: a changed config rolls the pod. */
function configHash(files: Record<string, string>): string {
  return createHash("sha256").update(JSON.stringify(files)).digest("hex").slice(0, 16);
}
