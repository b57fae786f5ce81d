# shellcheck shell=bash
# The object store through aws-cli, at the endpoint and region of the data path.
: "${ENDPOINT_URL:?}" "${REGION:?}" "${VERIFY_TLS:?}" "${BUCKET:?}"
s3() {
  local tls=()
  if [[ "${VERIFY_TLS}" = no ]]; then tls=(--no-verify-ssl); fi
  # ${a[@]+...}: an empty array under set -u is an unbound variable in bash before 4.4 (the
  # aws-cli image's bash).
  aws --endpoint-url "${ENDPOINT_URL}" --region "${REGION}" ${tls[@]+"${tls[@]}"} "$@"
}
# list_keys PREFIX: every key under PREFIX in BUCKET, one per line, sorted (timestamps sort in
# time order).
list_keys() {
  local out
  out=$(s3 s3api list-objects-v2 --bucket "${BUCKET}" --prefix "$1" --query 'Contents[].Key' --output text 2>&1) \
    || die "cannot list s3://${BUCKET}/$1: ${out}"
  printf '%s\n' "${out}" | tr '\t' '\n' | grep -v -e '^None$' -e '^$' | sort || true
}
