# shellcheck shell=bash
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
