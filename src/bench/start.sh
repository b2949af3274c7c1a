#!/usr/bin/env bash
# make bench-start: start to ready, and where the time goes, so a regression shows which step grew.
#
# The jar laid out as the image runs it (extracted, AOT cache from a training run), standalone, with a given
# certificate, started again and again: on one core with and without the AOT cache, on two cores, and on half a core
# (a cgroup CPU quota, as a 500m limit gives in a cluster) where this machine allows it. For every start: launch to
# readiness 200 and the CPU the process used by then (a shared machine stretches the first, hardly the second). For
# the median one-core start: the webhook's own start-up report (phases, by wall clock and CPU; slowest beans), CPU by
# thread (main, C2 and C1 compilers, GC and VM, the rest), classes from the AOT cache and loaded, JIT compilations,
# collections. Prints one report (also target/bench/start.md).
#
# Knobs (environment): BENCH_STARTS (per configuration, default 5), BENCH_COLD_STARTS (1), BENCH_HALF_STARTS (3),
# plus those of lib.sh. Loopback only; each start is bounded in time.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STARTS=${BENCH_STARTS:-5}
COLD_STARTS=${BENCH_COLD_STARTS:-1}
HALF_STARTS=${BENCH_HALF_STARTS:-3}
REPORT=-Druntimeclass-guard.startup-report=true

# field NAME (a number) of the start-up report in a webhook log; its keys are nested under "startup" in the JSON line
report_line() { grep -m1 '"message":"Start-up: ' "$1" || true; }
report_field() { report_line "$2" | grep -o "\"$1\":[0-9]*" | head -n1 | cut -d: -f2 || true; }
slowest_beans() { report_line "$1" | grep -o '"slowestBeans":"[^"]*"' | head -n1 | cut -d'"' -f4 || true; }
# value of a JVM performance counter in a jcmd PerfCounter.print dump
counter() { awk -F= -v k="$1" '$1 == k {print $2}' "$2"; }

# Runs $1 starts with the remaining arguments as JVM options; one line per start in $WORK/starts-$label:
# "ready_ms cpu_ms threads log". Keeps the JVM's counters of each start beside its log.
starts() {
  local label=$1 count=$2; shift 2
  local i
  : >"$WORK/starts-$label"
  for ((i = 0; i < count; i++)); do
    start_webhook "$WORK/start-$label-$i.log" "$@"
    "$JAVA_HOME/bin/jcmd" "$SERVER_PID" PerfCounter.print >"$WORK/start-$label-$i.counters" 2>/dev/null || true
    echo "$READY_MS $READY_CPU_MS ${READY_THREADS// /,} $WORK/start-$label-$i.log" >>"$WORK/starts-$label"
    stop_webhook
  done
}

# "median (min–max)" of column $2 of the starts of $1
column_median() { awk -v c="$2" '{print $c}' "$WORK/starts-$1" | median; }
column_spread() { awk -v c="$2" '{print $c}' "$WORK/starts-$1" | spread; }
# the line of the start whose ready time is the median
median_start() { sort -n "$WORK/starts-$1" | awk '{l[NR]=$0} END {print l[int((NR+1)/2)]}'; }

start_matrix() {
  local aot="-XX:AOTCache=$WORK/app/runtimeclass-guard.aot"
  log "start to ready: $STARTS on one core with the AOT cache, $COLD_STARTS without, $STARTS on two cores"
  starts one "$STARTS" "$aot" "$REPORT"
  starts cold "$COLD_STARTS" "$REPORT"
  START_CPUS="$SERVER_CPU,$CLIENT_CPU" starts two "$STARTS" "$aot" "$REPORT"
  half_core_cgroup
  if [[ -n "$CPU_CGROUP" ]]; then
    log "start to ready on half a core: $CPU_CGROUP_HOW"
    START_CGROUP="$CPU_CGROUP" starts half "$HALF_STARTS" "$aot" "$REPORT"
    rmdir "$CPU_CGROUP" 2>/dev/null || true
    CPU_CGROUP=""
  else
    log "start to ready on half a core: $CPU_CGROUP_HOW"
  fi
}

# The start table and the breakdown of the median one-core start, as markdown.
start_report() {
  echo "| start to ready (readiness 200), AOT cache ($AOT_MIB MiB) unless said | ms, median (spread) | CPU ms by then, median | target | |"
  echo "| --- | ---: | ---: | --- | --- |"
  local one two
  one=$(column_median one 1) two=$(column_median two 1)
  echo "| one core, $STARTS starts | $one ($(column_spread one 1)) | $(column_median one 2) | ≤ 1500 ms (stretch 1000) | $(verdict "$one" 1500) |"
  echo "| one core, no AOT cache, $COLD_STARTS start(s) | $(column_median cold 1) ($(column_spread cold 1)) | $(column_median cold 2) | | |"
  echo "| two cores, $STARTS starts | $two ($(column_spread two 1)) | $(column_median two 2) | ≤ 800 ms | $(verdict "$two" 800) |"
  if [[ -s "$WORK/starts-half" ]]; then
    echo "| half a core ($CPU_CGROUP_HOW), $HALF_STARTS starts | $(column_median half 1) ($(column_spread half 1)) | $(column_median half 2) | | |"
  else
    echo "| half a core | $CPU_CGROUP_HOW | | | |"
  fi
  echo

  local line ready cpu threads file counters
  read -r ready cpu threads file <<<"$(median_start one)"
  counters="${file%.log}.counters"
  echo "Where the time goes: the median one-core start ($ready ms, $cpu ms of CPU), by the webhook's start-up report."
  echo
  echo "| phase | ends at, ms | took, ms | CPU by its end, ms | CPU in it, ms |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  local phase previous_at=0 previous_cpu=0 at cpu_at
  local -A what=(
    [main]="JVM start to main (AOT cache mapped and its classes loaded)"
    [environment]="environment: configuration, environment post-processors, logging"
    [definitions]="bean definitions: configuration classes, auto-configuration conditions"
    [refresh]="beans created, web servers started"
    [ready]="runners, Spring ready"
    [warm]="warm-up done (readiness may turn up)")
  for phase in main environment definitions refresh ready warm; do
    at=$(report_field "${phase}Ms" "$file") cpu_at=$(report_field "${phase}CpuMs" "$file")
    [[ -n "$at" ]] || continue
    echo "| ${what[$phase]} | $at | $((at - previous_at)) | $cpu_at | $((cpu_at - previous_cpu)) |"
    previous_at=$at previous_cpu=$cpu_at
  done
  echo "| readiness seen by the client (polled every 5 ms) | $ready | $((ready - previous_at)) | $cpu | $((cpu - previous_cpu)) |"
  echo
  echo "- CPU by thread at readiness, ms: ${threads//,/, } (c2, c1: the JIT compilers; gc_vm: the collector and VM thread)"
  if [[ -s "$counters" ]]; then
    echo "- classes: $(counter java.cls.sharedLoadedClasses "$counters") from the AOT cache, $(counter java.cls.loadedClasses "$counters") loaded otherwise;" \
      "JIT: $(counter sun.ci.totalCompiles "$counters") compilations; GC: $(counter sun.gc.collector.0.invocations "$counters") young," \
      "$(counter sun.gc.collector.1.invocations "$counters") full collections"
  fi
  echo "- slowest beans (their own ms, without the beans they needed): $(slowest_beans "$file")"
  echo "- warm-up: $(report_field warmUpMs "$file") ms"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  install_tools
  prepare_layout
  taskset -cp "$CLIENT_CPU" $$ >/dev/null
  start_matrix
  {
    echo "## RuntimeClass Guard start-up"
    echo
    echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%Y-%m-%dT%H:%MZ);" \
      "$(grep -c ^processor /proc/cpuinfo) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -r);" \
      "$("$JAVA" -version 2>&1 | head -n1); load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "JVM: -XX:MaxRAM=$JVM_MEMORY $JVM_OPTIONS; standalone, the bench's certificate; training run ${TRAINING_MS} ms"
    echo
    start_report
  } | tee "$OUT/start.md"
fi
