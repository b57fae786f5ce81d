import type { PostgresLayout } from "../postgres/layout";
import { PATH } from "../workloads/names";

/** Where the backup, dump and verification jobs find their files. */
export interface BackupJobLayout {
  /** Rendered configs and scripts (a ConfigMap). */
  configDir: string;
  /** The pgBackRest client certificate (ca.crt, tls.crt, tls.key). */
  tlsDir: string;
  /** Scratch space: dumps before upload, the verification's restored cluster. */
  workDir: string;
  /** pgBackRest lock files. */
  lockDir: string;
  /** The database host's layout (pg1-path, socket, port on that host). */
  postgres: PostgresLayout;
}

export function backupJobLayout(postgres: PostgresLayout): BackupJobLayout {
  return { configDir: PATH.backupConfig, tlsDir: PATH.backupTls, workDir: PATH.work, lockDir: `${PATH.tmp}/pgbackrest`, postgres };
}

/**
 * How long a job that moves the whole database may run: 20 MiB/s (a slow volume or link)
 * both ways, at least half an hour. A job past it is killed and BackupJobFailed pages.
 */
export function deadlineForData(bytes: number): number {
  return Math.max(1800, Math.ceil((bytes / (20 * 2 ** 20)) * 2));
}
