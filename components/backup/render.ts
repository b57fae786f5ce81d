import type { PgbackrestRepository } from "../postgres/layout";
import { backupSettings, copyLines, repoLines } from "../postgres/pgbackrestConf";
import { recoveryDeadline, restoreProcessMax } from "../postgres/settings";
import { ENV } from "../workloads/names";
import { metricVariables, objectStoreVariables, renderScript, type ShellValue } from "../shell/render";
import type { SnapshotStore } from "../redis/layout";
import type { CopyRepository, PostgresContext } from "../postgres/input";
import { DAY } from "../config";
import type { BackupJobLayout } from "./layout";

/**
 * pgbackrest.conf of the backup jobs: they are the repository host. The repository is the
 * stack's own; the database is reached through the pgBackRest TLS server on the PostgreSQL pod,
 * with the client certificate (mutual TLS), never with a database password.
 */
export function renderBackupJobConf(spec: PostgresContext, layout: BackupJobLayout, repo: PgbackrestRepository, pgHost: string, pgHostPort: number, copy?: CopyRepository): string {
  return [
    `# pgbackrest.conf of drkit's backup jobs for stack '${spec.stack}' (repository host${copy ? "; repo3 is the copy" : ""}).`,
    "[global]",
    ...repoLines(1, repo),
    ...copyLines(copy),
    ...backupSettings(spec, copy),
    `lock-path=${layout.lockDir}`,
    "log-level-console=info",
    "log-level-file=off",
    "",
    `[${repo.stanza}]`,
    `pg1-host=${pgHost}`,
    "pg1-host-type=tls",
    `pg1-host-port=${pgHostPort}`,
    `pg1-host-ca-file=${layout.tlsDir}/ca.crt`,
    `pg1-host-cert-file=${layout.tlsDir}/tls.crt`,
    `pg1-host-key-file=${layout.tlsDir}/tls.key`,
    `pg1-path=${layout.postgres.dataDir}`,
    `pg1-port=${layout.postgres.port}`,
    `pg1-socket-path=${layout.postgres.socketDir}`,
    "",
  ].join("\n");
}

/** The restore verification's pgbackrest.conf: the own repository, restored into scratch space. */
export function renderVerifyConf(spec: PostgresContext, layout: BackupJobLayout, repo: PgbackrestRepository): string {
  return [
    `# pgbackrest.conf of drkit's restore verification for stack '${spec.stack}'.`,
    "[global]",
    ...repoLines(1, repo),
    // As the DR bootstrap restores: the throughput it logs is the one a DR restore reaches.
    `process-max=${restoreProcessMax(spec.postgres.resources.cpu)}`,
    `lock-path=${layout.lockDir}`,
    "log-level-console=info",
    "log-level-file=off",
    "",
    `[${repo.stanza}]`,
    `pg1-path=${layout.workDir}/pgdata`,
    `pg1-port=${layout.postgres.port + 1}`,
    `pg1-socket-path=${layout.workDir}`,
    "",
  ].join("\n");
}

/** `backup.sh full|diff|incr`: one pgBackRest backup, checked in the repository afterwards. */
export function renderBackupScript(spec: PostgresContext, layout: BackupJobLayout, copied = false): string {
  return renderScript("pg-backup.sh", `stack '${spec.stack}'`, { CONFIG: `${layout.configDir}/pgbackrest.conf`, STANZA: spec.postgres.backups.stanza, REPOS: copied ? "1 3" : "1" });
}

/**
 * `dump.sh dump|upload`: logical dumps of every database, the long-term portable tier.
 *   dump    pg_dump (-Fc, or -Fd -j N) of each database as its owner, with a SHA256SUMS file;
 *           any failure stops the job before anything is uploaded;
 *   upload  puts each dump under `<prefix><db>/<UTC timestamp>/`, then a COMPLETE marker, last;
 *           then prunes: the newest keepLast complete dumps stay whatever their age, older
 *           complete dumps go after the retention, incomplete ones older than the newest complete
 *           one go. The newest complete dump is never deleted.
 */
export function renderDumpScript(spec: PostgresContext, layout: BackupJobLayout, store: SnapshotStore, pgHost: string, keep: { retention: number; keepLast: number } = spec.postgres.dumps): string {
  const { dumps } = spec.postgres;
  return renderScript("pg-dump.sh", `stack '${spec.stack}'`, {
    DATABASES: spec.postgres.databases.map((db) => `${db.name}:${db.owner}`).join(" "),
    FORMAT: dumps.format,
    JOBS: dumps.jobs,
    PG_HOST: pgHost,
    PG_PORT: layout.postgres.port,
    WORK: layout.workDir,
    KEEP_LAST: keep.keepLast,
    RETENTION_DAYS: Math.round(keep.retention / DAY),
    PASSWORD_PREFIX: ENV.ownerPasswordPrefix,
    ...objectStoreVariables(store),
  });
}

/** Where a job reports its results (the job-metrics gateway) and the labels that group them. */
export interface MetricsTarget {
  /** The gateway's URL (`jobMetricsUrl`). */
  url: string;
  /** Grouping labels: every series the job pushes carries them (drkit_stack, drkit_component, ...). */
  labels: Record<string, string>;
}

/** lib/metrics.sh's variables: the gateway and the group every push goes under. */
export function metricsTargetVariables(target: MetricsTarget): Record<string, ShellValue> {
  return { METRICS_URL: target.url, METRICS_GROUP: Object.entries(target.labels).map(([k, v]) => `/${k}/${encodeURIComponent(v)}`).join("") };
}

/**
 * The gauges a restore verification pushes, labelled with its stack, component, cluster and
 * `repository` (own or source): the last proven RTO and RPO a dashboard shows per stack.
 */
export const VERIFICATION_METRICS = {
  /** 1 when the latest run restored and checked the backup, 0 when it failed. */
  success: "drkit_restore_verification_success",
  lastRun: "drkit_restore_verification_last_run_timestamp_seconds",
  lastSuccess: "drkit_restore_verification_last_success_timestamp_seconds",
  /** The proven RTO: restore and WAL replay until the cluster answered. */
  restoreSeconds: "drkit_restore_verification_restore_seconds",
  /** The proven RPO: how much older the newest restored commit was than the run's start. */
  dataAge: "drkit_restore_verification_data_age_seconds",
  throughput: "drkit_restore_verification_throughput_bytes_per_second",
  /** The objectives the figures are held against, `objective="rto"|"rpo"`. */
  objective: "drkit_restore_verification_objective_seconds",
} as const;

/**
 * `verify.sh own|source`: restores the newest backup and every WAL segment archived after it
 * into scratch space with archiving off (it must never write to the repository), starts
 * PostgreSQL on it, and checks it: the expected databases and tables exist, row counts reach
 * their minimum, the newest row of the freshness column is within the RPO of the moment the
 * verification started, pg_amcheck finds no corruption. It fails when the restore took longer
 * than the RTO; any failure exits non-zero with one line. The measured restore time and the
 * age of the newest restored commit (the proven RTO and RPO) go to the job-metrics gateway.
 */
export function renderVerifyScript(spec: PostgresContext, layout: BackupJobLayout, pgBin: string, metrics: MetricsTarget): string {
  const { postgres, objectives } = spec;
  const fresh = postgres.verification.freshness;
  return renderScript("pg-verify.sh", `stack '${spec.stack}'`, {
    CONFIG: `${layout.configDir}/verify.conf`,
    STANZA: postgres.backups.stanza,
    PG_BIN: pgBin,
    WORK: layout.workDir,
    PORT: layout.postgres.port + 1,
    RTO_SECONDS: objectives.postgres.rto,
    RPO_SECONDS: objectives.postgres.rpo,
    DATABASES: postgres.databases.map((d) => d.name).join(" "),
    TABLES: postgres.verification.tables.map((t) => `${t.database}:${t.table}:${t.minRows}`).join(" "),
    FRESHNESS: fresh ? `${fresh.database}:${fresh.table}:${fresh.column}` : "",
    // How long recovery may take before the verification gives up: the DR bootstrap's deadline.
    DEADLINE_SECONDS: recoveryDeadline(spec),
    ...metricsTargetVariables(metrics),
    ...metricVariables(VERIFICATION_METRICS),
  });
}
