import { stringify } from "yaml";
import { formatDuration, formatPercent } from "../config";
import { WAL_ARCHIVE_METRICS } from "../postgres/exporterQueries";
import { archiveTimeout } from "../postgres/settings";
import { alertThresholds, type AlertContext, type JobLimits } from "./thresholds";
import { ARCHIVE_CHECK_METRICS } from "../backup/archiveCheck";
import { SCHEDULER_METRICS } from "../host/scheduler";
import { backupsCronJobName, dataClaimName, monitorLabels, snapshotCronJobName, verifyCronJobName, type AlertTargets } from "./targets";

/** The alert contract of docs/architecture.md §6: runbooks and tests use these names. */
export const ALERT_NAMES = [
  "PostgresDown",
  "PostgresWalArchiveFailing",
  "PostgresWalArchiveStale",
  "PostgresWalLost",
  "PostgresWalGap",
  "ReplicationLagging",
  "PostgresConnectionsNearLimit",
  "BackupTooOld",
  "BackupJobFailed",
  "BackupJobMissing",
  "RestoreVerificationFailed",
  "PersistentVolumeAlmostFull",
  "RedisDown",
  "RedisAofWriteFailing",
  "RedisSnapshotTooOld",
  "ApiLatencyHigh",
  "ApiErrorRateHigh",
] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

export interface AlertRule {
  alert: AlertName;
  expr: string;
  for?: string;
  labels: { severity: "critical" | "warning"; drkit_stack: string };
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

/** A volume above this share of its capacity pages (the contract says 95 %). */
export const VOLUME_FULL_RATIO = 0.95;
/** Connections above this share of max_connections page (the contract says 95 %). */
export const CONNECTIONS_RATIO = 0.95;

/** A WAL loss pages this long after the archive check finds it, even when the full backup after it took seconds. */
export const WAL_LOST_PAGE_SECONDS = 3600;

const seconds = (s: number) => `${Math.round(s)}s`;
const matchers = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",");

/**
 * kube-state-metrics series reduced to one per object. During a rollout, or with two replicas,
 * two exporters report the same Job or CronJob (their `instance` and `pod` labels differ), and
 * a join (`on(...)`) on duplicates is an evaluation error, not an alert.
 */
const once = (metric: string, selector: string, by: string) => `max by (${by}) (${metric}${selector})`;

/**
 * A scheduled CronJob that is late: no success for `late` seconds (including one that never
 * succeeded since it was created), or a scheduled run with no success `runDeadline` after its
 * scheduled time, so a run that failed or never started pages within its own deadlines, not a
 * whole schedule gap later. Labels: namespace, cronjob.
 */
function cronJobOverdue(namespace: string, cronjob: string, limits: JobLimits): string {
  const sel = `{namespace="${namespace}",cronjob="${cronjob}"}`;
  const by = "namespace, cronjob";
  return jobOverdue({ lastSuccess: once("kube_cronjob_status_last_successful_time", sel, by), lastSchedule: once("kube_cronjob_status_last_schedule_time", sel, by), created: once("kube_cronjob_created", sel, by), by }, limits);
}

/** The overdue expression over one job's series: its last success (absent until a first one), last scheduled run and creation. */
function jobOverdue(series: { lastSuccess: string; lastSchedule: string; created: string; by: string }, limits: JobLimits): string {
  const { lastSuccess, lastSchedule, created, by } = series;
  const runOverdue = `(time() - ${lastSchedule} > ${limits.runDeadline})`;
  return [
    `(time() - ${lastSuccess} > ${limits.late})`,
    `((time() - ${created} > ${limits.late}) unless on(${by}) ${lastSuccess})`,
    `(${runOverdue} and on(${by}) (${lastSchedule} > on(${by}) ${lastSuccess}))`,
    `(${runOverdue} unless on(${by}) ${lastSuccess})`,
  ].join(" or ");
}

/**
 * CronJobs whose latest finished run failed: a Job that exhausted its retries (or its deadline)
 * and started after the CronJob's last success completed, or with no success at all. A later
 * success clears it, with no one deleting the failed Job; a retry that succeeded never counts.
 * Value: the failed run's start time. Labels: namespace, cronjob.
 */
function latestRunFailed(namespace: string, cronjobs: string[]): string {
  const ns = `{namespace="${namespace}"}`;
  const failedStarts = `(${once("kube_job_status_start_time", ns, "namespace, job_name")} and on(namespace, job_name) (${once("kube_job_failed", `{namespace="${namespace}",condition="true"}`, "namespace, job_name")} > 0))`;
  const owners = once("kube_job_owner", `{namespace="${namespace}",owner_kind="CronJob",owner_name=~"${cronjobs.join("|")}"}`, "namespace, job_name, owner_name");
  const newestFailure = `max by (namespace, cronjob) (label_replace(${failedStarts} * on(namespace, job_name) group_left(owner_name) ${owners}, "cronjob", "$1", "owner_name", "(.+)"))`;
  const lastSuccess = once("kube_cronjob_status_last_successful_time", ns, "namespace, cronjob");
  return `(${newestFailure} > on(namespace, cronjob) ${lastSuccess}) or (${newestFailure} unless on(namespace, cronjob) ${lastSuccess})`;
}

/** CronJobs that should exist and are not reported: renamed, deleted, or kube-state-metrics is not scraped. */
function cronJobsMissing(namespace: string, cronjobs: string[]): string {
  return cronjobs.map((cronjob) => `absent(kube_cronjob_created{namespace="${namespace}",cronjob="${cronjob}"})`).join(" or ");
}

/**
 * Where the alerts learn about scheduled jobs and the data volumes' space: kube-state-metrics and
 * kubelet on Kubernetes; drkit's scheduler on a Docker host, which serves the same facts about
 * the runs it starts (components/host/scheduler.ts) and the filesystem the host's volumes are on.
 */
interface Platform {
  overdue(job: string, limits: JobLimits): string;
  latestFailed(jobs: string[]): string;
  missing(jobs: string[]): string;
  volumeFull(claims: string[]): string;
  /** How a description names the job an alert is about. */
  job: string;
  /** How a description names the volume. */
  volume: string;
  /** Why a job can be missing from its reporter's series (BackupJobMissing's description). */
  notReported: string;
}

function kubernetesPlatform(namespace: string): Platform {
  return {
    overdue: (job, limits) => cronJobOverdue(namespace, job, limits),
    latestFailed: (jobs) => latestRunFailed(namespace, jobs),
    missing: (jobs) => cronJobsMissing(namespace, jobs),
    volumeFull: (claims) =>
      `1 - kubelet_volume_stats_available_bytes{namespace="${namespace}",persistentvolumeclaim=~"${claims.join("|")}"} / kubelet_volume_stats_capacity_bytes{namespace="${namespace}",persistentvolumeclaim=~"${claims.join("|")}"} > ${VOLUME_FULL_RATIO}`,
    job: "CronJob {{ $labels.namespace }}/{{ $labels.cronjob }}",
    volume: "PersistentVolumeClaim {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }}",
    notReported: "is not in kube-state-metrics for 10 minutes: it was renamed or deleted, or kube-state-metrics is not scraped",
  };
}

/** The labels the scrape configuration of a Docker host puts on the scheduler's series (`renderScrapeConfig`). */
export const schedulerLabels = (spec: { stack: string }) => ({ drkit_stack: spec.stack, drkit_component: "scheduler" });

function dockerPlatform(stack: string): Platform {
  const own = matchers(schedulerLabels({ stack }));
  const m = SCHEDULER_METRICS;
  const by = "job_name";
  return {
    overdue: (job, limits) => {
      const sel = `{${own},job_name="${job}"}`;
      // As kube-state-metrics, the scheduler reports no last success until a first one.
      return jobOverdue({ lastSuccess: once(m.lastSuccess, sel, by), lastSchedule: once(m.lastSchedule, sel, by), created: once(m.created, sel, by), by }, limits);
    },
    // The scheduler keeps `failed` at 1 from a run that failed all its retries until a run succeeds.
    latestFailed: (jobs) => `${once(m.failed, `{${own},job_name=~"${jobs.join("|")}"}`, by)} > 0`,
    missing: (jobs) => jobs.map((job) => `absent(${m.created}{${own},job_name="${job}"})`).join(" or "),
    volumeFull: () => `1 - ${m.volumesAvailable}{${own}} / ${m.volumesSize}{${own}} > ${VOLUME_FULL_RATIO}`,
    job: "Job {{ $labels.job_name }} of the Docker host",
    volume: "The filesystem the Docker host keeps its volumes on",
    notReported: "is not in the metrics of drkit's scheduler for 10 minutes: it was removed from the stack, or the scheduler is down or not scraped",
  };
}

/**
 * The Prometheus rule groups of a stack: the whole contract, thresholds derived from the
 * objectives and schedules. Alerts for what a stack does not run (Redis, dumps) are left out.
 */
export function renderAlertRules(spec: AlertContext, targets: AlertTargets): RuleGroup[] {
  const t = alertThresholds(spec);
  const ns = targets.namespace;
  const platform = targets.platform === "docker" ? dockerPlatform(spec.stack) : kubernetesPlatform(ns);
  const pg = matchers(monitorLabels(spec, "postgres"));
  const rd = matchers(monitorLabels(spec, "redis"));
  const rule = (alert: AlertName, severity: "critical" | "warning", expr: string, forSeconds: number | undefined, summary: string, description: string): AlertRule => ({
    alert,
    expr,
    ...(forSeconds ? { for: seconds(forSeconds) } : {}),
    labels: { severity, drkit_stack: spec.stack },
    annotations: { summary, description, runbook_url: `${spec.alerts.runbookBaseUrl}#${alert.toLowerCase()}` },
  });
  const postgres = targets.postgres;
  const backupJobs = postgres === undefined ? [] : Object.keys(t.backups).map((kind) => backupsCronJobName(postgres, kind));
  const verify = postgres === undefined ? [] : [verifyCronJobName(postgres)];
  const redis = targets.redis;
  // Without off-site snapshots there is no snapshot job to watch (Redis starts empty after a disaster, by design).
  const snapshotsOn = redis !== undefined && spec.redis.snapshots.enabled;
  const snapshots = snapshotsOn ? [snapshotCronJobName(redis)] : [];
  // The media mirror (drkit:media) is a backup like the others: overdue, failed, missing.
  const mediaJobs = targets.media !== undefined && t.media ? [targets.media] : [];
  const overdue = [
    ...backupJobs.map((job, i) => platform.overdue(job, Object.values(t.backups)[i]!)),
    ...(t.media ? mediaJobs.map((job) => platform.overdue(job, t.media!)) : []),
  ];
  const claims = [...(postgres === undefined ? [] : [dataClaimName(postgres)]), ...(redis === undefined ? [] : [dataClaimName(redis)])];
  const failingWindow = seconds(2 * t.walArchiveFailingFor);
  const api = spec.alerts.api;

  const groups: RuleGroup[] = [];
  if (postgres !== undefined) {
    groups.push({
      name: "drkit-postgres",
      rules: [
        rule(
          "PostgresDown",
          "critical",
          `up{${pg}} == 0 or pg_up{${pg}} == 0 or absent(up{${pg}})`,
          60,
          `PostgreSQL of stack ${spec.stack} is down`,
          `PostgreSQL {{ $labels.namespace }}/{{ $labels.pod }} is not answering its exporter (or is not scraped at all).`,
        ),
        rule(
          "PostgresWalArchiveFailing",
          "critical",
          `increase(pg_stat_archiver_failed_count{${pg}}[${failingWindow}]) > 0 and increase(pg_stat_archiver_archived_count{${pg}}[${failingWindow}]) == 0`,
          t.walArchiveFailingFor,
          `WAL archiving of stack ${spec.stack} is failing`,
          `pgBackRest archive-push keeps failing on {{ $labels.namespace }}/{{ $labels.pod }} and nothing was archived for ${failingWindow}; WAL is queueing on the volume.`,
        ),
        rule(
          "PostgresWalArchiveStale",
          "critical",
          `${WAL_ARCHIVE_METRICS.oldestReadyAge}{${pg}} > ${t.walArchiveStale}`,
          undefined,
          `WAL of stack ${spec.stack} has not reached the repository for over ${formatDuration(t.walArchiveStale)}`,
          `{{ $labels.namespace }}/{{ $labels.pod }} completed a WAL segment more than ${formatDuration(t.walArchiveStale)} ago that is still not in the repository: with archive_timeout (${formatDuration(archiveTimeout(spec.objectives.postgres.rpo))}) on top, the ${formatDuration(spec.objectives.postgres.rpo)} RPO is breached within ${formatDuration(spec.objectives.postgres.rpo - t.walArchiveStale - archiveTimeout(spec.objectives.postgres.rpo))} if the volume is lost.`,
        ),
        rule(
          "PostgresWalLost",
          "critical",
          `${ARCHIVE_CHECK_METRICS.unrepaired}{${pg}} > 0 or time() - ${ARCHIVE_CHECK_METRICS.gapDetected}{${pg}} < ${WAL_LOST_PAGE_SECONDS}`,
          undefined,
          `WAL of stack ${spec.stack} was lost before it reached the repository`,
          `The archive check of {{ $labels.namespace }} found WAL segments missing after the newest backup: archive-push-queue-max dropped them while the repository was out of reach (or they were deleted), and a restore to now stops at the gap. The check takes a full backup at once; the alert stays ${formatDuration(WAL_LOST_PAGE_SECONDS)} after the gap is found, and as long as no backup after it succeeded.`,
        ),
        rule(
          "PostgresWalGap",
          "warning",
          `${ARCHIVE_CHECK_METRICS.missing}{${pg}} > 0`,
          undefined,
          `The WAL archive of stack ${spec.stack} has a gap`,
          `{{ $value }} WAL segments are missing from the retained archive of {{ $labels.namespace }}: point-in-time recovery into the gap is impossible (every backup after it restores). It clears when retention expires the backups before the gap.`,
        ),
        rule(
          "PostgresConnectionsNearLimit",
          "warning",
          `sum(pg_stat_activity_count{${pg}}) / max(pg_settings_max_connections{${pg}}) > ${CONNECTIONS_RATIO}`,
          300,
          `PostgreSQL of stack ${spec.stack} is near max_connections`,
          `More than ${formatPercent(CONNECTIONS_RATIO)} of max_connections (${spec.postgres.maxConnections}) are in use; new connections will be refused.`,
        ),
      ],
    });
  }
  groups.push(
    {
      name: "drkit-backups",
      rules: [
        ...(overdue.length === 0
          ? []
          : [
              rule(
          "BackupTooOld",
          "critical",
          overdue.join(" or "),
          undefined,
          `A backup of stack ${spec.stack} is overdue`,
          `${platform.job} has not succeeded within its schedule's longest gap plus its deadlines, or its latest scheduled run did not succeed within its deadlines.`,
        ),
            ]),
        ...([...backupJobs, ...snapshots, ...mediaJobs].length === 0
          ? []
          : [
        rule(
          "BackupJobFailed",
          "warning",
          platform.latestFailed([...backupJobs, ...snapshots, ...mediaJobs]),
          undefined,
          `A backup job of stack ${spec.stack} failed`,
          `The latest run of ${platform.job} failed after all its retries; the alert clears when a run succeeds.`,
        ),
        rule(
          "BackupJobMissing",
          "critical",
          platform.missing([...backupJobs, ...verify, ...snapshots, ...mediaJobs]),
          600,
          `A backup CronJob of stack ${spec.stack} is not reported`,
          `${platform.job} ${platform.notReported}. Every freshness alert for it is blind until it is back.`,
        ),
            ]),
        ...verify.map((job) =>
          rule(
            "RestoreVerificationFailed",
            "critical",
            `(${platform.latestFailed([job])}) or ${platform.overdue(job, t.verification)}`,
            undefined,
            `Restore verification of stack ${spec.stack} failed or did not run`,
            `The latest restore verification of {{ $labels.namespace }} failed, or none succeeded within ${formatDuration(t.verification.late)}; the alert clears when a verification succeeds.`,
          ),
        ),
      ],
    },
    {
      name: "drkit-storage",
      rules: [
        // The archive check measures the replica's lag from the repository's WAL: PostgreSQL's.
        ...(spec.storage.replication && postgres !== undefined
          ? [
              rule(
                "ReplicationLagging",
                "critical",
                `${ARCHIVE_CHECK_METRICS.replicationLag}{${pg}} > ${t.replicationLag}`,
                undefined,
                `Replication of stack ${spec.stack}'s backups to ${spec.storage.replication.region} is behind`,
                `The oldest WAL segment of {{ $labels.namespace }} not yet in the replica bucket ${spec.storage.replication.bucket} has waited {{ $value }} s, longer than the replication objective (${formatDuration(t.replicationLag)}): a restore in the DR region would lose everything since. Replication is failing or far behind.`,
              ),
            ]
          : []),
        rule(
          "PersistentVolumeAlmostFull",
          "critical",
          platform.volumeFull(claims),
          300,
          `A data volume of stack ${spec.stack} is almost full`,
          `${platform.volume} is more than ${formatPercent(VOLUME_FULL_RATIO)} full.`,
        ),
      ],
    },
  );
  if (redis !== undefined) {
    groups.push({
      name: "drkit-redis",
      rules: [
        rule("RedisDown", "critical", `up{${rd}} == 0 or redis_up{${rd}} == 0 or absent(up{${rd}})`, 60, `Redis of stack ${spec.stack} is down`, `Redis {{ $labels.namespace }}/{{ $labels.pod }} is not answering its exporter (or is not scraped at all).`),
        rule(
          "RedisAofWriteFailing",
          "critical",
          `redis_aof_last_write_status{${rd}} == 0 or redis_aof_last_bgrewrite_status{${rd}} == 0`,
          60,
          `Redis of stack ${spec.stack} cannot write its AOF`,
          `Redis {{ $labels.namespace }}/{{ $labels.pod }} reports a failed AOF write or rewrite: acknowledged writes are not reaching the volume.`,
        ),
        ...(snapshotsOn
          ? [
              rule(
                "RedisSnapshotTooOld",
                "critical",
                platform.overdue(snapshotCronJobName(redis), t.redisSnapshot),
                undefined,
                `The off-site Redis snapshot of stack ${spec.stack} is overdue`,
                `${platform.job} has not succeeded for ${formatDuration(t.redisSnapshot.late)}, or its latest run did not succeed within ${formatDuration(t.redisSnapshot.runDeadline)}: the Redis RPO of ${formatDuration(spec.objectives.redis.rpo)} is breached in ${formatDuration(spec.objectives.redis.rpo - t.redisSnapshot.late)} if no snapshot reaches the bucket.`,
              ),
            ]
          : []),
      ],
    });
  }
  groups.push({
    name: "drkit-api",
    rules: [
      rule(
        "ApiLatencyHigh",
        "warning",
        `histogram_quantile(0.99, sum by (le) (rate(${api.latencyMetric}_bucket{${api.selector}}[5m]))) > ${api.latencyP99}`,
        600,
        `API p99 latency of stack ${spec.stack} is above ${formatDuration(api.latencyP99)}`,
        `The 99th percentile of ${api.latencyMetric} for {${api.selector.replace(/"/g, "'")}} has been above ${formatDuration(api.latencyP99)} for 10 minutes.`,
      ),
      rule(
        "ApiErrorRateHigh",
        "warning",
        `sum(rate(${api.requestsMetric}{${api.selector},${api.errorSelector}}[5m])) / sum(rate(${api.requestsMetric}{${api.selector}}[5m])) > ${api.errorRate}`,
        600,
        `API error rate of stack ${spec.stack} is above ${formatPercent(api.errorRate)}`,
        `More than ${formatPercent(api.errorRate)} of ${api.requestsMetric} for {${api.selector.replace(/"/g, "'")}} matched {${api.errorSelector.replace(/"/g, "'")}} for 10 minutes.`,
      ),
    ],
  });
  // A store without jobs (Redis alone, snapshots off) leaves a group empty: Prometheus needs none.
  return groups.filter((group) => group.rules.length > 0);
}

/** The rules as a plain Prometheus rule file (for promtool, GitOps, or Prometheus without the operator). */
export function renderRuleFile(spec: AlertContext, targets: AlertTargets): string {
  return `# Prometheus rules rendered by drkit for stack '${spec.stack}'.\n${stringify({ groups: renderAlertRules(spec, targets) }, { lineWidth: 0 })}`;
}
