# shellcheck shell=bash
# recovery_settings DATA_DIR: prints `-c name=value` options (one line) that start a restored
# cluster with its source primary's values. A cluster recovering WAL must run with these
# settings at least as high as the primary that wrote the WAL, or PostgreSQL aborts ("recovery
# aborted because of insufficient parameter settings"); the primary's values are in the
# restored pg_control, which pg_controldata prints under these labels.
: "${PG_BIN:?}"
recovery_settings() {
  local control
  control=$(LC_ALL=C "${PG_BIN}/pg_controldata" "$1" 2>&1) || die "pg_controldata cannot read $1: ${control}"
  awk -F': *' '
    $1 == "max_connections setting" { printf " -c max_connections=%d", $2 }
    $1 == "max_worker_processes setting" { printf " -c max_worker_processes=%d", $2 }
    $1 == "max_wal_senders setting" { printf " -c max_wal_senders=%d", $2 }
    $1 == "max_prepared_xacts setting" { printf " -c max_prepared_transactions=%d", $2 }
    $1 == "max_locks_per_xact setting" { printf " -c max_locks_per_transaction=%d", $2 }' <<<"${control}"
}
