package io.runtimeclassguard.startup;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.runtimeclassguard.cluster.MockApiServer;
import io.runtimeclassguard.policy.backstop.BackstopScope;
import io.runtimeclassguard.testing.AdmissionClient;
import io.runtimeclassguard.testing.WebhookProcess;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import io.runtimeclassguard.tls.SelfSignedCertificateGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The webhook as the image starts it, from the bean definitions Spring's build-time processing generated
 * ({@code -Dspring.aot.enabled=true}, in {@code src/main/jvm/jvm.options}): in a JVM of its own, in both modes. The
 * build processed it in standalone mode with nothing switched on, so these fail if a bean that depends on a setting
 * were decided at build time instead of at start ({@code ModeBeans}).
 */
class AotModeTest {
    private static final List<String> AOT = List.of("-Dspring.aot.enabled=true");
    private static final String AOT_STARTED = "Starting AOT-processed WebhookApplication";

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void standaloneAnswersFromTheGeneratedDefinitions(@TempDir Path work) throws Exception {
        SelfSignedCertificate certificate = certificate();
        try (WebhookProcess webhook = WebhookProcess.start(work, certificate, AOT)) {
            assertThat(webhook.log()).contains(AOT_STARTED);
            JsonNode answer = new AdmissionClient(certificate, webhook.admissionPort())
                    .review("/mutate", AdmissionClient.fixture("pod-create-untrusted-no-class.mutate.json"));
            assertThat(AdmissionClient.patch(answer).toString()).contains("gvisor");
        }
    }

    @Test
    void clusterModeStartsTheInformersTheScanAndTheBackstopItIsAskedFor(@TempDir Path work) throws Exception {
        SelfSignedCertificate certificate = certificate();
        try (MockApiServer apiServer = new MockApiServer()) {
            try (KubernetesClient kubectl = apiServer.newClient(); Stream<Path> policies = Files.list(Path.of("policies"))) {
                for (Path manifest : policies.filter(file -> file.toString().endsWith(".yaml")).sorted().toList()) {
                    kubectl.load(new ByteArrayInputStream(Files.readAllBytes(manifest))).items()
                            .forEach(object -> kubectl.resource(object).create());
                }
            }
            apiServer.createBackstopPlaceholders(BackstopScope.forNamespace(BackstopScope.DEFAULT_PREFIX,
                    "runtimeclass-guard", List.of()));
            try (WebhookProcess webhook = WebhookProcess.start(work, certificate, AOT,
                    "--runtimeclass-guard.mode=cluster",
                    "--runtimeclass-guard.cluster.kubeconfig=" + apiServer.writeKubeconfig(work),
                    "--runtimeclass-guard.backstop.enabled=true",
                    "--runtimeclass-guard.scan.period=2s", "--runtimeclass-guard.scan.jitter=0s")) {
                assertThat(webhook.log()).contains(AOT_STARTED);
                JsonNode answer = new AdmissionClient(certificate, webhook.admissionPort())
                        .review("/validate", AdmissionClient.fixture("pod-create-untrusted-after-mutation.validate.json"));
                assertThat(answer.path("response").has("allowed")).isTrue();
                // Served only when the scan and the backstop writer run, and once each has done its work.
                await().atMost(Duration.ofMinutes(1)).until(() -> metrics(webhook)
                        .contains("runtimeclass_guard_scans_total") && metrics(webhook)
                        .contains("runtimeclass_guard_backstop_in_step"));
            }
        }
    }

    private static SelfSignedCertificate certificate() throws Exception {
        return new SelfSignedCertificateGenerator().generate(SelfSignedCertificateGenerator.inPrivateTempDirectory());
    }

    private String metrics(WebhookProcess webhook) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + webhook.managementPort()
                + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
