# RuntimeClass Guard. `make help` lists the targets.
# The machine's default java may be older than the JDK 25 this project needs: find one under /usr/lib/jvm.
JAVA_HOME ?= $(firstword $(wildcard /usr/lib/jvm/temurin-25-jdk* /usr/lib/jvm/java-25-openjdk* /usr/lib/jvm/jdk-25*))
export JAVA_HOME
MVN ?= ./mvnw -B -ntp
JAR ?= target/runtimeclass-guard.jar
IMAGE ?= runtimeclass-guard:dev
# A folder with kube-apiserver, etcd and kubectl, for make e2e; binaries are never committed.
KUBE_BIN ?=

.DEFAULT_GOAL := help
.PHONY: help run test package e2e

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: package ## Run the webhook standalone: policies/ plus a self-signed certificate on https://localhost:8443
	"$(JAVA_HOME)/bin/java" -jar $(JAR)

test: ## Run the full test suite
	$(MVN) verify

e2e: ## End-to-end suite against a local kube-apiserver and etcd from KUBE_BIN (skipped, saying so, without it)
	KUBE_BIN="$(KUBE_BIN)" $(MVN) test -Pe2e

package: ## Build the executable jar (tests skipped)
	$(MVN) -DskipTests package
