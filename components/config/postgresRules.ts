import { archiveTimeout, MINIMUM_ARCHIVING_RPO } from "../postgres/settings";
import { error, type Problem } from "./problems";
import type { DrSpec } from "./types";
import { formatDuration } from "./units";

/**
 * Objectives no PostgreSQL mechanism of drkit's can meet (docs/architecture.md §5): each an error with the
 * reason in one line.
 */
export function validatePostgres(spec: DrSpec): Problem[] {
  const { rpo } = spec.objectives.postgres;
  if (rpo < MINIMUM_ARCHIVING_RPO) {
    return [
      error(
        ["objectives", "postgres", "rpo"],
        `${formatDuration(rpo)} is below what WAL archiving can promise: the worst case is archive_timeout (${formatDuration(archiveTimeout(rpo))}) plus the push`,
        "use at least '1m', or add synchronous replication to a standby (not something drkit deploys)",
      ),
    ];
  }
  return [];
}
