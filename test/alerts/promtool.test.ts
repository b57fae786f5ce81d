import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ARCHIVE_CHECK_METRICS } from "../../components/backup/archiveCheck";
import { WAL_ARCHIVE_METRICS } from "../../components/postgres/exporterQueries";
import { ALERT_NAMES, WAL_LOST_PAGE_SECONDS, alertTargets, alertThresholds, backupCronJobName, backupsCronJobName, renderAlertRules, renderRuleFile, renderScrapeConfig, schedulerLabels, snapshotCronJobName, verifyCronJobName, type AlertName, type AlertTargets } from "../../components/alerts";
import { SCHEDULER_METRICS } from "../../components/host/scheduler";
import { checkConfig } from "../../components/config";
import { rawSpecFromConfig, readStackFile, type DrSpec } from "../../components/config";
import { PROJECT_ROOT } from "../harness/renderStack";
import { merge, minimalPrimary, specOf } from "../config/fixtures";

/**
 * Every generated rule file passes `promtool check rules`, and `promtool test rules` proves each
 * alert fires when it should and stays silent when it should not. The cases are built from the
 * stack's own thresholds: change an objective and the numbers under test change with it.
 */

const scratch = mkdtempSync(join(tmpdir(), "drkit-promtool-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function stackSpec(stack: string): DrSpec {
  const example = stack.startsWith("bot") ? "docker-host" : stack.startsWith("events") ? "minio" : undefined;
  const file = example ? join(PROJECT_ROOT, "examples", example, `Pulumi.${stack}.yaml`) : join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
  const result = checkConfig(rawSpecFromConfig(readStackFile(file).config), { stack });
  if (!result.ok) throw new Error(`${stack} does not parse`);
  return result.spec;
}

function promtool(args: string[]) {
  const result = spawnSync("promtool", args, { encoding: "utf8", cwd: scratch });
  if (result.error) throw new Error("promtool is not installed: apt-get install prometheus");
  return result;
}

type Labels = Record<string, string>;
const series = (name: string, labels: Labels, values: string) => ({ series: `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",")}}`, values });

/** Equality matchers of a PromQL selector as labels: what the API's series carry. */
const selectorLabels = (selector: string): Labels => Object.fromEntries([...selector.matchAll(/(\w+)\s*=\s*"([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));

function buildTests(spec: DrSpec) {
  const targets = alertTargets(spec);
  const rules = Object.fromEntries(renderAlertRules(spec, targets).flatMap((g) => g.rules.map((r) => [r.alert, r])));
  const t = alertThresholds(spec);
  const ns = targets.namespace;
  const pg = { drkit_stack: spec.stack, drkit_component: "postgres", namespace: ns, pod: "postgres-0" };
  const rd = { drkit_stack: spec.stack, drkit_component: "redis", namespace: ns, pod: "redis-0" };

  /** The alert as promtool reports it: expression labels, rule labels, expanded annotations. */
  const alert = (name: AlertName, labels: Labels, value?: number) => {
    const rule = rules[name]!;
    const all: Labels = { ...labels, ...rule.labels };
    const expand = (text: string) => text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, key: string) => all[key] ?? "").replace("{{ $value }}", String(value));
    return { exp_labels: all, exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, expand(v)])) };
  };
  const at = (minutes: number, name: AlertName, alerts: ReturnType<typeof alert>[]) => ({ eval_time: `${minutes}m`, alertname: name, exp_alerts: alerts });
  const flat = (value: number, count = 60) => `${value}+0x${count}`;

  const tests: { name: string; interval: string; input_series: ReturnType<typeof series>[]; alert_rule_test: ReturnType<typeof at>[] }[] = [];
  const test = (name: string, interval: string, input: ReturnType<typeof series>[], checks: ReturnType<typeof at>[]) => tests.push({ name, interval, input_series: input, alert_rule_test: checks });

  // --- PostgreSQL -------------------------------------------------------------------------
  test("PostgresDown fires when the exporter reports the server down", "1m", [series("up", pg, flat(1)), series("pg_up", pg, flat(0))], [at(5, "PostgresDown", [alert("PostgresDown", { ...pg })])]);
  test("PostgresDown fires when nothing is scraped at all", "1m", [series("up", { ...rd }, flat(1))], [at(5, "PostgresDown", [alert("PostgresDown", { drkit_stack: spec.stack, drkit_component: "postgres" })])]);
  test("PostgresDown stays silent when up", "1m", [series("up", pg, flat(1)), series("pg_up", pg, flat(1))], [at(5, "PostgresDown", [])]);

  test(
    "PostgresWalArchiveFailing fires when pushes keep failing and nothing is archived",
    "1m",
    [series("pg_stat_archiver_failed_count", pg, "0+1x60"), series("pg_stat_archiver_archived_count", pg, flat(40))],
    [at(15, "PostgresWalArchiveFailing", [alert("PostgresWalArchiveFailing", pg)])],
  );
  test(
    "PostgresWalArchiveFailing stays silent after a failure that a retry fixed",
    "1m",
    [series("pg_stat_archiver_failed_count", pg, `0 1 ${flat(1, 58)}`), series("pg_stat_archiver_archived_count", pg, "0+1x60")],
    [at(2, "PostgresWalArchiveFailing", []), at(15, "PostgresWalArchiveFailing", [])],
  );

  // The age of the oldest .ready segment, as the exporter's own query reports it.
  const readyAge = (values: string) => series(WAL_ARCHIVE_METRICS.oldestReadyAge, pg, values);
  test(`PostgresWalArchiveStale fires when a segment waits just over ${t.walArchiveStale}s`, "1m", [readyAge(`0 0 0 0 0+60x20`)], [
    at(4 + Math.ceil((t.walArchiveStale + 1) / 60), "PostgresWalArchiveStale", [alert("PostgresWalArchiveStale", pg)]),
  ]);
  test(`PostgresWalArchiveStale stays silent while it waits just under ${t.walArchiveStale}s`, "1m", [readyAge(flat(t.walArchiveStale - 5))], [at(10, "PostgresWalArchiveStale", [])]);
  test("PostgresWalArchiveStale stays silent on an idle database (nothing waits)", "1m", [readyAge(flat(0))], [at(30, "PostgresWalArchiveStale", [])]);
  test(
    "PostgresWalArchiveStale stays silent on sparse writes after an idle period (each segment archived within seconds)",
    "1m",
    [readyAge("0 0 0 0 0 0 0 0 0 0 2 0 0 0 0 0 0 0 0 0 3 0 0 0 0 0 0 0 0 0 1 0")],
    [at(10, "PostgresWalArchiveStale", []), at(20, "PostgresWalArchiveStale", []), at(30, "PostgresWalArchiveStale", [])],
  );

  // The archive check's results as the job-metrics gateway serves them (honorLabels: the
  // labels the job pushed, plus the gateway pod's namespace and pod).
  const check = { drkit_stack: spec.stack, drkit_component: "postgres", cluster: "postgres", job: "drkit-archive-check", namespace: ns, pod: "job-metrics-0" };
  const blanks = (count: number) => Array.from({ length: count }, () => "_").join(" ");
  const lostAt = 10;
  const pageMinutes = WAL_LOST_PAGE_SECONDS / 60;
  test(
    "PostgresWalLost pages when the archive check finds WAL the queue limit dropped, and keeps paging for an hour though the full backup repaired it between two scrapes",
    "1m",
    [
      series(ARCHIVE_CHECK_METRICS.unrepaired, check, flat(0, 200)),
      series(ARCHIVE_CHECK_METRICS.missing, check, `${blanks(lostAt)} ${flat(3, 190)}`),
      series(ARCHIVE_CHECK_METRICS.gapDetected, check, `${blanks(lostAt)} ${flat(lostAt * 60, 190)}`),
    ],
    [
      at(lostAt - 1, "PostgresWalLost", []),
      at(lostAt + 1, "PostgresWalLost", [alert("PostgresWalLost", check)]),
      at(lostAt + pageMinutes - 1, "PostgresWalLost", [alert("PostgresWalLost", check)]),
      at(lostAt + pageMinutes + 1, "PostgresWalLost", []),
      at(lostAt + 1, "PostgresWalGap", [alert("PostgresWalGap", check, 3)]),
    ],
  );
  test(
    "PostgresWalLost keeps paging while the gap after the newest backup stays unrepaired (the full backup fails)",
    "1m",
    [series(ARCHIVE_CHECK_METRICS.unrepaired, check, flat(3, 200)), series(ARCHIVE_CHECK_METRICS.gapDetected, check, flat(0, 200))],
    [at(pageMinutes + 60, "PostgresWalLost", [alert("PostgresWalLost", check)])],
  );
  test(
    "PostgresWalLost and PostgresWalGap stay silent while the archive is whole",
    "1m",
    [series(ARCHIVE_CHECK_METRICS.unrepaired, check, flat(0)), series(ARCHIVE_CHECK_METRICS.missing, check, flat(0)), series(ARCHIVE_CHECK_METRICS.lastRun, check, "0+60x60")],
    [at(30, "PostgresWalLost", []), at(30, "PostgresWalGap", [])],
  );
  test(
    "PostgresWalLost stays silent once the hour after a repaired gap is over; PostgresWalGap stays until retention expires the gap",
    "1m",
    [series(ARCHIVE_CHECK_METRICS.unrepaired, check, flat(0, 200)), series(ARCHIVE_CHECK_METRICS.missing, check, `${flat(3, 150)} ${flat(0, 40)}`), series(ARCHIVE_CHECK_METRICS.gapDetected, check, flat(0, 200))],
    [at(pageMinutes + 30, "PostgresWalLost", []), at(pageMinutes + 30, "PostgresWalGap", [alert("PostgresWalGap", check, 3)]), at(170, "PostgresWalGap", [])],
  );

  if (spec.storage.replication) {
    const lag = (values: string) => series(ARCHIVE_CHECK_METRICS.replicationLag, check, values);
    test(
      `ReplicationLagging fires when the oldest WAL not yet in the replica has waited just over ${t.replicationLag}s`,
      "1m",
      [lag(`0 0 0 ${flat(t.replicationLag + 60, 30)}`)],
      [at(2, "ReplicationLagging", []), at(4, "ReplicationLagging", [alert("ReplicationLagging", check, t.replicationLag + 60)])],
    );
    test("ReplicationLagging stays silent while the replica keeps up (or is idle)", "1m", [lag(`${flat(0, 20)} ${flat(t.replicationLag - 60, 20)}`)], [at(10, "ReplicationLagging", []), at(30, "ReplicationLagging", [])]);
  }

  const connections = (used: number) => [
    series("pg_settings_max_connections", pg, flat(spec.postgres.maxConnections)),
    series("pg_stat_activity_count", { ...pg, datname: "app", state: "active" }, flat(Math.round(used * 0.75))),
    series("pg_stat_activity_count", { ...pg, datname: "app", state: "idle" }, flat(used - Math.round(used * 0.75))),
  ];
  const max = spec.postgres.maxConnections;
  test("PostgresConnectionsNearLimit fires at 96 %", "1m", connections(Math.round(max * 0.96)), [at(10, "PostgresConnectionsNearLimit", [alert("PostgresConnectionsNearLimit", {})])]);
  test("PostgresConnectionsNearLimit stays silent at 94 %", "1m", connections(Math.round(max * 0.94)), [at(10, "PostgresConnectionsNearLimit", [])]);

  const job = (cronjob: string) => ({ namespace: ns, cronjob });
  if (targets.platform === "docker") {
    tests.push(...dockerJobTests(spec, targets, alert, at));
  } else {
    // --- backups (hours between samples; eval times in minutes) -----------------------------
    const full = backupCronJobName(targets.postgres!, "full");
    const evalMinutes = Math.ceil(Math.max(...Object.values(t.backups).map((l) => l.late)) / 3600 + 24) * 60;
    const now = evalMinutes * 60;
    const hours = evalMinutes / 60 + 1;
    /** A CronJob as kube-state-metrics reports it: created at 0, its last run scheduled and (maybe) succeeded so long ago. */
    const cronJob = (cronjob: string, state: { successAgo?: number; scheduledAgo?: number; createdAgo?: number }, extra: Labels = {}, count = hours) => [
      series("kube_cronjob_created", { ...job(cronjob), ...extra }, flat(state.createdAgo === undefined ? 0 : now - state.createdAgo, count)),
      ...(state.successAgo !== undefined ? [series("kube_cronjob_status_last_successful_time", { ...job(cronjob), ...extra }, flat(now - state.successAgo, count))] : []),
      ...(state.scheduledAgo !== undefined ? [series("kube_cronjob_status_last_schedule_time", { ...job(cronjob), ...extra }, flat(now - state.scheduledAgo, count))] : []),
    ];
    const successAgo = (cronjob: string, age: number) => cronJob(cronjob, { successAgo: age, scheduledAgo: age + 60 });
    const limitsOf = (kind: string) => t.backups[kind]!;
    const backupCronJobs = Object.keys(t.backups).map((kind) => backupsCronJobName(targets.postgres!, kind));
    const others = (except: string) => backupCronJobs.filter((name) => name !== except).flatMap((name) => successAgo(name, 60));
    const fullLimits = limitsOf("full");
    test(`BackupTooOld fires for a full backup just over ${fullLimits.late}s old`, "1h", [...others(full), ...successAgo(full, fullLimits.late + 60)], [at(evalMinutes, "BackupTooOld", [alert("BackupTooOld", job(full))])]);
    test(`BackupTooOld stays silent for a full backup just under ${fullLimits.late}s old`, "1h", [...others(full), ...successAgo(full, fullLimits.late - 60)], [at(evalMinutes, "BackupTooOld", [])]);
    test(
      `BackupTooOld fires when the latest scheduled full backup has not succeeded ${fullLimits.runDeadline}s after its time`,
      "1h",
      [...others(full), ...cronJob(full, { successAgo: fullLimits.runDeadline + 3600, scheduledAgo: fullLimits.runDeadline + 60 })],
      [at(evalMinutes, "BackupTooOld", [alert("BackupTooOld", job(full))])],
    );
    test(
      "BackupTooOld stays silent while the latest scheduled run is within its deadlines",
      "1h",
      [...others(full), ...cronJob(full, { successAgo: fullLimits.runDeadline + 3600, scheduledAgo: fullLimits.runDeadline - 60 })],
      [at(evalMinutes, "BackupTooOld", [])],
    );
    test(
      "BackupTooOld fires for a weekly CronJob whose first scheduled run never succeeded, within that run's deadlines",
      "1h",
      [...others(full), ...cronJob(full, { createdAgo: 2 * 24 * 3600, scheduledAgo: fullLimits.runDeadline + 60 })],
      [at(evalMinutes, "BackupTooOld", [alert("BackupTooOld", job(full))])],
    );
    test("BackupTooOld fires for a CronJob that never ran nor succeeded since it was created", "1h", [...others(full), ...cronJob(full, {})], [at(evalMinutes, "BackupTooOld", [alert("BackupTooOld", job(full))])]);
    test("BackupTooOld stays silent for a new CronJob that has not had its first run yet", "1h", [...others(full), ...cronJob(full, { createdAgo: 3600 })], [at(evalMinutes, "BackupTooOld", [])]);
    test(
      "BackupTooOld fires once, without an evaluation error, when two kube-state-metrics replicas report the CronJob",
      "1h",
      [...others(full), ...cronJob(full, { successAgo: fullLimits.late + 60, scheduledAgo: fullLimits.late + 120 }, { instance: "ksm-a" }), ...cronJob(full, { successAgo: fullLimits.late + 60, scheduledAgo: fullLimits.late + 120 }, { instance: "ksm-b" })],
      [at(evalMinutes, "BackupTooOld", [alert("BackupTooOld", job(full))])],
    );
    if (t.backups["diff"]) {
      const diff = backupCronJobName(targets.postgres!, "diff");
      test(`BackupTooOld follows the differential schedule: ${t.backups["diff"].late}s`, "1h", [...others(diff), ...successAgo(diff, t.backups["diff"].late + 60)], [at(evalMinutes, "BackupTooOld", [alert("BackupTooOld", job(diff))])]);
    }

    // Jobs of a CronJob as kube-state-metrics reports them (1-minute samples, 60 minutes).
    const jobRun = (owner: string, jobName: string, startedAt: number, failed: string, extra: Labels = {}) => [
      series("kube_job_status_start_time", { namespace: ns, job_name: jobName, ...extra }, flat(startedAt)),
      series("kube_job_failed", { namespace: ns, job_name: jobName, condition: "true", ...extra }, failed),
      series("kube_job_owner", { namespace: ns, job_name: jobName, owner_kind: "CronJob", owner_name: owner, owner_is_controller: "true", ...extra }, flat(1)),
    ];
    const lastSuccess = (cronjob: string, values: string) => series("kube_cronjob_status_last_successful_time", job(cronjob), values);
    test("BackupJobFailed fires when the latest run failed after all its retries", "1m", [...jobRun(full, `${full}-2`, 600, flat(1)), lastSuccess(full, flat(100))], [at(5, "BackupJobFailed", [alert("BackupJobFailed", job(full))])]);
    test(
      "BackupJobFailed clears when the next run succeeds, with the failed Job still there",
      "1m",
      // Failed at 600 s; the next run completes at 1800 s (minute 30).
      [...jobRun(full, `${full}-2`, 600, flat(1)), lastSuccess(full, `100+0x29 1800+0x30`)],
      [at(20, "BackupJobFailed", [alert("BackupJobFailed", job(full))]), at(40, "BackupJobFailed", [])],
    );
    test("BackupJobFailed fires for a CronJob that never succeeded", "1m", jobRun(full, `${full}-1`, 600, flat(1)), [at(5, "BackupJobFailed", [alert("BackupJobFailed", job(full))])]);
    test("BackupJobFailed stays silent for a Job that failed once and succeeded on retry", "1m", [...jobRun(full, `${full}-3`, 600, flat(0)), lastSuccess(full, flat(900))], [at(20, "BackupJobFailed", [])]);
    test("BackupJobFailed stays silent for an old failure followed by a success", "1m", [...jobRun(full, `${full}-1`, 60, flat(1)), lastSuccess(full, flat(1200))], [at(30, "BackupJobFailed", [])]);
    test("BackupJobFailed stays silent for a failed Job of someone else's CronJob", "1m", jobRun("app-report", "app-report-1", 600, flat(1)), [at(5, "BackupJobFailed", [])]);
    test(
      "BackupJobFailed fires once, without an evaluation error, while two kube-state-metrics replicas report the Job",
      "1m",
      [...jobRun(full, `${full}-2`, 600, flat(1), { instance: "ksm-a" }), ...jobRun(full, `${full}-2`, 600, flat(1), { instance: "ksm-b" }), lastSuccess(full, flat(100))],
      [at(5, "BackupJobFailed", [alert("BackupJobFailed", job(full))])],
    );

    const verify = verifyCronJobName(targets.postgres!);
    const everyCronJob = [...backupCronJobs, verify, ...(targets.redis === undefined ? [] : [snapshotCronJobName(targets.redis)])];
    const reported = (names: string[]) => names.map((name) => series("kube_cronjob_created", job(name), flat(0)));
    test("BackupJobMissing stays silent while every CronJob is reported", "1m", reported(everyCronJob), [at(20, "BackupJobMissing", [])]);
    test("BackupJobMissing fires for a CronJob renamed or deleted", "1m", reported(everyCronJob.filter((name) => name !== full)), [at(20, "BackupJobMissing", [alert("BackupJobMissing", job(full))])]);
    test("BackupJobMissing fires for every CronJob when kube-state-metrics is not scraped", "1m", [series("up", pg, flat(1))], [at(20, "BackupJobMissing", everyCronJob.map((name) => alert("BackupJobMissing", job(name))))]);
    test("BackupJobMissing waits 10 minutes (a scrape gap or a rollout is not a page)", "1m", reported(everyCronJob.filter((name) => name !== full)), [at(5, "BackupJobMissing", [])]);

    test("RestoreVerificationFailed fires when the latest verification failed", "1m", [...jobRun(verify, `${verify}-2`, 600, flat(1)), lastSuccess(verify, flat(60)), ...reported([verify])], [
      at(5, "RestoreVerificationFailed", [alert("RestoreVerificationFailed", job(verify))]),
    ]);
    test("RestoreVerificationFailed clears when the next verification succeeds", "1m", [...jobRun(verify, `${verify}-2`, 600, flat(1)), lastSuccess(verify, `60+0x29 1800+0x30`), ...reported([verify])], [
      at(20, "RestoreVerificationFailed", [alert("RestoreVerificationFailed", job(verify))]),
      at(40, "RestoreVerificationFailed", []),
    ]);
    test("RestoreVerificationFailed fires when verification never succeeded", "1h", cronJob(verify, {}), [at(Math.ceil(t.verification.late / 60) + 60, "RestoreVerificationFailed", [alert("RestoreVerificationFailed", job(verify))])]);
    test("RestoreVerificationFailed stays silent after a recent success", "1h", successAgo(verify, 3600), [at(evalMinutes, "RestoreVerificationFailed", [])]);

    // --- volumes --------------------------------------------------------------------------
    const volume = (usedPercent: number) => {
      const labels = { namespace: ns, persistentvolumeclaim: "data-postgres-0" };
      return [series("kubelet_volume_stats_capacity_bytes", labels, flat(100_000)), series("kubelet_volume_stats_available_bytes", labels, flat(100_000 - usedPercent * 1000))];
    };
    test("PersistentVolumeAlmostFull fires at 96 %", "1m", volume(96), [at(10, "PersistentVolumeAlmostFull", [alert("PersistentVolumeAlmostFull", { namespace: ns, persistentvolumeclaim: "data-postgres-0" })])]);
    test("PersistentVolumeAlmostFull stays silent at 94 %", "1m", volume(94), [at(10, "PersistentVolumeAlmostFull", [])]);
  }

  // --- Redis ----------------------------------------------------------------------------
  if (spec.redis.enabled) {
    test("RedisDown fires when the exporter reports Redis down", "1m", [series("up", rd, flat(1)), series("redis_up", rd, flat(0))], [at(5, "RedisDown", [alert("RedisDown", rd)])]);
    test("RedisDown stays silent when up", "1m", [series("up", rd, flat(1)), series("redis_up", rd, flat(1))], [at(5, "RedisDown", [])]);
    test("RedisAofWriteFailing fires when AOF writes fail", "1m", [series("redis_aof_last_write_status", rd, flat(0)), series("redis_aof_last_bgrewrite_status", rd, flat(1))], [at(5, "RedisAofWriteFailing", [alert("RedisAofWriteFailing", rd)])]);
    test("RedisAofWriteFailing stays silent when AOF writes succeed", "1m", [series("redis_aof_last_write_status", rd, flat(1)), series("redis_aof_last_bgrewrite_status", rd, flat(1))], [at(5, "RedisAofWriteFailing", [])]);
    const snapshot = snapshotCronJobName(targets.redis!);
    const { late, runDeadline } = t.redisSnapshot;
    if (targets.platform !== "docker") {
    const evalAt = Math.ceil(late / 60) + 30;
    const ago = (seconds: number) => flat(evalAt * 60 - seconds);
    const snapshotState = (successAgo: number | undefined, scheduledAgo: number) => [
      series("kube_cronjob_created", job(snapshot), flat(0)),
      ...(successAgo !== undefined ? [series("kube_cronjob_status_last_successful_time", job(snapshot), ago(successAgo))] : []),
      series("kube_cronjob_status_last_schedule_time", job(snapshot), ago(scheduledAgo)),
    ];
    expect(late).toBeLessThan(spec.objectives.redis.rpo);
    test(`RedisSnapshotTooOld fires just over ${late}s, before the ${spec.objectives.redis.rpo}s RPO`, "1m", snapshotState(late + 30, late + 40), [at(evalAt, "RedisSnapshotTooOld", [alert("RedisSnapshotTooOld", job(snapshot))])]);
    test(`RedisSnapshotTooOld stays silent just under ${late}s`, "1m", snapshotState(late - 30, late - 20), [at(evalAt, "RedisSnapshotTooOld", [])]);
    test(`RedisSnapshotTooOld fires when the latest run has not succeeded ${runDeadline}s after its time`, "1m", snapshotState(runDeadline + 90, runDeadline + 30), [at(evalAt, "RedisSnapshotTooOld", [alert("RedisSnapshotTooOld", job(snapshot))])]);
    test("RedisSnapshotTooOld fires for a snapshot CronJob that never succeeded", "1m", snapshotState(undefined, runDeadline + 30), [at(evalAt, "RedisSnapshotTooOld", [alert("RedisSnapshotTooOld", job(snapshot))])]);
    }
  }

  // --- API ------------------------------------------------------------------------------
  const api = spec.alerts.api;
  const apiLabels = selectorLabels(api.selector);
  const errorLabels = selectorLabels(api.errorSelector.replace("=~", "="));
  const buckets = (slowPerMinute: number) =>
    [
      ["0.5", 100 - slowPerMinute],
      [String(api.latencyP99), 100 - slowPerMinute],
      [String(api.latencyP99 * 4), 100],
      ["+Inf", 100],
    ].map(([le, perMinute]) => series(`${api.latencyMetric}_bucket`, { ...apiLabels, le: String(le) }, `0+${perMinute}x60`));
  test("ApiLatencyHigh fires when p99 is above the threshold", "1m", buckets(5), [at(20, "ApiLatencyHigh", [alert("ApiLatencyHigh", {})])]);
  test("ApiLatencyHigh stays silent when p99 is below it", "1m", buckets(0), [at(20, "ApiLatencyHigh", [])]);
  const requests = (errorPercent: number) => [
    series(api.requestsMetric, { ...apiLabels, code: "200" }, `0+${100 - errorPercent}x60`),
    series(api.requestsMetric, { ...apiLabels, code: "500" }, `0+${errorPercent}x60`),
  ];
  const over = Math.round(api.errorRate * 100) + 2;
  const under = Math.round(api.errorRate * 100) - 2;
  expect(errorLabels).toBeDefined();
  test(`ApiErrorRateHigh fires at ${over} %`, "1m", requests(over), [at(20, "ApiErrorRateHigh", [alert("ApiErrorRateHigh", {})])]);
  test(`ApiErrorRateHigh stays silent at ${under} %`, "1m", requests(under), [at(20, "ApiErrorRateHigh", [])]);

  return tests;
}

describe.each(["prod", "staging", "bot", "bot-dr", "events"])("the alert rules of %s", (stack) => {
  const spec = stackSpec(stack);
  const targets = alertTargets(spec);
  const rulesFile = join(scratch, `${stack}-rules.yaml`);
  writeFileSync(rulesFile, renderRuleFile(spec, targets));

  // Replication is watched where the bucket replicates (prod), not in a drill (staging).
  const contract = ALERT_NAMES.filter((name) => name !== "ReplicationLagging" || spec.storage.replication);

  it("implement the whole contract", () => {
    const names = renderAlertRules(spec, targets).flatMap((g) => g.rules.map((r) => r.alert));
    expect(names.sort()).toEqual([...contract].sort());
    for (const rule of renderAlertRules(spec, targets).flatMap((g) => g.rules)) {
      expect(["critical", "warning"]).toContain(rule.labels.severity);
      expect(rule.annotations.runbook_url).toBe(`${spec.alerts.runbookBaseUrl}#${rule.alert.toLowerCase()}`);
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
    }
  });

  it("pass promtool check rules", () => {
    const result = promtool(["check", "rules", rulesFile]);
    expect(result.stdout + result.stderr).toContain(`SUCCESS: ${contract.length} rules found`);
    expect(result.status).toBe(0);
  });

  it.runIf(spec.target === "docker")("come with a scrape configuration promtool accepts, labelling each target as the rules select", () => {
    const file = join(scratch, `${stack}-scrape.yaml`);
    writeFileSync(file, renderScrapeConfig(spec, targets, spec.host.publishAddress));
    const result = promtool(["check", "config", file]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const rules = JSON.stringify(renderAlertRules(spec, targets));
    expect(rules).not.toMatch(/kube_|kubelet_/);
    expect(rules).toContain(`drkit_stack=\\"${spec.stack}\\",drkit_component=\\"scheduler\\"`);
  });

  it("fire and stay silent as promtool test rules expects", () => {
    const tests = buildTests(spec);
    const covered = new Set(tests.flatMap((t) => t.alert_rule_test.map((a) => a.alertname)));
    expect([...covered].sort()).toEqual([...contract].sort());
    for (const name of contract) {
      const cases = tests.flatMap((t) => t.alert_rule_test).filter((a) => a.alertname === name);
      expect(cases.some((a) => a.exp_alerts.length > 0), `${name} has a firing case`).toBe(true);
      expect(cases.some((a) => a.exp_alerts.length === 0), `${name} has a silent case`).toBe(true);
    }
    // Rules are evaluated at the sampling interval: days-long backup cases step by the hour.
    for (const interval of [...new Set(tests.map((t) => t.interval))]) {
      const testFile = join(scratch, `${stack}-tests-${interval}.yaml`);
      const group = tests.filter((t) => t.interval === interval);
      writeFileSync(testFile, stringify({ rule_files: [rulesFile], evaluation_interval: interval, tests: group }, { lineWidth: 0 }));
      const result = promtool(["test", "rules", testFile]);
      expect(result.status, result.stdout + result.stderr).toBe(0);
      expect(result.stdout + result.stderr).toContain("SUCCESS");
    }
  });
});

describe("the rule files of stacks with fewer stores", () => {
  // Redis alone, Redis without snapshots, and Redis alone without snapshots: only their rules, all valid.
  const cases = [
    ["without PostgreSQL", { postgres: { enabled: false } }, ["RedisDown", "RedisAofWriteFailing", "RedisSnapshotTooOld", "BackupJobFailed", "BackupJobMissing", "PersistentVolumeAlmostFull", "ApiLatencyHigh", "ApiErrorRateHigh"]],
    ["without PostgreSQL or Redis snapshots", { postgres: { enabled: false }, redis: { snapshots: { enabled: false } } }, ["RedisDown", "RedisAofWriteFailing", "PersistentVolumeAlmostFull", "ApiLatencyHigh", "ApiErrorRateHigh"]],
  ] as const;
  it.each(cases)("pass promtool check rules %s, with exactly the alerts that apply", (name, patch, alerts) => {
    const spec = specOf(merge(minimalPrimary(), patch), "prod");
    const groups = renderAlertRules(spec, alertTargets(spec));
    expect(groups.flatMap((g) => g.rules.map((r) => r.alert)).sort()).toEqual([...alerts].sort());
    const file = join(scratch, `${name.replace(/\W+/g, "-")}.rules.yaml`);
    writeFileSync(file, renderRuleFile(spec, alertTargets(spec)));
    const result = promtool(["check", "rules", file]);
    expect(result.stdout + result.stderr).toContain(`SUCCESS: ${alerts.length} rules found`);
  });
});

/**
 * The job and volume alerts of a stack on a Docker host, on the series drkit's scheduler serves
 * (components/host/scheduler.ts, scraped with the labels of `renderScrapeConfig`).
 */
function dockerJobTests<A, T>(spec: DrSpec, targets: AlertTargets, alert: (name: AlertName, labels: Labels) => A, at: (minutes: number, name: AlertName, alerts: A[]) => T) {
  const t = alertThresholds(spec);
  const m = SCHEDULER_METRICS;
  const flat = (value: number, count = 60) => `${value}+0x${count}`;
  const scheduler = schedulerLabels(spec);
  const job = (name: string) => ({ ...scheduler, job_name: name });
  const tests: { name: string; interval: string; input_series: ReturnType<typeof series>[]; alert_rule_test: T[] }[] = [];
  const test = (name: string, interval: string, input: ReturnType<typeof series>[], checks: T[]) => tests.push({ name: `${name} (Docker host)`, interval, input_series: input, alert_rule_test: checks });

  const evalMinutes = Math.ceil(Math.max(...Object.values(t.backups).map((l) => l.late), t.verification.late) / 3600 + 24) * 60;
  const now = evalMinutes * 60;
  const hours = evalMinutes / 60 + 1;
  /** A job as the scheduler reports it: known since 0, its last run started and (maybe) succeeded so long ago. */
  const scheduled = (name: string, state: { successAgo?: number; scheduledAgo?: number; createdAgo?: number }) => [
    series(m.created, job(name), flat(state.createdAgo === undefined ? 0 : now - state.createdAgo, hours)),
    ...(state.successAgo !== undefined ? [series(m.lastSuccess, job(name), flat(now - state.successAgo, hours))] : []),
    ...(state.scheduledAgo !== undefined ? [series(m.lastSchedule, job(name), flat(now - state.scheduledAgo, hours))] : []),
  ];
  const fresh = (name: string, age: number) => scheduled(name, { successAgo: age, scheduledAgo: age + 60 });
  const backupJobs = Object.keys(t.backups).map((kind) => backupsCronJobName(targets.postgres!, kind));
  const full = backupCronJobName(targets.postgres!, "full");
  const others = (except: string) => backupJobs.filter((name) => name !== except).flatMap((name) => fresh(name, 60));
  const fullLimits = t.backups["full"]!;
  const byJob = (name: string) => ({ job_name: name });
  test(`BackupTooOld fires for a full backup just over ${fullLimits.late}s old`, "1h", [...others(full), ...fresh(full, fullLimits.late + 60)], [at(evalMinutes, "BackupTooOld", [alert("BackupTooOld", byJob(full))])]);
  test(`BackupTooOld stays silent for a full backup just under ${fullLimits.late}s old`, "1h", [...others(full), ...fresh(full, fullLimits.late - 60)], [at(evalMinutes, "BackupTooOld", [])]);
  test(
    `BackupTooOld fires when the latest full backup the scheduler started has not succeeded ${fullLimits.runDeadline}s after`,
    "1h",
    [...others(full), ...scheduled(full, { successAgo: fullLimits.runDeadline + 3600, scheduledAgo: fullLimits.runDeadline + 60 })],
    [at(evalMinutes, "BackupTooOld", [alert("BackupTooOld", byJob(full))])],
  );
  test("BackupTooOld fires for a job that never succeeded since the scheduler first knew it", "1h", [...others(full), ...scheduled(full, {})], [at(evalMinutes, "BackupTooOld", [alert("BackupTooOld", byJob(full))])]);
  test("BackupTooOld stays silent for a new job that has not had its first run yet", "1h", [...others(full), ...scheduled(full, { createdAgo: 3600 })], [at(evalMinutes, "BackupTooOld", [])]);

  const failed = (name: string, values: string, labels: Labels = job(name)) => series(m.failed, labels, values);
  test("BackupJobFailed fires when the latest run failed after all its retries", "1m", [failed(full, flat(1))], [at(5, "BackupJobFailed", [alert("BackupJobFailed", byJob(full))])]);
  test("BackupJobFailed clears when the next run succeeds", "1m", [failed(full, "1+0x29 0+0x30")], [at(20, "BackupJobFailed", [alert("BackupJobFailed", byJob(full))]), at(40, "BackupJobFailed", [])]);
  test("BackupJobFailed stays silent for another stack's failed job on the same Prometheus", "1m", [failed(full, flat(1), { ...job(full), drkit_stack: `${spec.stack}-other` })], [at(5, "BackupJobFailed", [])]);

  const verify = verifyCronJobName(targets.postgres!);
  const every = [...backupJobs, verify, ...(targets.redis === undefined || !spec.redis.snapshots.enabled ? [] : [snapshotCronJobName(targets.redis)]), ...(targets.media ? [targets.media] : [])];
  const reported = (names: string[]) => names.map((name) => series(m.created, job(name), flat(0)));
  if (targets.media !== undefined && t.media) {
    // The media mirror is watched like a backup: overdue past its own limits, failed, missing.
    const media = targets.media;
    const limits = t.media;
    test(`BackupTooOld fires for a media mirror just over ${limits.late}s old`, "1h", [...others(""), ...fresh(media, limits.late + 60)], [at(evalMinutes, "BackupTooOld", [alert("BackupTooOld", byJob(media))])]);
    test(`BackupTooOld stays silent for a media mirror just under ${limits.late}s old`, "1h", [...others(""), ...fresh(media, limits.late - 60)], [at(evalMinutes, "BackupTooOld", [])]);
    test("BackupJobFailed fires when the latest media mirror failed", "1m", [failed(media, flat(1))], [at(5, "BackupJobFailed", [alert("BackupJobFailed", byJob(media))])]);
  }
  test("BackupJobMissing stays silent while the scheduler reports every job", "1m", reported(every), [at(20, "BackupJobMissing", [])]);
  test("BackupJobMissing fires for a job the scheduler does not report", "1m", reported(every.filter((name) => name !== full)), [at(20, "BackupJobMissing", [alert("BackupJobMissing", job(full))])]);
  test("BackupJobMissing fires for every job when the scheduler is not scraped", "1m", [series("up", { ...scheduler }, flat(0))], [at(20, "BackupJobMissing", every.map((name) => alert("BackupJobMissing", job(name))))]);

  test("RestoreVerificationFailed fires when the latest verification failed", "1m", [failed(verify, flat(1)), ...reported([verify])], [at(5, "RestoreVerificationFailed", [alert("RestoreVerificationFailed", byJob(verify))])]);
  test("RestoreVerificationFailed stays silent after a recent success", "1h", fresh(verify, 3600), [at(evalMinutes, "RestoreVerificationFailed", [])]);

  const volumes = (usedPercent: number) => [series(m.volumesSize, scheduler, flat(100_000)), series(m.volumesAvailable, scheduler, flat(100_000 - usedPercent * 1000))];
  test("PersistentVolumeAlmostFull fires at 96 % of the filesystem the host's volumes are on", "1m", volumes(96), [at(10, "PersistentVolumeAlmostFull", [alert("PersistentVolumeAlmostFull", scheduler)])]);
  test("PersistentVolumeAlmostFull stays silent at 94 %", "1m", volumes(94), [at(10, "PersistentVolumeAlmostFull", [])]);

  if (targets.redis !== undefined && spec.redis.snapshots.enabled) {
    const snapshot = snapshotCronJobName(targets.redis);
    const { late } = t.redisSnapshot;
    const evalAt = Math.ceil(late / 60) + 30;
    const ago = (seconds: number) => flat(evalAt * 60 - seconds);
    const state = (successAgo: number, scheduledAgo: number) => [series(m.created, job(snapshot), flat(0)), series(m.lastSuccess, job(snapshot), ago(successAgo)), series(m.lastSchedule, job(snapshot), ago(scheduledAgo))];
    test(`RedisSnapshotTooOld fires just over ${late}s`, "1m", state(late + 30, late + 40), [at(evalAt, "RedisSnapshotTooOld", [alert("RedisSnapshotTooOld", byJob(snapshot))])]);
    test(`RedisSnapshotTooOld stays silent just under ${late}s`, "1m", state(late - 30, late - 20), [at(evalAt, "RedisSnapshotTooOld", [])]);
  }
  return tests;
}
