import { backupJobTimings, type JobTiming } from "../backup/plan";
import { archiveTimeout } from "../postgres/settings";
import type { AlertsSpec, Objective, PostgresSpec, RedisSpec, ReplicationSpec, Seconds } from "../config";
import { longestGap, mediaMirrorTiming, snapshotAlertAge, snapshotRunDeadline, snapshotStartingDeadline } from "../config";
import { REPLICATION_TIME_MINUTES } from "../storage/paths";
import { postgresObjects } from "../workloads/names";

/**
 * What the alert rules are made from: the settings and objectives of the stores they watch, the
 * schedules' time zone, where the bucket replicates and the stack's alert settings. A parsed
 * stack spec (`DrSpec`) has all of it.
 */
export interface AlertContext {
  /** The stack's name: every series the monitors stamp and every alert carry it. */
  stack: string;
  /** Time zone of the backup schedules (`drkit:timeZone`). */
  timeZone: string;
  objectives: { postgres: Objective; redis: Objective };
  postgres: PostgresSpec;
  redis: RedisSpec;
  /** `drkit:alerts`: the rules' namespace and labels, the runbook's address, the API thresholds. */
  alerts: AlertsSpec;
  /** The media mirror's schedule, when the stack mirrors media. */
  media?: { schedule: string } | undefined;
  /** Where the bucket replicates (ReplicationLagging watches it), when it does. */
  storage: { replication?: ReplicationSpec | undefined };
}

/** When a scheduled job counts as late, from its schedule and its own deadlines. */
export interface JobLimits {
  /**
   * No success for this long is late: the schedule's longest gap, then as long as a run may wait
   * to start and may run (retries included). A run that keeps within its deadlines never trips it.
   */
  late: Seconds;
  /** A scheduled run with no success this long after its scheduled time is overdue: its starting plus its active deadline. */
  runDeadline: Seconds;
}

/**
 * Alert thresholds, derived from the objectives, the schedules and the jobs' deadlines
 * (docs/architecture.md §6), never constants.
 */
export interface AlertThresholds {
  /**
   * Age of the oldest completed WAL segment not yet in the repository that pages: its oldest
   * change may be one archive_timeout older still, and a fifth of the RPO (at least 30 s) is left
   * to act before committed data older than the RPO is exposed.
   */
  walArchiveStale: Seconds;
  /** How long archive failures must persist: one archive_timeout (one missed forced switch). */
  walArchiveFailingFor: Seconds;
  /** Each backup CronJob's limits, by kind: full, diff, incr, dump, archive-check. */
  backups: Record<string, JobLimits>;
  /** The restore verification's limits. */
  verification: JobLimits;
  /** The off-site Redis snapshot's: late before the Redis RPO is breached. */
  redisSnapshot: JobLimits;
  /** The age of the oldest WAL segment not yet in the replica that pages: the replication objective. */
  replicationLag: Seconds;
  /** The media mirror's limits (`drkit:media`). */
  media?: JobLimits;
}

const limitsOf = (job: JobTiming): JobLimits => {
  const runDeadline = job.startingDeadlineSeconds + job.activeDeadlineSeconds;
  return { late: longestGap(job.schedule!, job.timeZone) + runDeadline, runDeadline };
};

export function alertThresholds(spec: Omit<AlertContext, "alerts" | "storage">): AlertThresholds {
  const { postgres, redis, objectives } = spec;
  const timeout = archiveTimeout(objectives.postgres.rpo);
  // The CronJobs as the plan schedules them: their deadlines are the jobs' own.
  const objects = postgresObjects("postgres");
  const jobs = backupJobTimings(spec);
  const scheduled = (name: string) => limitsOf(jobs.get(name)!);
  const backups: Record<string, JobLimits> = { full: scheduled(objects.backupJob("full")) };
  if (postgres.backups.diff) backups["diff"] = scheduled(objects.backupJob("diff"));
  if (postgres.backups.incr) backups["incr"] = scheduled(objects.backupJob("incr"));
  if (postgres.dumps.enabled) backups["dump"] = scheduled(objects.dumpJob);
  backups["archive-check"] = scheduled(objects.archiveCheckJob);
  const { interval } = redis.snapshots;
  return {
    walArchiveStale: Math.max(15, objectives.postgres.rpo - timeout - Math.max(30, Math.round(objectives.postgres.rpo / 5))),
    walArchiveFailingFor: Math.max(60, timeout),
    backups,
    verification: scheduled(objects.verifyJob),
    replicationLag: REPLICATION_TIME_MINUTES * 60,
    redisSnapshot: { late: snapshotAlertAge(objectives.redis.rpo), runDeadline: snapshotStartingDeadline(interval) + snapshotRunDeadline(interval, redis.maxmemory) },
    ...(spec.media ? { media: limitsOf({ schedule: spec.media.schedule, timeZone: spec.timeZone, ...mediaMirrorTiming(spec.media.schedule, spec.timeZone) }) } : {}),
  };
}
