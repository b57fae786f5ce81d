import type { DrSpec } from "../config";
import { dataClaimName, postgresObjects, redisObjects } from "../workloads/names";

/** The media mirror's CronJob (components/media names it so). */
export const MEDIA_MIRROR_JOB = "media-mirror";

/**
 * The names alerts find drkit's objects by. Components create objects with these names and the
 * rules match on them, so both read them from here (docs/architecture.md §1: one source of truth).
 */
export interface AlertTargets {
  /** Namespace of the workloads (PVCs, CronJobs, Jobs). */
  namespace: string;
  /** Name of the PostgresCluster (its StatefulSet, PVC `data-<name>-0`); no PostgreSQL or backup rules without one. @default "postgres" when `drkit:postgres.enabled` */
  postgres?: string;
  /** Name of the RedisServer; no Redis rules without one. @default "redis" when `drkit:redis.enabled` */
  redis?: string;
  /**
   * Where the jobs and volumes are watched: kube-state-metrics and kubelet (`kubernetes`), or
   * drkit's scheduler on a Docker host (`docker`). @default "kubernetes"
   */
  platform?: "kubernetes" | "docker";
  /** The media mirror's CronJob (`drkit:media`); no media terms without one. @default "media-mirror" when `drkit:media` is set */
  media?: string;
}

/** The targets of a stack deployed by DrRegion (or with its components' default names). */
export function alertTargets(spec: DrSpec, names: Partial<Omit<AlertTargets, "namespace">> = {}): AlertTargets {
  return {
    namespace: spec.cluster.namespace,
    ...(spec.target === "docker" ? { platform: "docker" as const } : {}),
    ...(spec.postgres.enabled ? { postgres: names.postgres ?? "postgres" } : {}),
    ...(spec.redis.enabled ? { redis: names.redis ?? "redis" } : {}),
    ...(spec.media ? { media: names.media ?? MEDIA_MIRROR_JOB } : {}),
  };
}

/** The backup CronJobs of a PostgresCluster named `cluster`. */
export const backupCronJobName = (cluster: string, kind: "full" | "diff" | "incr") => postgresObjects(cluster).backupJob(kind);
export const dumpCronJobName = (cluster: string) => postgresObjects(cluster).dumpJob;
export const verifyCronJobName = (cluster: string) => postgresObjects(cluster).verifyJob;
export const archiveCheckCronJobName = (cluster: string) => postgresObjects(cluster).archiveCheckJob;
/** The CronJob of each kind in `AlertThresholds.backups`: full, diff, incr, dump, archive-check. */
export const backupsCronJobName = (cluster: string, kind: string) =>
  kind === "dump" ? dumpCronJobName(cluster) : kind === "archive-check" ? archiveCheckCronJobName(cluster) : backupCronJobName(cluster, kind as "full" | "diff" | "incr");
export const snapshotCronJobName = (redis: string) => redisObjects(redis).snapshotJob;
export { dataClaimName };

/**
 * Labels the PodMonitors put on every series they scrape, and the rules select on: a stack's
 * PostgreSQL is `{drkit_stack="prod", drkit_component="postgres"}` wherever it runs.
 */
export const monitorLabels = (spec: { stack: string }, component: "postgres" | "redis") => ({ drkit_stack: spec.stack, drkit_component: component });
