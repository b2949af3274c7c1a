package io.runtimeclassguard.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.runtimeclassguard.admission.WebhookName;
import io.runtimeclassguard.admission.http.ClientCertificateRefusals;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.policy.evaluation.AdmissionPipeline;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Evaluator;
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

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

import static io.runtimeclassguard.e2e.Fixtures.editPolicy;
import static io.runtimeclassguard.e2e.Fixtures.pod;
import static io.runtimeclassguard.e2e.Fixtures.policyConfigMap;
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
    /** The webhook names the chart registers; audit annotations carry them as prefixes. */
    private static final String MUTATING_WEBHOOK = WebhookName.PODS_MUTATE.qualifiedName();
    private static final String VALIDATING_WEBHOOK = WebhookName.PODS_VALIDATE.qualifiedName();
    private static final String WORKLOAD_WEBHOOK = WebhookName.WORKLOADS_VALIDATE.qualifiedName();
    private static final String POLICY_WEBHOOK = WebhookName.POLICIES_VALIDATE.qualifiedName();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private LocalKubernetes kubernetes;
    private KubernetesClient admin;
    private ClusterWebhook webhook;
    private MutualTls mutualTls;

    @BeforeAll
    void startClusterAndWebhook() throws IOException {
        Path work = Files.createDirectories(Path.of("target", "e2e",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))).toAbsolutePath();
        TestPki pki = new TestPki();
        // Mutual TLS on: every scenario below reaches the webhook only with the apiserver's client certificate.
        mutualTls = new MutualTls(pki, work);
        kubernetes = LocalKubernetes.start(Path.of(System.getenv(LocalKubernetes.KUBE_BIN)), work, pki,
                mutualTls.apiserverFlags());
        admin = kubernetes.newClient();
        Fixtures.applyShippedPolicies(admin);

        webhook = ClusterWebhook.start(kubernetes.kubeconfig(), pki, work, mutualTls.webhookPort(),
                mutualTls.webhookProperties());
        PolicyContent.assertSameContent(snapshot().policies(), Fixtures.shippedPolicies().policies());
        new Chart(admin, work).registerWebhooks(webhook.baseUrl(), pki.caPem());
        // The apiserver picks up webhook configurations asynchronously: wait until a dry run is mutated.
        await("webhooks in force").atMost(TIMEOUT).until(() -> admin.pods().inNamespace("untrusted-workloads")
                .resource(pod("probe", null)).dryRun().create().getSpec().getRuntimeClassName() != null);
    }

    @AfterAll
    void stopAll() throws Exception {
        Fixtures.closeAll(webhook, admin, kubernetes);
    }

    /**
     * Every call the apiserver made in this suite carried its client certificate from the AdmissionConfiguration and
     * was let through; a client without one is refused at the handshake, and counted as such.
     */
    @Test
    void onlyTheApiserversClientCertificateGetsPastTheHandshake() throws Exception {
        ClientCertificateRefusals refusals = webhook.bean(ClientCertificateRefusals.class);
        admin.pods().inNamespace("untrusted-workloads").resource(pod("through-mtls", null)).dryRun().create();
        HttpClient withoutCertificate = HttpClient.newBuilder().sslContext(mutualTls.withoutClientCertificate()).build();

        Throwable refused = catchThrowable(() -> withoutCertificate.send(HttpRequest.newBuilder(
                URI.create(webhook.baseUrl() + "/mutate")).timeout(Duration.ofSeconds(10))
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
        Deployment deployment = Fixtures.deployment("web", "runc-fast");
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
                .until(() -> kubernetes.auditAnnotations("untrusted-workloads", "audited"), Optional::isPresent).orElseThrow();

        assertThat(annotations.path(MUTATING_WEBHOOK + "/decision").asText()).isEqualTo("mutated");
        assertThat(annotations.path(MUTATING_WEBHOOK + "/policy").asText()).isEqualTo("untrusted");
        assertThat(annotations.path(MUTATING_WEBHOOK + "/runtime-class").asText()).isEqualTo("gvisor");
        assertThat(annotations.path(MUTATING_WEBHOOK + "/reason").asText()).isNotEmpty();
        assertThat(annotations.path(VALIDATING_WEBHOOK + "/decision").asText()).isEqualTo("allowed");
        assertThat(annotations.path(VALIDATING_WEBHOOK + "/runtime-class").asText()).isEqualTo("gvisor");
    }

    @Test
    void aPolicyConfigMapEditTakesEffectWithoutARestart() {
        Fixtures.createNamespace(admin, "e2e-edit");
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
                + Chart.NAMESPACE);
    }

    private ClusterSnapshot snapshot() {
        return webhook.snapshot();
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
}
