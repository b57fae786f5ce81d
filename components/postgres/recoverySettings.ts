/**
 * A cluster recovering WAL must run with these settings at least as high as the primary that
 * wrote the WAL, or PostgreSQL aborts: "recovery aborted because of insufficient parameter
 * settings". The primary's values are in the restored pg_control; pg_controldata prints them
 * under these labels.
 */
export const RECOVERY_SETTINGS: Record<string, string> = {
  "max_connections setting": "max_connections",
  "max_worker_processes setting": "max_worker_processes",
  "max_wal_senders setting": "max_wal_senders",
  "max_prepared_xacts setting": "max_prepared_transactions",
  "max_locks_per_xact setting": "max_locks_per_transaction",
};

/**
 * `recovery_settings DATA_DIR`: prints `-c name=value` options (one line) that start a restored
 * cluster with its source primary's values, read from pg_control. Shared by the bootstrap (a
 * dr/drill stack whose own settings may be lower than the source's) and the restore
 * verification (which starts a cluster restored from the stack's own repository). Needs
 * `PG_BIN` and `die` from the including script.
 */
export const RECOVERY_SETTINGS_SHELL = `recovery_settings() {
  local control
  control=$(LC_ALL=C "$PG_BIN/pg_controldata" "$1" 2>&1) || die "pg_controldata cannot read $1: $control"
  awk -F': *' '${Object.entries(RECOVERY_SETTINGS)
    .map(([label, setting]) => `$1 == "${label}" { printf " -c ${setting}=%d", $2 }`)
    .join("\n    ")}' <<<"$control"
}`;
