package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DockerfileTest {

    private static final Pattern FROM = Pattern.compile("(?i)^FROM\\s+(?:--platform=\\S+\\s+)?(\\S+)(?:\\s+AS\\s+(\\S+))?$");
    private static final String JAR = "/app/runtimeclass-guard.jar";
    private static final String AOT = "/app/runtimeclass-guard.aot";

    record Instruction(String keyword, String arguments) {
    }

    record Stage(String name, String image, List<Instruction> instructions) {
        List<String> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::arguments).toList();
        }
    }

    private static final Map<String, String> ARGS = new HashMap<>();
    private static final Map<String, Stage> STAGES = new LinkedHashMap<>();

    @BeforeAll
    static void parse() throws IOException {
        ARGS.clear();
        STAGES.clear();
        List<String> lines = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(Helm.PROJECT.resolve("Dockerfile"))) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.isEmpty())) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
            } else {
                lines.add(current.append(trimmed).toString().replaceAll("\\s+", " ").strip());
                current.setLength(0);
            }
        }
        Stage stage = null;
        for (String line : lines) {
            String keyword = line.split(" ", 2)[0].toUpperCase();
            String arguments = line.contains(" ") ? line.split(" ", 2)[1] : "";
            if (keyword.equals("FROM")) {
                Matcher from = FROM.matcher(line);
                assertThat(from.matches()).as(line).isTrue();
                String name = from.group(2) != null ? from.group(2) : "stage" + STAGES.size();
                stage = new Stage(name, resolve(from.group(1)), new ArrayList<>());
                STAGES.put(name, stage);
            } else if (stage == null && keyword.equals("ARG")) {
                String[] arg = arguments.split("=", 2);
                ARGS.put(arg[0], arg.length > 1 ? arg[1] : "");
            } else if (stage != null) {
                stage.instructions().add(new Instruction(keyword, arguments));
            }
        }
    }

    private static String resolve(String image) {
        Matcher variable = Pattern.compile("\\$\\{(\\w+)}").matcher(image);
        return variable.replaceAll(m -> ARGS.getOrDefault(m.group(1), m.group()));
    }

    private static Stage runtime() {
        return STAGES.values().stream().reduce((a, b) -> b).orElseThrow();
    }

    private static Stage build() {
        return STAGES.values().iterator().next();
    }

    private static Stage stageRunning(String text) {
        return STAGES.values().stream().filter(s -> s.all("RUN").stream().anyMatch(r -> r.contains(text)))
                .findFirst().orElseThrow(() -> new AssertionError("no stage runs " + text));
    }

    @Test
    void buildsInAJdkStageAndRunsOnAPinnedJre() {
        assertThat(STAGES).hasSizeGreaterThanOrEqualTo(3);
        assertThat(build().image()).matches("eclipse-temurin:25[^:]*-jdk.*|maven:.*-25.*");
        assertThat(runtime().image()).matches("eclipse-temurin:25[^:]*-jre.*");
        assertThat(STAGES.values()).allSatisfy(stage -> {
            assertThat(stage.image()).doesNotContain("${").doesNotEndWith(":latest").contains(":");
            // A patch-level tag (or a digest), not a moving major-version tag.
            assertThat(stage.image()).containsPattern("(:25\\.\\d+\\.\\d+)|(@sha256:)");
        });
    }

    @Test
    void buildsTheJarWithTheWrapperAndAMavenCache() throws IOException {
        String maven = stageRunning("./mvnw").all("RUN").stream().filter(r -> r.contains("./mvnw")).findFirst().orElseThrow();

        assertThat(stageRunning("./mvnw")).isSameAs(build());
        assertThat(maven).contains("--mount=type=cache,target=/root/.m2").contains("package");
        // The jar the image is built from is the one the pom names.
        assertThat(Files.readString(Helm.PROJECT.resolve("pom.xml"))).contains("<finalName>runtimeclass-guard</finalName>");
        assertThat(String.join("\n", build().all("RUN"))).contains("target/runtimeclass-guard.jar");
    }

    @Test
    void trainsAnAotCacheOnTheRuntimeJvmWithTheWebhooksOwnTrainingRun() {
        Stage training = stageRunning("-XX:AOTCacheOutput=");
        String run = training.all("RUN").stream().filter(r -> r.contains("-XX:AOTCacheOutput=")).findFirst().orElseThrow();

        assertThat(training).isNotSameAs(runtime()).isNotSameAs(build());
        assertThat(run).contains("-XX:AOTCacheOutput=" + AOT).contains("-jar " + JAR)
                .contains("--runtimeclass-guard.training-run=true");
        // An AOT cache only loads on the JVM build that wrote it.
        assertThat(training.image()).isEqualTo(runtime().image());
        assertThat(runtime().all("COPY")).anyMatch(copy -> copy.contains("--from=" + training.name()) && copy.contains("/app"));
    }

    @Test
    void runtimeStartsTheJarWithTheAotCacheAndWritesOnlyToTmp() throws IOException {
        List<String> entrypoint = new ObjectMapper().readValue(runtime().all("ENTRYPOINT").getLast(), new TypeReference<>() {
        });

        assertThat(entrypoint.getFirst()).isEqualTo("java");
        assertThat(entrypoint).contains("-XX:AOTCache=" + AOT).endsWith("-jar", JAR);
        assertThat(entrypoint).filteredOn(a -> a.startsWith("-Djava.io.tmpdir=") || a.startsWith("-XX:ErrorFile=")
                || a.startsWith("-XX:HeapDumpPath=")).isNotEmpty().allSatisfy(a -> assertThat(a).contains("=/tmp"));
        assertThat(runtime().all("VOLUME")).isEmpty();
        assertThat(runtime().all("CMD")).isEmpty();
    }

    @Test
    void trainingAndRuntimeStartFromTheBeanDefinitionsTheBuildGenerated() throws IOException {
        // Both read the options file, so the AOT cache is recorded on the start the runtime makes.
        assertThat(build().all("RUN")).anyMatch(run -> run.contains("src/main/jvm/jvm.options /app/jvm.options"));
        assertThat(stageRunning("-XX:AOTCacheOutput=").all("RUN")).anyMatch(run -> run.contains("@/app/jvm.options"));
        assertThat(runtime().all("ENTRYPOINT").getLast()).contains("@/app/jvm.options");
        assertThat(Files.readAllLines(Helm.PROJECT.resolve("src/main/jvm/jvm.options"))).contains("-Dspring.aot.enabled=true");
        assertThat(Files.readString(Helm.PROJECT.resolve("pom.xml"))).contains("<goal>process-aot</goal>");
    }

    @Test
    void runtimeRunsAsTheFixedNonRootUserTheChartExpects() {
        List<String> users = runtime().all("USER");
        Deployment deployment = Helm.template().single(Deployment.class);
        var pod = deployment.getSpec().getTemplate().getSpec().getSecurityContext();

        assertThat(users).isNotEmpty();
        assertThat(users.getLast()).isEqualTo("10001:10001");
        assertThat(pod.getRunAsUser()).isEqualTo(10001L);
        assertThat(pod.getRunAsGroup()).isEqualTo(10001L);
        // Nothing after the last USER runs as root.
        List<String> keywords = runtime().instructions().stream().map(Instruction::keyword).toList();
        assertThat(keywords.subList(keywords.lastIndexOf("USER"), keywords.size())).doesNotContain("RUN");
    }

    @Test
    void exposesThePortsTheChartUses() {
        List<Integer> exposed = runtime().all("EXPOSE").stream().flatMap(e -> List.of(e.split(" ")).stream())
                .map(p -> Integer.parseInt(p.replace("/tcp", ""))).toList();
        List<Integer> containerPorts = Helm.template().single(Deployment.class).getSpec().getTemplate().getSpec()
                .getContainers().getFirst().getPorts().stream().map(ContainerPort::getContainerPort).toList();

        assertThat(exposed).containsExactlyInAnyOrder(8443, 8080).containsExactlyInAnyOrderElementsOf(containerPorts);
    }

    @Test
    void carriesOciLabels() {
        String labels = String.join(" ", runtime().all("LABEL"));

        assertThat(labels).contains("org.opencontainers.image.title=", "org.opencontainers.image.version=",
                "org.opencontainers.image.description=");
    }
}
