import * as pulumi from "@pulumi/pulumi";
import { AlertRules, alertTargets, JobMetrics, renderRuleFile, renderScrapeConfig } from "../alerts";
import { BackupSchedule } from "../backup";
import { PostgresCluster } from "../postgres";
import { RedisServer } from "../redis";
import type { DrSpec } from "../config";
import { BackupStorage, backupStorageArgs, type BackupStorageArgs, type S3Credentials } from "../storage";
import { MediaMirror } from "../media/MediaMirror";
import { workloadIdentityOf } from "../workloads/webIdentity";
import { DrkitImages } from "../workloads/DrkitImages";
import { kubernetesTarget } from "./kubernetes";
import { dockerProvider } from "./host";
import type * as docker from "@pulumi/docker";
import { DockerHost } from "../host/DockerHost";
import { HostImages } from "../host/HostImages";
import { HostPlacement } from "../host/placement";
import { HostFirewall } from "../host/HostFirewall";
import { HostMachine } from "../host/HostMachine";
import { hostWorkloadPlan, publishedPorts } from "../host/plan";
import { cloudProviders } from "./providers";

export interface DrRegionArgs {
  /** The parsed stack spec (`checkConfig`, `parseSpec`): every child reads its own section. */
  spec: DrSpec;
  /**
   * The source repository's passphrase, for a dr or drill stack whose source is encrypted
   * (`drkit:postgres.restoreFrom.encrypted`): the source stack's `repoCipherPassphrase` output.
   * @default none (required when the source is encrypted)
   */
  sourceCipherPassphrase?: pulumi.Input<string>;
  /**
   * The key pairs of S3-compatible stores, where drkit cannot create keys (secret config keys
   * `drkit:storageCredentials`, `drkit:copyCredentials`, `drkit:restoreCredentials`, and the
   * application's media bucket's `drkit:mediaCredentials`): required
   * where the spec uses such a store. @default none
   */
  storeKeys?: BackupStorageArgs["keys"] & { media?: S3Credentials };
}

/**
 * One region's disaster-recovery footprint: the backup storage (bucket, replica, identities),
 * the cluster the workloads run in, drkit's images, PostgreSQL with its backup jobs, Redis when
 * the spec enables it, the job-metrics gateway and the alert rules, wired together through each
 * other's outputs. A `pulumi up` of a stack whose program is one `DrRegion` is the whole stack.
 */
export class DrRegion extends pulumi.ComponentResource {
  public readonly storage: BackupStorage;
  /** Undefined when `drkit:postgres.enabled` is false. */
  public readonly postgres?: PostgresCluster;
  /** PostgreSQL's backup jobs; undefined without PostgreSQL. */
  public readonly backups?: BackupSchedule;
  /** Undefined when `drkit:redis.enabled` is false. */
  public readonly redis?: RedisServer;
  /** The media mirror (`drkit:media`); undefined without it. */
  public readonly media?: MediaMirror;
  /** The gateway PostgreSQL's jobs report to; undefined without PostgreSQL (no other job reports). */
  public readonly jobMetrics?: JobMetrics;
  /** The PrometheusRule and PodMonitors (Kubernetes; undefined on a Docker host). */
  public readonly alerts?: AlertRules;
  /** The Docker host's objects (`drkit:target: docker`); undefined on Kubernetes. */
  public readonly host?: DockerHost;
  /** The machine drkit created for the Docker host (`drkit:host.provision`); undefined otherwise. */
  public readonly machine?: HostMachine;
  /**
   * On a Docker host, where no PrometheusRule or PodMonitor exists: the alert contract as a plain
   * Prometheus rule file and the scrape configuration of the exporters, the job-metrics gateway and
   * the scheduler, for the team's Prometheus. Undefined on Kubernetes.
   */
  public readonly hostMonitoring?: { ruleFile: string; scrapeConfig: string };

  constructor(name: string, args: DrRegionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:region:DrRegion", name, {}, opts);
    const { spec } = args;
    // The children were once the program's own resources: the aliases keep a stack deployed
    // before DrRegion existed from replacing (and, for the protected ones, refusing) them all.
    const child = (options: pulumi.CustomResourceOptions | pulumi.ComponentResourceOptions = {}) => ({ ...options, parent: this, aliases: [{ parent: pulumi.rootStackResource }] });
    const sourcePassphrase = spec.role !== "primary" && spec.postgres.restoreFrom?.encrypted ? args.sourceCipherPassphrase : undefined;

    const providers = cloudProviders(spec, child());
    this.storage = new BackupStorage("backups", { ...backupStorageArgs(spec), ...(args.storeKeys ? { keys: args.storeKeys } : {}) }, child({ providers }));
    const copy = this.storage.copy;
    const only = [...(spec.postgres.enabled ? (["postgres"] as const) : []), ...(spec.redis.enabled ? (["redis"] as const) : []), "jobs" as const];
    // On Kubernetes, objects on the stack's cluster and the workloads' IAM roles through the
    // stack's AWS provider; on a Docker host, the components place their plans for DockerHost.
    let onCluster: pulumi.ComponentResourceOptions;
    let namespace: pulumi.Input<string>;
    let images: Record<(typeof only)[number], pulumi.Output<string>>;
    let placement: HostPlacement | undefined;
    let engine: docker.Provider | undefined;
    let machine: HostMachine | undefined;
    if (spec.target === "docker") {
      placement = new HostPlacement();
      const provision = spec.host.provision;
      machine = provision ? new HostMachine("host-machine", { stack: spec.stack, provision, retainData: spec.role !== "drill", tags: spec.tags }, child({ providers: Object.values(providers) })) : undefined;
      engine = dockerProvider(spec, machine, child());
      namespace = spec.cluster.namespace;
      onCluster = child({ providers: Object.values(providers) });
      // Pushed to a registry when one is set, else built on the host itself.
      const pushed = spec.images.registry ? new DrkitImages("images", { settings: spec.images, postgresVersion: spec.postgres.version, only }, child()).refs : undefined;
      images = new HostImages("host-images", { settings: spec.images, postgresVersion: spec.postgres.version, only, ...(pushed ? { pushed } : {}) }, child({ providers: [engine] })).refs;
    } else {
      const kubernetes = kubernetesTarget(spec, child());
      namespace = kubernetes.namespace;
      onCluster = child({ providers: [kubernetes.provider, ...Object.values(providers)] });
      images = new DrkitImages("images", { settings: spec.images, postgresVersion: spec.postgres.version, only }, child()).refs;
    }
    const onHost = placement ? { placement } : {};
    const roles = workloadIdentityOf(spec);
    const workloadIdentity = roles ? { workloadIdentity: roles } : {};
    const image = (name: "postgres" | "redis") => {
      const ref = images[name];
      if (!ref) throw new Error(`DrRegion: no ${name} image was made`);
      return ref;
    };
    const storage = this.storage;

    if (spec.postgres.enabled) {
    this.postgres = new PostgresCluster(
      "postgres",
      {
        stack: spec.stack,
        role: spec.role,
        namespace,
        clientNamespaces: spec.cluster.clientNamespaces,
        monitoringNamespace: spec.alerts.namespace,
        postgres: spec.postgres,
        objectives: spec.objectives.postgres,
        images: { postgres: image("postgres") },
        repository: storage.writers.pgbackrest!,
        ...(storage.restore.postgres ? { restoreSource: storage.restore.postgres } : {}),
        ...(copy?.writers.pgbackrest && spec.storage.copy ? { copy: { repository: copy.writers.pgbackrest, pitrWindow: spec.storage.copy.pitrWindow } } : {}),
        ...(sourcePassphrase !== undefined ? { sourceCipherPassphrase: sourcePassphrase } : {}),
        ...workloadIdentity,
        ...onHost,
      },
      onCluster,
    );

    this.backups = new BackupSchedule(
      "backup-schedule",
      {
        timeZone: spec.timeZone,
        namespace,
        images: { postgres: image("postgres"), jobs: images.jobs },
        cluster: this.postgres,
        repository: storage.writers.pgbackrest!,
        repositoryReader: storage.repositoryReader!,
        ...(storage.replicaRepositoryReader ? { replicaRepositoryReader: storage.replicaRepositoryReader } : {}),
        ...(storage.writers.dumps ? { dumps: storage.writers.dumps } : {}),
        ...(copy?.writers.pgbackrest && spec.storage.copy
          ? { copy: { repository: copy.writers.pgbackrest, ...(copy.writers.dumps ? { dumps: copy.writers.dumps } : {}), dumpRetention: spec.storage.copy.dumps } }
          : {}),
        ...(spec.role === "drill" && storage.restore.postgres ? { restoreSource: storage.restore.postgres } : {}),
        ...(spec.role === "drill" && sourcePassphrase !== undefined ? { sourceCipherPassphrase: sourcePassphrase } : {}),
        ...workloadIdentity,
        ...onHost,
      },
      onCluster,
    );
    }

    if (spec.redis.enabled) {
      this.redis = new RedisServer(
        "redis",
        {
          stack: spec.stack,
          role: spec.role,
          namespace,
          clientNamespaces: spec.cluster.clientNamespaces,
          monitoringNamespace: spec.alerts.namespace,
          redis: spec.redis,
          timeZone: spec.timeZone,
          images: { redis: image("redis"), jobs: images.jobs },
          ...(storage.writers.redis ? { snapshots: storage.writers.redis } : {}),
          ...(storage.restore.redis ? { restoreSource: storage.restore.redis } : {}),
          ...(copy?.writers.redis && spec.storage.copy ? { snapshotsCopy: { access: copy.writers.redis, keep: spec.storage.copy.redisKeep } } : {}),
          ...workloadIdentity,
          ...onHost,
        },
        onCluster,
      );
    }

    if (spec.media && storage.writers.media) {
      if (!args.storeKeys?.media) throw new Error("DrRegion: drkit:media is set and storeKeys.media (drkit:mediaCredentials) was not given");
      this.media = new MediaMirror(
        "media",
        {
          stack: spec.stack,
          role: spec.role,
          namespace,
          timeZone: spec.timeZone,
          media: spec.media,
          applicationKeys: args.storeKeys.media,
          mirror: storage.writers.media,
          ...(storage.restore.media ? { source: storage.restore.media } : {}),
          ...(copy?.writers.media ? { copy: copy.writers.media } : {}),
          ...(spec.objectives.media ? { restoreDeadline: spec.objectives.media.rto } : {}),
          images: { jobs: images.jobs },
          ...workloadIdentity,
          ...onHost,
        },
        onCluster,
      );
    }

    if (this.postgres) {
      this.jobMetrics = new JobMetrics("job-metrics", { stack: spec.stack, namespace, images, monitoringNamespace: spec.alerts.namespace, retainData: spec.role !== "drill", ...onHost }, onCluster);
    }
    if (placement && engine) {
      // A created machine admits the published ports from the declared blocks before anything publishes them.
      const provision = spec.host.provision;
      const firewall = machine && provision ? new HostFirewall("host-firewall", { stack: spec.stack, machine, ports: publishedPorts(hostWorkloadPlan(placement.plan(), spec.host.project)), allowFrom: provision.allowFrom }, child({ providers: Object.values(providers) })) : undefined;
      this.host = new DockerHost("host", { stack: spec.stack, host: spec.host, provider: engine, namespace: spec.cluster.namespace, placement, images }, child(firewall ? { dependsOn: [firewall] } : {}));
      this.machine = machine;
      const targets = alertTargets(spec);
      this.hostMonitoring = { ruleFile: renderRuleFile(spec, targets), scrapeConfig: renderScrapeConfig(spec, targets, spec.host.publishAddress) };
    } else {
      this.alerts = new AlertRules(
        "alerts",
        { settings: spec, namespace, ...(this.postgres ? { postgres: this.postgres } : {}), ...(this.jobMetrics ? { jobMetrics: this.jobMetrics } : {}), ...(this.redis ? { redis: this.redis } : {}), ...(this.media ? { media: this.media } : {}) },
        onCluster,
      );
    }
    // The spec the region was built from: drkit's policy pack reviews it (policypack/).
    this.registerOutputs({ drSpec: spec, ...(this.hostMonitoring ? { hostMonitoring: this.hostMonitoring } : {}) });
  }
}
