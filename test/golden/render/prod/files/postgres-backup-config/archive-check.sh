#!/usr/bin/env bash
# drkit WAL archive check: finds WAL missing from the repository. pgBackRest's
# archive-push-queue-max drops the queued WAL (and PostgreSQL counts it archived) when the
# repository has been out of reach for longer than the queue allows; nothing else reports it,
# and a restore stops at the gap. The check lists the archive (repo-ls, names and times only:
# cheap at any size) and counts the segments missing since the oldest backup's start. A gap
# after the newest backup's start means a restore to now would stop there: it reports that
# first, then takes a full backup so point-in-time recovery works again from it, and reports
# again. With a replica (REPLICA_CONFIG), it also lists the replica's archive and reports how
# long the oldest segment not yet replicated has waited: the DR region's own RPO. It fails (and
# the job alert pages) only when it cannot read the repository or the replica, or the full
# backup fails.
# Rendered by drkit from pg-archive-check.sh for stack 'prod'.
set -euo pipefail

CONFIG='/etc/drkit-backup/pgbackrest.conf'
STANZA='main'
REPLICA_CONFIG='/etc/drkit-backup/replica.conf'
COPY_REPO=''
SETTLE_SECONDS=300
METRICS_URL='http://job-metrics:9091'
METRICS_GROUP='/drkit_stack/prod/drkit_component/postgres/cluster/postgres'
METRIC_MISSING='drkit_wal_archive_missing_segments'
METRIC_UNREPAIRED='drkit_wal_archive_unrepaired_segments'
METRIC_GAP_DETECTED='drkit_wal_archive_gap_detected_timestamp_seconds'
METRIC_LAST_RUN='drkit_wal_archive_check_last_run_timestamp_seconds'
METRIC_REPLICATION_LAG='drkit_wal_replication_lag_seconds'
METRIC_REPLICATION_PENDING='drkit_wal_replication_pending_segments'
: "${CONFIG:?}" "${STANZA:?}" "${REPLICA_CONFIG?}" "${SETTLE_SECONDS:?}"
# The copy's repository index (3) when the stack keeps one (drkit:storage.copy), else empty.
: "${COPY_REPO?}"
: "${METRIC_MISSING:?}" "${METRIC_UNREPAIRED:?}" "${METRIC_GAP_DETECTED:?}" "${METRIC_LAST_RUN:?}" "${METRIC_REPLICATION_LAG:?}" "${METRIC_REPLICATION_PENDING:?}"

SCRIPT=drkit-archive-check
# initdb's default 16 MiB segments, 256 to a log file: drkit's bootstrap never changes the size.
SEGMENTS_PER_LOG=256
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

checked_at=$(date +%s)
missing=""
unrepaired=""
detected=""
lag=""
pending=""
report() {
  local body
  body=$(
    gauge "${METRIC_LAST_RUN}" "${checked_at}"
    if [[ -n "${missing}" ]]; then
      gauge "${METRIC_MISSING}" "${missing}"
      gauge "${METRIC_UNREPAIRED}" "${unrepaired}"
    fi
    if [[ -n "${lag}" ]]; then
      gauge "${METRIC_REPLICATION_LAG}" "${lag}"
      gauge "${METRIC_REPLICATION_PENDING}" "${pending}"
    fi
    if [[ -n "${detected}" ]]; then gauge "${METRIC_GAP_DETECTED}" "${detected}"; fi
  )
  push_metrics drkit-archive-check "" "${body}"
}
on_exit() {
  local status=$?
  report
  exit "${status}"
}
trap on_exit EXIT

# One repository by index: repo1 (this stack's own) or the copy's; with both configured,
# pgBackRest would otherwise merge their backups in `info`.
repo=1
repo_pgbackrest() { pgbackrest --config="${CONFIG}" --stanza="${STANZA}" --repo="${repo}" "$@"; }

segment_index() { echo $((16#${1:8:8} * SEGMENTS_PER_LOG + 16#${1:16:8})); }
segment_name() { printf '%08X%08X' $(($1 / SEGMENTS_PER_LOG)) $(($1 % SEGMENTS_PER_LOG)); }

# Reads the repository: sets oldest_start and newest_start (segment indexes of the oldest and
# newest backups' first WAL), archived_at (index -> the time it landed), last (the newest
# segment that settled). Returns 1 when the repository holds no backup.
read_archive() {
  local info starts listing name time index
  info=$(repo_pgbackrest --output=json info 2>&1) || die "cannot read repo${repo}: ${info}"
  starts=$(grep -oE '"archive":\{"start":"[0-9A-F]{24}"' <<<"${info}" | grep -oE '[0-9A-F]{24}' || true)
  [[ -n "${starts}" ]] || return 1
  oldest_start=$(segment_index "$(head -n 1 <<<"${starts}")")
  newest_start=$(segment_index "$(tail -n 1 <<<"${starts}")")
  # The current archive id (15-1, ...): the last one listed.
  archive_id=$(grep -oE '"id":"[0-9]+-[0-9]+"' <<<"${info}" | tail -n 1 | cut -d'"' -f4)
  # Every segment listed, as "<name> <time>" lines (the replica check compares them).
  listed=""
  listing=$(repo_pgbackrest --output=json repo-ls --recurse "archive/${STANZA}/${archive_id}" 2>&1) \
    || die "cannot list the WAL archive archive/${STANZA}/${archive_id} of repo${repo}: ${listing}"
  archived_at=()
  last=-1
  # "0000000100000000/000000010000000000000007-<sha1>.gz":{"type":"file","size":N,"time":T}
  while read -r name time; do
    [[ -n "${name}" ]] || continue
    listed+="${name} ${time}"$'\n'
    # Every timeline counts: a new timeline carries on from the segment its history names.
    index=$(segment_index "${name}")
    archived_at[index]=${time}
    if [[ "${time}" -le $((checked_at - SETTLE_SECONDS)) ]] && [[ "${index}" -gt "${last}" ]]; then last=${index}; fi
  done < <(grep -oE '/[0-9A-F]{24}-[0-9a-f]{40}[^"]*":\{"type":"file","size":[0-9]+,"time":[0-9]+' <<<"${listing}" | sed -E 's#^/([0-9A-F]{24})-.*"time":([0-9]+)$#\1 \2#')
}

# Counts the segments missing from $1 through the newest settled one into $counted, and lists
# the gaps in $gaps.
count_missing() {
  local from=$1 index gap_start=-1
  counted=0
  gaps=""
  for ((index = from; index <= last + 1; index++)); do
    if [[ "${index}" -le "${last}" ]] && [[ -z "${archived_at[index]+set}" ]]; then
      [[ "${gap_start}" -ge 0 ]] || gap_start=${index}
      counted=$((counted + 1))
    elif [[ "${gap_start}" -ge 0 ]]; then
      gaps+=" $(segment_name "${gap_start}")..$(segment_name $((index - 1)))"
      gap_start=-1
    fi
  done
}

declare -a archived_at
counted=0
gaps=""
if ! read_archive; then
  log "the repository holds no backup yet: nothing to check"
  exit 0
fi
count_missing "${newest_start}"
unrepaired=${counted}
unrepaired_gaps=${gaps}
count_missing "${oldest_start}"
missing=${counted}
all_gaps=${gaps}
if [[ "${unrepaired}" -gt 0 ]]; then
  detected=${checked_at}
  log "WAL is missing from the repository after the newest backup (log file and segment, any timeline):${unrepaired_gaps}. archive-push-queue-max dropped it while the repository was out of reach, or it was deleted: a restore to now would stop at the first gap. Taking a full backup so point-in-time recovery works again from it."
  report
  repo_pgbackrest --type=full backup || die "the full backup after the WAL gap failed (its log is above); point-in-time recovery past the gap stays impossible until a backup succeeds"
  checked_at=$(date +%s)
  read_archive || die "the repository lists no backup after a successful full backup"
  count_missing "${newest_start}"
  unrepaired=${counted}
  [[ "${unrepaired}" -eq 0 ]] || die "WAL is still missing after the new full backup:${gaps}"
  count_missing "${oldest_start}"
  missing=${counted}
  all_gaps=${gaps}
  log "full backup done: point-in-time recovery works again from it"
fi
# The replica: every segment of the repository that has not arrived there yet, and how long the
# oldest of them has waited (segments the repository received within the check's own settling
# time count too: replication lag starts at the source's write).
if [[ -n "${REPLICA_CONFIG}" ]]; then
  # Without any of the writer's repo1 and repo3 variables (keys, passphrases, key type): the
  # replica is then the only repository pgBackRest sees.
  mapfile -t own_repository < <(compgen -e | grep -E '^PGBACKREST_REPO[13]_' || true)
  replica=$(env "${own_repository[@]/#/-u}" \
    pgbackrest --config="${REPLICA_CONFIG}" --output=json repo-ls --recurse "archive/${STANZA}/${archive_id}" 2>&1) \
    || die "cannot list the replica's WAL archive archive/${STANZA}/${archive_id}: ${replica}"
  replicated=$(grep -oE '/[0-9A-F]{24}-' <<<"${replica}" | cut -c2-25 | sort -u || true)
  lag=0
  pending=0
  while read -r name time; do
    [[ -n "${name}" ]] || continue
    if ! grep -qx "${name}" <<<"${replicated}"; then
      pending=$((pending + 1))
      [[ $((checked_at - time)) -le "${lag}" ]] || lag=$((checked_at - time))
    fi
  done <<<"${listed}"
  log "replica: ${pending} WAL segments not there yet, the oldest waiting ${lag} s"
fi
if [[ "${missing}" -gt 0 ]]; then
  log "${missing} WAL segments are missing from the retained archive:${all_gaps}. Point-in-time recovery into those gaps is impossible until retention expires them; every backup after them restores."
elif [[ "${last}" -ge 0 ]]; then
  log "the archive is whole from the oldest backup's first segment to $(segment_name "${last}")"
else
  log "no WAL has been in the repository for ${SETTLE_SECONDS} s yet: nothing to check"
fi

# The copy (drkit:storage.copy) is archived on a best-effort basis: PostgreSQL never waits for
# it, so while its store is unreachable the copy misses segments. A gap after its newest backup
# (or no backup at all) is repaired the same way: a full backup to the copy. A copy that cannot
# be read or backed up fails the job (BackupJobFailed pages); the bucket's figures above stand.
if [[ -n "${COPY_REPO}" ]]; then
  repo=${COPY_REPO}
  checked_at=$(date +%s)
  if ! read_archive; then
    log "the copy (repo${repo}) holds no backup yet: taking a full backup to it"
    repo_pgbackrest --type=full backup || die "the full backup to the copy (repo${repo}) failed (its log is above)"
  else
    count_missing "${newest_start}"
    if [[ "${counted}" -gt 0 ]]; then
      log "WAL is missing from the copy (repo${repo}) after its newest backup:${gaps} (its store was out of reach when they were archived). Taking a full backup to the copy so it recovers to now again."
      repo_pgbackrest --type=full backup || die "the full backup to the copy (repo${repo}) after the WAL gap failed (its log is above); the copy cannot recover past the gap until one succeeds"
    else
      log "the copy (repo${repo}) is whole after its newest backup"
    fi
  fi
fi
