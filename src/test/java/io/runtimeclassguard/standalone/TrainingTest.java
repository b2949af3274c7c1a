package io.runtimeclassguard.standalone;

import io.runtimeclassguard.startup.TrainingSet;
import io.runtimeclassguard.startup.TrainingSet.Review;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.WebhookTest;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import io.runtimeclassguard.tls.TrustedCa;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The training run answers every real review correctly, and a training JVM exits 0 once it is done. */
@WebhookTest
class TrainingTest {
    @Autowired
    SelfSignedCertificate certificate;
    @LocalAdmissionPort
    int port;

    @Test
    void everyTrainingReviewGetsTheAnswerItMust() throws Exception {
        List<Review> reviews = TrainingSet.reviews();

        TrainingClient.Result result = new TrainingClient(URI.create("https://localhost:" + port),
                TrustedCa.sslContext(certificate.caCertificate())).train(reviews, 4);

        assertThat(reviews).extracting(Review::name)
                .containsExactlyElementsOf(fixtureNames());
        assertThat(result).isEqualTo(new TrainingClient.Result(4 * (reviews.size() * 2 + 1), 0));
    }

    @Test
    void trainingRunServesEveryReviewAndExitsZero(@TempDir Path work) throws Exception {
        Process process = startWebhook(work, "--runtimeclass-guard.training-run=true", "--runtimeclass-guard.training-rounds=3");

        assertThat(process.waitFor(3, TimeUnit.MINUTES)).as("the training run ends by itself").isTrue();
        String output = Files.readString(work.resolve("out.log"));
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("Training run served 75 requests (0 failed)");
    }

    @Test
    void invalidPoliciesStopTheStartWithEveryPosition(@TempDir Path work) throws Exception {
        Path policies = Files.createDirectory(work.resolve("policies"));
        Files.writeString(policies.resolve("policy.yaml"), """
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: Bad_Name
                priority: high
                namespaces: {names: [a]}
                runtimeClass: {allowed: [gvisor]}
                """);

        Process process = startWebhook(work, "--runtimeclass-guard.policies-dir=" + policies);

        assertThat(process.waitFor(3, TimeUnit.MINUTES)).isTrue();
        String output = Files.readString(work.resolve("out.log"));
        assertThat(process.exitValue()).as(output).isNotZero();
        assertThat(output).contains("APPLICATION FAILED TO START")
                .contains(policies.resolve("policy.yaml") + ":3:7: name \\\"Bad_Name\\\" must be a DNS label")
                .contains(policies.resolve("policy.yaml") + ":4:11: priority");
    }

    /** The webhook in a JVM of its own, on random ports, from the main classes and their dependencies only. */
    private static Process startWebhook(Path work, String... arguments) throws IOException {
        String classPath = Arrays.stream(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))
                        .split(File.pathSeparator))
                .filter(entry -> !entry.endsWith("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath, "io.runtimeclassguard.Main", "--server.port=0", "--runtimeclass-guard.admission.port=0"));
        command.addAll(List.of(arguments));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve("out.log").toFile()).start();
    }

    private static List<String> fixtureNames() throws IOException {
        try (var files = Files.list(Path.of("src/test/resources/kube-apiserver-1.35"))) {
            return files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".json")).sorted().toList();
        }
    }
}
