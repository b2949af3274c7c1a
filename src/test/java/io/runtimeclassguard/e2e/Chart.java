package io.runtimeclassguard.e2e;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The chart's own manifests, rendered by helm ({@code HELM}, as {@code make tools} installs it), so what the suite
 * installs is what a user installs; only what cannot exist outside a cluster (the in-cluster Service, cert-manager)
 * is replaced.
 */
final class Chart {
    static final String NAMESPACE = "runtimeclass-guard";
    private static final Path DIRECTORY = Path.of("helm/runtimeclass-guard");

    private final KubernetesClient admin;
    private final Path work;

    Chart(KubernetesClient admin, Path work) {
        this.admin = admin;
        this.work = work;
    }

    /**
     * The objects the templates render with the chart's defaults, a TLS Secret in place of cert-manager's, and
     * {@code values} ({@code key=value}, as {@code --set} takes them; a later one wins).
     */
    List<HasMetadata> render(List<String> values, String... templates) throws IOException {
        List<String> arguments = new ArrayList<>(List.of("template", "runtimeclass-guard", DIRECTORY.toString(),
                "--namespace", NAMESPACE,
                "--set", "certManager.enabled=false",
                "--set", "tls.existingSecret=unused-outside-the-cluster",
                "--set", "tls.caBundle=unused"));
        values.forEach(value -> arguments.addAll(List.of("--set", value)));
        for (String template : templates) {
            arguments.addAll(List.of("--show-only", "templates/" + template));
        }
        String rendered = helm(arguments);
        return admin.load(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8))).items();
    }

    /**
     * Registers the chart's webhook configurations, so their rules, selectors and failure policies are what gets
     * tested; only the clientConfig changes, from the in-cluster Service to the webhook on loopback.
     */
    void registerWebhooks(String baseUrl, String caPem) throws IOException {
        String caBundle = Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.UTF_8));
        for (HasMetadata configuration : render(List.of("tls.caBundle=" + caBundle),
                "webhook-mutating.yaml", "webhook-validating.yaml")) {
            if (configuration instanceof MutatingWebhookConfiguration mutating) {
                mutating.getWebhooks().forEach(hook -> hook.setClientConfig(loopback(baseUrl, hook.getClientConfig())));
            } else if (configuration instanceof ValidatingWebhookConfiguration validating) {
                validating.getWebhooks().forEach(hook -> hook.setClientConfig(loopback(baseUrl, hook.getClientConfig())));
            }
            admin.resource(configuration).create();
        }
    }

    private static WebhookClientConfig loopback(String baseUrl, WebhookClientConfig inCluster) {
        return new WebhookClientConfigBuilder().withUrl(baseUrl + inCluster.getService().getPath())
                .withCaBundle(inCluster.getCaBundle()).build();
    }

    private String helm(List<String> arguments) throws IOException {
        String fromEnv = System.getenv("HELM");
        Path helm = Path.of(fromEnv != null && !fromEnv.isBlank() ? fromEnv : "target/tools/bin/helm");
        List<String> command = new ArrayList<>(List.of(helm.toString()));
        command.addAll(arguments);
        Path stdout = Files.createTempFile(work, "helm", ".out");
        Path stderr = Files.createTempFile(work, "helm", ".err");
        Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " failed: " + Files.readString(stderr));
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(interrupted);
        }
        return Files.readString(stdout);
    }
}
