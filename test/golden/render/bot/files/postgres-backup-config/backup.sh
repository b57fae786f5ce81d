#!/usr/bin/env bash
# drkit pgBackRest backup, checked in the repository afterwards. Usage: backup.sh full | diff | incr
# With a copy (drkit:storage.copy), the same backup is then taken to the copy's repository:
# each repository is backed up even when the other fails, and the job fails if either did.
# Rendered by drkit from pg-backup.sh for stack 'bot'.
set -euo pipefail

CONFIG='/etc/drkit-backup/pgbackrest.conf'
STANZA='main'
REPOS='1'
: "${CONFIG:?}" "${STANZA:?}"
# The repositories to back up, by index: "1", or "1 3" with a copy.
: "${REPOS:?}"
# Seconds of silence after which a repository counts as unreachable.
PROBE_TIMEOUT=15

SCRIPT=drkit-backup
# One line per event on stderr, prefixed with the script's name (SCRIPT): what a pod's log and
# a job's failure message show.
: "${SCRIPT:?}"
log() { printf '%s: %s\n' "${SCRIPT}" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

type=${1:-}
case "${type}" in
  full | diff | incr) ;;
  *) die "usage: backup.sh full | diff | incr" ;;
esac
# backup_to REPO: one backup to repository REPO, checked in it afterwards.
backup_to() {
  local repo=$1 start=${SECONDS} info label made out code
  # A store that is down fails here within seconds: pgBackRest's backup would retry each request
  # for its whole I/O timeout (minutes in all) before giving up.
  out=$(pgbackrest --config="${CONFIG}" --stanza="${STANZA}" --repo="${repo}" --io-timeout="${PROBE_TIMEOUT}" --output=json info 2>&1) \
    || { log "ERROR: repo${repo} cannot be read, no backup taken there: ${out}"; return 1; }
  # The repository's status comes first: 0 ok, 2 no backup yet, 6 a backup or expire running.
  code=$(grep -oE '"status":\{"code":[0-9]+' <<<"${out}" | head -n 1 | grep -oE '[0-9]+$' || true)
  case "${code}" in
    0 | 2 | 6) ;;
    1 | 3)
      # The copy's stanza is created at PostgreSQL's start; a copy that was down then gets it here.
      log "repo${repo} has no stanza yet: creating it"
      pgbackrest --config="${CONFIG}" --stanza="${STANZA}" stanza-create || { log "ERROR: stanza-create for repo${repo} failed (its log is above)"; return 1; }
      ;;
    *)
      log "ERROR: repo${repo} cannot be read, no backup taken there: ${out}"
      return 1
      ;;
  esac
  pgbackrest --config="${CONFIG}" --stanza="${STANZA}" --repo="${repo}" --type="${type}" backup || { log "ERROR: pgbackrest ${type} backup to repo${repo} failed (its log is above)"; return 1; }
  info=$(pgbackrest --config="${CONFIG}" --stanza="${STANZA}" --repo="${repo}" --output=json info) || { log "ERROR: pgbackrest info of repo${repo} failed after the backup"; return 1; }
  label=$(printf '%s' "${info}" | grep -o '"label":"[^"]*"' | tail -n 1 | cut -d'"' -f4 || true)
  [[ -n "${label}" ]] || { log "ERROR: repo${repo} lists no backup after a successful ${type} backup"; return 1; }
  case "${label}" in
    *F) made="full" ;;
    *D) made="diff" ;;
    *I) made="incr" ;;
    *) log "ERROR: unexpected backup label ${label} in repo${repo}"; return 1 ;;
  esac
  # pgBackRest makes a full backup when a diff or incr has no full to refer to.
  [[ "${made}" = "${type}" ]] || log "asked for ${type}, pgBackRest made ${made} in repo${repo} (${label} has no earlier full)"
  log "backup ${label} (${made}) to repo${repo} done in $((SECONDS - start)) s"
}

failed=""
for repo in ${REPOS}; do
  backup_to "${repo}" || failed+=" repo${repo}"
done
[[ -z "${failed}" ]] || die "the ${type} backup failed for${failed}"
