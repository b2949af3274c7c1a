package io.runtimeclassguard.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfigBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.runtimeclassguard.WebhookApplication;
import io.runtimeclassguard.admission.WebhookName;
import io.runtimeclassguard.admission.http.ClientCertificateRefusals;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.policy.evaluation.AdmissionPipeline;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Evaluator;
import io.runtimeclassguard.policy.loading.PolicyLoadResult;
import io.runtimeclassguard.policy.loading.PolicyConfigMaps;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.loading.PolicySource;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.kube.WorkloadKind;
import io.runtimeclassguard.policy.evaluation.Stage;
import io.runtimeclassguard.testing.ReviewRequestBuilder;
import io.runtimeclassguard.tls.RefusedClientCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The webhook in cluster mode behind a real kube-apiserver: registered with a Mutating and a Validating
 * WebhookConfiguration, fed the shipped {@code policies/}, and checked through the apiserver the way a user
 * and an auditor see it. Opt-in: {@code make e2e KUBE_BIN=...}.
 */
@Tag("e2e")
@ExtendWith(EndToEndCondition.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndToEndTest {
    private static final String POLICY_NAMESPACE = "runtimeclass-guard";
    /** The webhook names the chart registers; audit annotations carry them as prefixes. */
    private static final String MUTATING_WEBHOOK = WebhookName.PODS_MUTATE.qualifiedName();
    private static final String VALIDATING_WEBHOOK = WebhookName.PODS_VALIDATE.qualifiedName();
    private static final String WORKLOAD_WEBHOOK = WebhookName.WORKLOADS_VALIDATE.qualifiedName();
    private static final String POLICY_WEBHOOK = WebhookName.POLICIES_VALIDATE.qualifiedName();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** The name on the client certificate the apiserver presents to the webhook, the only one it accepts. */
    private static final String APISERVER_CLIENT_NAME = "kube-apiserver-webhook-client";

    private Path work;
    private LocalKubernetes kubernetes;
    private KubernetesClient admin;
    private ConfigurableApplicationContext webhook;
    private TestPki pki;
    private int port;

    @BeforeAll
    void startClusterAndWebhook() throws IOException {
        work = Files.createDirectories(Path.of("target", "e2e",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))).toAbsolutePath();
        pki = new TestPki();
        port = LocalKubernetes.freePort();
        kubernetes = LocalKubernetes.start(Path.of(System.getenv(LocalKubernetes.KUBE_BIN)), work, pki,
                "127.0.0.1:" + port, pki.client(APISERVER_CLIENT_NAME, List.of()));
        admin = kubernetes.newClient();
        applyShippedPolicies();

        TestPki.Issued serving = pki.server("runtimeclass-guard");
        int managementPort = LocalKubernetes.freePort();
        webhook = new SpringApplicationBuilder(WebhookApplication.class).run(
                "--runtimeclass-guard.mode=cluster",
                "--runtimeclass-guard.policy-namespace=" + POLICY_NAMESPACE,
                "--runtimeclass-guard.cluster.kubeconfig=" + kubernetes.kubeconfig(),
                "--runtimeclass-guard.tls.certificate=" + serving.writeCertificate(work.resolve("webhook.crt")),
                "--runtimeclass-guard.tls.private-key=" + serving.writePrivateKey(work.resolve("webhook.key")),
                // Mutual TLS on: every scenario below reaches the webhook only with the apiserver's client certificate.
                "--runtimeclass-guard.tls.client-ca=" + Files.writeString(work.resolve("client-ca.crt"), pki.caPem()),
                "--runtimeclass-guard.tls.client-names=" + APISERVER_CLIENT_NAME,
                "--runtimeclass-guard.admission.address=127.0.0.1",
                "--runtimeclass-guard.admission.port=" + port,
                "--server.address=127.0.0.1",
                "--server.port=" + managementPort);
        awaitReadiness(managementPort);
        registerChartWebhooks("https://127.0.0.1:" + port, pki.caPem());
        // The apiserver picks up webhook configurations asynchronously: wait until a dry run is mutated.
        await("webhooks in force").atMost(TIMEOUT).until(() -> admin.pods().inNamespace("untrusted-workloads")
                .resource(pod("probe", null)).dryRun().create().getSpec().getRuntimeClassName() != null);
    }

    @AfterAll
    void stopAll() {
        if (webhook != null) {
            webhook.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (kubernetes != null) {
            kubernetes.close();
        }
    }

    /**
     * Every call the apiserver made in this suite carried its client certificate from the AdmissionConfiguration and
     * was let through; a client without one is refused at the handshake, and counted as such.
     */
    @Test
    void onlyTheApiserversClientCertificateGetsPastTheHandshake() throws Exception {
        ClientCertificateRefusals refusals = webhook.getBean(ClientCertificateRefusals.class);
        admin.pods().inNamespace("untrusted-workloads").resource(pod("through-mtls", null)).dryRun().create();
        HttpClient withoutCertificate = HttpClient.newBuilder().sslContext(trusting(pki.caPem())).build();

        Throwable refused = catchThrowable(() -> withoutCertificate.send(HttpRequest.newBuilder(
                URI.create("https://127.0.0.1:" + port + "/mutate")).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString()));

        assertThat(refused).isInstanceOf(IOException.class);
        await("the refusal counted").atMost(TIMEOUT)
                .until(() -> refusals.count(RefusedClientCertificate.Reason.NO_CERTIFICATE) >= 1);
        assertThat(refusals.count(RefusedClientCertificate.Reason.UNTRUSTED)).isZero();
        assertThat(refusals.count(RefusedClientCertificate.Reason.NAME_NOT_ALLOWED)).isZero();
    }

    @Test
    void theDefaultIsPatchedInAndTheApiserversRuntimeClassPluginAddsOverheadAndScheduling() {
        Pod created = admin.pods().inNamespace("untrusted-workloads").resource(pod("patched", null)).create();

        assertThat(created.getSpec().getRuntimeClassName()).isEqualTo("gvisor");
        assertThat(created.getSpec().getOverhead()).containsEntry("cpu", new Quantity("50m"))
                .containsEntry("memory", new Quantity("64Mi"));
        assertThat(created.getSpec().getNodeSelector()).containsEntry("runtime.kubernetes.io/gvisor", "true");
    }

    @Test
    void aDenialReachesTheClientWithTheWebhooksMessage() {
        Pod pod = pod("denied", "kata");
        Decision expected = expectedVerdict(podRequest("untrusted-workloads", pod));
        assertThat(expected.allowed()).isFalse();

        KubernetesClientException denial = catchThrowableOfType(KubernetesClientException.class,
                () -> admin.pods().inNamespace("untrusted-workloads").resource(pod).create());

        assertThat(denial.getMessage()).contains("denied the request").contains(expected.message());
    }

    @Test
    void aWorkloadTemplateNamingAMissingClassIsDeniedAtApplyTime() {
        Deployment deployment = new DeploymentBuilder()
                .withNewMetadata().withName("web").endMetadata()
                .withNewSpec()
                .withNewSelector().addToMatchLabels("app", "web").endSelector()
                .withNewTemplate()
                .withNewMetadata().addToLabels("app", "web").endMetadata()
                .withSpec(pod("web", "runc-fast").getSpec())
                .endTemplate()
                .endSpec().build();
        ReviewRequest request = ReviewRequestBuilder.workload(WorkloadKind.DEPLOYMENT, "production")
                .user("e2e-admin", "system:masters").runtimeClass("runc-fast").build();
        Decision expected = Evaluator.evaluate(Stage.VALIDATE, request, snapshot().namespace("production"),
                snapshot().policies(), snapshot().runtimeClasses());
        assertThat(expected.allowed()).isFalse();

        KubernetesClientException denial = catchThrowableOfType(KubernetesClientException.class,
                () -> admin.apps().deployments().inNamespace("production").resource(deployment).create());

        assertThat(denial.getMessage()).contains(WORKLOAD_WEBHOOK).contains(expected.message());
    }

    @Test
    void aWarnModeViolationIsAdmittedWithAWarningKubectlPrints() {
        Pod pod = pod("warned", "kata");
        Decision expected = expectedVerdict(podRequest("staging-web", pod));
        assertThat(expected.allowed()).isTrue();
        assertThat(expected.warnings()).isNotEmpty();

        LocalKubernetes.Kubectl kubectl = kubernetes.kubectl(admin.getKubernetesSerialization().asYaml(pod),
                "create", "--namespace=staging-web", "-f", "-");

        assertThat(kubectl.exitCode()).as(kubectl.stderr()).isZero();
        assertThat(kubectl.stderr()).contains("Warning: " + expected.warnings().getFirst());
    }

    @Test
    void decisionsAreRecordedAsAuditAnnotationsInTheApiserverAuditLog() {
        admin.pods().inNamespace("untrusted-workloads").resource(pod("audited", null)).create();

        JsonNode annotations = await("the audit event of Pod audited").atMost(TIMEOUT)
                .until(() -> auditAnnotations("untrusted-workloads", "audited"), Optional::isPresent).orElseThrow();

        assertThat(annotations.path(MUTATING_WEBHOOK + "/decision").asText()).isEqualTo("mutated");
        assertThat(annotations.path(MUTATING_WEBHOOK + "/policy").asText()).isEqualTo("untrusted");
        assertThat(annotations.path(MUTATING_WEBHOOK + "/runtime-class").asText()).isEqualTo("gvisor");
        assertThat(annotations.path(MUTATING_WEBHOOK + "/reason").asText()).isNotEmpty();
        assertThat(annotations.path(VALIDATING_WEBHOOK + "/decision").asText()).isEqualTo("allowed");
        assertThat(annotations.path(VALIDATING_WEBHOOK + "/runtime-class").asText()).isEqualTo("gvisor");
    }

    @Test
    void aPolicyConfigMapEditTakesEffectWithoutARestart() {
        admin.resource(new NamespaceBuilder().withNewMetadata().withName("e2e-edit").endMetadata().build()).create();
        admin.resource(policyConfigMap("policy-e2e-edit", editPolicy("[gvisor]"))).create();
        await("policy e2e-edit loaded").atMost(TIMEOUT).until(() -> snapshot().policies().byName("e2e-edit").isPresent());
        assertThat(dryRunDenial("e2e-edit", pod("edited", "kata"))).isPresent();

        admin.resource(policyConfigMap("policy-e2e-edit", editPolicy("[gvisor, kata]"))).update();

        await("the edit in force").atMost(TIMEOUT).until(() -> dryRunDenial("e2e-edit", pod("edited", "kata")).isEmpty());
    }

    @Test
    void aBrokenPolicyEditIsRejectedAtApplyWithItsLineAndColumn() {
        ConfigMap broken = policyConfigMap("policy-e2e-broken", """
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: e2e-broken
                priority: 998
                namespaces:
                  names: [e2e-broken]
                runtimeClass:
                  allowed: [gvisor]
                colour: blue
                """);

        KubernetesClientException rejection = catchThrowableOfType(KubernetesClientException.class,
                () -> admin.resource(broken).create());

        assertThat(rejection.getMessage()).contains(POLICY_WEBHOOK).contains("[policy.yaml]:9:1: unknown field \"colour\"");
    }

    @Test
    void aTenantCannotGrantItselfAPolicy() {
        ConfigMap selfGranted = new ConfigMapBuilder(policyConfigMap("self-granted", editPolicy("[\"*\"]")))
                .editMetadata().withNamespace("customer-a").endMetadata().build();

        KubernetesClientException rejection = catchThrowableOfType(KubernetesClientException.class,
                () -> admin.resource(selfGranted).create());

        assertThat(rejection.getMessage()).contains(POLICY_WEBHOOK).contains("policies are read only from namespace "
                + POLICY_NAMESPACE);
    }

    private void applyShippedPolicies() throws IOException {
        List<HasMetadata> objects = new ArrayList<>();
        for (Path file : shippedManifests()) {
            try (InputStream manifest = Files.newInputStream(file)) {
                objects.addAll(admin.load(manifest).items());
            }
        }
        List<String> order = List.of("Namespace", "RuntimeClass", "ConfigMap");
        objects.stream()
                .sorted(Comparator.comparingInt(object -> order.indexOf(object.getKind())))
                .forEach(object -> admin.resource(object).forceConflicts().serverSideApply());
    }

    private void awaitReadiness(int managementPort) throws IOException {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest readiness = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort + "/actuator/health/readiness")).build();
        await("webhook readiness").atMost(TIMEOUT).ignoreExceptions().until(
                () -> http.send(readiness, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        PolicyContent.assertSameContent(snapshot().policies(), shippedPolicies().policies());
    }

    private static PolicyLoadResult shippedPolicies() throws IOException {
        List<PolicySource> sources = new ArrayList<>();
        for (Path file : shippedManifests()) {
            sources.add(PolicySource.manifest(file.toString(), Files.readString(file)));
        }
        return PolicyLoader.load(sources);
    }

    private static List<Path> shippedManifests() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("policies"))) {
            return files.filter(path -> path.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    /**
     * Registers the chart's own webhook configurations, rendered by helm, so their rules and selectors are what
     * gets tested; only the clientConfig changes, from the in-cluster Service to this webhook on loopback.
     */
    private void registerChartWebhooks(String baseUrl, String caPem) throws IOException {
        String caBundle = Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.UTF_8));
        String rendered = helm("template", "runtimeclass-guard", Path.of("helm/runtimeclass-guard").toString(),
                "--namespace", POLICY_NAMESPACE,
                "--set", "certManager.enabled=false",
                "--set", "tls.existingSecret=unused-outside-the-cluster",
                "--set", "tls.caBundle=" + caBundle,
                "--show-only", "templates/webhook-mutating.yaml",
                "--show-only", "templates/webhook-validating.yaml");
        for (HasMetadata configuration : admin.load(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8))).items()) {
            if (configuration instanceof MutatingWebhookConfiguration mutating) {
                mutating.getWebhooks().forEach(hook -> hook.setClientConfig(loopback(baseUrl, hook.getClientConfig())));
            } else if (configuration instanceof ValidatingWebhookConfiguration validating) {
                validating.getWebhooks().forEach(hook -> hook.setClientConfig(loopback(baseUrl, hook.getClientConfig())));
            }
            admin.resource(configuration).create();
        }
    }

    private static SSLContext trusting(String caPem) throws Exception {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        trusted.setCertificateEntry("e2e-ca", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII))));
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    private static WebhookClientConfig loopback(String baseUrl, WebhookClientConfig inCluster) {
        return new WebhookClientConfigBuilder().withUrl(baseUrl + inCluster.getService().getPath())
                .withCaBundle(inCluster.getCaBundle()).build();
    }

    /** Runs helm ({@code HELM}, as {@code make tools} installs it) and returns what it printed. */
    private String helm(String... arguments) throws IOException {
        String fromEnv = System.getenv("HELM");
        Path helm = Path.of(fromEnv != null && !fromEnv.isBlank() ? fromEnv : "target/tools/bin/helm");
        List<String> command = new ArrayList<>(List.of(helm.toString()));
        command.addAll(List.of(arguments));
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

    private ClusterSnapshot snapshot() {
        return webhook.getBean(ClusterState.class).snapshot();
    }

    private Decision expectedVerdict(ReviewRequest request) {
        ClusterSnapshot snapshot = snapshot();
        return AdmissionPipeline.run(request, snapshot.namespace(request.namespace()), snapshot.policies(),
                snapshot.runtimeClasses()).verdict();
    }

    private static ReviewRequest podRequest(String namespace, Pod pod) {
        return ReviewRequestBuilder.pod(namespace).name(pod.getMetadata().getName()).user("e2e-admin", "system:masters")
                .runtimeClass(pod.getSpec().getRuntimeClassName()).build();
    }

    private Optional<String> dryRunDenial(String namespace, Pod pod) {
        try {
            admin.pods().inNamespace(namespace).resource(pod).dryRun().create();
            return Optional.empty();
        } catch (KubernetesClientException denial) {
            return Optional.of(denial.getMessage());
        }
    }

    private Optional<JsonNode> auditAnnotations(String namespace, String podName) throws IOException {
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(kubernetes.auditLog())) {
            JsonNode event = json.readTree(line);
            JsonNode object = event.path("objectRef");
            if (event.path("verb").asText().equals("create") && event.path("stage").asText().equals("ResponseComplete")
                    && object.path("resource").asText().equals("pods") && object.path("subresource").isMissingNode()
                    && object.path("namespace").asText().equals(namespace) && object.path("name").asText().equals(podName)) {
                return Optional.of(event.path("annotations"));
            }
        }
        return Optional.empty();
    }

    private static Pod pod(String name, String runtimeClass) {
        return new PodBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec()
                .withRuntimeClassName(runtimeClass)
                .addNewContainer().withName("app").withImage("registry.k8s.io/pause:3.10").endContainer()
                .endSpec().build();
    }

    private static ConfigMap policyConfigMap(String name, String policy) {
        return new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(POLICY_NAMESPACE)
                .addToLabels(PolicyConfigMaps.LABEL, PolicyConfigMaps.LABEL_VALUE).endMetadata()
                .addToData("policy.yaml", policy).build();
    }

    private static String editPolicy(String allowed) {
        return """
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: e2e-edit
                priority: 999
                namespaces:
                  names: [e2e-edit]
                runtimeClass:
                  allowed: %s
                """.formatted(allowed);
    }
}
