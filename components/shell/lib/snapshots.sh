# shellcheck shell=bash
# Redis snapshots under PREFIX: <UTC timestamp>.rdb, complete once its .sha256 marker (written
# last) exists.
: "${PREFIX:?}"
# Snapshots whose checksum marker exists, newest first.
complete_snapshots() {
  local keys key
  keys=$(list_keys "${PREFIX}")
  while IFS= read -r key; do
    case "${key}" in
      *.rdb) if grep -qxF "${key}.sha256" <<<"${keys}"; then printf '%s\n' "${key}"; fi ;;
      *) ;;
    esac
  done <<<"${keys}" | sort -r
}
