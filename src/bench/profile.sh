#!/usr/bin/env bash
# make bench-profile: where the CPU goes in each window `make bench` measures, by async-profiler (CPU samples every
# millisecond, every thread, JIT compilers and the JVM's own C++ included; from Maven Central, pinned in the Makefile).
#
# The jar laid out as the image runs it (extracted, AOT cache from a training run), on one core as in `make bench`,
# profiled in four windows of one run: launch to readiness; the first 1,000 requests right after it (25 new
# connections); PROFILE_RATE_SECONDS at 1,000 requests/s; PROFILE_LOAD_SECONDS of saturating load. For each window:
# CPU by thread group, where the busiest thread's CPU goes by code area, and its hottest frames, in
# target/bench/profile.md, plus a flame graph per window (target/bench/profile-<window>.html) to open in a browser.
#
# Knobs (environment): ASYNC_PROFILER (the library; default: fetched by the Makefile), PROFILE_EVENT (cpu: perf
# events; itimer or ctimer where perf events are not allowed), PROFILE_RATE_SECONDS, PROFILE_LOAD_SECONDS, plus those
# of lib.sh. Loopback only; every phase is bounded in time.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LIBRARY=${ASYNC_PROFILER:?set ASYNC_PROFILER to libasyncProfiler.so (make bench-profile fetches it)}
EVENT=${PROFILE_EVENT:-cpu}
RATE_SECONDS=${PROFILE_RATE_SECONDS:-30}
LOAD_SECONDS=${PROFILE_LOAD_SECONDS:-20}
CONNECTIONS=25
BODY="$ROOT/src/bench/pod-create-5k.mutate.json"
LUA="$ROOT/src/bench/admission-review.lua"
SAMPLING="event=$EVENT,interval=1000000,threads"
REPORT="$OUT/profile.md"

trap cleanup EXIT
trap 'exit 130' INT TERM

# async-profiler command through the JVM's attach interface (jcmd quotes it whole: it holds '=' and ',')
profiler() { "$JAVA_HOME/bin/jcmd" "$SERVER_PID" JVMTI.agent_load "$LIBRARY" "\"$1\"" >/dev/null; }
# Ends window $1: its samples as collapsed stacks (for the report) and as a flame graph.
end_window() {
  profiler "dump,file=$WORK/$1.collapsed,collapsed"
  profiler "stop,file=$OUT/profile-$1.html,title=RuntimeClass Guard: $1"
}

# Milliseconds of CPU (one sample per ms) by thread group in collapsed stacks: "main=… c2=… …"
by_thread() {
  awk '{
      n = $NF; thread = $1
      sub(/^\[/, "", thread)
      group = "other"
      if (thread ~ /^(DestroyJavaVM|main|java)$/) group = "main"
      else if (thread ~ /^C2/) group = "c2"
      else if (thread ~ /^C1/) group = "c1"
      else if (thread ~ /^admission-io/) group = "admission_io"
      else if (thread ~ /^warm-up/) group = "warm_up"
      else if (thread ~ /^reactor-http/) group = "management_io"
      else if (thread ~ /^(VM|GC)/) group = "gc_vm"
      ms[group] += n; total += n
    }
    END {
      split("main admission_io warm_up c2 c1 gc_vm management_io other", order, " ")
      printf "%d ms:", total
      for (i = 1; i <= 8; i++) if (ms[order[i]]) printf " %s=%d", order[i], ms[order[i]]
      print ""
    }' "$1"
}

# The stacks of one thread group (a regular expression on the thread's name)
stacks_of() { grep -E "^\[($2)[^;]*;" "$1" || true; }

# Where a thread's CPU goes, by the code area of each sample's innermost frame: compiled or interpreted Java by its
# top-level package, the JVM's own C++ (class loading, linking, the interpreter's runtime calls), the JIT-generated
# stubs, native libraries (BoringSSL, libc) and the kernel. Percent of the thread's samples.
by_area() {
  awk '{
      n = $NF; line = $0; sub(/ [0-9]+$/, "", line)
      k = split(line, frames, ";"); leaf = frames[k]
      if (leaf ~ /_\[k\]$/) area = "kernel"
      else if (leaf ~ /^(Interpreter|L+\(|L*I*\(0x)/ || leaf ~ /^[A-Z]+\(0x/) area = "interpreter and stubs"
      else if (leaf ~ /::/) area = "JVM runtime (C++: class loading, linking, resolution, GC barriers)"
      else if (leaf ~ /\//) { split(leaf, parts, "/"); area = "Java " parts[1] "." parts[2] (parts[3] ~ /^[a-z]/ ? "." parts[3] : "") }
      else area = "native libraries (" (leaf ~ /(ssl|SSL|ecp_|x25519|fiat_|sha|aes|gcm|CRYPTO|EVP)/ ? "BoringSSL and " : "") "libc, libjvm stubs)"
      sum[area] += n; total += n
    }
    END { for (a in sum) printf "%d\t%.0f%%\t%s\n", sum[a], 100 * sum[a] / total, a }' "$1" | sort -rn | first 12 | cut -f2-
}

# The first $1 lines (reading all of them: head would end the pipeline early, which pipefail reports as a failure)
first() { awk -v n="$1" 'NR <= n'; }

# The hottest frames of a thread group, each counted once per sample it is on (inclusive), leaving out those on
# nearly every sample (thread roots, event loop plumbing) and the bean factory's and reflection's own frames, which
# sit under every bean: what the time is spent doing.
hottest() {
  awk '{
      n = $NF; line = $0; sub(/ [0-9]+$/, "", line)
      k = split(line, frames, ";"); delete seen
      for (i = 2; i <= k; i++) {
        f = frames[i]
        if (f ~ /^(org\/springframework\/beans\/factory\/support\/|java\/lang\/reflect\/|java\/lang\/invoke\/|jdk\/internal\/reflect\/)/) continue
        if (!(f in seen)) { seen[f] = 1; inclusive[f] += n }
      }
      total += n
    }
    END { for (f in inclusive) if (inclusive[f] < 0.6 * total) printf "%d\t%.0f%%\t%s\n", inclusive[f], 100 * inclusive[f] / total, f }' "$1" \
    | sort -rn | first "$2" | cut -f2-
}

window_report() {
  local window=$1 title=$2 busiest=$3 busiest_name=$4
  local stacks="$WORK/$window.collapsed" thread="$WORK/$window.thread"
  [[ -s "$stacks" ]] || { echo "### $title"; echo; echo "no samples (is PROFILE_EVENT=$EVENT allowed here?)"; echo; return; }
  stacks_of "$stacks" "$busiest" >"$thread"
  echo "### $title"
  echo
  echo "- CPU by thread: $(by_thread "$stacks")"
  echo "- flame graph: target/bench/profile-$window.html"
  echo
  echo "$busiest_name by code area (innermost frame):"
  echo
  echo '```'
  by_area "$thread"
  echo '```'
  echo
  echo "$busiest_name, hottest frames (inclusive):"
  echo
  echo '```'
  hottest "$thread" 25
  echo '```'
  echo
}

install_tools
prepare_layout
taskset -cp "$CLIENT_CPU" $$ >/dev/null

log "profiling: launch to readiness, one core, AOT cache"
start_webhook "$WORK/webhook.log" -XX:AOTCache="$WORK/app/runtimeclass-guard.aot" \
  "-agentpath:$LIBRARY=start,$SAMPLING"
end_window start
start_ms=$READY_MS start_cpu=$READY_CPU_MS

log "profiling: the first 1,000 requests"
profiler "start,$SAMPLING"
taskset -c "$CLIENT_CPU" hey -cpus 1 -host localhost -m POST -T application/json -D "$BODY" -t 5 -n 1000 \
  -c "$CONNECTIONS" "https://127.0.0.1:$PORT/mutate?timeout=5s" >"$WORK/first.txt" 2>&1 || true
end_window first

log "profiling: $RATE_SECONDS s at 1,000 requests/s"
profiler "start,$SAMPLING"
run_wrk "https://127.0.0.1:$PORT/mutate?timeout=5s" "$RATE_SECONDS" 1000 >"$WORK/rate.txt"
end_window rate

log "profiling: $LOAD_SECONDS s of saturating load"
profiler "start,$SAMPLING"
run_wrk "https://127.0.0.1:$PORT/mutate?timeout=5s" "$LOAD_SECONDS" >"$WORK/load.txt"
end_window load
stop_webhook

{
  echo "## Where the CPU goes (async-profiler, $EVENT samples every 1 ms)"
  echo
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%FT%RZ); $(getconf _NPROCESSORS_ONLN) cores, server on core $SERVER_CPU;" \
    "$("$JAVA" -version 2>&1 | first 1); JVM: $JVM_OPTIONS; AOT cache $AOT_MIB MiB"
  echo
  echo "Launch to readiness $start_ms ms, $start_cpu ms of CPU (the profiler adds a little)."
  echo "First 1,000 requests: $(awk '/Requests\/sec/ {printf "%s req/s", $2} /^  50% in/ {printf ", p50 %.1f ms", $3*1000} /^  99% in/ {printf ", p99 %.1f ms", $3*1000}' "$WORK/first.txt")."
  echo "At 1,000 requests/s: $(sed 's/^BENCH //' "$WORK/rate.txt"). Saturating: $(sed 's/^BENCH //' "$WORK/load.txt")."
  echo
  window_report start "Launch to readiness" "DestroyJavaVM|main|java" "The main thread"
  window_report first "The first 1,000 requests" "admission-io" "The admission event loop"
  window_report rate "$RATE_SECONDS s at 1,000 requests/s" "admission-io" "The admission event loop"
  window_report load "$LOAD_SECONDS s of saturating load" "admission-io" "The admission event loop"
} | tee "$REPORT"
