import type { PgbackrestRepository } from "../postgres/layout";
import { backupSettings, repoLines } from "../postgres/pgbackrestConf";
import { RECOVERY_SETTINGS_SHELL } from "../postgres/recoverySettings";
import { recoveryDeadline, restoreProcessMax } from "../postgres/settings";
import { ENV } from "../workloads/names";
import { shellQuote as q } from "../postgres/bootstrap";
import type { SnapshotStore } from "../redis/layout";
import type { DrSpec } from "../config";
import { DAY } from "../config";
import type { BackupJobLayout } from "./layout";

/**
 * pgbackrest.conf of the backup jobs: they are the repository host. The repository is the
 * stack's own; the database is reached through the pgBackRest TLS server on the PostgreSQL pod,
 * with the client certificate (mutual TLS), never with a database password.
 */
export function renderBackupJobConf(spec: DrSpec, layout: BackupJobLayout, repo: PgbackrestRepository, pgHost: string, pgHostPort: number): string {
  return [
    `# pgbackrest.conf of drkit's backup jobs for stack '${spec.stack}' (repository host).`,
    "[global]",
    ...repoLines(1, repo),
    ...backupSettings(spec),
    `lock-path=${layout.lockDir}`,
    "log-level-console=info",
    "log-level-file=off",
    "",
    `[${repo.stanza}]`,
    `pg1-host=${pgHost}`,
    "pg1-host-type=tls",
    `pg1-host-port=${pgHostPort}`,
    `pg1-host-ca-file=${layout.tlsDir}/ca.crt`,
    `pg1-host-cert-file=${layout.tlsDir}/tls.crt`,
    `pg1-host-key-file=${layout.tlsDir}/tls.key`,
    `pg1-path=${layout.postgres.dataDir}`,
    `pg1-port=${layout.postgres.port}`,
    `pg1-socket-path=${layout.postgres.socketDir}`,
    "",
  ].join("\n");
}

/** The restore verification's pgbackrest.conf: the own repository, restored into scratch space. */
export function renderVerifyConf(spec: DrSpec, layout: BackupJobLayout, repo: PgbackrestRepository): string {
  return [
    `# pgbackrest.conf of drkit's restore verification for stack '${spec.stack}'.`,
    "[global]",
    ...repoLines(1, repo),
    // As the DR bootstrap restores: the throughput it logs is the one a DR restore reaches.
    `process-max=${restoreProcessMax(spec.postgres.resources.cpu)}`,
    `lock-path=${layout.lockDir}`,
    "log-level-console=info",
    "log-level-file=off",
    "",
    `[${repo.stanza}]`,
    `pg1-path=${layout.workDir}/pgdata`,
    `pg1-port=${layout.postgres.port + 1}`,
    `pg1-socket-path=${layout.workDir}`,
    "",
  ].join("\n");
}

export const HEADER = `log() { printf '%s: %s\\n' "$SCRIPT" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }`;

/** `backup.sh full|diff|incr`: one pgBackRest backup, checked in the repository afterwards. */
export function renderBackupScript(spec: DrSpec, layout: BackupJobLayout): string {
  return `#!/usr/bin/env bash
# drkit pgBackRest backup, rendered for stack '${spec.stack}'. Usage: backup.sh full | diff | incr
set -euo pipefail

SCRIPT=drkit-backup
CONFIG=${q(`${layout.configDir}/pgbackrest.conf`)}
STANZA=${q(spec.postgres.backups.stanza)}
${HEADER}

type=\${1:-}
case "$type" in
  full | diff | incr) ;;
  *) die "usage: backup.sh full | diff | incr" ;;
esac
start=$SECONDS
pgbackrest --config="$CONFIG" --stanza="$STANZA" --type="$type" backup || die "pgbackrest $type backup failed (its log is above)"
info=$(pgbackrest --config="$CONFIG" --stanza="$STANZA" --output=json info) || die "pgbackrest info failed after the backup"
label=$(printf '%s' "$info" | grep -o '"label":"[^"]*"' | tail -n 1 | cut -d'"' -f4 || true)
[ -n "$label" ] || die "the repository lists no backup after a successful $type backup"
case "$label" in
  *F) made="full" ;;
  *D) made="diff" ;;
  *I) made="incr" ;;
  *) die "unexpected backup label $label" ;;
esac
# pgBackRest makes a full backup when a diff or incr has no full to refer to.
[ "$made" = "$type" ] || log "asked for $type, pgBackRest made $made ($label has no earlier full)"
log "backup $label ($made) done in $((SECONDS - start)) s"
`;
}

function storeVariables(store: SnapshotStore): string {
  return [`BUCKET=${q(store.bucket)}`, `PREFIX=${q(store.prefix)}`, `REGION=${q(store.region)}`, `ENDPOINT_URL=${q(store.endpointUrl)}`, `VERIFY_TLS=${store.verifyTls ? "yes" : "no"}`].join("\n");
}

/**
 * `dump.sh dump|upload`: logical dumps of every database, the long-term portable tier.
 *   dump    pg_dump (-Fc, or -Fd -j N) of each database as its owner, with a SHA256SUMS file;
 *           any failure stops the job before anything is uploaded;
 *   upload  puts each dump under `<prefix><db>/<UTC timestamp>/`, then a COMPLETE marker, last;
 *           then prunes: the newest keepLast complete dumps stay whatever their age, older
 *           complete dumps go after the retention, incomplete ones older than the newest complete
 *           one go. The newest complete dump is never deleted.
 */
export function renderDumpScript(spec: DrSpec, layout: BackupJobLayout, store: SnapshotStore, pgHost: string): string {
  const { dumps } = spec.postgres;
  const databases = spec.postgres.databases.map((db) => `${db.name}:${db.owner}`).join(" ");
  return `#!/usr/bin/env bash
# drkit logical dump, rendered for stack '${spec.stack}'. Usage: dump.sh dump | upload
set -euo pipefail

SCRIPT=drkit-dump
DATABASES=${q(databases)}
FORMAT=${q(dumps.format)}
JOBS=${dumps.jobs}
PG_HOST=${q(pgHost)}
PG_PORT=${layout.postgres.port}
WORK=${q(layout.workDir)}
KEEP_LAST=${dumps.keepLast}
RETENTION_DAYS=${Math.round(dumps.retention / DAY)}
${storeVariables(store)}
${HEADER}
s3() {
  local tls=()
  if [ "$VERIFY_TLS" = no ]; then tls=(--no-verify-ssl); fi
  # \${a[@]+...}: an empty array under set -u is an unbound variable in bash before 4.4.
  aws --endpoint-url "$ENDPOINT_URL" --region "$REGION" \${tls[@]+"\${tls[@]}"} "$@"
}

dump() {
  local entry db owner password_variable out
  rm -rf "$WORK/dumps"
  date -u +%Y%m%dT%H%M%SZ >"$WORK/stamp"
  for entry in $DATABASES; do
    db=\${entry%%:*}
    owner=\${entry#*:}
    password_variable="${ENV.ownerPasswordPrefix}$owner"
    [ -n "\${!password_variable:-}" ] || die "$password_variable (the password of $owner) is not set"
    out="$WORK/dumps/$db"
    mkdir -p "$out"
    if [ "$FORMAT" = directory ]; then
      PGPASSWORD=\${!password_variable} pg_dump -h "$PG_HOST" -p "$PG_PORT" -U "$owner" -d "$db" -Fd -j "$JOBS" -f "$out/dump" \\
        || die "pg_dump of $db failed: nothing is uploaded"
    else
      PGPASSWORD=\${!password_variable} pg_dump -h "$PG_HOST" -p "$PG_PORT" -U "$owner" -d "$db" -Fc -f "$out/$db.dump" \\
        || die "pg_dump of $db failed: nothing is uploaded"
    fi
    # Checksums go next to the dump, written through a temporary name so they never list themselves.
    (cd "$out" && find . -type f -print0 | sort -z | xargs -0 sha256sum >"$WORK/SHA256SUMS.tmp") || die "checksums of $db failed"
    mv "$WORK/SHA256SUMS.tmp" "$out/SHA256SUMS"
    log "dumped $db ($(du -sh "$out" | cut -f1))"
  done
}

upload() {
  local stamp dir db target
  if [ ! -s "$WORK/stamp" ] || [ ! -d "$WORK/dumps" ]; then die "no dump in $WORK to upload (did 'dump' succeed?)"; fi
  stamp=$(cat "$WORK/stamp")
  for dir in "$WORK"/dumps/*/; do
    db=$(basename "$dir")
    target="s3://$BUCKET/$PREFIX$db/$stamp"
    s3 s3 cp --recursive --only-show-errors "$dir" "$target/" || die "upload of $db to $target failed: it stays incomplete"
    printf 'drkit dump of %s at %s, format %s\\n' "$db" "$stamp" "$FORMAT" >"$WORK/COMPLETE"
    s3 s3 cp --only-show-errors "$WORK/COMPLETE" "$target/COMPLETE" || die "upload of the completion marker of $target failed"
    log "uploaded $target"
    prune "$db"
  done
}

# Timestamps (YYYYMMDDTHHMMSSZ) of a database's dumps, complete or not.
stamps() {
  local out
  out=$(s3 s3api list-objects-v2 --bucket "$BUCKET" --prefix "$PREFIX$1/" --query 'Contents[].Key' --output text 2>&1) \\
    || die "cannot list s3://$BUCKET/$PREFIX$1/: $out"
  printf '%s\\n' "$out" | tr '\\t' '\\n' | grep -v -e '^None$' -e '^$' | sed -n "s#^$PREFIX$1/\\([0-9TZ]*\\)/\\(.*\\)\\$#\\1 \\2#p" || true
}

remove() {
  # The marker goes first: a half-removed dump is incomplete, never complete and broken.
  s3 s3 rm --only-show-errors "s3://$BUCKET/$PREFIX$1/$2/COMPLETE" || die "could not delete the marker of $PREFIX$1/$2"
  s3 s3 rm --recursive --only-show-errors "s3://$BUCKET/$PREFIX$1/$2/" || die "could not delete $PREFIX$1/$2"
  log "pruned $PREFIX$1/$2 ($3)"
}

prune() {
  local db=$1 listing complete all newest cutoff count=0 stamp
  listing=$(stamps "$db")
  complete=$(awk '$2 == "COMPLETE" { print $1 }' <<<"$listing" | sort -ru)
  all=$(awk '{ print $1 }' <<<"$listing" | sort -ru)
  newest=$(head -n 1 <<<"$complete")
  [ -n "$newest" ] || die "no complete dump of $db after an upload"
  cutoff=$(date -u -d "-$RETENTION_DAYS days" +%Y%m%dT%H%M%SZ)
  while IFS= read -r stamp; do
    [ -n "$stamp" ] || continue
    count=$((count + 1))
    if [ "$count" -gt "$KEEP_LAST" ] && [[ "$stamp" < "$cutoff" ]]; then remove "$db" "$stamp" "older than $RETENTION_DAYS days"; fi
  done <<<"$complete"
  while IFS= read -r stamp; do
    [ -n "$stamp" ] || continue
    if ! grep -qx "$stamp" <<<"$complete" && [[ "$stamp" < "$newest" ]]; then remove "$db" "$stamp" "incomplete"; fi
  done <<<"$all"
}

case "\${1:-}" in
  dump) dump ;;
  upload) upload ;;
  *) die "usage: dump.sh dump | upload" ;;
esac
`;
}

/** Where a job reports its results (the job-metrics gateway) and the labels that group them. */
export interface MetricsTarget {
  /** The gateway's URL (`jobMetricsUrl`). */
  url: string;
  /** Grouping labels: every series the job pushes carries them (drkit_stack, drkit_component, ...). */
  labels: Record<string, string>;
}

/**
 * Shell that reports a job's results to the job-metrics gateway: `push_metrics JOB GROUP BODY`
 * POSTs the text-format BODY to the job's group (the target's labels, then GROUP: `/label/value`), so a metric left out (the restore time of a failed
 * verification) keeps its last pushed value. A push that fails after three tries is logged and
 * does not fail the job: the job's own outcome is what the job alerts read.
 */
export function renderPushMetrics(target: MetricsTarget): string {
  const group = Object.entries(target.labels).map(([k, v]) => `/${k}/${encodeURIComponent(v)}`).join("");
  return `METRICS_URL=${q(target.url)}
METRICS_GROUP=${q(group)}
push_metrics() {
  local job=$1 group=$2 body=$3 attempt error=""
  for attempt in 1 2 3; do
    if error=$(curl -fsS --max-time 10 --data-binary @- "$METRICS_URL/metrics/job/$job$METRICS_GROUP$group" 2>&1 <<<"$body"); then return 0; fi
    [ "$attempt" -eq 3 ] || sleep 2
  done
  log "WARNING: could not report to $METRICS_URL: $error"
}`;
}

/**
 * The gauges a restore verification pushes, labelled with its stack, component, cluster and
 * `repository` (own or source): the last proven RTO and RPO a dashboard shows per stack.
 */
export const VERIFICATION_METRICS = {
  /** 1 when the latest run restored and checked the backup, 0 when it failed. */
  success: "drkit_restore_verification_success",
  lastRun: "drkit_restore_verification_last_run_timestamp_seconds",
  lastSuccess: "drkit_restore_verification_last_success_timestamp_seconds",
  /** The proven RTO: restore and WAL replay until the cluster answered. */
  restoreSeconds: "drkit_restore_verification_restore_seconds",
  /** The proven RPO: how much older the newest restored commit was than the run's start. */
  dataAge: "drkit_restore_verification_data_age_seconds",
  throughput: "drkit_restore_verification_throughput_bytes_per_second",
  /** The objectives the figures are held against, `objective="rto"|"rpo"`. */
  objective: "drkit_restore_verification_objective_seconds",
} as const;

/** One gauge in the text exposition format, its value a shell expression. */
const gauge = (name: string, value: string) => `# TYPE ${name} gauge\n${name} ${value}`;

/**
 * `verify.sh own|source`: restores the newest backup and every WAL segment archived after it
 * into scratch space with archiving off (it must never write to the repository), starts
 * PostgreSQL on it, and checks it: the expected databases and tables exist, row counts reach
 * their minimum, the newest row of the freshness column is within the RPO of the moment the
 * verification started, pg_amcheck finds no corruption. It fails when the restore took longer
 * than the RTO; any failure exits non-zero with one line. The measured restore time and the
 * age of the newest restored commit (the proven RTO and RPO) go to the job-metrics gateway.
 */
export function renderVerifyScript(spec: DrSpec, layout: BackupJobLayout, pgBin: string, metrics: MetricsTarget): string {
  const { postgres, objectives } = spec;
  const tables = postgres.verification.tables.map((t) => `${t.database}:${t.table}:${t.minRows}`).join(" ");
  const fresh = postgres.verification.freshness;
  return `#!/usr/bin/env bash
# drkit restore verification, rendered for stack '${spec.stack}'. Usage: verify.sh own | source
set -euo pipefail

SCRIPT=drkit-verify
CONFIG=${q(`${layout.configDir}/verify.conf`)}
STANZA=${q(postgres.backups.stanza)}
PG_BIN=${q(pgBin)}
WORK=${q(layout.workDir)}
PGDATA="$WORK/pgdata"
PORT=${layout.postgres.port + 1}
RTO_SECONDS=${objectives.postgres.rto}
RPO_SECONDS=${objectives.postgres.rpo}
DATABASES=${q(postgres.databases.map((d) => d.name).join(" "))}
TABLES=${q(tables)}
FRESHNESS=${q(fresh ? `${fresh.database}:${fresh.table}:${fresh.column}` : "")}
# How long recovery may take before the verification gives up: the DR bootstrap's deadline.
DEADLINE_SECONDS=${recoveryDeadline(spec)}
${renderPushMetrics(metrics)}
${HEADER}

case "\${1:-}" in
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
  body="${gauge(VERIFICATION_METRICS.success, "$passed")}
${gauge(VERIFICATION_METRICS.lastRun, "$started_at")}"
  if [ "$passed" = 1 ]; then
    body+="
${gauge(VERIFICATION_METRICS.lastSuccess, "$started_at")}
${gauge(VERIFICATION_METRICS.restoreSeconds, "$restore_seconds")}
${gauge(VERIFICATION_METRICS.dataAge, "$data_age")}
${gauge(VERIFICATION_METRICS.throughput, "$((throughput * 1048576))")}
# TYPE ${VERIFICATION_METRICS.objective} gauge
${VERIFICATION_METRICS.objective}{objective=\\"rto\\"} $RTO_SECONDS
${VERIFICATION_METRICS.objective}{objective=\\"rpo\\"} $RPO_SECONDS"
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
${RECOVERY_SETTINGS_SHELL}
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
pgbackrest --config="$CONFIG" --stanza="$STANZA" --archive-mode=off restore \\
  || die "restoring the newest backup failed"
fetch_ms=$(($(date +%s%3N) - fetch_started))
"$PG_BIN/pg_ctl" -D "$PGDATA" -w -t "$DEADLINE_SECONDS" -l "$WORK/verify.log" \\
  -o "-c listen_addresses='' -c port=$PORT -c unix_socket_directories=$WORK -c archive_mode=off$(recovery_settings "$PGDATA")" start >/dev/null \\
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
  db=\${check%%:*}; rest=\${check#*:}; table=\${rest%%:*}; min=\${rest#*:}
  [ "$(sql "$db" "SELECT to_regclass('$table') IS NOT NULL")" = t ] || die "table $table is missing from database $db"
  rows=$(sql "$db" "SELECT count(*) FROM $table")
  [ "$rows" -ge "$min" ] || die "table $db.$table has $rows rows, fewer than the $min expected"
done
if [ -n "$FRESHNESS" ]; then
  db=\${FRESHNESS%%:*}; rest=\${FRESHNESS#*:}; table=\${rest%%:*}; column=\${rest#*:}
  newest=$(sql "$db" "SELECT coalesce(extract(epoch FROM max($column))::bigint, 0) FROM $table")
  lag=$((started_at - newest))
  [ "$lag" -le "$RPO_SECONDS" ] || die "the newest restored $table.$column is $lag s older than the verification's start, more than the RPO of $RPO_SECONDS s: WAL is missing from the repository, or nothing wrote $table for that long"
fi
"$PG_BIN/pg_amcheck" --install-missing --all -h "$WORK" -p "$PORT" -U postgres >"$WORK/amcheck.log" 2>&1 \\
  || { tail -n 20 "$WORK/amcheck.log" >&2; die "pg_amcheck found corruption in the restored backup (above)"; }

log "restore took $restore_seconds s (RTO $RTO_SECONDS s), of which $fetch_ms ms fetching and writing $restored_mib MiB: $throughput MiB/s, the figure for drkit:postgres.restoreEstimate.throughput; the newest restored commit is $data_age s older than the verification's start (RPO $RPO_SECONDS s); checks passed"
[ "$restore_seconds" -le "$RTO_SECONDS" ] || die "the restore took $restore_seconds s, longer than the RTO of $RTO_SECONDS s"
`;
}
