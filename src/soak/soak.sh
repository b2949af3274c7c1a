#!/usr/bin/env bash
# make soak: the webhook in cluster mode under steady load and scheduled faults, every answer checked.
#
# Builds the jar and the test classes, lays the jar out as the image does (extracted), and runs the soak harness
# (src/test/java/io/runtimeclassguard/soak/Soak.java): a fabric8 mock apiserver in CRUD mode in the harness's JVM,
# the webhook in a JVM of its own with the image's entrypoint and the chart's environment, SOAK_RATE Pod
# AdmissionReviews per second for SOAK_MINUTES while policies are edited (validly and not), a RuntimeClass is deleted
# and created again, the apiserver goes away for 10 s, the serving certificate is rotated, and SIGTERM comes at the
# end under load. Prints a table (also target/soak/results.md); exits 1 when a target is not met.
#
# Knobs (environment): SOAK_MINUTES (default 10; 2 is a quick look), SOAK_RATE (default 1000), SOAK_SKIP_BUILD=1,
# SOAK_KEEP=1 (keep the work directory with the webhook's log). Loopback only; bounded by SOAK_MINUTES + 5 min.
set -euo pipefail
# The JDK, and the JVM as a Pod runs it (the image's options file, the chart's sizes and memory limit, the image's
# malloc setting), come from the bench scripts' settings, so the soak and make bench run the same JVM.
source "$(dirname "$0")/../bench/lib.sh"
MINUTES=${SOAK_MINUTES:-10}
RATE=${SOAK_RATE:-1000}
OUT=target/soak
mkdir -p "$OUT"

# KUBE_BIN: a folder with etcd, kube-apiserver and kubectl (as for make e2e; never committed) to soak against instead.
cluster=()
if [[ -n "${KUBE_BIN:-}" ]]; then
  cluster=(--kube-bin "$(cd "$KUBE_BIN" && pwd)")
fi
if [[ "${SOAK_SKIP_BUILD:-0}" != 1 ]]; then
  nice ./mvnw -B -ntp -q -DskipTests package dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$OUT/classpath"
fi

WORK=$(mktemp -d /tmp/runtimeclass-guard-soak.XXXXXX)
cleanup() {
  if [[ "${SOAK_KEEP:-0}" == 1 ]]; then echo "work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

"$JAVA" -Djarmode=tools -jar target/runtimeclass-guard.jar extract --destination "$WORK/app" >/dev/null
limit=$(awk -v m="$MINUTES" 'BEGIN {printf "%d", m * 60 + 300}')
timeout --kill-after=30s "${limit}s" "$JAVA" -Xmx1g -cp "target/test-classes:target/classes:$(cat "$OUT/classpath")" \
  io.runtimeclassguard.soak.Soak --minutes "$MINUTES" --rate "$RATE" --jar "$WORK/app/runtimeclass-guard.jar" \
  --java-options "-XX:MaxRAM=$JVM_MEMORY $JVM_OPTIONS" --work "$WORK/run" --results "$OUT/results.md" "${cluster[@]}"
