import { metricVariables, renderScript } from "../shell/render";
import type { PgbackrestRepository } from "../postgres/layout";
import { repoLines } from "../postgres/pgbackrestConf";
import type { PostgresContext } from "../postgres/input";
import type { BackupJobLayout } from "./layout";
import { metricsTargetVariables, type MetricsTarget } from "./render";

/** The series the archive check pushes; the alert rules read them by these names. */
export const ARCHIVE_CHECK_METRICS = {
  /** Segments missing between the oldest backup's start and the newest archived segment. */
  missing: "drkit_wal_archive_missing_segments",
  /** Segments missing after the newest backup's start: a restore to now stops at the gap. */
  unrepaired: "drkit_wal_archive_unrepaired_segments",
  /** When a check last found segments missing after the newest backup. */
  gapDetected: "drkit_wal_archive_gap_detected_timestamp_seconds",
  /** When the check last read the repository's archive. */
  lastRun: "drkit_wal_archive_check_last_run_timestamp_seconds",
  /** How long the oldest WAL segment in the repository but not yet in its replica has waited (0 when none). */
  replicationLag: "drkit_wal_replication_lag_seconds",
  /** WAL segments in the repository and not yet in its replica. */
  replicationPending: "drkit_wal_replication_pending_segments",
} as const;

/**
 * The replica's pgbackrest.conf for the archive check: the replica of the stack's own repository
 * as repo2 (read-only credentials in PGBACKREST_REPO2_*, never mistaken for the writer's repo1),
 * used only to list what has arrived.
 */
export function renderReplicaConf(spec: PostgresContext, layout: BackupJobLayout, replica: PgbackrestRepository): string {
  return [
    `# pgbackrest.conf of drkit's archive check for stack '${spec.stack}': the replica of its repository (read-only).`,
    "[global]",
    ...repoLines(2, replica),
    `lock-path=${layout.lockDir}`,
    "log-level-console=warn",
    "log-level-file=off",
    "",
  ].join("\n");
}

/**
 * A hole in the archive younger than this may be a segment still on its way: archive-push
 * pushes several segments in parallel, so a later one can land first. A hole that stays after
 * later segments have been in the repository this long is a loss.
 */
export const ARCHIVE_SETTLE_SECONDS = 300;

/**
 * `archive-check.sh`: finds WAL missing from the repository (dropped by
 * `archive-push-queue-max`), takes a full backup after a gap, and reports the replica's lag when
 * the stack's repository is `replicated`. What it checks and why is in pg-archive-check.sh.
 */
export function renderArchiveCheckScript(spec: PostgresContext, layout: BackupJobLayout, metrics: MetricsTarget, replicated: boolean, copied = false): string {
  return renderScript("pg-archive-check.sh", `stack '${spec.stack}'`, {
    CONFIG: `${layout.configDir}/pgbackrest.conf`,
    STANZA: spec.postgres.backups.stanza,
    REPLICA_CONFIG: replicated ? `${layout.configDir}/replica.conf` : "",
    COPY_REPO: copied ? 3 : "",
    SETTLE_SECONDS: ARCHIVE_SETTLE_SECONDS,
    ...metricsTargetVariables(metrics),
    ...metricVariables(ARCHIVE_CHECK_METRICS),
  });
}
