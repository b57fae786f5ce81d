#!/usr/bin/env bash
# Builds the package into OUT (default dist): the compiled TypeScript and the files it reads at
# run time beside it (the images' Dockerfiles, the workload scripts, the policy pack's manifest).
# Usage: scripts/build.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
node node_modules/typescript/bin/tsc -p tsconfig.build.json --outDir "${out}"
rm -rf "${out}/images" "${out}/components/shell/lib"
cp -R images "${out}/images"
cp -R components/shell/lib components/shell/*.sh "${out}/components/shell/"
cp policypack/PulumiPolicy.yaml policypack/package.json "${out}/policypack/"
