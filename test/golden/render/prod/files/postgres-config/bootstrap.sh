#!/usr/bin/env bash
# drkit PostgreSQL bootstrap, run before PostgreSQL starts (an init container in a cluster, the
# first step of `drkit drill` locally):
# - an empty data directory on a primary gets initdb;
# - an empty data directory on a dr/drill stack is restored from the source repository with
#   pgBackRest into a staging directory, moved into place only when complete, recovered to
#   `latest` or the target time and promoted; then this stack's own stanza is created (the
#   restored cluster archives to its own path, never to the source's);
# - an existing cluster is started as is.
# Every boot then sets the superuser, monitoring and owner passwords from the environment and
# creates missing roles and databases (idempotent), and stops the cluster cleanly for the real
# server to start. It fails loudly, with one line saying what failed, and never deletes data.
# Rendered by drkit from pg-bootstrap.sh for stack 'prod' (role primary).
set -euo pipefail

ROLE='primary'
PG_BIN='/usr/lib/postgresql/15/bin'
PGDATA='/var/lib/postgresql/data/pgdata'
CONFIG_DIR='/etc/drkit'
COPY_CONFIG=''
SOCKET_DIR='/var/run/postgresql'
PORT=5432
STANZA='main'
SOURCE_STANZA=''
SOURCE_DESCRIPTION=''
RESTORE_TARGET='latest'
RECOVERY_DEADLINE_SECONDS=3600
DATABASES='trading:trading users:users'
REQUIRED_ENVIRONMENT='POSTGRES_PASSWORD DRKIT_MONITOR_PASSWORD DRKIT_PASSWORD_trading DRKIT_PASSWORD_users AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE PGBACKREST_REPO1_CIPHER_PASS'
SUPERUSER_PASSWORD_VARIABLE='POSTGRES_PASSWORD'
MONITOR_PASSWORD_VARIABLE='DRKIT_MONITOR_PASSWORD'
MONITOR_ROLE='drkit_monitor'
PASSWORD_PREFIX='DRKIT_PASSWORD_'
: "${ROLE:?}" "${PG_BIN:?}" "${PGDATA:?}" "${CONFIG_DIR:?}" "${SOCKET_DIR:?}" "${PORT:?}" "${STANZA:?}" "${SOURCE_STANZA?}" "${SOURCE_DESCRIPTION?}" "${COPY_CONFIG?}"
: "${RESTORE_TARGET:?}" "${RECOVERY_DEADLINE_SECONDS:?}" "${DATABASES:?}" "${REQUIRED_ENVIRONMENT:?}"
: "${SUPERUSER_PASSWORD_VARIABLE:?}" "${MONITOR_PASSWORD_VARIABLE:?}" "${MONITOR_ROLE:?}" "${PASSWORD_PREFIX:?}"

SCRIPT=drkit-bootstrap
SERVER_LOG="${PGDATA%/*}/drkit-bootstrap.log"
# One line per event on stderr, prefixed with the script's name (SCRIPT): what a pod's log and
# a job's failure message show.
: "${SCRIPT:?}"
log() { printf '%s: %s\n' "${SCRIPT}" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
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

# Where the pod's recovery time goes, one line per step: the RTO's breakdown is in the pod's log.
began=$(date +%s%3N)
mark=${began}
took() {
  local now
  now=$(date +%s%3N)
  log "$1 took $((now - mark)) ms"
  mark=${now}
}

for variable in ${REQUIRED_ENVIRONMENT}; do
  [[ -n "${!variable:-}" ]] || die "environment variable ${variable} is not set"
done

own_pgbackrest() { pgbackrest --config="${CONFIG_DIR}/pgbackrest.conf" --stanza="${STANZA}" "$@"; }
source_pgbackrest() { pgbackrest --config="${CONFIG_DIR}/pgbackrest-restore.conf" --stanza="${SOURCE_STANZA}" "$@"; }
psql_admin() { "${PG_BIN}/psql" -X -q -v ON_ERROR_STOP=1 -h "${SOCKET_DIR}" -p "${PORT}" -U postgres -d postgres "$@"; }

started=""
# start_local [extra server options]
start_local() {
  # Sockets only: nothing outside the pod can reach the cluster while it is being prepared.
  "${PG_BIN}/pg_ctl" -D "${PGDATA}" -w -t "${RECOVERY_DEADLINE_SECONDS}" -l "${SERVER_LOG}" \
    -o "-c config_file=${CONFIG_DIR}/postgresql.conf -c listen_addresses='' -c ssl=off -c port=${PORT} -c unix_socket_directories=${SOCKET_DIR}${1:-}" \
    start >/dev/null || { tail -n 20 "${SERVER_LOG}" >&2 || true; die "PostgreSQL did not start (log above)"; }
  started=1
}
# A restored cluster replays WAL with its source's settings: this stack's may be lower.
start_recovering() {
  local settings
  settings=$(recovery_settings "${PGDATA}")
  start_local "${settings}"
}
stop_local() {
  if [[ -n "${started}" ]]; then
    "${PG_BIN}/pg_ctl" -D "${PGDATA}" -m fast -w -t 300 stop >/dev/null || die "PostgreSQL did not stop cleanly"
    started=""
  fi
}
staging=""
cleanup() {
  status=$?
  if [[ -n "${started}" ]]; then "${PG_BIN}/pg_ctl" -D "${PGDATA}" -m fast -w stop >/dev/null 2>&1 || true; fi
  # Only the staging directory is ever removed: it holds a restore that did not finish.
  if [[ -n "${staging}" ]] && [[ -d "${staging}" ]]; then rm -rf "${staging}"; fi
  exit "${status}"
}
trap cleanup EXIT

initialise() {
  log "empty data directory: initdb"
  mkdir -p "${PGDATA}"
  chmod 700 "${PGDATA}"
  "${PG_BIN}/initdb" -D "${PGDATA}" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
    --pwfile=<(printf '%s\n' "${!SUPERUSER_PASSWORD_VARIABLE}") --data-checksums --encoding=UTF8 --locale=C.UTF-8 >/dev/null \
    || die "initdb failed in ${PGDATA}"
}

check_source() {
  local info code
  info=$(source_pgbackrest --output=json info 2>&1) || die "cannot read the source repository ${SOURCE_DESCRIPTION}: ${info}"
  code=$(printf '%s' "${info}" | grep -o '"status":{"code":[0-9]*' | head -n 1 | grep -o '[0-9]*$' || true)
  case "${code}" in
    0) ;;
    2) die "the source repository ${SOURCE_DESCRIPTION} holds no backup to restore (stanza '${SOURCE_STANZA}' exists, no valid backup)" ;;
    *) die "the source repository ${SOURCE_DESCRIPTION} has no usable stanza '${SOURCE_STANZA}' (pgBackRest status ${code}): ${info}" ;;
  esac
  if printf '%s' "${info}" | grep -q '"backup":\[\]'; then
    die "the source repository ${SOURCE_DESCRIPTION} holds no backup to restore"
  fi
}

restore() {
  check_source
  staging="${PGDATA}.drkit-restore"
  rm -rf "${staging}"
  mkdir -m 700 "${staging}"
  local target_options=(--type=default)
  if [[ "${RESTORE_TARGET}" != latest ]]; then
    target_options=(--type=time "--target=${RESTORE_TARGET}" --target-action=promote)
  fi
  # Named explicitly: pgBackRest would otherwise carry --pg1-path (the staging directory) into it.
  local restore_command="pgbackrest --config=${CONFIG_DIR}/pgbackrest-restore.conf --stanza=${SOURCE_STANZA} archive-get %f \"%p\""
  log "restoring ${SOURCE_DESCRIPTION} (target ${RESTORE_TARGET}) into a staging directory"
  source_pgbackrest --pg1-path="${staging}" "--recovery-option=restore_command=${restore_command}" "${target_options[@]}" restore \
    || die "pgbackrest restore from ${SOURCE_DESCRIPTION} failed; ${PGDATA} was not touched"
  # The volume gets the cluster only once the restore is complete.
  if [[ -d "${PGDATA}" ]]; then rmdir "${PGDATA}" || die "${PGDATA} is not empty"; fi
  mv "${staging}" "${PGDATA}"
  staging=""
  took "restore (fetch, decrypt, decompress, write)"
}

wait_for_promotion() {
  local deadline=$((SECONDS + RECOVERY_DEADLINE_SECONDS)) state
  while :; do
    state=$(psql_admin -Atc 'SELECT pg_is_in_recovery()' 2>/dev/null || true)
    [[ "${state}" = f ]] && return 0
    "${PG_BIN}/pg_ctl" -D "${PGDATA}" status >/dev/null || { tail -n 20 "${SERVER_LOG}" >&2 || true; die "PostgreSQL stopped during recovery (log above)"; }
    [[ "${SECONDS}" -lt "${deadline}" ]] || die "recovery did not finish within ${RECOVERY_DEADLINE_SECONDS} s"
    sleep 1
  done
}

ensure_roles_and_databases() {
  psql_admin -v superuser_password="${!SUPERUSER_PASSWORD_VARIABLE}" -v monitor="${MONITOR_ROLE}" -v monitor_password="${!MONITOR_PASSWORD_VARIABLE}" <<'SQL'
ALTER ROLE postgres PASSWORD :'superuser_password';
SELECT format('CREATE ROLE %I LOGIN', :'monitor') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'monitor') \gexec
ALTER ROLE :"monitor" LOGIN PASSWORD :'monitor_password';
GRANT pg_monitor TO :"monitor";
SQL
  local entry name owner password_variable
  for entry in ${DATABASES}; do
    name=${entry%%:*}
    owner=${entry#*:}
    password_variable="${PASSWORD_PREFIX}${owner}"
    psql_admin -v name="${name}" -v owner="${owner}" -v password="${!password_variable}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'owner') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
ALTER ROLE :"owner" LOGIN PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'owner') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
ALTER DATABASE :"name" OWNER TO :"owner";
SQL
  done
}

create_own_stanza() {
  # Idempotent. A repository that is down must not keep the database down: PostgreSQL keeps
  # the WAL, PostgresWalArchiveFailing pages, and the next boot tries again.
  own_pgbackrest stanza-create || log "WARNING: stanza-create on this stack's repository failed; WAL stays queued until it succeeds"
  # The copy's too (drkit:storage.copy), by its own pgBackRest, without the bucket's variables.
  # A copy that is down is repaired later: the archive check backs up to it once it is back.
  if [[ -n "${COPY_CONFIG}" ]]; then
    local own
    mapfile -t own < <(compgen -e | grep '^PGBACKREST_REPO1_' || true)
    env "${own[@]/#/-u}" pgbackrest --config="${COPY_CONFIG}" --stanza="${STANZA}" stanza-create \
      || log "WARNING: stanza-create on the copy's repository failed; the copy misses WAL until the archive check repairs it"
  fi
}

finish_recovery() {
  took "start and reach a consistent state"
  wait_for_promotion
  took "WAL replay and promotion"
  # The source's restore_command and target were only for this recovery; later recoveries
  # read this stack's own repository (postgresql.conf).
  psql_admin -c 'ALTER SYSTEM RESET restore_command' -c 'ALTER SYSTEM RESET recovery_target_time' \
    -c 'ALTER SYSTEM RESET recovery_target_action' -c 'SELECT pg_reload_conf()' >/dev/null
  log "recovered and promoted"
}

if [[ -f "${PGDATA}/PG_VERSION" ]]; then
  # fsGroup (kubelet, on every mount) makes the volume's directories group-writable and setgid;
  # PostgreSQL refuses to start on a data directory that is not 0700 or 0750.
  chmod 0700 "${PGDATA}" || die "cannot set the mode of ${PGDATA} to 0700"
  if [[ -f "${PGDATA}/recovery.signal" ]] || [[ -f "${PGDATA}/standby.signal" ]]; then
    # The pod stopped after the restore and before the promotion: resume the recovery.
    log "existing cluster in ${PGDATA} is still recovering: resuming"
    start_recovering
    finish_recovery
  else
    log "existing cluster in ${PGDATA}: starting as is"
    start_local
    took "start"
  fi
elif [[ ! -e "${PGDATA}" ]] || [[ -z "$(ls -A "${PGDATA}")" ]]; then
  if [[ "${ROLE}" = primary ]]; then
    initialise
    start_local
    took "initdb and start"
  else
    restore
    start_recovering
    finish_recovery
  fi
else
  die "${PGDATA} holds files but no cluster (no PG_VERSION); refusing to touch it"
fi

ensure_roles_and_databases
took "roles and databases"
create_own_stanza
took "stanza creation on this stack's repository"
stop_local
took "stop"
log "ready after $((mark - began)) ms"
