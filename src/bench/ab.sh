#!/usr/bin/env bash
# A/B two builds of the webhook against nginx, back to back in one run, so a change is judged on the same
# machine in the same minute rather than across days of a shared machine's moods.
#
#   src/bench/ab.sh A.jar "A's port arguments" B.jar "B's port arguments"
#
# Port arguments tell each build where to serve, since builds may name their ports differently; in them,
# {admission} and {management} stand for the ports this script picks. Example:
#   src/bench/ab.sh old.jar '--server.port={admission} --management.server.port={management}' \
#                   target/runtimeclass-guard.jar '--runtimeclass-guard.admission.port={admission} --server.port={management}'
#
# Both webhooks and nginx run pinned to BENCH_SERVER_CPU (one at a time under load, the others idle), the client
# on BENCH_CLIENT_CPU; same certificate, same 5.5 KB Pod AdmissionReview as `make bench`. Phases, each in
# AB_ROUNDS rounds that alternate nginx, A, B: throughput with BENCH_CONNECTIONS keep-alive connections; p99 at
# BENCH_RATE requests/s; BENCH_HANDSHAKE_CONNECTIONS connections opening a fresh TLS handshake per request.
# Prints one table (also target/bench/ab.md). Loopback only; every phase is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
(($# == 4)) || { sed -n '2,9p' "$0" >&2; exit 2; }
JAR_A=$(realpath "$1"); ARGS_A=$2; JAR_B=$(realpath "$3"); ARGS_B=$4

# shellcheck source=src/bench/lib.sh
source "$ROOT/src/bench/lib.sh"
# After lib.sh, whose defaults (ports) are make bench's, not this script's; its JVM options are the shipped ones.
CONNECTIONS=${BENCH_CONNECTIONS:-25}
WARMUP=${BENCH_WARMUP:-20}
DURATION=${BENCH_DURATION:-10}
ROUNDS=${AB_ROUNDS:-3}
RATE=${BENCH_RATE:-1000}
RATE_DURATION=${AB_RATE_DURATION:-20}
HANDSHAKE_CONNECTIONS=${BENCH_HANDSHAKE_CONNECTIONS:-100}
HANDSHAKE_DURATION=${BENCH_HANDSHAKE_DURATION:-10}
PORT_BASE=${BENCH_PORT_BASE:-28460}
BODY="$ROOT/src/bench/pod-create-5k.mutate.json"
LUA="$ROOT/src/bench/admission-review.lua"
NGINX_PORT=$((PORT_BASE + 9))

log() { printf '[ab %s] %s\n' "$(date +%T)" "$*" >&2; }

WORK=$(mktemp -d /tmp/runtimeclass-guard-ab.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$WORK"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$OUT" "$WORK/tls" "$WORK/nginx" "$WORK/a" "$WORK/b"
cp -r policies "$WORK/a/" && cp -r policies "$WORK/b/"
taskset -cp "$CLIENT_CPU" $$ >/dev/null

bench_certificate "$WORK/tls"

# CPU time, in clock ticks, used so far by a process and its children's threads (utime + stime of each).
declare -A PID_OF
cpu_ticks() {
  local pid total=0
  for pid in $1 $(pgrep -P "$1"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}

# start NAME JAR ARGS ADMISSION_PORT MANAGEMENT_PORT: the webhook pinned to the server core, until readiness is 200.
start() {
  local name=$1 jar=$2 args=$3 admission=$4 management=$5
  args=${args//\{admission\}/$admission}; args=${args//\{management\}/$management}
  # shellcheck disable=SC2086
  (cd "$WORK/$name" && exec taskset -c "$SERVER_CPU" "$JAVA" $JVM_OPTIONS -Djava.io.tmpdir="$WORK" -jar "$jar" $args \
      --runtimeclass-guard.tls.certificate="$WORK/tls/tls.crt" --runtimeclass-guard.tls.private-key="$WORK/tls/tls.key" \
      >"$WORK/$name.log" 2>&1) &
  PIDS+=($!)
  PID_OF[$name]=$!
  for _ in $(seq 1200); do
    curl -fso /dev/null "http://127.0.0.1:$management/actuator/health/readiness" && return 0
    sleep 0.1
  done
  log "$name did not become ready:"; tail -n 20 "$WORK/$name.log" >&2; exit 1
}

rps() { awk -v r="$(field requests "$1")" -v d="$(field duration_us "$1")" 'BEGIN {printf "%.0f", r/(d/1e6)}'; }
p99() { awk -v us="$(field p99_us "$1")" 'BEGIN {printf "%.2f", us/1000}'; }
errors() { local s=0 k; for k in err_connect err_read err_write err_status err_timeout; do s=$((s + $(field $k "$1"))); done; echo $s; }
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

log "starting A ($JAR_A) and B ($JAR_B) on core $SERVER_CPU"
start a "$JAR_A" "$ARGS_A" $((PORT_BASE + 1)) $((PORT_BASE + 2))
start b "$JAR_B" "$ARGS_B" $((PORT_BASE + 3)) $((PORT_BASE + 4))
declare -A URL=([a]="https://127.0.0.1:$((PORT_BASE + 1))/mutate?timeout=5s" [b]="https://127.0.0.1:$((PORT_BASE + 3))/mutate?timeout=5s"
  [nginx]="https://127.0.0.1:$NGINX_PORT/mutate?timeout=5s")
for name in a b; do
  curl -fsS --cacert "$WORK/tls/ca.crt" -H 'Content-Type: application/json' --data-binary "@$BODY" \
    "https://localhost:${URL[$name]#https://127.0.0.1:}" -o "$WORK/$name.answer.json"
done
cmp -s "$WORK/a.answer.json" "$WORK/b.answer.json" || { log "A and B answer differently"; diff "$WORK/a.answer.json" "$WORK/b.answer.json" >&2; exit 1; }

start_nginx "$WORK/nginx" "$NGINX_PORT" "$WORK/tls" "$WORK/a.answer.json"
PIDS+=("$NGINX_PID")
PID_OF[nginx]=$NGINX_PID

log "warm-up: ${WARMUP}s each (discarded)"
for name in a b; do run_wrk "${URL[$name]}" "$WARMUP" >/dev/null; done
run_wrk "${URL[nginx]}" 3 >/dev/null

# CPU per request is what a shared machine cannot bend: it does not depend on how much of the core a server got.
TICK_US=$((1000000 / $(getconf CLK_TCK)))
declare -A TPUT P99 ERR CPU RATEP99 HSP99 HSRATE HSERR
for ((round = 1; round <= ROUNDS; round++)); do
  log "round $round of $ROUNDS: throughput ${DURATION}s, ${RATE} req/s ${RATE_DURATION}s, handshakes ${HANDSHAKE_DURATION}s; nginx, A, B"
  for name in nginx a b; do
    before=$(cpu_ticks "${PID_OF[$name]}")
    line=$(run_wrk "${URL[$name]}" "$DURATION")
    used=$(( ($(cpu_ticks "${PID_OF[$name]}") - before) * TICK_US ))
    TPUT[$name]+="$(rps "$line") "; P99[$name]+="$(p99 "$line") "; ERR[$name]+="$(errors "$line") "
    CPU[$name]+="$(awk -v us="$used" -v n="$(field requests "$line")" 'BEGIN {printf "%.0f", us/n}') "
    line=$(run_wrk "${URL[$name]}" "$RATE_DURATION" "$RATE")
    RATEP99[$name]+="$(p99 "$line") "
    read -r n e _ hp99 hrate < <(run_hey_summary -z "${HANDSHAKE_DURATION}s" -c "$HANDSHAKE_CONNECTIONS" -disable-keepalive "${URL[$name]}")
    HSP99[$name]+="$hp99 "; HSRATE[$name]+="$hrate "; HSERR[$name]+="$e/$n "
  done
done

med() { tr ' ' '\n' <<<"$1" | grep -v '^$' | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f%%", 100*a/b}'; }
times() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f×", a/b}'; }
{
  echo "## A/B: $(basename "$JAR_A") vs $(basename "$JAR_B"), against nginx"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ); $(grep -c ^processor /proc/cpuinfo) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)); load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "server core $SERVER_CPU, client core $CLIENT_CPU; $ROUNDS rounds alternating nginx, A, B; medians, every round in brackets; JVM: $JVM_OPTIONS"
  echo
  echo "| measure | nginx | A | B | A/nginx | B/nginx |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  echo "| throughput, req/s, $CONNECTIONS keep-alive connections | $(med "${TPUT[nginx]}") [${TPUT[nginx]% }] | $(med "${TPUT[a]}") [${TPUT[a]% }] | $(med "${TPUT[b]}") [${TPUT[b]% }] | $(ratio "$(med "${TPUT[a]}")" "$(med "${TPUT[nginx]}")") | $(ratio "$(med "${TPUT[b]}")" "$(med "${TPUT[nginx]}")") |"
  echo "| p99 at that throughput, ms | $(med "${P99[nginx]}") | $(med "${P99[a]}") | $(med "${P99[b]}") | | |"
  echo "| server CPU per request, µs | $(med "${CPU[nginx]}") [${CPU[nginx]% }] | $(med "${CPU[a]}") [${CPU[a]% }] | $(med "${CPU[b]}") [${CPU[b]% }] | $(times "$(med "${CPU[a]}")" "$(med "${CPU[nginx]}")") | $(times "$(med "${CPU[b]}")" "$(med "${CPU[nginx]}")") |"
  echo "| errors at that throughput | ${ERR[nginx]% } | ${ERR[a]% } | ${ERR[b]% } | | |"
  echo "| p99 at ~$RATE req/s, ms | $(med "${RATEP99[nginx]}") [${RATEP99[nginx]% }] | $(med "${RATEP99[a]}") [${RATEP99[a]% }] | $(med "${RATEP99[b]}") [${RATEP99[b]% }] | $(times "$(med "${RATEP99[a]}")" "$(med "${RATEP99[nginx]}")") | $(times "$(med "${RATEP99[b]}")" "$(med "${RATEP99[nginx]}")") |"
  echo "| $HANDSHAKE_CONNECTIONS connections, fresh TLS handshake each: p99, ms | $(med "${HSP99[nginx]}") [${HSP99[nginx]% }] | $(med "${HSP99[a]}") [${HSP99[a]% }] | $(med "${HSP99[b]}") [${HSP99[b]% }] | $(times "$(med "${HSP99[a]}")" "$(med "${HSP99[nginx]}")") | $(times "$(med "${HSP99[b]}")" "$(med "${HSP99[nginx]}")") |"
  echo "| fresh handshakes: requests/s; errors/requests | $(med "${HSRATE[nginx]}"); ${HSERR[nginx]% } | $(med "${HSRATE[a]}"); ${HSERR[a]% } | $(med "${HSRATE[b]}"); ${HSERR[b]% } | | |"
} | tee "$OUT/ab.md"
