#!/usr/bin/env bash
# drkit pgBackRest backup, checked in the repository afterwards. Usage: backup.sh full | diff | incr
# Rendered by drkit from pg-backup.sh for stack 'bot'.
set -euo pipefail

CONFIG='/etc/drkit-backup/pgbackrest.conf'
STANZA='main'
: "${CONFIG:?}" "${STANZA:?}"

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
start=${SECONDS}
pgbackrest --config="${CONFIG}" --stanza="${STANZA}" --type="${type}" backup || die "pgbackrest ${type} backup failed (its log is above)"
info=$(pgbackrest --config="${CONFIG}" --stanza="${STANZA}" --output=json info) || die "pgbackrest info failed after the backup"
label=$(printf '%s' "${info}" | grep -o '"label":"[^"]*"' | tail -n 1 | cut -d'"' -f4 || true)
[[ -n "${label}" ]] || die "the repository lists no backup after a successful ${type} backup"
case "${label}" in
  *F) made="full" ;;
  *D) made="diff" ;;
  *I) made="incr" ;;
  *) die "unexpected backup label ${label}" ;;
esac
# pgBackRest makes a full backup when a diff or incr has no full to refer to.
[[ "${made}" = "${type}" ]] || log "asked for ${type}, pgBackRest made ${made} (${label} has no earlier full)"
log "backup ${label} (${made}) done in $((SECONDS - start)) s"
