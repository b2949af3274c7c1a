package io.runtimeclassguard.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code helm} binary against the chart. Tests fail, never skip, when helm is missing:
 * a chart test that silently does not run is worse than none.
 */
final class Helm {

    static final Path PROJECT = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    static final Path CHART = PROJECT.resolve("helm/runtimeclass-guard");
    static final String RELEASE = "rcg";
    /** Deliberately not the namespace the policy files name, so re-namespacing is visible. */
    static final String NAMESPACE = "guard-system";

    private static final Map<List<String>, Rendered> RENDERED = new ConcurrentHashMap<>();

    record Result(List<String> command, int exitCode, String stdout, String stderr) {
        String describe() {
            return String.join(" ", command) + "\nexit " + exitCode + "\nstderr:\n" + stderr;
        }
    }

    private Helm() {
    }

    static Path executable() {
        String fromEnv = System.getenv("HELM");
        Path helm = fromEnv != null && !fromEnv.isBlank()
                ? PROJECT.resolve(fromEnv)
                : PROJECT.resolve("target/tools/bin/helm");
        if (!Files.isExecutable(helm)) {
            throw new AssertionError("helm not found at " + helm
                    + ": run `make tools` (installs helm into target/tools/bin), or set HELM to a helm binary");
        }
        return helm;
    }

    static Path ciValues(String name) {
        Path file = CHART.resolve("ci").resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new AssertionError("missing chart values file " + file);
        }
        return file;
    }

    static List<Path> allCiValues() {
        try (var files = Files.list(CHART.resolve("ci"))) {
            return files.filter(f -> f.getFileName().toString().endsWith("-values.yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code helm template} of the chart in {@link #NAMESPACE}, parsed; cached per argument list. */
    static Rendered template(String... args) {
        return RENDERED.computeIfAbsent(List.of(args), key -> templateOf(CHART, key));
    }

    static Rendered templateOf(Path chart, List<String> args) {
        List<String> command = new ArrayList<>(List.of("template", RELEASE, chart.toString(), "--namespace", NAMESPACE));
        command.addAll(args);
        Result result = run(command);
        if (result.exitCode() != 0) {
            throw new AssertionError("helm template failed:\n" + result.describe());
        }
        return Rendered.parse(result.stdout());
    }

    /** {@code helm template} that is expected to fail; returns the result for its message. */
    static Result templateFailure(Path chart, String... args) {
        List<String> command = new ArrayList<>(List.of("template", RELEASE, chart.toString(), "--namespace", NAMESPACE));
        command.addAll(List.of(args));
        return run(command);
    }

    static Result run(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(executable().toString());
        command.addAll(args);
        Path home = PROJECT.resolve("target/helm-home");
        ProcessBuilder builder = new ProcessBuilder(command).directory(PROJECT.toFile());
        Map<String, String> env = builder.environment();
        env.put("HELM_CACHE_HOME", home.resolve("cache").toString());
        env.put("HELM_CONFIG_HOME", home.resolve("config").toString());
        env.put("HELM_DATA_HOME", home.resolve("data").toString());
        // Nothing here may reach a cluster, even one configured on the developer's machine.
        env.put("KUBECONFIG", home.resolve("no-kubeconfig").toString());
        try {
            Path out = Files.createTempFile("helm-out", ".txt");
            Path err = Files.createTempFile("helm-err", ".txt");
            try {
                Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError("helm did not finish within 60 s: " + command);
                }
                return new Result(command, process.exitValue(),
                        Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }
}
