import { HOUR, MINUTE, type Seconds } from "../config/units";
import type { PostgresContext } from "./input";

/**
 * The numbers drkit derives for PostgreSQL and pgBackRest from the spec (docs/architecture.md §5). Each is
 * computed here once; the configs, alerts and review read them from here.
 */

/** Below this RPO, WAL archiving on a timer cannot be the mechanism (see the review rule). */
export const MINIMUM_ARCHIVING_RPO: Seconds = MINUTE;

/**
 * `archive_timeout`: WAL is shipped when a segment fills or this timer forces a switch, so the
 * worst-case loss is about this plus the push latency. A fifth of the RPO leaves the rest for
 * the push and a retry (60 s for a 5-minute RPO). Floored at 15 s (each forced switch can
 * archive a mostly empty 16 MB segment) and capped at 10 minutes.
 */
export function archiveTimeout(rpo: Seconds): Seconds {
  return Math.min(10 * MINUTE, Math.max(15, Math.floor(rpo / 5)));
}

const MiB = 2 ** 20;
const GiB = 2 ** 30;

export interface MemorySettings {
  sharedBuffersMiB: number;
  effectiveCacheSizeMiB: number;
  maintenanceWorkMemMiB: number;
  workMemMiB: number;
}

/**
 * Memory settings from the container's memory limit: the usual starting points (shared_buffers
 * a quarter, effective_cache_size three quarters, maintenance_work_mem a twentieth up to 2 GiB)
 * and work_mem such that every connection sorting at once stays within another quarter.
 */
export function memorySettings(memory: number, maxConnections: number): MemorySettings {
  const mib = Math.floor(memory / MiB);
  return {
    sharedBuffersMiB: Math.max(128, Math.floor(mib / 4)),
    effectiveCacheSizeMiB: Math.max(256, Math.floor((mib * 3) / 4)),
    maintenanceWorkMemMiB: Math.max(64, Math.min(2048, Math.floor(mib / 20))),
    workMemMiB: Math.max(4, Math.floor(mib / 4 / maxConnections)),
  };
}

/**
 * `archive-push-queue-max`: how much WAL may wait on the volume while the repository is
 * unreachable. A quarter of the volume: a dead repository can never fill the disk and stop the
 * database; past it pgBackRest drops WAL (breaking point-in-time recovery until the archive
 * check's full backup), which PostgresWalArchiveStale has long since paged about. Never less
 * than four 16 MiB segments, so one burst does not drop WAL. (A floor of 1 GiB, as before, was
 * the whole of a 1 GiB volume: the limit could not protect a small one.)
 */
export function archivePushQueueMaxMiB(volume: number): number {
  return Math.max(64, Math.floor(volume / 4 / MiB));
}

/**
 * archive-push's `io-timeout` (seconds without a byte from the repository before a request is
 * given up). The queue limit is checked only when an asynchronous archive-push starts, and one
 * that cannot reach the repository retries for about eight io-timeouts before it ends (80 s at
 * 10 s, measured with pgBackRest 2.45): at the default 60 s WAL piles up past the limit for 8
 * minutes per attempt. 20 s bounds that to under 3 minutes; a WAL segment upload that makes no
 * progress for 20 s is an outage, not a slow request.
 */
export const ARCHIVE_PUSH_IO_TIMEOUT = 20;

/** pgBackRest parallelism: one process per core, at least one, at most four. */
export function processMax(cpuMillicores: number): number {
  return Math.min(4, Math.max(1, Math.floor(cpuMillicores / 1000)));
}

/**
 * Parallelism of a restore from S3 (the DR bootstrap's restore and archive-get, the
 * verification's restore): two processes per core. A restore from an object store waits on
 * requests as much as it computes; with four processes on two cores bench/restore.ts restored
 * 15 % (incompressible data) and 8 % (pgbench data) faster from the local S3 endpoint than with
 * two, and a remote endpoint's latency leaves more to overlap.
 */
export function restoreProcessMax(cpuMillicores: number): number {
  return 2 * processMax(cpuMillicores);
}

/**
 * How long the bootstrap waits for a restored cluster to finish recovery before giving up:
 * four times the RTO, at least an hour. Missing the RTO is a finding for the drill; killing a
 * restore that would have finished is a second disaster.
 */
export function recoveryDeadline(context: Pick<PostgresContext, "objectives">): Seconds {
  return Math.max(HOUR, 4 * context.objectives.postgres.rto);
}

export const bytesToMiB = (bytes: number) => Math.floor(bytes / MiB);
export { GiB, MiB };
