#!/usr/bin/env bash
# drkit's archive_command when the stack keeps a copy (drkit:storage.copy). Usage: pgbackrest-archive-push.sh PATH (pgBackRest checks that archive_command names it)
# The segment goes to this stack's repository (its pgBackRest pushes ahead of PostgreSQL, from
# its own spool) and then to the copy's, by a pgBackRest of its own (own spool, own lock), which
# waits a few seconds at most. Only the bucket's result counts: an unreachable copy must never
# hold back the bucket's WAL or fill pg_wal. A segment the copy missed is a gap in the copy,
# which the archive check finds and repairs with a full backup to the copy.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
: "${OWN_CONFIG:?}" "${COPY_CONFIG:?}" "${STANZA:?}"

SCRIPT=drkit-archive-push
. lib/log.sh

segment=${1:-}
[[ -n "${segment}" ]] || die "usage: pgbackrest-archive-push.sh PATH"
status=0
pgbackrest --config="${OWN_CONFIG}" --stanza="${STANZA}" archive-push "${segment}" || status=$?
# Without the bucket's variables: the copy is the only repository this pgBackRest sees.
mapfile -t own < <(compgen -e | grep '^PGBACKREST_REPO1_' || true)
if ! env "${own[@]/#/-u}" pgbackrest --config="${COPY_CONFIG}" --stanza="${STANZA}" archive-push "${segment}"; then
  log "WARNING: the copy did not take ${segment##*/}; the archive check repairs the gap"
fi
exit "${status}"
