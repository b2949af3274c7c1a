#!/usr/bin/env bash
# make bench: the webhook side by side with the physical limit of this machine.
#
# Builds the jar, lays it out as the image does (extracted jar + AOT cache from a training run), starts the
# webhook standalone pinned to one core, and drives it from the other core over HTTP/1.1 keep-alive on
# TLS 1.3 with an ECDSA P-256 certificate, with a ~5.5 KB Pod AdmissionReview whose uid changes on every
# request. In the same run the same client drives nginx on the same core, with the same certificate,
# answering the webhook's own answer as a static body. Before the load, the start-up figures of `make bench-start`
# (start.sh). Prints one table and the start-up breakdown (also target/bench/results.md).
#
# Knobs (environment): BENCH_CONNECTIONS, BENCH_WARMUP, BENCH_DURATION, BENCH_ROUNDS, BENCH_RATE,
# BENCH_RATE_DURATION, BENCH_HANDSHAKE_CONNECTIONS, BENCH_HANDSHAKE_DURATION, plus those of start.sh and lib.sh.
# Loopback only; every phase is bounded in time.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/start.sh"

CONNECTIONS=${BENCH_CONNECTIONS:-25}
WARMUP=${BENCH_WARMUP:-15}
DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-3}
RATE=${BENCH_RATE:-1000}
RATE_DURATION=${BENCH_RATE_DURATION:-60}
HANDSHAKE_CONNECTIONS=${BENCH_HANDSHAKE_CONNECTIONS:-100}
HANDSHAKE_DURATION=${BENCH_HANDSHAKE_DURATION:-10}
BODY="$ROOT/src/bench/pod-create-5k.mutate.json"
LUA="$ROOT/src/bench/admission-review.lua"

trap cleanup EXIT
trap 'exit 130' INT TERM

ms() { awk -v us="$1" 'BEGIN {printf "%.2f", us/1000}'; }
# "a/b" as a multiple, and b times a factor
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN {if (b+0 > 0 && a != "-") printf "%.1f×", a/b}'; }
times_of() { awk -v f="$1" -v b="$2" 'BEGIN {printf "%.2f", f*b}'; }

# hey sends the Host header as TLS server name; "127.0.0.1:port" is not a valid one, so both servers get "localhost".
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
prepare_layout
mkdir -p "$WORK/nginx"
# The client side (curl, wrk, hey) runs on the client core from here on.
taskset -cp "$CLIENT_CPU" $$ >/dev/null

start_matrix
log "one more start on one core with the AOT cache, for the first requests, the load and the memory"
start_webhook "$WORK/webhook.log" -XX:AOTCache="$WORK/app/runtimeclass-guard.aot"
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
pss_after_rate=$(pss_mib "$SERVER_PID")
anon_after_rate=$(anon_mib "$SERVER_PID")
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
# The same rate again, now that the JIT has compiled the request path: right after readiness the C2 compiler is still
# at it for a minute or more (measured: 1,050 C2 compilations after readiness, 408 before), on the core that serves.
log "$RATE requests/s for ${RATE_DURATION}s on the warm webhook"
webhook_rate_warm=$(run_wrk "$WEBHOOK_URL" "$RATE_DURATION" "$RATE")
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
  nginx_rate_p99=$(ms "$(field p99_us "$nginx_rate")")
  nginx_rate_line="$(ms "$(field p50_us "$nginx_rate")") / $nginx_rate_p99 / $(ms "$(field p999_us "$nginx_rate")")"
  rate_row() {
    local label=$1 line=$2 p99
    p99=$(ms "$(field p99_us "$line")")
    echo "| at ~$RATE req/s, $label (achieved $(throughput "$line") / $(throughput "$nginx_rate"); ${RATE_DURATION}s / 20s): p50 / p99 / p99.9, ms | $(ms "$(field p50_us "$line")") / $p99 / $(ms "$(field p999_us "$line")") | $nginx_rate_line | $(ratio_of "$p99" "$nginx_rate_p99") | p99 ≤ 2× nginx's | $(verdict "$p99" "$(times_of 2 "$nginx_rate_p99")") |"
  }
  rate_row "fresh webhook (right after the first 1,000)" "$webhook_rate"
  rate_row "warm webhook (after the throughput rounds)" "$webhook_rate_warm"
  echo "| $HANDSHAKE_CONNECTIONS connections, a fresh TLS handshake per request (${HANDSHAKE_DURATION}s): p50 / p99, ms | $hs_p50 / $hs_p99 | $nhs_p50 / $nhs_p99 | $(ratio_of "$hs_p99" "$nhs_p99") | p99 ≤ 1.5× nginx's, no error | $( [[ "$hs_err" == 0 ]] && verdict "$hs_p99" "$(times_of 1.5 "$nhs_p99")" || echo "NOT met") |"
  echo "| fresh handshakes: requests/s, errors | $hs_rate, $hs_err of $hs_n | $nhs_rate, $nhs_err of $nhs_n | | | |"
  echo "| first 1,000 requests after ready ($CONNECTIONS new connections): p50 / p99 / p99.9, ms; errors | $first_p50 / $first_p99 / $first_p999; $first_err | | | p99 ≤ 20 ms | $( [[ "$first_err" == 0 ]] && verdict "$first_p99" 20 || echo "NOT met") |"
  echo "| resident memory after ${RATE_DURATION}s at $RATE req/s, MiB: RSS (PSS; anonymous) | $rss_after_rate ($pss_after_rate; $anon_after_rate) | | | RSS ≤ 150 MiB | $(verdict "$rss_after_rate" 150) |"
  echo "| resident memory after the throughput rounds, MiB | $rss_after_load | $nginx_rss | | | |"
  echo
  start_report
  echo
  echo "Training run (AOT cache recording): ${TRAINING_MS} ms."
} | tee "$OUT/results.md"
cp "$WORK/webhook.log" "$OUT/webhook.log" 2>/dev/null || true
