package io.runtimeclassguard.e2e;

import io.runtimeclassguard.WebhookApplication;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ClusterState;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;

/** The webhook in cluster mode, in this JVM, on loopback ports, watching a {@link LocalKubernetes}. */
final class ClusterWebhook implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    private final ConfigurableApplicationContext context;
    private final String baseUrl;

    private ClusterWebhook(ConfigurableApplicationContext context, String baseUrl) {
        this.context = context;
        this.baseUrl = baseUrl;
    }

    /**
     * Starts it with the policies of {@value Chart#NAMESPACE}, as the user the kubeconfig names, and returns once its
     * readiness says up; {@code properties} are more {@code --name=value} arguments.
     */
    static ClusterWebhook start(Path kubeconfig, TestPki pki, Path work, String... properties) throws IOException {
        return start(kubeconfig, pki, work, LocalKubernetes.freePort(), properties);
    }

    /** As {@link #start(Path, TestPki, Path, String...)}, with the admission port on {@code port}. */
    static ClusterWebhook start(Path kubeconfig, TestPki pki, Path work, int port, String... properties) throws IOException {
        TestPki.Issued serving = pki.server("runtimeclass-guard");
        int managementPort = LocalKubernetes.freePort();
        List<String> arguments = new ArrayList<>(List.of(
                "--runtimeclass-guard.mode=cluster",
                "--runtimeclass-guard.policy-namespace=" + Chart.NAMESPACE,
                "--runtimeclass-guard.cluster.kubeconfig=" + kubeconfig,
                "--runtimeclass-guard.tls.certificate=" + serving.writeCertificate(work.resolve("webhook.crt")),
                "--runtimeclass-guard.tls.private-key=" + serving.writePrivateKey(work.resolve("webhook.key")),
                "--runtimeclass-guard.admission.address=127.0.0.1",
                "--runtimeclass-guard.admission.port=" + port,
                "--server.address=127.0.0.1",
                "--server.port=" + managementPort));
        arguments.addAll(List.of(properties));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(WebhookApplication.class)
                .run(arguments.toArray(String[]::new));
        ClusterWebhook webhook = new ClusterWebhook(context, "https://127.0.0.1:" + port);
        try {
            webhook.awaitReadiness(managementPort);
        } catch (RuntimeException notReady) {
            webhook.close();
            throw notReady;
        }
        return webhook;
    }

    private void awaitReadiness(int managementPort) {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest readiness = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort + "/actuator/health/readiness")).build();
        await("webhook readiness").atMost(READY_TIMEOUT).ignoreExceptions().until(
                () -> http.send(readiness, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    }

    /** {@code https://127.0.0.1:<port>}, where it serves {@code /mutate} and {@code /validate}. */
    String baseUrl() {
        return baseUrl;
    }

    ClusterSnapshot snapshot() {
        return bean(ClusterState.class).snapshot();
    }

    <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    boolean running() {
        return context.isActive();
    }

    @Override
    public void close() {
        context.close();
    }
}
