# Shared by the bench scripts and src/soak/soak.sh (sourced, not run): settings, the jar laid out as the image runs it, and one
# webhook start measured from launch to readiness.
#
# Knobs (environment): BENCH_SKIP_BUILD=1, BENCH_SERVER_CPU, BENCH_CLIENT_CPU, BENCH_PORT_BASE, BENCH_JVM_MEMORY.

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)

JAVA_HOME=${JAVA_HOME:-$(ls -d /usr/lib/jvm/temurin-25-jdk* /usr/lib/jvm/java-25-openjdk* 2>/dev/null | head -n1 || true)}
JAVA="$JAVA_HOME/bin/java"
SERVER_CPU=${BENCH_SERVER_CPU:-1}
CLIENT_CPU=${BENCH_CLIENT_CPU:-0}
PORT_BASE=${BENCH_PORT_BASE:-28440}
PORT=$((PORT_BASE + 3))
MANAGEMENT_PORT=$((PORT_BASE + 0))
NGINX_PORT=$((PORT_BASE + 4))
# The JVM as a Pod runs it: the image's options file, the chart's sizes (javaToolOptions) and memory limit (as the
# memory the JVM sees), and the image's malloc setting.
chart_values="$ROOT/helm/runtimeclass-guard/values.yaml"
JVM_MEMORY=${BENCH_JVM_MEMORY:-$(awk '/^resources:/ {r=1} r && /^  limits:/ {l=1} r && l && /^    memory:/ {print $2; exit}' \
  "$chart_values" | sed 's/Mi$/m/; s/Gi$/g/')}
JVM_OPTIONS=${BENCH_JVM_OPTIONS:-"@$ROOT/src/main/jvm/jvm.options $(sed -n 's/^javaToolOptions: *"\(.*\)"$/\1/p' "$chart_values")"}
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-$(sed -n 's/^ENV MALLOC_ARENA_MAX=//p' "$ROOT/Dockerfile")}
OUT="$ROOT/target/bench"

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{v[NR]=$1} END {if (NR==0) print ""; else print v[int((NR+1)/2)]}'; }
# "min–max" of the numbers on stdin
spread() { sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {if (NR) printf "%s–%s", lo, hi}'; }
verdict() { awk -v v="$1" -v lim="$2" 'BEGIN {print (v != "" && v != "-" && v+0 <= lim+0) ? "met" : "NOT met"}'; }
rss_mib() { awk '/^VmRSS:/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
# Proportional set size: shared pages (the AOT cache is a file mapping) count once among the processes mapping them.
pss_mib() { awk '/^Pss:/ {printf "%.0f", $2/1024}' "/proc/$1/smaps_rollup"; }
# Resident memory that no file backs (heap, JIT code, the AOT cache's written pages, malloc): what a memory limit
# cannot reclaim. The rest of RSS is clean file pages (the AOT cache's read-only part, the JVM's libraries).
anon_mib() { awk '/^RssAnon:/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
# CPU the whole process has used (every thread), in ms.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.0f", ($14 + $15) * 1000 / hz}' "/proc/$1/stat"; }
# CPU by thread group, in ms: "main=… c2=… c1=… gc_vm=… other=…"
thread_cpu_ms() {
  local task
  for task in /proc/"$1"/task/*; do
    # utime and stime, counted after the ")" that ends the thread's name, which may hold spaces ("C2 CompilerThre")
    printf '%s\t%s\n' "$(cat "$task/comm" 2>/dev/null)" "$(sed 's/.*) //' "$task/stat" 2>/dev/null | awk '{print $12 + $13}')"
  done | awk -F'\t' -v hz="$(getconf CLK_TCK)" '
    $1 == "java" {g = "main"} $1 ~ /^C2 / {g = "c2"} $1 ~ /^C1 / {g = "c1"}
    $1 ~ /^(VM Thread|GC Thread|G1 |VM Periodic)/ {g = "gc_vm"}
    $1 != "java" && $1 !~ /^(C1 |C2 |VM Thread|GC Thread|G1 |VM Periodic)/ {g = "other"}
    {ms[g] += $2 * 1000 / hz}
    END {printf "main=%d c2=%d c1=%d gc_vm=%d other=%d", ms["main"], ms["c2"], ms["c1"], ms["gc_vm"], ms["other"]}'
}

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
  # Installing nginx may start its service; the bench runs its own instance.
  systemctl disable --now nginx >/dev/null 2>&1 || true
}

WORK=""
SERVER_PID=""
NGINX_PID=""
CPU_CGROUP=""
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  [[ -n "$NGINX_PID" ]] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null || true
  [[ -n "$CPU_CGROUP" ]] && rmdir "$CPU_CGROUP" 2>/dev/null || true
  [[ -n "$WORK" && "${BENCH_KEEP:-0}" != 1 ]] && rm -rf "$WORK"
  return 0
}

# Builds the jar unless BENCH_SKIP_BUILD=1, then lays it out as the image does in $WORK/app: extracted, with the AOT
# cache a training run records. Sets WORK, TRAINING_MS and AOT_MIB.
prepare_layout() {
  mkdir -p "$OUT"
  if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    log "building the jar (make package)"
    make -s package >/dev/null
  fi
  [[ -f target/runtimeclass-guard.jar ]] || { log "target/runtimeclass-guard.jar is missing"; exit 1; }
  WORK=$(mktemp -d /tmp/runtimeclass-guard-bench.XXXXXX)
  mkdir -p "$WORK/tmp" "$WORK/tls" "$WORK/run" "$WORK/training"
  cp -r policies "$WORK/run/" && cp -r policies "$WORK/training/"

  log "laying out the jar as the image does: extract, then a training run records the AOT cache"
  "$JAVA" -Djarmode=tools -jar target/runtimeclass-guard.jar extract --destination "$WORK/app" >/dev/null
  local started
  started=$(now_ms)
  # As the image build does it: not pinned. -XX:MaxRAM keeps the same collector as the pinned runs.
  (cd "$WORK/training" && taskset -c "$SERVER_CPU,$CLIENT_CPU" "$JAVA" -XX:MaxRAM="$JVM_MEMORY" $JVM_OPTIONS \
      -XX:AOTCacheOutput="$WORK/app/runtimeclass-guard.aot" -Djava.io.tmpdir="$WORK/tmp" \
      -jar "$WORK/app/runtimeclass-guard.jar" --runtimeclass-guard.training-run=true \
      --runtimeclass-guard.admission.port=0 --server.port=0 >"$WORK/training.log" 2>&1) \
    || { log "training run failed:"; tail -n 30 "$WORK/training.log" >&2; exit 1; }
  TRAINING_MS=$(( $(now_ms) - started ))
  AOT_MIB=$(du -m "$WORK/app/runtimeclass-guard.aot" | cut -f1)

  log "ECDSA P-256 certificate for localhost"
  bench_certificate "$WORK/tls"
}

# A cgroup that holds a process to half a CPU, as a Pod's 500m limit does (CFS bandwidth: 50 ms per 100 ms).
# cgroup v2's cpu.max where this machine delegates the cpu controller to v2, else cgroup v1's cfs quota. Sets
# CPU_CGROUP (cgroup.procs to write a pid into) and CPU_CGROUP_HOW, or leaves CPU_CGROUP empty and says why in
# CPU_CGROUP_HOW.
half_core_cgroup() {
  local name="runtimeclass-guard-bench-$$" v2="" mount
  CPU_CGROUP="" CPU_CGROUP_HOW=""
  for mount in /sys/fs/cgroup /sys/fs/cgroup/unified; do
    [[ "$(stat -fc %T "$mount" 2>/dev/null)" == cgroup2fs ]] && { v2=$mount; break; }
  done
  if [[ -n "$v2" ]] && grep -qw cpu "$v2/cgroup.controllers" 2>/dev/null; then
    if { grep -qw cpu "$v2/cgroup.subtree_control" || echo +cpu >"$v2/cgroup.subtree_control"; } 2>/dev/null \
        && mkdir "$v2/$name" 2>/dev/null && echo "50000 100000" >"$v2/$name/cpu.max" 2>/dev/null; then
      CPU_CGROUP="$v2/$name" CPU_CGROUP_HOW="cgroup v2 cpu.max 50000 100000"
      return
    fi
    rmdir "$v2/$name" 2>/dev/null
  fi
  local why_v2="cgroup v2 has no cpu controller here${v2:+ ($v2/cgroup.controllers: $(tr '\n' ' ' <"$v2/cgroup.controllers"))}"
  [[ -n "$v2" ]] || why_v2="no cgroup v2 hierarchy"
  local v1=/sys/fs/cgroup/cpu
  if [[ -f "$v1/cpu.cfs_quota_us" ]] && mkdir "$v1/$name" 2>/dev/null \
      && echo 100000 >"$v1/$name/cpu.cfs_period_us" && echo 50000 >"$v1/$name/cpu.cfs_quota_us"; then
    CPU_CGROUP="$v1/$name" CPU_CGROUP_HOW="cgroup v1 cpu.cfs_quota_us 50000 per 100000 ($why_v2; the same CFS bandwidth limit)"
    return
  fi
  rmdir "$v1/$name" 2>/dev/null
  CPU_CGROUP_HOW="not measured: $why_v2, and no writable cgroup v1 cpu controller (needs root and a writable /sys/fs/cgroup)"
}

# Readiness is polled every 5 ms without starting a process. Measured on this machine's client core: a curl and a
# `sleep 0.005` per poll managed one poll every 34 ms and took 47% of the core, which a start on both cores shares;
# bash's /dev/tcp and a read that times out on a FIFO (both builtins) poll every 5.3 ms for 2.6% of it.
readiness_up() {
  local fd status=""
  { exec {fd}<>"/dev/tcp/127.0.0.1/$MANAGEMENT_PORT"; } 2>/dev/null || return 1
  printf 'GET /actuator/health/readiness HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&"$fd"
  read -r -t 2 -u "$fd" _ status _ || true
  exec {fd}<&-
  [[ "$status" == 200 ]]
}
PAUSE_FD=""
pause_5ms() {
  if [[ -z "$PAUSE_FD" ]]; then
    local fifo="$WORK/tmp/pause.fifo"
    [[ -p "$fifo" ]] || mkfifo "$fifo"
    exec {PAUSE_FD}<>"$fifo"
  fi
  read -r -t 0.005 -u "$PAUSE_FD" _ || true
}

# Starts the webhook with the given extra JVM options, pinned to the CPUs in START_CPUS (default SERVER_CPU) and
# inside START_CGROUP when set. Sets SERVER_PID; READY_MS (launch to readiness 200), READY_CPU_MS (the process's CPU by
# then) and READY_THREADS (the same by thread group).
READY_MS="" READY_CPU_MS="" READY_THREADS=""
start_webhook() {
  local log_file=$1; shift
  local started ready cpus=${START_CPUS:-$SERVER_CPU} cgroup=${START_CGROUP:-}
  started=$(now_ms)
  (cd "$WORK/run" && { [[ -z "$cgroup" ]] || echo "$BASHPID" >"$cgroup/cgroup.procs"; } \
      && exec taskset -c "$cpus" "$JAVA" -XX:MaxRAM="$JVM_MEMORY" $JVM_OPTIONS "$@" \
      -Djava.io.tmpdir="$WORK/tmp" -XX:ErrorFile="$WORK/tmp/hs_err_pid%p.log" \
      -jar "$WORK/app/runtimeclass-guard.jar" \
      --runtimeclass-guard.admission.port="$PORT" --server.port="$MANAGEMENT_PORT" \
      --runtimeclass-guard.tls.certificate="$WORK/tls/tls.crt" \
      --runtimeclass-guard.tls.private-key="$WORK/tls/tls.key" >"$log_file" 2>&1) &
  SERVER_PID=$!
  local deadline=$((started + ${BENCH_START_TIMEOUT_MS:-120000}))
  until readiness_up; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null || (( $(now_ms) > deadline )); then
      log "the webhook did not become ready; its log:"; tail -n 30 "$log_file" >&2; exit 1
    fi
    pause_5ms
  done
  ready=$(now_ms)
  READY_MS=$((ready - started))
  READY_CPU_MS=$(cpu_ms "$SERVER_PID")
  READY_THREADS=$(thread_cpu_ms "$SERVER_PID")
}

stop_webhook() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# The load side, shared by bench.sh and ab.sh. They read the caller's BODY (the AdmissionReview file), LUA (the wrk
# script), CONNECTIONS and WORK (a scratch folder).

# wrk against a URL for a duration; prints its BENCH line. A third argument paces it to that many requests/s.
run_wrk() {
  local url=$1 seconds=$2 rate=${3:-0}
  BENCH_BODY="$BODY" BENCH_RATE="$rate" BENCH_CONNECTIONS="$CONNECTIONS" \
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s -s "$LUA" "$url" \
    | grep '^BENCH '
}

# hey -z DURATION (its summary counts failed requests, which its CSV leaves out); prints
# "requests errors p50_ms p99_ms rate". hey sends the Host header as TLS server name; "127.0.0.1:port" is not a
# valid one, so every server gets "localhost".
run_hey_summary() {
  local summary="$WORK/hey.txt"
  taskset -c "$CLIENT_CPU" hey -cpus 1 -host localhost -m POST -T application/json -A 'application/json, */*' -D "$BODY" \
    -t 5 "$@" >"$summary" 2>&1 || true
  awk '
    /Requests\/sec:/ {rate=$2}
    /^  50% in/ {p50=$3*1000} /^  99% in/ {p99=$3*1000}
    /Status code distribution:/ {section="status"; next}
    /Error distribution:/ {section="error"; next}
    section=="status" && /^  \[[0-9]+\]/ {n+=$2; code=substr($1,2,3); if (code != "200") e+=$2}
    section=="error" && /^  \[[0-9]+\]/ {c=$1; gsub(/[\[\]]/, "", c); n+=c; e+=c}
    END {printf "%d %d %s %s %.0f\n", n, e+0, (p50=="" ? "-" : sprintf("%.2f", p50)), (p99=="" ? "-" : sprintf("%.2f", p99)), rate}' "$summary"
}

# field NAME from a "BENCH k=v ..." line
field() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1==k {print $2}'; }

# An ECDSA P-256 CA and a certificate for localhost it signed, in DIR: ca.crt, tls.crt (with the CA), tls.key.
bench_certificate() {
  local dir=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=bench CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" -addext basicConstraints=critical,CA:TRUE 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
    -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
  openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') \
    -out "$dir/server.crt" 2>/dev/null
  cat "$dir/server.crt" "$dir/ca.crt" >"$dir/tls.crt"
}

# start_nginx DIR PORT TLS_DIR ANSWER: nginx on SERVER_CPU, one worker, answering POST /mutate with the file ANSWER,
# its configuration and scratch files in DIR; sets NGINX_PID and waits until it answers.
start_nginx() {
  local dir=$1 port=$2 tls=$3 answer=$4
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 75s;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $tls/tls.crt;
    ssl_certificate_key $tls/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 3m;
    location = /mutate {
      default_type application/json;
      return 200 '$(sed "s/[\\\\']/\\\\&/g" "$answer")';
    }
  }
}
CONF
  taskset -c "$SERVER_CPU" /usr/sbin/nginx -c "$dir/nginx.conf" -e "$dir/error.log" &
  NGINX_PID=$!
  for _ in $(seq 100); do
    curl -ksfo /dev/null -d '{}' -H 'Content-Type: application/json' "https://127.0.0.1:$port/mutate" && return 0
    sleep 0.05
  done
}
