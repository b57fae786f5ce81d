#!/usr/bin/env bash
# drkit restore verification. Usage: verify.sh own | source
# Restores the newest backup and every WAL segment archived after it into scratch space with
# archiving off (it must never write to the repository), starts PostgreSQL on it, and checks it:
# the expected databases and tables exist, row counts reach their minimum, the newest row of the
# freshness column is within the RPO of the moment the verification started, pg_amcheck finds no
# corruption. It fails when the restore took longer than the RTO; any failure exits non-zero
# with one line. The measured restore time and the age of the newest restored commit (the proven
# RTO and RPO) go to the job-metrics gateway.
# Rendered by drkit from pg-verify.sh for stack 'events'.
set -euo pipefail

CONFIG='/etc/drkit-backup/verify.conf'
STANZA='main'
PG_BIN='/usr/lib/postgresql/15/bin'
WORK='/work'
PORT=5433
RTO_SECONDS=3600
RPO_SECONDS=60
DATABASES='shared_services user_service payment_service'
TABLES=''
FRESHNESS=''
DEADLINE_SECONDS=14400
METRICS_URL='http://job-metrics:9091'
METRICS_GROUP='/drkit_stack/events/drkit_component/postgres/cluster/postgres'
METRIC_SUCCESS='drkit_restore_verification_success'
METRIC_LAST_RUN='drkit_restore_verification_last_run_timestamp_seconds'
METRIC_LAST_SUCCESS='drkit_restore_verification_last_success_timestamp_seconds'
METRIC_RESTORE_SECONDS='drkit_restore_verification_restore_seconds'
METRIC_DATA_AGE='drkit_restore_verification_data_age_seconds'
METRIC_THROUGHPUT='drkit_restore_verification_throughput_bytes_per_second'
METRIC_OBJECTIVE='drkit_restore_verification_objective_seconds'
: "${CONFIG:?}" "${STANZA:?}" "${PG_BIN:?}" "${WORK:?}" "${PORT:?}" "${RTO_SECONDS:?}" "${RPO_SECONDS:?}" "${DATABASES:?}" "${TABLES?}" "${FRESHNESS?}" "${DEADLINE_SECONDS:?}"
: "${METRIC_SUCCESS:?}" "${METRIC_LAST_RUN:?}" "${METRIC_LAST_SUCCESS:?}" "${METRIC_RESTORE_SECONDS:?}" "${METRIC_DATA_AGE:?}" "${METRIC_THROUGHPUT:?}" "${METRIC_OBJECTIVE:?}"

SCRIPT=drkit-verify
PGDATA="${WORK}/pgdata"
# One line per event on stderr, prefixed with the script's name (SCRIPT): what a pod's log and
# a job's failure message show.
: "${SCRIPT:?}"
log() { printf '%s: %s\n' "${SCRIPT}" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
# Reports a job's results to the job-metrics gateway.
: "${METRICS_URL:?}" "${METRICS_GROUP?}"
# push_metrics JOB GROUP BODY: POSTs the text-format BODY to the job's group (METRICS_GROUP, the
# stack's labels, then GROUP: /label/value), so a metric left out (the restore time of a failed
# verification) keeps its last pushed value. A push that fails after three tries is logged and
# does not fail the job: the job's own outcome is what the job alerts read.
push_metrics() {
  local job=$1 group=$2 body=$3 attempt error=""
  for attempt in 1 2 3; do
    if error=$(curl -fsS --max-time 10 --data-binary @- "${METRICS_URL}/metrics/job/${job}${METRICS_GROUP}${group}" 2>&1 <<<"${body}"); then return 0; fi
    [[ "${attempt}" -eq 3 ]] || sleep 2
  done
  log "WARNING: could not report to ${METRICS_URL}: ${error}"
}
# gauge NAME VALUE: one gauge in the text exposition format.
gauge() { printf '# TYPE %s gauge\n%s %s\n' "$1" "$1" "$2"; }
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

case "${1:-}" in
  own | source) repository=$1 ;;
  *) die "usage: verify.sh own | source" ;;
esac
started_at=$(date +%s)
restore_seconds=""
data_age=""
throughput=""
started=""
report() {
  local passed=$1 body
  body=$(gauge "${METRIC_SUCCESS}" "${passed}"; gauge "${METRIC_LAST_RUN}" "${started_at}")
  if [[ "${passed}" = 1 ]]; then
    body+=$'\n'$(
      gauge "${METRIC_LAST_SUCCESS}" "${started_at}"
      gauge "${METRIC_RESTORE_SECONDS}" "${restore_seconds}"
      gauge "${METRIC_DATA_AGE}" "${data_age}"
      gauge "${METRIC_THROUGHPUT}" "$((throughput * 1048576))"
      printf '# TYPE %s gauge\n%s{objective="rto"} %s\n%s{objective="rpo"} %s\n' "${METRIC_OBJECTIVE}" "${METRIC_OBJECTIVE}" "${RTO_SECONDS}" "${METRIC_OBJECTIVE}" "${RPO_SECONDS}"
    )
  fi
  push_metrics drkit-verify "/repository/${repository}" "${body}"
}
cleanup() {
  status=$?
  if [[ -n "${started}" ]]; then "${PG_BIN}/pg_ctl" -D "${PGDATA}" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "${PGDATA}"
  if [[ "${status}" -eq 0 ]]; then report 1; else report 0; fi
  exit "${status}"
}
trap cleanup EXIT
sql() { "${PG_BIN}/psql" -X -At -v ON_ERROR_STOP=1 -h "${WORK}" -p "${PORT}" -U postgres -d "$1" -c "$2"; }

start=${SECONDS}
info=$(pgbackrest --config="${CONFIG}" --stanza="${STANZA}" --output=json info 2>&1) || die "cannot read the repository: ${info}"
backup_end=$(printf '%s' "${info}" | grep -o '"stop":[0-9]*' | tail -n 1 | cut -d: -f2 || true)
[[ -n "${backup_end}" ]] || die "the repository holds no backup to verify"
rm -rf "${PGDATA}"
mkdir -m 700 "${PGDATA}"
fetch_started=$(date +%s%3N)
# The default target: the newest backup, then every archived WAL segment after it, as a DR
# restore does. A gap in the archive ends the replay early; the freshness check below sees it.
pgbackrest --config="${CONFIG}" --stanza="${STANZA}" --archive-mode=off restore \
  || die "restoring the newest backup failed"
fetch_ms=$(($(date +%s%3N) - fetch_started))
settings=$(recovery_settings "${PGDATA}")
"${PG_BIN}/pg_ctl" -D "${PGDATA}" -w -t "${DEADLINE_SECONDS}" -l "${WORK}/verify.log" \
  -o "-c listen_addresses='' -c port=${PORT} -c unix_socket_directories=${WORK} -c archive_mode=off${settings}" start >/dev/null \
  || { tail -n 20 "${WORK}/verify.log" >&2 || true; die "the restored cluster did not start (log above)"; }
started=1
deadline=$((SECONDS + DEADLINE_SECONDS))
until [[ "$(sql postgres 'SELECT pg_is_in_recovery()')" = f ]]; do
  [[ "${SECONDS}" -lt "${deadline}" ]] || die "the restored cluster did not finish recovery within ${DEADLINE_SECONDS} s"
  sleep 1
done
restore_seconds=$((SECONDS - start))
# The figure drkit review plans with (drkit:postgres.restoreEstimate.throughput): data fetched,
# decrypted, decompressed and written per second by pgbackrest restore. Starting, WAL replay
# and promotion are the part the review adds on its own.
restored_mib=$(($(du -sk "${PGDATA}" | cut -f1) / 1024))
throughput=$((restored_mib * 1000 / (fetch_ms > 0 ? fetch_ms : 1)))
# The newest commit the restore holds (the last one replayed, or the backup's end when no WAL
# after it held a commit): what a disaster at the verification's start would have kept.
newest_commit=$(sql postgres "SELECT coalesce(extract(epoch FROM pg_last_xact_replay_timestamp())::bigint, 0)")
[[ "${newest_commit}" -ge "${backup_end}" ]] || newest_commit=${backup_end}
data_age=$((started_at > newest_commit ? started_at - newest_commit : 0))

for db in ${DATABASES}; do
  [[ "$(sql postgres "SELECT count(*) FROM pg_database WHERE datname = '${db}'")" = 1 ]] || die "database ${db} is missing from the restored backup"
done
for check in ${TABLES}; do
  db=${check%%:*}; rest=${check#*:}; table=${rest%%:*}; min=${rest#*:}
  [[ "$(sql "${db}" "SELECT to_regclass('${table}') IS NOT NULL")" = t ]] || die "table ${table} is missing from database ${db}"
  rows=$(sql "${db}" "SELECT count(*) FROM ${table}")
  [[ "${rows}" -ge "${min}" ]] || die "table ${db}.${table} has ${rows} rows, fewer than the ${min} expected"
done
if [[ -n "${FRESHNESS}" ]]; then
  db=${FRESHNESS%%:*}; rest=${FRESHNESS#*:}; table=${rest%%:*}; column=${rest#*:}
  newest=$(sql "${db}" "SELECT coalesce(extract(epoch FROM max(${column}))::bigint, 0) FROM ${table}")
  lag=$((started_at - newest))
  [[ "${lag}" -le "${RPO_SECONDS}" ]] || die "the newest restored ${table}.${column} is ${lag} s older than the verification's start, more than the RPO of ${RPO_SECONDS} s: WAL is missing from the repository, or nothing wrote ${table} for that long"
fi
"${PG_BIN}/pg_amcheck" --install-missing --all -h "${WORK}" -p "${PORT}" -U postgres >"${WORK}/amcheck.log" 2>&1 \
  || { tail -n 20 "${WORK}/amcheck.log" >&2; die "pg_amcheck found corruption in the restored backup (above)"; }

log "restore took ${restore_seconds} s (RTO ${RTO_SECONDS} s), of which ${fetch_ms} ms fetching and writing ${restored_mib} MiB: ${throughput} MiB/s, the figure for drkit:postgres.restoreEstimate.throughput; the newest restored commit is ${data_age} s older than the verification's start (RPO ${RPO_SECONDS} s); checks passed"
[[ "${restore_seconds}" -le "${RTO_SECONDS}" ]] || die "the restore took ${restore_seconds} s, longer than the RTO of ${RTO_SECONDS} s"
