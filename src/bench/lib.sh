# Shared by the bench scripts (sourced, not run): settings, the jar laid out as the image runs it, and one
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
# The pod's memory limit (chart: 512Mi) and JVM options (chart: javaToolOptions), so heap sizing is the shipped one.
JVM_MEMORY=${BENCH_JVM_MEMORY:-512m}
JVM_OPTIONS=${BENCH_JVM_OPTIONS:-"-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"}
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
# CPU the whole process has used (every thread), in ms.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.0f", ($14 + $15) * 1000 / hz}' "/proc/$1/stat"; }
# CPU by thread group, in ms: "main=… c2=… c1=… gc_vm=… other=…"
thread_cpu_ms() {
  local task
  for task in /proc/"$1"/task/*; do
    printf '%s\t%s\n' "$(cat "$task/comm" 2>/dev/null)" "$(awk '{print $14 + $15}' "$task/stat" 2>/dev/null)"
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
      --server.port=0 --management.server.port=0 >"$WORK/training.log" 2>&1) \
    || { log "training run failed:"; tail -n 30 "$WORK/training.log" >&2; exit 1; }
  TRAINING_MS=$(( $(now_ms) - started ))
  AOT_MIB=$(du -m "$WORK/app/runtimeclass-guard.aot" | cut -f1)

  log "ECDSA P-256 certificate for localhost"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=bench CA" \
    -keyout "$WORK/tls/ca.key" -out "$WORK/tls/ca.crt" -addext basicConstraints=critical,CA:TRUE 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
    -keyout "$WORK/tls/tls.key" -out "$WORK/tls/tls.csr" 2>/dev/null
  openssl x509 -req -in "$WORK/tls/tls.csr" -CA "$WORK/tls/ca.crt" -CAkey "$WORK/tls/ca.key" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') \
    -out "$WORK/tls/server.crt" 2>/dev/null
  cat "$WORK/tls/server.crt" "$WORK/tls/ca.crt" >"$WORK/tls/tls.crt"
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
      --server.port="$PORT" --management.server.port="$MANAGEMENT_PORT" \
      --runtimeclass-guard.tls.certificate="$WORK/tls/tls.crt" \
      --runtimeclass-guard.tls.private-key="$WORK/tls/tls.key" >"$log_file" 2>&1) &
  SERVER_PID=$!
  local deadline=$((started + ${BENCH_START_TIMEOUT_MS:-120000}))
  until curl -fso /dev/null "http://127.0.0.1:$MANAGEMENT_PORT/actuator/health/readiness"; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null || (( $(now_ms) > deadline )); then
      log "the webhook did not become ready; its log:"; tail -n 30 "$log_file" >&2; exit 1
    fi
    sleep 0.005
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
