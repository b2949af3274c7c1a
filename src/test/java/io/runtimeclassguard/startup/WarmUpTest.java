package io.runtimeclassguard.startup;

import io.runtimeclassguard.config.GuardProperties;
import io.runtimeclassguard.testing.WebhookProcess;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import io.runtimeclassguard.tls.SelfSignedCertificateGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Ready means warm: the training reviews answered in process before readiness, and nobody hears of those answers. */
class WarmUpTest {
    private static final int REVIEWS = TrainingSet.reviews().size();

    @Test
    void answersEveryTrainingReviewOnBothEndpointsEachRoundThenReportsUp() {
        WarmUp warmUp = WarmUp.start(new GuardProperties.WarmUp(3, Duration.ofMinutes(1)));
        Health warming = warmUp.health();

        WarmUp.Result result = warmUp.done().toCompletableFuture().join();

        assertThat(warming.getStatus()).isEqualTo(Status.DOWN);
        assertThat(result.answered()).isEqualTo(3 * REVIEWS * 2);
        assertThat(result.complete()).isTrue();
        Health warm = warmUp.health();
        assertThat(warm.getStatus()).isEqualTo(Status.UP);
        assertThat(warm.getDetails()).containsEntry("answered", 3 * REVIEWS * 2).containsEntry("complete", true);
    }

    @Test
    void stopsWhenItsBudgetIsSpent() {
        int rounds = 1_000_000;

        WarmUp.Result result = WarmUp.start(new GuardProperties.WarmUp(rounds, Duration.ofMillis(200)))
                .done().toCompletableFuture().join();

        assertThat(result.complete()).isFalse();
        assertThat(result.answered()).isPositive().isLessThan(rounds * REVIEWS * 2);
    }

    @Test
    void noRoundsMeansNoWarmUpAndReadyAtOnce() {
        WarmUp warmUp = WarmUp.start(new GuardProperties.WarmUp(0, Duration.ofSeconds(10)));

        assertThat(warmUp.done().toCompletableFuture().getNow(null)).isEqualTo(new WarmUp.Result(0, Duration.ZERO, true));
        assertThat(warmUp.health().getStatus()).isEqualTo(Status.UP);
    }

    @Test
    void trainingClusterIsTheShippedPolicyFolder() {
        var cluster = TrainingSet.cluster();

        assertThat(cluster.policies().size()).isEqualTo(4);
        assertThat(cluster.runtimeClasses().byName()).containsKeys("gvisor", "kata");
        assertThat(cluster.namespaces()).containsKey("untrusted-workloads");
    }

    /**
     * The webhook as a container runs it, with the start-up report asked for: ready only once warm, and the warm-up's
     * answers are in no metric and no decision log line.
     */
    @Test
    void webhookIsReadyOnlyOnceWarmAndCountsAndLogsNoWarmUpDecision(@TempDir Path work) throws Exception {
        SelfSignedCertificate certificate = new SelfSignedCertificateGenerator()
                .generate(SelfSignedCertificateGenerator.inPrivateTempDirectory());
        HttpClient http = HttpClient.newHttpClient();

        try (WebhookProcess webhook = WebhookProcess.start(work, certificate,
                List.of("-D" + StartupReport.PROPERTY + "=true"), "--runtimeclass-guard.warm-up.rounds=2")) {
            String metrics = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + webhook.managementPort()
                    + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString()).body();
            // Readiness may turn up a moment before the report line is written.
            await().until(() -> webhook.log().contains("Start-up: warm and ready"));
            String log = webhook.log();

            assertThat(log).contains("Warm-up answered " + 2 * REVIEWS * 2 + " training AdmissionReviews in process");
            assertThat(log.indexOf("Warm-up answered")).as("warm before ready").isLessThan(log.indexOf("Start-up: warm and ready"));
            assertThat(log).contains("\"startup\":{\"mainMs\":").containsPattern("\"warmCpuMs\":\\d+");
            assertThat(metrics).doesNotContain("runtimeclass_guard_admission_requests_total{");
            assertThat(log).doesNotContain("\"decision\":");
        }
    }
}
