package io.runtimeclassguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.tls.SelfSignedCertificate;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The webhook in a JVM of its own, as a container runs it: {@code io.runtimeclassguard.Main} from the main classes
 * and their dependencies (not the test classes), standalone over the shipped {@code policies/}, serving the given
 * certificate, on ports the operating system picks. Its log goes to {@code out.log} in the work directory.
 */
public final class WebhookProcess implements AutoCloseable {
    /** Spring Boot's line for the management port, the admission server's for its own. */
    private static final Pattern STARTED = Pattern.compile("(?:Netty started on port|Admission port listening on) (\\d+) \\((https?)\\)");
    /** The arguments that let the operating system pick both ports, which {@link #launch} then reads from the log. */
    public static final List<String> EPHEMERAL_PORTS = List.of("--server.port=0", "--runtimeclass-guard.admission.port=0");

    private final Process process;
    private final Path log;
    private final int admissionPort;
    private final int managementPort;

    private WebhookProcess(Process process, Path log, int admissionPort, int managementPort) {
        this.process = process;
        this.log = log;
        this.admissionPort = admissionPort;
        this.managementPort = managementPort;
    }

    /** Starts the webhook and returns once it is ready; fails if it exits first or takes minutes. */
    public static WebhookProcess start(Path work, SelfSignedCertificate certificate, String... arguments)
            throws IOException, InterruptedException {
        return start(work, certificate, List.of(), arguments);
    }

    /** The same, with more options for the JVM. */
    public static WebhookProcess start(Path work, SelfSignedCertificate certificate, List<String> jvmOptions,
                                       String... arguments) throws IOException, InterruptedException {
        String classPath = Arrays.stream(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))
                        .split(File.pathSeparator))
                .filter(entry -> !entry.endsWith("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classPath, "io.runtimeclassguard.Main"));
        command.addAll(EPHEMERAL_PORTS);
        command.addAll(List.of(
                "--runtimeclass-guard.policies-dir=" + Path.of("policies").toAbsolutePath(),
                "--runtimeclass-guard.tls.certificate=" + certificate.certificateChain(),
                "--runtimeclass-guard.tls.private-key=" + certificate.privateKey()));
        command.addAll(List.of(arguments));
        return launch(work, new ProcessBuilder(command), Duration.ofMinutes(2));
    }

    /**
     * Starts the webhook {@code command} describes, with {@link #EPHEMERAL_PORTS} among its arguments, and returns
     * once it is ready; its output goes to {@code out.log} in {@code work}. Fails if it exits first or takes longer
     * than {@code timeout}.
     */
    public static WebhookProcess launch(Path work, ProcessBuilder command, Duration timeout)
            throws IOException, InterruptedException {
        Path log = work.resolve("out.log");
        Process process = command.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int admission = 0;
        int management = 0;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (admission == 0 || management == 0) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly().waitFor();
                throw new IllegalStateException("the webhook did not start:\n" + Files.readString(log));
            }
            Thread.sleep(50);
            Matcher started = STARTED.matcher(Files.readString(log));
            while (started.find()) {
                int port = Integer.parseInt(started.group(1));
                if (started.group(2).equals("https")) {
                    admission = port;
                } else {
                    management = port;
                }
            }
        }
        WebhookProcess webhook = new WebhookProcess(process, log, admission, management);
        // Listening is not ready: the warm-up and the cluster state come first.
        HttpClient client = HttpClient.newHttpClient();
        while (!webhook.ready(client)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                webhook.close();
                throw new IllegalStateException("the webhook did not become ready:\n" + Files.readString(log));
            }
            Thread.sleep(50);
        }
        return webhook;
    }

    public Process process() {
        return process;
    }

    public int admissionPort() {
        return admissionPort;
    }

    public int managementPort() {
        return managementPort;
    }

    /** The file its output goes to, for a reader that streams it. */
    public Path logFile() {
        return log;
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }

    /** The messages of the JSON log lines, one a line, for assertion messages. */
    public String messages() {
        return log().lines().map(line -> {
            if (!line.startsWith("{")) {
                return line;
            }
            JsonNode json = AdmissionClient.parse(line);
            return json.path("@timestamp").asText().substring(11, 23) + " " + json.path("log").path("level").asText() + " [" + json.path("process").path("thread").path("name").asText()
                    + "] " + json.path("message").asText();
        }).collect(Collectors.joining("\n"));
    }

    /** GET on the management port; the status code. */
    public int managementStatus(HttpClient client, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + managementPort + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** Readiness answers 200; a first answer slower than the client's timeout (a busy machine) counts as not yet. */
    private boolean ready(HttpClient client) throws InterruptedException {
        try {
            return managementStatus(client, "/actuator/health/readiness") == 200;
        } catch (IOException slowOrRefused) {
            return false;
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                process.destroyForcibly().waitFor();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
