#!/usr/bin/env bash
# On a Docker host the secrets a container reads from its environment arrive as files, one per
# variable, in a read-only volume: a container's configuration (docker inspect) never holds them.
# This loads each file of the directory as the variable it is named after, then runs the command.
# Usage: with-env.sh DIR COMMAND [ARG...]
set -euo pipefail
dir=$1
shift
for file in "${dir}"/*; do
  [[ -f "${file}" ]] || continue
  name=${file##*/}
  # The value exactly, trailing newlines included (a command substitution would drop them).
  value=$(cat -- "${file}" && printf x)
  export "${name}=${value%x}"
done
exec "$@"
