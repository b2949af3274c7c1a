package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chart's alerts through Prometheus's own {@code promtool}: the rendered rules are valid, and every alert has
 * a unit test file under {@code src/test/resources/prometheus-rules/} with the series that make it fire and the
 * series that keep it quiet. Fails, never skips, without promtool: {@code .ci/run} installs Debian's
 * {@code prometheus} package, which carries it.
 */
class PromtoolTest {

    static final Path UNIT_TESTS = Helm.PROJECT.resolve("src/test/resources/prometheus-rules");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    record Result(int exitCode, String output) {
    }

    static Stream<Path> valuesWithAlerts() {
        return Helm.allCiValues().stream().filter(values ->
                !Helm.template("-f", values.toString()).generic(AlertRule.API_VERSION, "PrometheusRule").isEmpty());
    }

    @ParameterizedTest
    @MethodSource("valuesWithAlerts")
    void rulesAreValidPrometheusRules(Path values, @TempDir Path dir) throws IOException {
        List<Map<String, Object>> groups = AlertRule.groups(Helm.template("-f", values.toString()));
        Path rules = writeRules(dir, groups);

        Result check = promtool("check", "rules", rules.toString());

        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: " + AlertRule.all(Helm.template("-f", values.toString())).size() + " rules found");
    }

    @Test
    void everyAlertFiresOnItsSeriesAndStaysQuietOnTheOthers(@TempDir Path dir) throws IOException {
        // A copy: the rendered chart is cached and shared with other tests.
        List<Map<String, Object>> groups = YAML.convertValue(
                AlertRule.groups(Helm.template("--set", "prometheusRule.enabled=true")), new TypeReference<>() { });
        // The unit tests are about when an alert fires; promtool would also compare every annotation's full text.
        for (Map<String, Object> group : groups) {
            for (Object rule : (List<?>) group.get("rules")) {
                ((Map<?, ?>) rule).remove("annotations");
            }
        }
        writeRules(dir, groups);
        List<String> command = new ArrayList<>(List.of("test", "rules"));
        for (Path test : unitTestFiles()) {
            command.add(Files.copy(test, dir.resolve(test.getFileName())).toString());
        }

        Result result = promtool(command.toArray(String[]::new));

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).doesNotContain("FAILED");
    }

    @Test
    void everyAlertHasItsOwnTestFileWithAFiringAndAQuietCase() throws IOException {
        List<String> alerts = AlertRule.defaults().stream().map(AlertRule::alert).toList();
        TreeSet<String> tested = new TreeSet<>();

        for (Path file : unitTestFiles()) {
            String alert = file.getFileName().toString().replace(".test.yaml", "");
            tested.add(alert);
            List<JsonNode> cases = new ArrayList<>();
            YAML.readTree(file.toFile()).path("tests").forEach(test -> test.path("alert_rule_test").forEach(cases::add));

            assertThat(cases).as(file.getFileName().toString()).isNotEmpty()
                    .allSatisfy(c -> assertThat(c.path("alertname").asText()).isEqualTo(alert))
                    .anySatisfy(c -> assertThat(c.path("exp_alerts")).as("a case where it fires").isNotEmpty())
                    .anySatisfy(c -> assertThat(c.path("exp_alerts")).as("a case where it stays quiet").isEmpty());
        }

        assertThat(tested).containsExactlyInAnyOrderElementsOf(alerts);
    }

    private static List<Path> unitTestFiles() {
        try (Stream<Path> files = Files.list(UNIT_TESTS)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".test.yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where the unit test files expect it: {@code rule_files: [rules.yaml]} beside them. */
    private static Path writeRules(Path dir, List<Map<String, Object>> groups) throws IOException {
        Path rules = dir.resolve("rules.yaml");
        YAML.writeValue(rules.toFile(), Map.of("groups", groups));
        return rules;
    }

    static Path promtool() {
        String configured = System.getenv("PROMTOOL");
        Optional<Path> found = configured != null && !configured.isBlank()
                ? Optional.of(Path.of(configured))
                : Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                        .map(dir -> Path.of(dir, "promtool")).filter(Files::isExecutable).findFirst();
        return found.filter(Files::isExecutable).orElseThrow(() -> new AssertionError(
                "promtool not found (PROMTOOL or PATH): install Debian's prometheus package, which carries it "
                        + "(apt-get install --no-install-recommends prometheus, as .ci/run does), or set PROMTOOL"));
    }

    private static Result promtool(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(promtool().toString()));
        command.addAll(List.of(args));
        Path output = Files.createTempFile("promtool", ".txt");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("promtool did not finish within 120 s: " + command);
            }
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
