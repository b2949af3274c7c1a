package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MakefileTest {

    private static final Pattern TARGET = Pattern.compile("^([a-zA-Z0-9_-]+):([^=#]*?)(?:##\\s*(.*))?$");

    private static List<String> lines() throws IOException {
        return Files.readAllLines(Helm.PROJECT.resolve("Makefile"));
    }

    /** target -> prerequisites, for every rule; asserts each carries a `## help` text. */
    private static Map<String, String> targets() throws IOException {
        return lines().stream().filter(l -> !l.startsWith("\t") && !l.startsWith(".") && !l.startsWith("#"))
                .map(TARGET::matcher).filter(Matcher::matches)
                .peek(m -> assertThat(m.group(3)).as("help text of target %s", m.group(1)).isNotBlank())
                .collect(Collectors.toMap(m -> m.group(1), m -> m.group(2).trim()));
    }

    @Test
    void everyTargetIsDocumentedAndTheDeployTargetsExist() throws IOException {
        assertThat(targets()).containsKeys("help", "test", "tools", "lint-chart", "image");
    }

    @Test
    void benchTargetsRunTheHarnessUnderSrcBench() throws IOException {
        assertThat(targets()).containsKeys("bench", "bench-start", "bench-profile", "bench-jmh", "bench-scan");
        assertThat(String.join("\n", lines())).contains("src/bench/bench.sh").contains("src/bench/start.sh")
                .contains("src/bench/profile.sh");
        assertThat(Files.isExecutable(Helm.PROJECT.resolve("src/bench/bench.sh"))).isTrue();
        assertThat(Files.isExecutable(Helm.PROJECT.resolve("src/bench/start.sh"))).isTrue();
        assertThat(Files.isExecutable(Helm.PROJECT.resolve("src/bench/profile.sh"))).isTrue();
    }

    @Test
    void testAndLintInstallHelmFirst() throws IOException {
        Map<String, String> targets = targets();

        assertThat(targets.get("test").split(" ")).contains("tools");
        assertThat(targets.get("lint-chart").split(" ")).contains("tools");
        assertThat(String.join("\n", lines())).contains("src/test/tools/install-helm.sh");
    }

    @Test
    void variablesAreOverridable() throws IOException {
        List<String> assignments = lines().stream()
                .filter(l -> l.matches("^[A-Z_]+\\s*[:?]?=.*")).toList();

        assertThat(assignments).isNotEmpty().allSatisfy(l -> assertThat(l).containsPattern("^[A-Z_]+ \\?= "));
        assertThat(assignments).anyMatch(l -> l.startsWith("HELM ?="));
    }

    @Test
    void helmInstallerPinsItsPackageVersionAndIsExecutable() throws IOException {
        var script = Helm.PROJECT.resolve("src/test/tools/install-helm.sh");

        assertThat(Files.isExecutable(script)).isTrue();
        assertThat(Files.readString(script)).containsPattern("lambda-layer-kubectl-v\\d+@\\d+\\.\\d+\\.\\d+");
    }
}
