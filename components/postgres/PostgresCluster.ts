import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Objective, PostgresSpec, Role } from "../config";
import type { S3Access } from "../storage/BackupStorage";
import { planAccess } from "../storage/WorkloadRole";
import type { WorkloadIdentityArgs } from "../workloads/webIdentity";
import { certificateAuthority, type CertificateAuthority } from "../workloads/certificates";
import { clientPeers, configObjects, serverNetworkPolicy, serverObjects } from "../workloads/kubernetes";
import { PORT, postgresObjects } from "../workloads/names";
import type { SecretValue, WorkloadPlan } from "../workloads/plan";
import type { HostPlacement } from "../host/placement";
import type { PostgresInput } from "./input";
import { repositoryAt } from "./layout";
import { BACKUP_CLIENT_NAME } from "./pgbackrestConf";
import { BACKUP_JOB_LABEL, POSTGRES_CLIENT_LABEL, postgresHosts, postgresPlan } from "./plan";

export { BACKUP_JOB_LABEL, POSTGRES_CLIENT_LABEL };

export interface PostgresClusterArgs {
  /** The stack's name: pod labels and the certificate authority's name. */
  stack: string;
  /**
   * What an empty data volume gets: `primary` initialises it; `dr` and `drill` restore it from
   * `restoreSource` and then archive to `repository`. Outside `drill`, the data (volume claim,
   * StatefulSet, repository passphrase) is protected and retained.
   * @default "primary"
   */
  role?: Role;
  /** Namespace of every object (a Namespace resource's name, or the name of one that exists). */
  namespace: pulumi.Input<string>;
  /** Namespaces besides `namespace` whose pods labelled `drkit.dev/postgres-client` may connect. @default [] */
  clientNamespaces?: string[];
  /** The namespace Prometheus scrapes from: the exporter's port is open to it. @default "monitoring" */
  monitoringNamespace?: string;
  /** The store's settings: `drkit:postgres` parsed (`checkConfig(...).spec.postgres`), or built in code. */
  postgres: PostgresSpec;
  /** The store's objectives (`drkit:objectives.postgres`): the RPO sets archive_timeout, the RTO the recovery deadline. */
  objectives: Objective;
  /** drkit's `postgres` image (`DrkitImages.refs`), which the pod runs. */
  images: { postgres: pulumi.Input<string> };
  /** Write access to this stack's pgBackRest repository: its location is the repository (`BackupStorage.writers.pgbackrest`). */
  repository: S3Access;
  /** Read access to the repository to restore from (`BackupStorage.restore.postgres`). Required unless `role` is `primary`. */
  restoreSource?: S3Access;
  /**
   * A copy of the repository in another store (`BackupStorage.copy.writers.pgbackrest`), which
   * the cluster archives every WAL segment to as well, kept for its own point-in-time window
   * (seconds). @default none
   */
  copy?: { repository: S3Access; pitrWindow: number };
  /** The source repository's passphrase, when `postgres.restoreFrom.encrypted`. */
  sourceCipherPassphrase?: pulumi.Input<string>;
  /**
   * Roles for service accounts (IRSA): each pod that reaches the bucket assumes a role of its own,
   * and no key is created or held. Needs accesses made with `credentials: "web-identity"`.
   * @default none: the accesses' static keys, in Secrets
   */
  workloadIdentity?: WorkloadIdentityArgs;
  /**
   * Place the plan on a Docker host (`DockerHost` maps what is placed there) instead of creating
   * Kubernetes objects: no StatefulSet, Secrets, Services or NetworkPolicy are made, and the
   * Kubernetes-only outputs (the Secrets' names) are undefined. @default Kubernetes
   */
  placement?: HostPlacement;
}

/**
 * One PostgreSQL primary on Kubernetes whose WAL is archived with pgBackRest: the Kubernetes
 * mapping of `postgresPlan` (a StatefulSet with the bootstrap init container, postgres, the
 * pgBackRest TLS server and the exporter; its Secrets and ConfigMap; Services, a
 * PodDisruptionBudget), plus what only a cluster has: generated passwords, mTLS certificates,
 * per-database Secrets for applications and a NetworkPolicy.
 */
export class PostgresCluster extends pulumi.ComponentResource {
  /** The client Service's in-cluster DNS name. */
  /** The IAM roles its pods assume, by ServiceAccount (none with static keys). */
  public readonly workloadRoleArns: Record<string, pulumi.Output<string>>;
  public readonly host: pulumi.Output<string>;
  public readonly port: number;
  /** Secret with POSTGRES_PASSWORD and the other bootstrap variables (Kubernetes; undefined on a Docker host). */
  public readonly credentialsSecretName?: pulumi.Output<string>;
  /** Per-database Secrets (username, password, host, port, dbname, uri) for applications (Kubernetes; none on a Docker host). */
  public readonly databaseSecretNames: Record<string, pulumi.Output<string>>;
  /** Per-database connection URIs with the owner's password (Pulumi secrets), on either target. */
  public readonly databaseUris: Record<string, pulumi.Output<string>>;
  /** Secret with the pgBackRest client certificate (ca.crt, tls.crt, tls.key) for backup jobs (Kubernetes; undefined on a Docker host). */
  public readonly backupClientSecretName?: pulumi.Output<string>;
  /** The pgBackRest TLS server's address for backup jobs: the pod's stable DNS name. */
  public readonly pgbackrestHost: pulumi.Output<string>;
  /** The repository passphrase (a secret): what a dr stack needs to restore these backups. */
  public readonly repoCipherPassphrase: pulumi.Output<string>;
  /** The TLS material the backup jobs' Secrets carry (the CA and the client pair). */
  public readonly clientTls: Record<"ca.crt" | "tls.crt" | "tls.key", pulumi.Output<string>>;
  /** Labels on the PostgreSQL pod (PodMonitors select on them). */
  public readonly podLabels: Record<string, string>;
  /** What the cluster was made from: its settings and repositories (BackupSchedule builds its jobs from it). */
  public readonly input: PostgresInput;
  /** The name its Kubernetes objects, its backup jobs and its alerts are named after: the component's name. */
  public readonly workloadName: string;

  constructor(name: string, args: PostgresClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:postgres:PostgresCluster", name, {}, opts);
    const { namespace, postgres } = args;
    const role = args.role ?? "primary";
    const restoring = role !== "primary";
    if (restoring && !args.restoreSource) throw new Error(`PostgresCluster '${name}' (role ${role}) needs restoreSource: the repository to restore from`);
    if (restoring && !postgres.restoreFrom) throw new Error(`PostgresCluster '${name}' (role ${role}) needs postgres.restoreFrom: the source's stanza and encryption`);
    if (restoring && postgres.restoreFrom?.encrypted && !args.sourceCipherPassphrase) throw new Error(`PostgresCluster '${name}' needs sourceCipherPassphrase: the source repository is encrypted`);
    const from = restoring ? postgres.restoreFrom : undefined;
    // The storage access is the one source of where the repositories are.
    const input: PostgresInput = {
      stack: args.stack,
      role,
      postgres,
      objectives: { postgres: args.objectives },
      repository: repositoryAt(args.repository.location, postgres.backups.stanza, postgres.backups.encrypt),
      ...(from && args.restoreSource ? { source: repositoryAt(args.restoreSource.location, from.stanza, from.encrypted) } : {}),
      ...(args.copy ? { copy: { repository: repositoryAt(args.copy.repository.location, postgres.backups.stanza, postgres.backups.encrypt), pitrWindow: args.copy.pitrWindow } } : {}),
      credentials: args.workloadIdentity ? "web-identity" : "static-keys",
    };
    this.input = input;
    const plan = postgresPlan(input, { name });
    const hosts = pulumi.output(namespace).apply((ns) => postgresHosts(ns, name));
    const parent = { parent: this };
    // Data outlives a mistaken `pulumi destroy` everywhere but in a disposable drill.
    const keep: pulumi.CustomResourceOptions = role === "drill" ? {} : { protect: true, retainOnDelete: true };
    const server = plan.servers[0]!;
    this.podLabels = server.pod.labels;
    this.workloadName = name;
    this.port = PORT.postgres;
    this.host = hosts.client;
    this.pgbackrestHost = hosts.pod;

    // --- secrets -------------------------------------------------------------------------
    const passwords = new Map<string, pulumi.Output<string>>();
    const password = (id: string) => {
      if (!passwords.has(id)) passwords.set(id, new random.RandomPassword(`${name}-${id}`, { length: 32, special: false }, parent).result);
      return passwords.get(id)!;
    };
    this.repoCipherPassphrase = pulumi.secret(new random.RandomPassword(`${name}-repo-cipher`, { length: 48, special: false }, { parent: this, ...keep }).result);

    // --- mTLS between backup jobs and the pgBackRest server, and TLS for clients --------------
    const ca = certificateAuthority(name, `drkit ${args.stack} ${name} pgBackRest CA`, parent);
    const serverPair = ca.issue("server", hosts.pod, ["server_auth"], hosts.serverNames);
    const client = ca.issue("client", BACKUP_CLIENT_NAME, ["client_auth"], []);
    this.clientTls = { "ca.crt": ca.certPem, "tls.crt": client.cert, "tls.key": client.key };

    // --- the plan's Secrets, ConfigMap and StatefulSet ---------------------------------------
    const access = planAccess(
      `PostgresCluster '${name}'`,
      plan,
      { accesses: { pgbackrest: args.repository, ...(args.restoreSource ? { pgbackrestSource: args.restoreSource } : {}), ...(args.copy ? { pgbackrestCopy: args.copy.repository } : {}) }, namespace, ...(args.workloadIdentity ? { workloadIdentity: args.workloadIdentity } : {}) },
      this,
    );
    const secretValue = (value: SecretValue): pulumi.Input<string> => {
      switch (value.kind) {
        case "password":
          return password(value.id);
        case "s3Key":
          return access.s3Key(value);
        case "cipher":
          if (value.repository === "own") return this.repoCipherPassphrase;
          return args.sourceCipherPassphrase!;
        case "tls": {
          if (value.part === "ca.crt") return ca.certPem;
          const pair = value.peer === "server" ? serverPair : client;
          return value.part === "tls.crt" ? pair.cert : pair.key;
        }
        case "redisAcl":
        case "redisTls":
          throw new Error(`a PostgreSQL plan has no ${value.kind} secret`);
      }
    };
    this.workloadRoleArns = access.roleArns;
    this.databaseUris = Object.fromEntries(
      postgres.databases.map((db) => [db.name, pulumi.secret(pulumi.interpolate`postgresql://${db.owner}:${password(`owner-${db.owner}`)}@${hosts.client}:${PORT.postgres}/${db.name}?sslmode=require`)]),
    );
    if (args.placement) {
      args.placement.add(`PostgresCluster '${name}'`, plan, secretValue);
      this.databaseSecretNames = {};
    } else {
      const kubernetes = this.onKubernetes(name, args, plan, { secretValue, roleArn: access.roleArn, password, hosts, ca, keep });
      this.credentialsSecretName = kubernetes.credentialsSecretName;
      this.backupClientSecretName = kubernetes.backupClientSecretName;
      this.databaseSecretNames = kubernetes.databaseSecretNames;
    }

    this.registerOutputs({
      host: this.host,
      credentialsSecretName: this.credentialsSecretName,
      backupClientSecretName: this.backupClientSecretName,
      pgbackrestHost: this.pgbackrestHost,
      repoCipherPassphrase: this.repoCipherPassphrase,
    });
  }

  /** The Kubernetes objects of the plan, and what only a cluster has: per-database Secrets, a NetworkPolicy. */
  private onKubernetes(
    name: string,
    args: PostgresClusterArgs,
    plan: WorkloadPlan,
    made: { secretValue: (value: SecretValue) => pulumi.Input<string>; roleArn: (serviceAccount: string) => pulumi.Input<string>; password: (id: string) => pulumi.Output<string>; hosts: pulumi.Output<ReturnType<typeof postgresHosts>>; ca: CertificateAuthority; keep: pulumi.CustomResourceOptions },
  ) {
    const { namespace, postgres } = args;
    const { secretValue, password, hosts, ca, keep } = made;
    const parent = { parent: this };
    const objects = postgresObjects(name);
    const server = plan.servers[0]!;
    const mapping = { namespace, images: args.images, secretValue, labels: this.podLabels, roleArn: made.roleArn };
    const { secrets, configMaps } = configObjects(plan, mapping, this);
    const credentialsSecretName = secrets[objects.credentials]!.metadata.name;
    const backupClientSecretName = secrets[objects.clientTls]!.metadata.name;
    const serviceAccount = new k8s.core.v1.ServiceAccount(name, { metadata: { name: objects.statefulSet, namespace, labels: this.podLabels }, automountServiceAccountToken: false }, parent);
    serverObjects(server, mapping, {
      parent: this,
      serviceAccountName: serviceAccount.metadata.name,
      dependsOn: [...Object.values(secrets), ...Object.values(configMaps)],
      keep,
    });

    // --- what applications use ---------------------------------------------------------------
    const databaseSecretNames: Record<string, pulumi.Output<string>> = {};
    for (const db of postgres.databases) {
      const ownerPassword = password(`owner-${db.owner}`);
      const secret = new k8s.core.v1.Secret(
        `${name}-db-${db.name}`,
        {
          metadata: { name: `${name}-db-${db.name}`, namespace, labels: this.podLabels },
          type: "Opaque",
          stringData: pulumi.secret({
            username: db.owner,
            password: ownerPassword,
            host: hosts.client,
            port: String(PORT.postgres),
            dbname: db.name,
            // TLS is the only way in (the uri asks for it); with ca.crt, sslmode=verify-full also
            // checks that the server is the one the certificate names.
            "ca.crt": ca.certPem,
            uri: this.databaseUris[db.name]!,
          }),
        },
        parent,
      );
      databaseSecretNames[db.name] = secret.metadata.name;
    }

    // --- network -------------------------------------------------------------------------------
    serverNetworkPolicy(
      name,
      {
        objectName: objects.statefulSet,
        namespace,
        podLabels: this.podLabels,
        ingress: [
          { from: clientPeers(namespace, args.clientNamespaces ?? [], POSTGRES_CLIENT_LABEL), port: PORT.postgres },
          { from: [{ podSelector: { matchLabels: BACKUP_JOB_LABEL } }], port: PORT.pgbackrestTls },
        ],
        monitoringNamespace: args.monitoringNamespace ?? "monitoring",
        metricsPort: PORT.postgresMetrics,
      },
      parent,
    );
    return { credentialsSecretName, backupClientSecretName, databaseSecretNames };
  }
}
