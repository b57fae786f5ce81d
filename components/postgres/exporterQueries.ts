import { stringify } from "yaml";

/**
 * postgres_exporter's own queries (`--extend.query-path`): the series the RPO alert rests on.
 *
 * A WAL segment is `.ready` in pg_wal/archive_status from the moment PostgreSQL completes it
 * until archive_command (pgBackRest archive-push) returns success, which with asynchronous
 * archiving happens only once the segment is in the repository. The age of the oldest `.ready`
 * segment is therefore how long committed data has been exposed to the loss of this volume: 0 on
 * an idle database and on one whose archiving keeps up, however sparse its writes; growing from
 * the moment the repository stops taking WAL. pg_ls_archive_statusdir() is granted to
 * pg_monitor, the exporter's role.
 */
export const WAL_ARCHIVE_METRICS = {
  oldestReadyAge: "pg_wal_archive_oldest_ready_age_seconds",
  readySegments: "pg_wal_archive_ready_segments",
} as const;

export function renderExporterQueries(): string {
  const queries = {
    pg_wal_archive: {
      query:
        "SELECT coalesce(extract(epoch FROM now() - min(modification)), 0) AS oldest_ready_age_seconds, count(*) AS ready_segments FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'",
      master: true,
      metrics: [
        { oldest_ready_age_seconds: { usage: "GAUGE", description: "Age of the oldest completed WAL segment not yet archived (0 when none waits)" } },
        { ready_segments: { usage: "GAUGE", description: "Completed WAL segments waiting to be archived" } },
      ],
    },
  };
  return `# postgres_exporter queries rendered by drkit: the WAL not yet in the repository.\n${stringify(queries, { lineWidth: 0 })}`;
}
