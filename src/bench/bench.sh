#!/usr/bin/env bash
# make bench: the webhook side by side with the physical limit of this machine.
#
# Builds the jar, lays it out as the image does (extracted jar + AOT cache from a training run), starts the
# webhook standalone pinned to one core, and drives it from the other core over HTTP/1.1 keep-alive on
# TLS 1.3 with an ECDSA P-256 certificate, with a ~5.5 KB Pod AdmissionReview whose uid changes on every
# request. In the same run the same client drives nginx on the same core, with the same certificate,
# answering the webhook's own answer as a static body. Prints one table (also target/bench/results.md).
#
# Knobs (environment): BENCH_SKIP_BUILD=1, BENCH_SERVER_CPU, BENCH_CLIENT_CPU, BENCH_CONNECTIONS,
# BENCH_WARMUP, BENCH_DURATION, BENCH_ROUNDS, BENCH_RATE, BENCH_RATE_DURATION, BENCH_HANDSHAKE_CONNECTIONS,
# BENCH_HANDSHAKE_DURATION, BENCH_STARTS, BENCH_PORT_BASE. Loopback only; every phase is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

JAVA_HOME=${JAVA_HOME:-$(ls -d /usr/lib/jvm/temurin-25-jdk* /usr/lib/jvm/java-25-openjdk* 2>/dev/null | head -n1)}
JAVA="$JAVA_HOME/bin/java"
SERVER_CPU=${BENCH_SERVER_CPU:-1}
CLIENT_CPU=${BENCH_CLIENT_CPU:-0}
CONNECTIONS=${BENCH_CONNECTIONS:-25}
WARMUP=${BENCH_WARMUP:-15}
DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-3}
RATE=${BENCH_RATE:-1000}
RATE_DURATION=${BENCH_RATE_DURATION:-60}
HANDSHAKE_CONNECTIONS=${BENCH_HANDSHAKE_CONNECTIONS:-100}
HANDSHAKE_DURATION=${BENCH_HANDSHAKE_DURATION:-10}
STARTS=${BENCH_STARTS:-3}
COLD_STARTS=${BENCH_COLD_STARTS:-1}
PORT_BASE=${BENCH_PORT_BASE:-28440}
PORT=$((PORT_BASE + 3))
MANAGEMENT_PORT=$((PORT_BASE + 0))
NGINX_PORT=$((PORT_BASE + 4))
# The pod's memory limit (chart: 512Mi) and JVM options (chart: javaToolOptions), so heap sizing is the shipped one.
JVM_MEMORY=${BENCH_JVM_MEMORY:-512m}
JVM_OPTIONS=${BENCH_JVM_OPTIONS:-"-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"}
BODY="$ROOT/src/bench/pod-create-5k.mutate.json"
LUA="$ROOT/src/bench/admission-review.lua"
OUT="$ROOT/target/bench"

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
# shellcheck source=src/bench/lib.sh
source "$ROOT/src/bench/lib.sh"

install_tools() {
  local need=()
  command -v wrk >/dev/null || need+=(wrk)
  command -v hey >/dev/null || need+=(hey)
  [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
  command -v openssl >/dev/null || need+=(openssl)
  command -v taskset >/dev/null || need+=(util-linux)
  command -v curl >/dev/null || need+=(curl)
  if ((${#need[@]})); then
    log "installing ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  # Installing nginx may start its service; this benchmark runs its own instance.
  systemctl disable --now nginx >/dev/null 2>&1 || true
}

WORK=""
SERVER_PID=""
NGINX_PID=""
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  [[ -n "$NGINX_PID" ]] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null || true
  [[ -n "$WORK" && "${BENCH_KEEP:-0}" != 1 ]] && rm -rf "$WORK"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{v[NR]=$1} END {if (NR==0) print ""; else print v[int((NR+1)/2)]}'; }
rss_mib() { awk '/^VmRSS:/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
ms() { awk -v us="$1" 'BEGIN {printf "%.2f", us/1000}'; }

# Starts the webhook pinned to SERVER_CPU with the given extra JVM options; sets SERVER_PID, and READY_MS to the
# time from launch to readiness 200.
READY_MS=""
start_webhook() {
  local log_file=$1; shift
  local started ready
  started=$(now_ms)
  (cd "$WORK/run" && exec taskset -c "$SERVER_CPU" "$JAVA" -XX:MaxRAM="$JVM_MEMORY" $JVM_OPTIONS "$@" \
      -Djava.io.tmpdir="$WORK/tmp" -XX:ErrorFile="$WORK/tmp/hs_err_pid%p.log" \
      -jar "$WORK/app/runtimeclass-guard.jar" \
      --runtimeclass-guard.admission.port="$PORT" --server.port="$MANAGEMENT_PORT" \
      --runtimeclass-guard.tls.certificate="$WORK/tls/tls.crt" \
      --runtimeclass-guard.tls.private-key="$WORK/tls/tls.key" >"$log_file" 2>&1) &
  SERVER_PID=$!
  local deadline=$((started + 60000))
  until curl -fso /dev/null "http://127.0.0.1:$MANAGEMENT_PORT/actuator/health/readiness"; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null || (( $(now_ms) > deadline )); then
      log "the webhook did not become ready; its log:"; tail -n 30 "$log_file" >&2; exit 1
    fi
    sleep 0.005
  done
  ready=$(now_ms)
  READY_MS=$((ready - started))
}

stop_webhook() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# hey -n N, one line per successful request (CSV); prints "requests errors p50_ms p99_ms p999_ms rate".
run_hey_csv() {
  local expected=$1; shift
  local csv="$WORK/hey.csv"
  taskset -c "$CLIENT_CPU" hey -cpus 1 -host localhost -m POST -T application/json -A 'application/json, */*' -D "$BODY" \
    -t 5 -o csv "$@" >"$csv" 2>"$WORK/hey.err" || true
  local n errors end
  n=$(awk -F, 'NR>1 && $1 ~ /^[0-9.]+$/' "$csv" | wc -l)
  if ((n == 0)); then echo "0 $expected - - - 0"; return; fi
  # A failed request has no CSV line.
  errors=$(( $(awk -F, 'NR>1 && $1 ~ /^[0-9.]+$/ && $7 != 200' "$csv" | wc -l) + expected - n ))
  end=$(awk -F, 'NR>1 && $1 ~ /^[0-9.]+$/ {if ($8+$1 > e) e=$8+$1} END {print e}' "$csv")
  awk -F, 'NR>1 && $1 ~ /^[0-9.]+$/ {print $1*1000}' "$csv" | sort -g | awk -v n="$n" -v e="$errors" -v end="$end" '
    function at(q,  i) {i=int(n*q); return i < 1 ? 1 : i}
    {t[NR]=$1}
    END {printf "%d %d %.2f %.2f %.2f %.0f\n", n, e, t[at(0.50)], t[at(0.99)], t[at(0.999)], (end > 0 ? n/end : 0)}'
}

install_tools
mkdir -p "$OUT"
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  log "building the jar (make package)"
  make -s package >/dev/null
fi
[[ -f target/runtimeclass-guard.jar ]] || { log "target/runtimeclass-guard.jar is missing"; exit 1; }

WORK=$(mktemp -d /tmp/runtimeclass-guard-bench.XXXXXX)
mkdir -p "$WORK/tmp" "$WORK/tls" "$WORK/run" "$WORK/training" "$WORK/nginx"
cp -r policies "$WORK/run/" && cp -r policies "$WORK/training/"
# The client side (curl, wrk, hey) runs on the client core from here on.
taskset -cp "$CLIENT_CPU" $$ >/dev/null

log "laying out the jar as the image does: extract, then a training run records the AOT cache"
"$JAVA" -Djarmode=tools -jar target/runtimeclass-guard.jar extract --destination "$WORK/app" >/dev/null
training_started=$(now_ms)
# As the image build does it: not pinned. -XX:MaxRAM keeps the same (serial) collector as the pinned runs.
(cd "$WORK/training" && taskset -c "$SERVER_CPU,$CLIENT_CPU" "$JAVA" -XX:MaxRAM="$JVM_MEMORY" $JVM_OPTIONS \
    -XX:AOTCacheOutput="$WORK/app/runtimeclass-guard.aot" -Djava.io.tmpdir="$WORK/tmp" \
    -jar "$WORK/app/runtimeclass-guard.jar" --runtimeclass-guard.training-run=true \
    --runtimeclass-guard.admission.port=0 --server.port=0 >"$WORK/training.log" 2>&1) \
  || { log "training run failed:"; tail -n 30 "$WORK/training.log" >&2; exit 1; }
training_ms=$(( $(now_ms) - training_started ))
aot_mib=$(du -m "$WORK/app/runtimeclass-guard.aot" | cut -f1)

log "ECDSA P-256 certificate for localhost, shared by the webhook and nginx"
bench_certificate "$WORK/tls"

log "start to ready: $COLD_STARTS without the AOT cache, $STARTS with it"
cold_starts=() aot_starts=()
for ((i = 0; i < COLD_STARTS; i++)); do
  start_webhook "$WORK/cold.log"; cold_starts+=("$READY_MS"); stop_webhook
done
for ((i = 0; i < STARTS; i++)); do
  start_webhook "$WORK/webhook.log" -XX:AOTCache="$WORK/app/runtimeclass-guard.aot"; aot_starts+=("$READY_MS")
  ((i == STARTS - 1)) || stop_webhook
done
cold_ms=$(printf '%s\n' "${cold_starts[@]}" | median)
aot_ms=$(printf '%s\n' "${aot_starts[@]}" | median)
grep -q 'Unable to use AOT cache\|AOT cache.*mismatch' "$WORK/webhook.log" \
  && { log "the JVM refused the AOT cache:"; grep -i 'aot' "$WORK/webhook.log" | head -5 >&2; }

# The first 1,000 requests of the last (AOT) start, right after readiness: 25 new keep-alive connections.
read -r first_n first_err first_p50 first_p99 first_p999 _ < <(run_hey_csv 1000 -n 1000 -c "$CONNECTIONS" "https://127.0.0.1:$PORT/mutate?timeout=5s")

# Sanity: the answer is a real one (uid echoed, default injected), and it is what nginx will serve.
curl -fsS --cacert "$WORK/tls/ca.crt" -H 'Content-Type: application/json' --data-binary "@$BODY" \
  "https://localhost:$PORT/mutate?timeout=5s" -o "$WORK/answer.json"
grep -q '"uid":"00000000-0000-4000-8000-000000000000".*"patchType":"JSONPatch"' "$WORK/answer.json" \
  || { log "unexpected answer from the webhook: $(cat "$WORK/answer.json")"; exit 1; }

start_nginx "$WORK/nginx" "$NGINX_PORT" "$WORK/tls" "$WORK/answer.json"
cmp -s <(curl -ksS -H 'Content-Type: application/json' --data-binary "@$BODY" "https://127.0.0.1:$NGINX_PORT/mutate") "$WORK/answer.json" \
  || { log "nginx does not answer the webhook's answer"; exit 1; }

WEBHOOK_URL="https://127.0.0.1:$PORT/mutate?timeout=5s"
NGINX_URL="https://127.0.0.1:$NGINX_PORT/mutate?timeout=5s"

log "$RATE requests/s for ${RATE_DURATION}s on the fresh webhook (p99 and resident memory)"
webhook_rate=$(run_wrk "$WEBHOOK_URL" "$RATE_DURATION" "$RATE")
rss_after_rate=$(rss_mib "$SERVER_PID")
nginx_rate=$(run_wrk "$NGINX_URL" 20 "$RATE")

log "warm-up: webhook ${WARMUP}s, nginx 3s (discarded)"
run_wrk "$WEBHOOK_URL" "$WARMUP" >/dev/null
run_wrk "$NGINX_URL" 3 >/dev/null

log "throughput: $ROUNDS rounds of ${DURATION}s each, webhook and nginx alternating, $CONNECTIONS connections"
webhook_rounds=() nginx_rounds=()
for ((i = 0; i < ROUNDS; i++)); do
  webhook_rounds+=("$(run_wrk "$WEBHOOK_URL" "$DURATION")")
  nginx_rounds+=("$(run_wrk "$NGINX_URL" "$DURATION")")
done
rss_after_load=$(rss_mib "$SERVER_PID")
nginx_rss=$(( $(rss_mib "$NGINX_PID") + $(rss_mib "$(pgrep -P "$NGINX_PID" | head -n1)") ))

log "fresh TLS handshakes: $HANDSHAKE_CONNECTIONS connections, no keep-alive, ${HANDSHAKE_DURATION}s each"
read -r hs_n hs_err hs_p50 hs_p99 hs_rate < <(run_hey_summary -z "${HANDSHAKE_DURATION}s" -c "$HANDSHAKE_CONNECTIONS" -disable-keepalive "$WEBHOOK_URL")
read -r nhs_n nhs_err nhs_p50 nhs_p99 nhs_rate < <(run_hey_summary -z "${HANDSHAKE_DURATION}s" -c "$HANDSHAKE_CONNECTIONS" -disable-keepalive "$NGINX_URL")

# The median round by throughput, for each server.
pick_median() {
  printf '%s\n' "$@" | awk '{for (i=2;i<=NF;i++) {split($i,kv,"="); if (kv[1]=="requests") r=kv[2]; if (kv[1]=="duration_us") d=kv[2]} printf "%.0f %s\n", r/(d/1e6), $0}' \
    | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}' | cut -d' ' -f2-
}
throughput() { awk -v r="$(field requests "$1")" -v d="$(field duration_us "$1")" 'BEGIN {printf "%.0f", r/(d/1e6)}'; }
errors() { local s=0 k; for k in err_connect err_read err_write err_status err_timeout; do s=$((s + $(field $k "$1"))); done; echo $s; }
all_rates() { local line out=""; for line in "$@"; do out+="$(throughput "$line") "; done; echo "${out% }"; }

webhook_best=$(pick_median "${webhook_rounds[@]}")
nginx_best=$(pick_median "${nginx_rounds[@]}")
webhook_tput=$(throughput "$webhook_best")
nginx_tput=$(throughput "$nginx_best")
ratio=$(awk -v a="$webhook_tput" -v b="$nginx_tput" 'BEGIN {printf "%.0f%%", 100*a/b}')
verdict() { awk -v v="$1" -v lim="$2" 'BEGIN {print (v != "-" && v+0 <= lim+0) ? "met" : "NOT met"}'; }

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit (+ uncommitted changes)"
cpu_model=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
others=$(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 >= 5 && $2 !~ /^(java|wrk|hey|nginx|ps|awk)$/ {printf "%s%s(%s%%)", sep, $2, $1; sep=", "}')
java_version=$("$JAVA" -version 2>&1 | head -n1)

{
  echo "## RuntimeClass Guard benchmark"
  echo
  echo "commit $commit, $(date -u +%Y-%m-%dT%H:%MZ); $(grep -c ^processor /proc/cpuinfo) cores ($cpu_model), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)"
  echo "server on core $SERVER_CPU, client on core $CLIENT_CPU; $java_version; $(nginx -v 2>&1 | sed 's/^nginx version: //'); $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2); hey"
  echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg); other busy processes: ${others:-none}"
  echo "HTTP/1.1 keep-alive, TLS 1.3, ECDSA P-256; POST /mutate, $(wc -c <"$BODY") B Pod AdmissionReview (uid varies), $CONNECTIONS connections; JVM: -XX:MaxRAM=$JVM_MEMORY $JVM_OPTIONS"
  echo
  echo "| measure | webhook | nginx (static) | webhook/nginx | target | |"
  echo "| --- | ---: | ---: | ---: | --- | --- |"
  tput_ok=$(awk -v r="${ratio%\%}" -v p="$(field p99_us "$webhook_best")" -v e="$(errors "$webhook_best")" 'BEGIN {print (r >= 30 && p < 10000 && e == 0) ? "met" : "NOT met"}')
  echo "| throughput, req/s (median of $ROUNDS × ${DURATION}s; rounds: $(all_rates "${webhook_rounds[@]}") / $(all_rates "${nginx_rounds[@]}")) | $webhook_tput | $nginx_tput | $ratio | ≥ 30% of nginx, p99 < 10 ms, no error | $tput_ok |"
  echo "| at that throughput: p50 / p99 / p99.9, ms | $(ms "$(field p50_us "$webhook_best")") / $(ms "$(field p99_us "$webhook_best")") / $(ms "$(field p999_us "$webhook_best")") | $(ms "$(field p50_us "$nginx_best")") / $(ms "$(field p99_us "$nginx_best")") / $(ms "$(field p999_us "$nginx_best")") | | | |"
  echo "| at that throughput: errors | $(errors "$webhook_best") | $(errors "$nginx_best") | | 0 | |"
  rate_w=$(awk -v r="$(field requests "$webhook_rate")" -v d="$(field duration_us "$webhook_rate")" 'BEGIN {printf "%.0f", r/(d/1e6)}')
  rate_n=$(awk -v r="$(field requests "$nginx_rate")" -v d="$(field duration_us "$nginx_rate")" 'BEGIN {printf "%.0f", r/(d/1e6)}')
  rate_limit=$(awk -v n="$(ms "$(field p99_us "$nginx_rate")")" 'BEGIN {printf "%.2f", 2*n}')
  echo "| at ~$RATE req/s (achieved $rate_w / $rate_n; ${RATE_DURATION}s / 20s): p50 / p99 / p99.9, ms | $(ms "$(field p50_us "$webhook_rate")") / $(ms "$(field p99_us "$webhook_rate")") / $(ms "$(field p999_us "$webhook_rate")") | $(ms "$(field p50_us "$nginx_rate")") / $(ms "$(field p99_us "$nginx_rate")") / $(ms "$(field p999_us "$nginx_rate")") | | p99 ≤ 2× nginx's ($rate_limit ms) | $(verdict "$(ms "$(field p99_us "$webhook_rate")")" "$rate_limit") |"
  hs_limit=$(awk -v n="$nhs_p99" 'BEGIN {printf "%.2f", 1.5*n}')
  echo "| $HANDSHAKE_CONNECTIONS connections, a fresh TLS handshake per request (${HANDSHAKE_DURATION}s): p50 / p99, ms | $hs_p50 / $hs_p99 | $nhs_p50 / $nhs_p99 | | p99 ≤ 1.5× nginx's ($hs_limit ms), no error | $( [[ "$hs_err" == 0 ]] && verdict "$hs_p99" "$hs_limit" || echo "NOT met") |"
  echo "| fresh handshakes: requests/s, errors | $hs_rate, $hs_err of $hs_n | $nhs_rate, $nhs_err of $nhs_n | | | |"
  echo "| start to ready (readiness 200), ms, median of $STARTS: with AOT cache ($aot_mib MiB) | $aot_ms (${aot_starts[*]}) | | | ≤ 1000 ms | $(verdict "$aot_ms" 1000) |"
  echo "| start to ready without the AOT cache, ms, median of $COLD_STARTS | $cold_ms (${cold_starts[*]}) | | | | |"
  echo "| first 1,000 requests after ready ($CONNECTIONS new connections): p50 / p99 / p99.9, ms; errors | $first_p50 / $first_p99 / $first_p999; $first_err | | | p99 ≤ 20 ms | $( [[ "$first_err" == 0 ]] && verdict "$first_p99" 20 || echo "NOT met") |"
  echo "| resident memory after ${RATE_DURATION}s at $RATE req/s, MiB | $rss_after_rate | | | ≤ 150 MiB | $(verdict "$rss_after_rate" 150) |"
  echo "| resident memory after the throughput rounds, MiB | $rss_after_load | $nginx_rss | | | |"
  echo
  echo "Training run (AOT cache recording): ${training_ms} ms."
} | tee "$OUT/results.md"
cp "$WORK/webhook.log" "$OUT/webhook.log" 2>/dev/null || true
