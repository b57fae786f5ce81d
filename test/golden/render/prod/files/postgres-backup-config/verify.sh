#!/usr/bin/env bash
# drkit restore verification, rendered for stack 'prod'.
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
DEADLINE_SECONDS=$((RTO_SECONDS * 4 > 3600 ? RTO_SECONDS * 4 : 3600))
log() { printf '%s: %s\n' "$SCRIPT" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

started=""
cleanup() {
  status=$?
  if [ -n "$started" ]; then "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$PGDATA"
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
pgbackrest --config="$CONFIG" --stanza="$STANZA" --type=immediate --target-action=promote --archive-mode=off restore \
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
# decrypted, decompressed and written per second by pgbackrest restore. Starting, recovery and
# promotion are the fixed part the review adds on its own.
restored_mib=$(($(du -sk "$PGDATA" | cut -f1) / 1024))
throughput=$((restored_mib * 1000 / (fetch_ms > 0 ? fetch_ms : 1)))

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
  lag=$((backup_end - newest))
  [ "$lag" -le "$RPO_SECONDS" ] || die "the newest $table.$column is $lag s older than the backup's end, more than the RPO of $RPO_SECONDS s"
fi
"$PG_BIN/pg_amcheck" --install-missing --all -h "$WORK" -p "$PORT" -U postgres >"$WORK/amcheck.log" 2>&1 \
  || { tail -n 20 "$WORK/amcheck.log" >&2; die "pg_amcheck found corruption in the restored backup (above)"; }

log "restore took $restore_seconds s (RTO $RTO_SECONDS s), of which $fetch_ms ms fetching and writing $restored_mib MiB: $throughput MiB/s, the figure for drkit:postgres.restoreEstimate.throughput; checks passed"
[ "$restore_seconds" -le "$RTO_SECONDS" ] || die "the restore took $restore_seconds s, longer than the RTO of $RTO_SECONDS s"
