#!/usr/bin/env bash
# drkit restore verification, rendered for stack 'staging'. Usage: verify.sh own | source
set -euo pipefail

SCRIPT=drkit-verify
CONFIG='/etc/drkit-backup/verify.conf'
STANZA='main'
PG_BIN='/usr/lib/postgresql/15/bin'
WORK='/work'
PGDATA="$WORK/pgdata"
PORT=5433
RTO_SECONDS=900
RPO_SECONDS=300
DATABASES='trading users'
TABLES='trading:public.orders:1 users:public.users:1'
FRESHNESS='trading:public.orders:created_at'
# How long recovery may take before the verification gives up: the DR bootstrap's deadline.
DEADLINE_SECONDS=3600
METRICS_URL='http://job-metrics.trading-drill.svc:9091'
METRICS_GROUP='/drkit_stack/staging/drkit_component/postgres/cluster/postgres'
push_metrics() {
  local job=$1 group=$2 body=$3 attempt error=""
  for attempt in 1 2 3; do
    if error=$(curl -fsS --max-time 10 --data-binary @- "$METRICS_URL/metrics/job/$job$METRICS_GROUP$group" 2>&1 <<<"$body"); then return 0; fi
    [ "$attempt" -eq 3 ] || sleep 2
  done
  log "WARNING: could not report to $METRICS_URL: $error"
}
log() { printf '%s: %s\n' "$SCRIPT" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

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
  body="# TYPE drkit_restore_verification_success gauge
drkit_restore_verification_success $passed
# TYPE drkit_restore_verification_last_run_timestamp_seconds gauge
drkit_restore_verification_last_run_timestamp_seconds $started_at"
  if [ "$passed" = 1 ]; then
    body+="
# TYPE drkit_restore_verification_last_success_timestamp_seconds gauge
drkit_restore_verification_last_success_timestamp_seconds $started_at
# TYPE drkit_restore_verification_restore_seconds gauge
drkit_restore_verification_restore_seconds $restore_seconds
# TYPE drkit_restore_verification_data_age_seconds gauge
drkit_restore_verification_data_age_seconds $data_age
# TYPE drkit_restore_verification_throughput_bytes_per_second gauge
drkit_restore_verification_throughput_bytes_per_second $((throughput * 1048576))
# TYPE drkit_restore_verification_objective_seconds gauge
drkit_restore_verification_objective_seconds{objective=\"rto\"} $RTO_SECONDS
drkit_restore_verification_objective_seconds{objective=\"rpo\"} $RPO_SECONDS"
  fi
  push_metrics drkit-verify "/repository/$repository" "$body
"
}
cleanup() {
  status=$?
  if [ -n "$started" ]; then "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$PGDATA"
  if [ "$status" -eq 0 ]; then report 1; else report 0; fi
  exit "$status"
}
trap cleanup EXIT
recovery_settings() {
  local control
  control=$(LC_ALL=C "$PG_BIN/pg_controldata" "$1" 2>&1) || die "pg_controldata cannot read $1: $control"
  awk -F': *' '$1 == "max_connections setting" { printf " -c max_connections=%d", $2 }
    $1 == "max_worker_processes setting" { printf " -c max_worker_processes=%d", $2 }
    $1 == "max_wal_senders setting" { printf " -c max_wal_senders=%d", $2 }
    $1 == "max_prepared_xacts setting" { printf " -c max_prepared_transactions=%d", $2 }
    $1 == "max_locks_per_xact setting" { printf " -c max_locks_per_transaction=%d", $2 }' <<<"$control"
}
sql() { "$PG_BIN/psql" -X -At -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres -d "$1" -c "$2"; }

start=$SECONDS
info=$(pgbackrest --config="$CONFIG" --stanza="$STANZA" --output=json info 2>&1) || die "cannot read the repository: $info"
backup_end=$(printf '%s' "$info" | grep -o '"stop":[0-9]*' | tail -n 1 | cut -d: -f2 || true)
[ -n "$backup_end" ] || die "the repository holds no backup to verify"
rm -rf "$PGDATA"
mkdir -m 700 "$PGDATA"
fetch_started=$(date +%s%3N)
# The default target: the newest backup, then every archived WAL segment after it, as a DR
# restore does. A gap in the archive ends the replay early; the freshness check below sees it.
pgbackrest --config="$CONFIG" --stanza="$STANZA" --archive-mode=off restore \
  || die "restoring the newest backup failed"
fetch_ms=$(($(date +%s%3N) - fetch_started))
"$PG_BIN/pg_ctl" -D "$PGDATA" -w -t "$DEADLINE_SECONDS" -l "$WORK/verify.log" \
  -o "-c listen_addresses='' -c port=$PORT -c unix_socket_directories=$WORK -c archive_mode=off$(recovery_settings "$PGDATA")" start >/dev/null \
  || { tail -n 20 "$WORK/verify.log" >&2 || true; die "the restored cluster did not start (log above)"; }
started=1
deadline=$((SECONDS + DEADLINE_SECONDS))
until [ "$(sql postgres 'SELECT pg_is_in_recovery()')" = f ]; do
  [ "$SECONDS" -lt "$deadline" ] || die "the restored cluster did not finish recovery within $DEADLINE_SECONDS s"
  sleep 1
done
restore_seconds=$((SECONDS - start))
# The figure drkit review plans with (drkit:postgres.restoreEstimate.throughput): data fetched,
# decrypted, decompressed and written per second by pgbackrest restore. Starting, WAL replay
# and promotion are the part the review adds on its own.
restored_mib=$(($(du -sk "$PGDATA" | cut -f1) / 1024))
throughput=$((restored_mib * 1000 / (fetch_ms > 0 ? fetch_ms : 1)))
# The newest commit the restore holds (the last one replayed, or the backup's end when no WAL
# after it held a commit): what a disaster at the verification's start would have kept.
newest_commit=$(sql postgres "SELECT coalesce(extract(epoch FROM pg_last_xact_replay_timestamp())::bigint, 0)")
[ "$newest_commit" -ge "$backup_end" ] || newest_commit=$backup_end
data_age=$((started_at > newest_commit ? started_at - newest_commit : 0))

for db in $DATABASES; do
  [ "$(sql postgres "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = 1 ] || die "database $db is missing from the restored backup"
done
for check in $TABLES; do
  db=${check%%:*}; rest=${check#*:}; table=${rest%%:*}; min=${rest#*:}
  [ "$(sql "$db" "SELECT to_regclass('$table') IS NOT NULL")" = t ] || die "table $table is missing from database $db"
  rows=$(sql "$db" "SELECT count(*) FROM $table")
  [ "$rows" -ge "$min" ] || die "table $db.$table has $rows rows, fewer than the $min expected"
done
if [ -n "$FRESHNESS" ]; then
  db=${FRESHNESS%%:*}; rest=${FRESHNESS#*:}; table=${rest%%:*}; column=${rest#*:}
  newest=$(sql "$db" "SELECT coalesce(extract(epoch FROM max($column))::bigint, 0) FROM $table")
  lag=$((started_at - newest))
  [ "$lag" -le "$RPO_SECONDS" ] || die "the newest restored $table.$column is $lag s older than the verification's start, more than the RPO of $RPO_SECONDS s: WAL is missing from the repository, or nothing wrote $table for that long"
fi
"$PG_BIN/pg_amcheck" --install-missing --all -h "$WORK" -p "$PORT" -U postgres >"$WORK/amcheck.log" 2>&1 \
  || { tail -n 20 "$WORK/amcheck.log" >&2; die "pg_amcheck found corruption in the restored backup (above)"; }

log "restore took $restore_seconds s (RTO $RTO_SECONDS s), of which $fetch_ms ms fetching and writing $restored_mib MiB: $throughput MiB/s, the figure for drkit:postgres.restoreEstimate.throughput; the newest restored commit is $data_age s older than the verification's start (RPO $RPO_SECONDS s); checks passed"
[ "$restore_seconds" -le "$RTO_SECONDS" ] || die "the restore took $restore_seconds s, longer than the RTO of $RTO_SECONDS s"
