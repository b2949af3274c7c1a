#!/usr/bin/env bash
# Where the webhook's time goes under the bench's load: starts the packaged jar pinned like `make bench`
# (server on BENCH_SERVER_CPU, wrk on BENCH_CLIENT_CPU), warms it up, records a JFR profile of
# PROFILE_SECONDS under load, and prints JFR's hot methods, allocation and GC views. The recording stays
# in target/bench/profile.jfr for `jfr print --events jdk.ExecutionSample --stack-depth 30`.
#
#   src/bench/profile.sh                      # after `make package`
#   PROFILE_JVM_OPTIONS="-XX:AOTCache=..." src/bench/profile.sh
set -euo pipefail
# shellcheck source=src/bench/lib.sh
source "$(dirname "$0")/lib.sh"
# After lib.sh (the Java, cores and the shipped JVM options); ports of its own, so it can run beside make bench.
CONNECTIONS=${BENCH_CONNECTIONS:-25}
WARMUP=${PROFILE_WARMUP:-15}
SECONDS_TO_RECORD=${PROFILE_SECONDS:-20}
PORT_BASE=${BENCH_PORT_BASE:-28450}
PORT=$((PORT_BASE + 3))
MANAGEMENT_PORT=$PORT_BASE
mkdir -p "$OUT"

WORK=$(mktemp -d /tmp/runtimeclass-guard-profile.XXXXXX)
PID=""
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=localhost" \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
cp -r policies "$WORK/"
(cd "$WORK" && exec taskset -c "$SERVER_CPU" "$JAVA" -XX:MaxRAM="$JVM_MEMORY" $JVM_OPTIONS \
    ${PROFILE_JVM_OPTIONS:-} -jar "$ROOT/target/runtimeclass-guard.jar" \
    --runtimeclass-guard.admission.port="$PORT" --server.port="$MANAGEMENT_PORT" \
    --runtimeclass-guard.tls.certificate="$WORK/tls.crt" --runtimeclass-guard.tls.private-key="$WORK/tls.key" \
    >"$WORK/webhook.log" 2>&1) &
PID=$!
for _ in $(seq 600); do
  curl -fso /dev/null "http://127.0.0.1:$MANAGEMENT_PORT/actuator/health/readiness" && break
  kill -0 "$PID" 2>/dev/null || { tail -n 20 "$WORK/webhook.log"; exit 1; }
  sleep 0.1
done

load() {
  BENCH_BODY="$ROOT/src/bench/pod-create-5k.mutate.json" taskset -c "$CLIENT_CPU" \
    wrk -t1 -c"$CONNECTIONS" -d"$1s" --timeout 5s -s "$ROOT/src/bench/admission-review.lua" "https://127.0.0.1:$PORT/mutate"
}
load "$WARMUP" >/dev/null
"$JAVA_HOME/bin/jcmd" "$PID" JFR.start name=bench settings=profile filename="$OUT/profile.jfr" >/dev/null
load "$SECONDS_TO_RECORD"
"$JAVA_HOME/bin/jcmd" "$PID" JFR.stop name=bench >/dev/null
for view in hot-methods allocation-by-class gc-pauses; do
  "$JAVA_HOME/bin/jfr" view --width 160 "$view" "$OUT/profile.jfr" | head -n 40
done
