#!/usr/bin/env bash
# make bench-audit-report: audit-report on a multi-GB audit log with a small heap.
#
# Generates (once) a log of AUDIT_BENCH_GB GiB from the real audit log of a v1.35 apiserver
# (src/bench/AuditLogGenerator.java: new auditIDs, shifted timestamps, per-copy object names and users), and a
# gzip copy of it, outside the repository. Then reads it with `audit-report` from the built jar as a plain file,
# as a .gz file and from stdin, each with -Xmx$AUDIT_BENCH_HEAP, and once more with a quarter of that heap.
# Prints, per run: wall and CPU time (user + system, all threads, JVM start included), throughput in MiB/s of
# uncompressed log for both, peak RSS, and the peak heap in use as the GC log shows it. On a shared machine the
# wall time moves with the load; the CPU time much less. Table also in target/bench/audit-report.md.
#
# Knobs (environment): AUDIT_BENCH_DIR (default /tmp/rcg-audit-bench), AUDIT_BENCH_GB (default 3),
# AUDIT_BENCH_HEAP (default 64m), BENCH_SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

JAVA_HOME=${JAVA_HOME:-$( (ls -d /usr/lib/jvm/temurin-25-jdk* /usr/lib/jvm/java-25-openjdk* 2>/dev/null || true) | head -n1)}
JAVA="$JAVA_HOME/bin/java"
DIR=${AUDIT_BENCH_DIR:-/tmp/rcg-audit-bench}
GB=${AUDIT_BENCH_GB:-3}
HEAP=${AUDIT_BENCH_HEAP:-64m}
SMALL_HEAP=$(( ${HEAP%m} / 4 ))m
JAR="$ROOT/target/runtimeclass-guard.jar"
FIXTURE="$ROOT/src/test/resources/kube-apiserver-1.35/audit-log-real.jsonl"
OUT="$ROOT/target/bench"
LOG="$DIR/audit-$GB-GiB.log"
mkdir -p "$DIR" "$OUT"

if [[ -z "${BENCH_SKIP_BUILD:-}" ]]; then
  ./mvnw -B -ntp -q -DskipTests package
fi
if [[ ! -s "$LOG" ]]; then
  echo "generating $LOG"
  nice "$JAVA" "$ROOT/src/bench/AuditLogGenerator.java" "$FIXTURE" "$LOG.partial" "$GB"
  mv "$LOG.partial" "$LOG"
fi
if [[ ! -s "$LOG.gz" ]]; then
  echo "compressing $LOG.gz"
  nice gzip -1 -c "$LOG" > "$LOG.gz.partial"
  mv "$LOG.gz.partial" "$LOG.gz"
fi
BYTES=$(stat -c %s "$LOG")
# A copy, so a build during the runs cannot change the jar under them.
cp "$JAR" "$DIR/runtimeclass-guard.jar"
JAR="$DIR/runtimeclass-guard.jar"

# One run: label, heap, then the audit-report arguments; the input may come on stdin.
measure() {
  local label=$1 heap=$2
  shift 2
  local gc="$OUT/audit-report-gc-${label// /-}.log"
  local timing="$OUT/audit-report-time-${label// /-}.txt"
  /usr/bin/time -f "%e %U %S %M" -o "$timing" "$JAVA" "-Xmx$heap" "-Xlog:gc:file=$gc" -jar "$JAR" audit-report "$@" \
    > "$OUT/audit-report-${label// /-}.txt"
  read -r seconds user system rss_kb < "$timing"
  # G1 logs "Pause Young (...) 41M->6M(64M)": the left number is the heap in use when the collection began.
  local peak_heap
  peak_heap=$(grep -oE '[0-9]+M->[0-9]+M' "$gc" | cut -dM -f1 | sort -n | tail -n1)
  awk -v label="$label" -v heap="$heap" -v s="$seconds" -v cpu="$(awk -v u="$user" -v y="$system" 'BEGIN { print u + y }')" \
    -v bytes="$BYTES" -v rss="$rss_kb" -v peak="${peak_heap:-?}" \
    'BEGIN { printf "| %s | -Xmx%s | %.1f s | %.1f s | %.0f MiB/s | %.0f MiB/s | %d MiB | %s MiB |\n",
             label, heap, s, cpu, bytes / 1048576 / s, bytes / 1048576 / cpu, rss / 1024, peak }'
}

{
  echo "audit-report on $(numfmt --to=iec-i --suffix=B "$BYTES") of audit log ($(wc -l < "$LOG") events; gzip copy $(numfmt --to=iec-i --suffix=B "$(stat -c %s "$LOG.gz")")), $(nproc) CPUs"
  echo
  echo "| input | heap | wall time | CPU time | MiB/s (wall) | MiB/s (per CPU second) | peak RSS | peak heap in use |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  measure "plain file" "$HEAP" "$LOG"
  measure "gzip file" "$HEAP" "$LOG.gz"
  measure "stdin" "$HEAP" - < "$LOG"
  measure "plain file small heap" "$SMALL_HEAP" "$LOG"
} | tee "$OUT/audit-report.md"
echo
echo "The report of the plain run (target/bench/audit-report-plain-file.txt):"
head -n 12 "$OUT/audit-report-plain-file.txt"
