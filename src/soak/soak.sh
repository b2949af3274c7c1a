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
cd "$(dirname "$0")/../.."

JAVA_HOME=${JAVA_HOME:-$( (ls -d /usr/lib/jvm/temurin-25-jdk* /usr/lib/jvm/java-25-openjdk* 2>/dev/null || true) | head -n1)}
JAVA="$JAVA_HOME/bin/java"
MINUTES=${SOAK_MINUTES:-10}
RATE=${SOAK_RATE:-1000}
OUT=target/soak
mkdir -p "$OUT"

if [[ -n "${KUBE_BIN:-}" ]]; then
  echo "make soak: KUBE_BIN is not supported yet; the soak runs against the fabric8 mock apiserver only." >&2
  exit 2
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
  --work "$WORK/run" --results "$OUT/results.md"
