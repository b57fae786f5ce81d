# shellcheck shell=bash
# One line per event on stderr, prefixed with the script's name (SCRIPT): what a pod's log and
# a job's failure message show.
: "${SCRIPT:?}"
log() { printf '%s: %s\n' "${SCRIPT}" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
