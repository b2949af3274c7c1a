# syntax=docker/dockerfile:1.7
# RuntimeClass Guard image: `make image`, or `docker build -t runtimeclass-guard:dev .`
#
#   build     compiles the jar with the Maven Wrapper (Maven's repository in a cache mount), with the
#             bean definitions Spring's build-time processing generates, and unpacks it into a plain
#             class path: /app/runtimeclass-guard.jar + /app/lib/*.jar
#   training  runs the webhook once against itself (real AdmissionReviews over HTTPS) and records an
#             AOT cache of the classes it loaded and linked, so a new replica is ready sooner
#   runtime   JRE only, non-root uid/gid 10001, nothing written outside /tmp (read-only root FS)

# Pinned releases. training and runtime must use the same image: an AOT cache only loads on the JVM
# build that wrote it.
ARG JDK_IMAGE=eclipse-temurin:25.0.3_9-jdk-noble
ARG JRE_IMAGE=eclipse-temurin:25.0.3_9-jre-noble

FROM ${JDK_IMAGE} AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY src/ src/
# The shipped policies are also the standalone mode's defaults: the build's Spring AOT processing starts the
# webhook over them, and the tests read them.
COPY policies/ policies/
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -ntp -DskipTests package
# A fat jar loads its libraries through Spring Boot's own class loader, which the AOT cache cannot
# record; the extracted layout keeps `java -jar` and puts every library on the plain class path.
RUN java -Djarmode=tools -jar target/runtimeclass-guard.jar extract --destination /app \
    && cp src/main/jvm/jvm.options /app/jvm.options

FROM ${JRE_IMAGE} AS training
COPY --from=build /app/ /app/
# Standalone mode reads the shipped policies, the same files the chart installs.
WORKDIR /training
COPY policies/ policies/
# With the runtime's JVM options: the cache only loads under the same collector.
RUN java @/app/jvm.options -XX:AOTCacheOutput=/app/runtimeclass-guard.aot \
        -jar /app/runtimeclass-guard.jar --runtimeclass-guard.training-run=true

FROM ${JRE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="RuntimeClass Guard" \
      org.opencontainers.image.description="Kubernetes admission webhook that injects and enforces Pod runtimeClassName per namespace policy" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="${JRE_IMAGE}"

# A fixed uid/gid (the chart's runAsUser/runAsGroup), home in /tmp: the only writable path.
RUN groupadd --system --gid 10001 guard \
    && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home \
               --shell /usr/sbin/nologin guard

# Jar, libraries and AOT cache in one copy from the training stage, owned by root and read-only to
# the webhook. The cache also records the jars' timestamps, which COPY keeps; were they to differ,
# the JVM logs it and starts without the cache.
COPY --from=training /app/ /app/

# glibc's malloc keeps an arena per thread that allocated, up to eight per CPU, each holding on to freed memory; the
# JVM allocates little with malloc outside the JIT, and two arenas serve it without the spread.
ENV MALLOC_ARENA_MAX=2

USER 10001:10001
WORKDIR /app
# 8443: HTTPS admission (/mutate, /validate). 8080: plain-HTTP health and Prometheus metrics.
EXPOSE 8443 8080
# Exec form, no shell in between: SIGTERM reaches the JVM directly, which drains in-flight
# requests before it exits.
# JVM options: how it runs in jvm.options (shared with the training run and make bench); sizes follow the Pod's
# memory limit, so they come from JAVA_TOOL_OPTIONS, set by the chart.
ENTRYPOINT ["java", "@/app/jvm.options", \
            "-XX:AOTCache=/app/runtimeclass-guard.aot", \
            "-Djava.io.tmpdir=/tmp", \
            "-XX:ErrorFile=/tmp/hs_err_pid%p.log", \
            "-XX:HeapDumpPath=/tmp", \
            "-jar", "/app/runtimeclass-guard.jar"]
