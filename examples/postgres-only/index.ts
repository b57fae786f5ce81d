/**
 * A program of your own that takes only what it needs from drkit: the backup storage, one
 * PostgreSQL cluster with its backup jobs, and the alert rules that watch it, on a cluster and in
 * a namespace the program already has. The components compose through each other's outputs; the
 * names are the program's own ("orders-db"), and the jobs, claims and alerts follow them.
 *
 * In your project the import is `from "drkit"`; here it is the repository's source, so that the
 * tests typecheck and render this very file (test/stacks/postgresOnly.test.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AlertRules, BackupSchedule, BackupStorage, backupStorageArgs, checkConfig, cloudProviders, DrkitImages, formatProblems, PostgresCluster, rawSpecFromConfig, workloadIdentityOf } from "../../components";

// The stack file's drkit:* keys, parsed and reviewed as `drkit review` does.
const checked = checkConfig(rawSpecFromConfig(pulumi.runtime.allConfig()), { stack: pulumi.getStack() });
if (!checked.ok) throw new pulumi.RunError(formatProblems(checked.problems));
const spec = checked.spec;

// The cluster from the ambient kubeconfig, and a namespace this program owns.
const provider = new k8s.Provider("cluster", {});
const namespace = new k8s.core.v1.Namespace("orders", { metadata: { name: spec.cluster.namespace } }, { provider }).metadata.name;

// The bucket, and what each data path the stack file names may do in it (backupStorageArgs reads
// them from it): a role per pod where the cluster's ServiceAccounts are trusted (IRSA), else keys.
const cloud = cloudProviders(spec);
const storage = new BackupStorage("backups", backupStorageArgs(spec), { providers: cloud });
const roles = workloadIdentityOf(spec);
const workloadIdentity = roles ? { workloadIdentity: roles } : {};
// The Kubernetes objects on the cluster, the pods' IAM roles through the stack's AWS provider.
const onCluster = { providers: [provider, ...Object.values(cloud)] };
const repository = storage.writers.pgbackrest!;
const images = new DrkitImages("images", { settings: spec.images, postgresVersion: spec.postgres.version, only: ["postgres", "jobs"] }).refs;

const ordersDb = new PostgresCluster(
  "orders-db",
  {
    stack: spec.stack,
    namespace,
    // Reachable from the stack file's client namespaces too; scraped from its monitoring namespace.
    clientNamespaces: spec.cluster.clientNamespaces,
    monitoringNamespace: spec.alerts.namespace,
    postgres: spec.postgres,
    objectives: spec.objectives.postgres,
    images,
    repository,
    ...workloadIdentity,
  },
  onCluster,
);
const backups = new BackupSchedule(
  "orders-db-backups",
  {
    cluster: ordersDb,
    namespace,
    timeZone: spec.timeZone,
    images,
    repository,
    repositoryReader: storage.repositoryReader!,
    // Where the bucket replicates, the archive check also measures the replica's lag.
    ...(storage.replicaRepositoryReader ? { replicaRepositoryReader: storage.replicaRepositoryReader } : {}),
    ...(storage.writers.dumps ? { dumps: storage.writers.dumps } : {}),
    ...workloadIdentity,
  },
  onCluster,
);
new AlertRules("orders-db-alerts", { settings: spec, namespace, postgres: ordersDb }, { provider });

export const host = ordersDb.host;
export const databaseSecrets = ordersDb.databaseSecretNames;
export const cronJobs = backups.cronJobNames;
