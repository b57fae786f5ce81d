import type { CopyRepository, PostgresContext } from "./input";
import type { PgbackrestRepository, PostgresLayout } from "./layout";
import { retentionDays, windowDays } from "./layout";
import { ARCHIVE_PUSH_IO_TIMEOUT, archivePushQueueMaxMiB, processMax, restoreProcessMax } from "./settings";
import { PORT } from "../workloads/names";
import { renderScript } from "../shell/render";

/**
 * pgBackRest configuration files. Credentials and cipher passphrases are never in them: they
 * come from the environment (PGBACKREST_REPO<n>_S3_KEY, _S3_KEY_SECRET, _CIPHER_PASS), which a
 * cluster fills from Kubernetes Secrets.
 */

export function repoLines(index: 1 | 2 | 3, repo: PgbackrestRepository): string[] {
  const r = `repo${index}`;
  const { endpoint } = repo;
  return [
    `${r}-type=s3`,
    `${r}-path=${repo.path}`,
    `${r}-s3-bucket=${endpoint.bucket}`,
    `${r}-s3-endpoint=${endpoint.host}`,
    `${r}-s3-region=${endpoint.region}`,
    `${r}-s3-uri-style=${endpoint.uriStyle}`,
    ...(endpoint.port !== undefined ? [`${r}-storage-port=${endpoint.port}`] : []),
    ...(endpoint.verifyTls ? [] : [`${r}-storage-verify-tls=n`]),
    ...(repo.encrypted ? [`${r}-cipher-type=aes-256-cbc`] : []),
  ];
}

/**
 * How backups are taken and kept, shared by the database host's config and the backup jobs'
 * (the repository host's): time-based retention for the PITR window, zstd, parallelism from the
 * CPU, fast checkpoints, delta restores.
 */
export function backupSettings(spec: Pick<PostgresContext, "postgres">, copy?: CopyRepository): string[] {
  return [
    // Time-based retention keeps a full backup older than the window and all WAL after it:
    // point-in-time recovery to any moment of the last pitrWindow days.
    "repo1-retention-full-type=time",
    `repo1-retention-full=${retentionDays(spec)}`,
    // The copy keeps its own window.
    ...(copy ? ["repo3-retention-full-type=time", `repo3-retention-full=${windowDays(copy.pitrWindow)}`] : []),
    "compress-type=zst",
    "compress-level=3",
    `process-max=${processMax(spec.postgres.resources.cpu)}`,
    "start-fast=y",
    "delta=y",
  ];
}

function stanzaSection(stanza: string, layout: PostgresLayout): string[] {
  return [`[${stanza}]`, `pg1-path=${layout.dataDir}`, `pg1-port=${layout.port}`, `pg1-socket-path=${layout.socketDir}`];
}

/** The copy's repository lines (repo3), when the stack keeps one. */
export const copyLines = (copy: CopyRepository | undefined): string[] => (copy ? repoLines(3, copy.repository) : []);

/** This stack's own repository: archive-push, backups, retention. */
export function renderPgbackrestConf(spec: Pick<PostgresContext, "stack" | "postgres">, layout: PostgresLayout, repo: PgbackrestRepository): string {
  return [
    `# pgbackrest.conf rendered by drkit for stack '${spec.stack}': this stack's own repository.`,
    "[global]",
    ...repoLines(1, repo),
    ...backupSettings(spec),
    // Asynchronous archiving: PostgreSQL hands WAL over at once, pgBackRest ships it in
    // parallel; the queue on the volume is bounded so a dead repository cannot fill the disk.
    "archive-async=y",
    `spool-path=${layout.spoolDir}`,
    `archive-push-queue-max=${archivePushQueueMaxMiB(spec.postgres.storage.size)}MiB`,
    `lock-path=${layout.lockDir}`,
    "log-level-console=info",
    "log-level-file=off",
    "",
    // A dead repository must end each attempt soon, so the queue limit applies (see the constant).
    "[global:archive-push]",
    `io-timeout=${ARCHIVE_PUSH_IO_TIMEOUT}`,
    "",
    ...stanzaSection(repo.stanza, layout),
    "",
  ].join("\n");
}

/**
 * The copy's repository (repo3) as PostgreSQL archives to it: a pgBackRest of its own, with its
 * own spool and lock directories, run by pgbackrest-archive-push.sh after the bucket's. An unreachable copy
 * then never holds back the bucket's WAL (a single pgBackRest with both repositories checks each
 * before it pushes: measured, the bucket's WAL waited minutes while the copy's store was down).
 * The push gives up soon: the archive check repairs the copy's gaps with a full backup to it.
 */
export function renderCopyArchiveConf(spec: Pick<PostgresContext, "stack" | "postgres">, layout: PostgresLayout, copy: CopyRepository): string {
  return [
    `# pgbackrest-copy.conf rendered by drkit for stack '${spec.stack}': the copy of this stack's repository (repo3), archived to on a best-effort basis.`,
    "[global]",
    ...repoLines(3, copy.repository),
    "compress-type=zst",
    "compress-level=3",
    "archive-async=y",
    `spool-path=${layout.spoolDir}-copy`,
    `archive-push-queue-max=${archivePushQueueMaxMiB(spec.postgres.storage.size)}MiB`,
    `lock-path=${layout.lockDir}-copy`,
    "log-level-console=info",
    "log-level-file=off",
    "",
    "[global:archive-push]",
    `io-timeout=${ARCHIVE_PUSH_IO_TIMEOUT}`,
    // PostgreSQL waits this long for the copy before it moves on without it.
    `archive-timeout=${COPY_ARCHIVE_TIMEOUT}`,
    "",
    ...stanzaSection(copy.repository.stanza, layout),
    "",
  ].join("\n");
}

/** archive_command with a copy: the bucket's push, then the copy's, only the bucket's result counting. */
export function renderArchivePushScript(spec: Pick<PostgresContext, "stack" | "postgres">, layout: PostgresLayout): string {
  return renderScript("pg-archive-push.sh", `stack '${spec.stack}'`, {
    OWN_CONFIG: `${layout.configDir}/pgbackrest.conf`,
    COPY_CONFIG: `${layout.configDir}/pgbackrest-copy.conf`,
    STANZA: spec.postgres.backups.stanza,
  });
}

/** Seconds PostgreSQL's archive_command waits for the copy's push before it gives up on the segment for the copy. */
export const COPY_ARCHIVE_TIMEOUT = 5;

/**
 * The source repository a dr/drill stack restores from, as repo2 so its credentials
 * (PGBACKREST_REPO2_*) can never be mistaken for the stack's own (repo1). Used only by the
 * bootstrap's restore and the recovery's restore_command; nothing ever writes with it.
 */
export function renderRestoreConf(spec: Pick<PostgresContext, "stack" | "postgres">, layout: PostgresLayout, source: PgbackrestRepository): string {
  return [
    `# pgbackrest-restore.conf rendered by drkit for stack '${spec.stack}': the repository to restore from (read-only).`,
    "[global]",
    ...repoLines(2, source),
    "archive-async=y",
    `spool-path=${layout.spoolDir}`,
    "archive-get-queue-max=1GiB",
    `process-max=${restoreProcessMax(spec.postgres.resources.cpu)}`,
    `lock-path=${layout.lockDir}`,
    "log-level-console=info",
    "log-level-file=off",
    "",
    ...stanzaSection(source.stanza, layout),
    "",
  ].join("\n");
}

/** pgBackRest's TLS server port on the PostgreSQL pod. */
export const PGBACKREST_TLS_PORT = PORT.pgbackrestTls;

/** The certificate common name backup jobs present; the server authorizes it for the stanza. */
export const BACKUP_CLIENT_NAME = "drkit-backup";

/**
 * The pgBackRest TLS server sidecar's command: backup jobs in their own pods act as the
 * repository host and reach this cluster only through it, authenticated by a client
 * certificate (mTLS), never with the database superuser's password.
 */
export function tlsServerCommand(layout: PostgresLayout, stanza: string, tlsDir: string, port: number = PGBACKREST_TLS_PORT): string[] {
  return [
    "pgbackrest",
    `--config=${layout.configDir}/pgbackrest.conf`,
    "--tls-server-address=*",
    `--tls-server-port=${port}`,
    `--tls-server-ca-file=${tlsDir}/ca.crt`,
    `--tls-server-cert-file=${tlsDir}/tls.crt`,
    `--tls-server-key-file=${tlsDir}/tls.key`,
    `--tls-server-auth=${BACKUP_CLIENT_NAME}=${stanza}`,
    "server",
  ];
}
