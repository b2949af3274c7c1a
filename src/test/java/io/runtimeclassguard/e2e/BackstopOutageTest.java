package io.runtimeclassguard.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.MeterRegistry;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.metrics.BackstopMetrics;
import io.runtimeclassguard.policy.backstop.BackstopScope;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Evaluator;
import io.runtimeclassguard.policy.evaluation.Stage;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.kube.WorkloadKind;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.testing.ReviewRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.runtimeclassguard.e2e.Fixtures.editPolicy;
import static io.runtimeclassguard.e2e.Fixtures.pod;
import static io.runtimeclassguard.e2e.Fixtures.policyConfigMap;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The backstop on a real kube-apiserver. Installed as the chart installs it (its placeholder admission policies and
 * bindings, its RBAC, its Pod webhooks failing open), the webhook writes the policy set into the admission policies
 * with nothing but the chart's RBAC and follows a policy ConfigMap edit; then, with the webhook stopped, the
 * apiserver enforces the policy set itself. Each command a user would type is written with its output to
 * {@code transcript.txt} in the run's folder.
 */
@Tag("e2e")
@ExtendWith(EndToEndCondition.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class BackstopOutageTest {
    /** The order of the one test that needs the webhook running. */
    static final int WEBHOOK_UP = 1;
    /** The order of the tests that stop the webhook first (once: it is not started again). */
    static final int WEBHOOK_DOWN = 2;
    /** The order of the check that README shows what the others printed. */
    static final int AFTER_ALL_COMMANDS = 3;
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final String UNCONSTRAINED = "e2e-free";
    private static final String EDITED = Fixtures.EDITED_NAMESPACE;
    private static final BackstopScope SCOPE = new BackstopScope(BackstopScope.DEFAULT_PREFIX, List.of());

    private final List<String> apiserverFlags;
    private final boolean mutatingServed;
    LocalKubernetes kubernetes;
    KubernetesClient admin;
    private ClusterWebhook webhook;
    private ClusterSnapshot lastSnapshot;
    private Path transcript;

    BackstopOutageTest(List<String> apiserverFlags, boolean mutatingServed) {
        this.apiserverFlags = List.copyOf(apiserverFlags);
        this.mutatingServed = mutatingServed;
    }

    @BeforeAll
    void installAndLetTheWebhookWriteTheBackstop() throws IOException {
        Path work = Files.createDirectories(Path.of("target", "e2e", LocalDateTime.now()
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + getClass().getSimpleName())).toAbsolutePath();
        transcript = work.resolve("transcript.txt");
        TestPki pki = new TestPki();
        kubernetes = LocalKubernetes.start(Path.of(System.getenv(LocalKubernetes.KUBE_BIN)), work, pki, apiserverFlags);
        admin = kubernetes.newClient();
        Fixtures.applyShippedPolicies(admin);
        Fixtures.createNamespace(admin, UNCONSTRAINED);
        Fixtures.createNamespace(admin, EDITED);

        Chart chart = new Chart(admin, work);
        List<String> templates = new ArrayList<>(List.of("webhook-rbac.yaml", "backstop-validating.yaml"));
        if (mutatingServed) {
            templates.add("backstop-mutating.yaml");
        }
        List<HasMetadata> installed = chart.render(List.of("backstop.mutating=" + (mutatingServed ? "on" : "off")),
                templates.toArray(String[]::new));
        installed.forEach(object -> admin.resource(object).create());

        TestPki.Issued serviceAccount = pki.client(serviceAccountUser(installed),
                List.of("system:serviceaccounts", "system:serviceaccounts:" + Chart.NAMESPACE));
        webhook = ClusterWebhook.start(kubernetes.kubeconfigFor("webhook", serviceAccount), pki, work,
                "--runtimeclass-guard.backstop.enabled=true");
        chart.registerWebhooks(webhook.baseUrl(), pki.caPem());
        await("the backstop written and in step").atMost(TIMEOUT).until(this::backstopInStep);
        await("the backstop in force in the apiserver").atMost(TIMEOUT)
                .until(() -> backstopDenial("untrusted-workloads", "standard").isPresent());
    }

    @AfterAll
    void stopAll() throws Exception {
        Fixtures.closeAll(webhook, admin, kubernetes);
    }

    @Test
    @Order(WEBHOOK_UP)
    void theBackstopFollowsAPolicyConfigMapEdit() {
        assertThat(webhook.running()).as("this test runs before the webhook is stopped").isTrue();
        LocalKubernetes.Kubectl created = applyPolicy("[gvisor]");
        assertThat(created.exitCode()).as(created.stderr()).isZero();
        await("policy e2e-edit in the backstop").atMost(TIMEOUT)
                .until(() -> backstopDenial(EDITED, "kata").isPresent());
        LocalKubernetes.Kubectl before = dryRunDeployment(EDITED, "kata", "before the edit");

        LocalKubernetes.Kubectl edited = applyPolicy("[gvisor, kata]");
        assertThat(edited.exitCode()).as(edited.stderr()).isZero();
        await("the edit in the backstop").atMost(TIMEOUT)
                .until(() -> backstopDenial(EDITED, "kata").isEmpty() && backstopInStep());
        LocalKubernetes.Kubectl after = dryRunDeployment(EDITED, "kata", "after the edit");

        assertThat(before.exitCode()).isOne();
        assertThat(before.stderr()).contains(refusedBy(Mode.ENFORCE) + " denied request: ");
        assertThat(after.exitCode()).as(after.stderr()).isZero();
    }

    @Test
    @Order(WEBHOOK_DOWN)
    void aPodNamingADisallowedClassIsDeniedWithTheWebhooksMessage() {
        Pod pod = pod("standard-pod", "standard");
        Decision expected = validate(podRequest("untrusted-workloads", pod));
        assertThat(expected.allowed()).isFalse();

        LocalKubernetes.Kubectl kubectl = create("untrusted-workloads", pod);

        assertThat(kubectl.exitCode()).isOne();
        assertThat(kubectl.stderr()).contains("pods \"standard-pod\" is forbidden: " + refusedBy(Mode.ENFORCE)
                + " denied request: " + expected.message());
    }

    @Test
    @Order(WEBHOOK_DOWN)
    void aWorkloadTemplateNamingADisallowedClassIsDenied() {
        Deployment deployment = Fixtures.deployment("web", "standard");
        Decision expected = validate(ReviewRequestBuilder.workload(WorkloadKind.DEPLOYMENT, "untrusted-workloads")
                .name("web").user("e2e-admin", "system:masters").runtimeClass("standard").build());
        assertThat(expected.allowed()).isFalse();

        KubernetesClientException denial = catchThrowableOfType(KubernetesClientException.class,
                () -> admin.apps().deployments().inNamespace("untrusted-workloads").resource(deployment).create());

        assertThat(denial.getMessage()).contains(refusedBy(Mode.ENFORCE) + " denied request: " + expected.message());
    }

    @Test
    @Order(WEBHOOK_DOWN)
    void aPodInAnUnconstrainedNamespaceIsCreated() {
        LocalKubernetes.Kubectl kubectl = create(UNCONSTRAINED, pod("free", "standard"));

        assertThat(kubectl.exitCode()).as(kubectl.stderr()).isZero();
        assertThat(kubectl.stdout()).contains("pod/free created");
        assertThat(kubectl.stderr()).isEmpty();
    }

    @Test
    @Order(WEBHOOK_DOWN)
    void aWarnModeViolationIsCreatedWithAWarning() {
        Pod pod = pod("warned", "kata");
        Decision expected = validate(podRequest("staging-web", pod));
        assertThat(expected.allowed()).isTrue();
        assertThat(expected.outcome()).isEqualTo(Decision.Outcome.WARNED);

        LocalKubernetes.Kubectl kubectl = create("staging-web", pod);

        assertThat(kubectl.exitCode()).as(kubectl.stderr()).isZero();
        assertThat(kubectl.stdout()).contains("pod/warned created");
        assertThat(kubectl.stderr()).contains("Warning: Validation failed for " + refusedBy(Mode.WARN) + ": "
                + expected.message());
    }

    @Test
    @Order(WEBHOOK_DOWN)
    void theEditedPolicyHoldsWithTheWebhookStopped() {
        Pod denied = pod("edited-standard", "standard");
        Decision expected = validate(podRequest(EDITED, denied));

        LocalKubernetes.Kubectl allowed = create(EDITED, pod("edited-kata", "kata"));
        LocalKubernetes.Kubectl refused = create(EDITED, denied);

        assertThat(allowed.exitCode()).as(allowed.stderr()).isZero();
        assertThat(refused.exitCode()).isOne();
        assertThat(refused.stderr()).contains(refusedBy(Mode.ENFORCE) + " denied request: " + expected.message());
    }

    @Test
    @Order(WEBHOOK_DOWN)
    void theDecisionIsRecordedAsAuditAnnotations() throws IOException {
        stopTheWebhook();
        admin.pods().inNamespace("untrusted-workloads").resource(pod("audited", "gvisor")).create();

        JsonNode annotations = await("the audit event of Pod audited").atMost(TIMEOUT)
                .until(() -> kubernetes.auditAnnotations("untrusted-workloads", "audited"), Optional::isPresent).orElseThrow();

        String prefix = SCOPE.validatingName(Mode.ENFORCE) + "/";
        assertThat(annotations.path(prefix + "decision").asText()).isEqualTo("allowed");
        assertThat(annotations.path(prefix + "policy").asText()).isEqualTo("untrusted");
        assertThat(annotations.path(prefix + "runtime-class").asText()).isEqualTo("gvisor");
        assertThat(annotations.path(prefix + "reason").asText()).isEqualTo(Decision.Reason.CLASS_ALLOWED.wireName());
        assertThat(annotations.path(SCOPE.validatingName(Mode.WARN) + "/decision").isMissingNode())
                .as("only the policy of the governing policy's mode annotates").isTrue();
    }

    /**
     * README's "If the webhook is down" shows real output: wherever it shows a command this run typed too, it shows
     * what the apiserver printed for it here, word for word.
     */
    @Test
    @Order(AFTER_ALL_COMMANDS)
    void theReadmeShowsWhatTheApiserverPrinted() throws IOException {
        Map<String, String> printed = commandsAndOutputs(Files.readString(transcript));
        String readme = Files.readString(Path.of("README.md"));
        int section = readme.indexOf("\n## If the webhook is down\n");
        assertThat(section).as("README's section").isNotNegative();
        String shown = readme.substring(section, readme.indexOf("\n## ", section + 1));
        Map<String, String> fromThisRun = new LinkedHashMap<>(commandsAndOutputs(fencedBlocks(shown)));
        fromThisRun.keySet().retainAll(printed.keySet());

        assertThat(fromThisRun).as("commands README shows from this run").hasSizeGreaterThanOrEqualTo(3);
        fromThisRun.forEach((command, output) -> assertThat(output).as(command).isEqualTo(printed.get(command)));
    }

    /** Each {@code $ command} line and the lines after it, up to a blank line or the next command. */
    private static Map<String, String> commandsAndOutputs(String text) {
        Map<String, String> commands = new LinkedHashMap<>();
        String command = null;
        StringBuilder output = new StringBuilder();
        for (String line : (text + "\n").lines().toList()) {
            if (command != null && (line.isBlank() || line.startsWith("$ "))) {
                commands.put(command, output.toString());
                command = null;
            }
            if (line.startsWith("$ ")) {
                command = line;
                output.setLength(0);
            } else if (command != null) {
                output.append(line).append('\n');
            }
        }
        return commands;
    }

    private static String fencedBlocks(String markdown) {
        StringBuilder blocks = new StringBuilder();
        boolean inside = false;
        for (String line : markdown.lines().toList()) {
            if (line.startsWith("```")) {
                inside = !inside;
                blocks.append('\n');
            } else if (inside) {
                blocks.append(line).append('\n');
            }
        }
        return blocks.toString();
    }

    /** With the webhook stopped: {@code kubectl create} of the Pod, recorded in the transcript. */
    LocalKubernetes.Kubectl create(String namespace, Pod pod) {
        stopTheWebhook();
        String manifest = admin.getKubernetesSerialization().asYaml(pod);
        LocalKubernetes.Kubectl kubectl = kubernetes.kubectl(manifest, "create", "--namespace=" + namespace, "-f", "-");
        String runtimeClass = Optional.ofNullable(pod.getSpec().getRuntimeClassName()).map(name -> ", runtimeClassName " + name)
                .orElse(", no runtimeClassName");
        record("$ kubectl create -n " + namespace + " -f pod.yaml    # Pod " + pod.getMetadata().getName() + runtimeClass
                + "\n" + kubectl.stderr() + kubectl.stdout());
        return kubectl;
    }

    /** {@code kubectl apply} of the labelled ConfigMap holding policy e2e-edit, recorded in the transcript. */
    private LocalKubernetes.Kubectl applyPolicy(String allowed) {
        String manifest = admin.getKubernetesSerialization().asYaml(policyConfigMap("policy-e2e-edit", editPolicy(allowed)));
        LocalKubernetes.Kubectl kubectl = kubernetes.kubectl(manifest, "apply", "-f", "-");
        record("$ kubectl apply -f policy-e2e-edit.yaml    # policy e2e-edit for namespace " + EDITED + ", allowed: " + allowed
                + "\n" + kubectl.stderr() + kubectl.stdout());
        return kubectl;
    }

    /** {@code kubectl create --dry-run=server} of a Deployment whose template names the class, recorded in the transcript. */
    private LocalKubernetes.Kubectl dryRunDeployment(String namespace, String runtimeClass, String when) {
        String manifest = admin.getKubernetesSerialization().asYaml(Fixtures.deployment("web", runtimeClass));
        LocalKubernetes.Kubectl kubectl = kubernetes.kubectl(manifest, "create", "--dry-run=server", "--namespace=" + namespace,
                "-f", "-");
        record("$ kubectl create --dry-run=server -n " + namespace + " -f deployment.yaml    # Deployment web, runtimeClassName "
                + runtimeClass + ", " + when + "\n" + kubectl.stderr() + kubectl.stdout());
        return kubectl;
    }

    /** Stops the webhook once, keeping what it last knew; the apiserver then finds nobody at the webhooks' URL. */
    ClusterSnapshot stopTheWebhook() {
        if (webhook.running()) {
            lastSnapshot = webhook.snapshot();
            webhook.close();
        }
        return lastSnapshot;
    }

    /** What the webhook's {@code /validate} decides, with the policy set it had when it stopped. */
    Decision validate(ReviewRequest request) {
        ClusterSnapshot snapshot = stopTheWebhook();
        return Evaluator.evaluate(Stage.VALIDATE, request, snapshot.namespace(request.namespace()), snapshot.policies(),
                snapshot.runtimeClasses());
    }

    static ReviewRequest podRequest(String namespace, Pod pod) {
        return ReviewRequestBuilder.pod(namespace).name(pod.getMetadata().getName()).user("e2e-admin", "system:masters")
                .runtimeClass(pod.getSpec().getRuntimeClassName()).build();
    }

    /** How the apiserver names the backstop policy of a mode and its binding in a denial or warning. */
    static String refusedBy(Mode mode) {
        return "ValidatingAdmissionPolicy '" + SCOPE.validatingName(mode) + "' with binding '" + SCOPE.validatingName(mode) + "'";
    }

    void record(String lines) {
        try {
            Files.writeString(transcript, lines + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException failure) {
            throw new IllegalStateException(failure);
        }
    }

    private boolean backstopInStep() {
        return webhook.bean(MeterRegistry.class).get(BackstopMetrics.IN_STEP).gauge().value() == 1;
    }

    /**
     * The backstop's denial of a dry-run Deployment whose template names the class. A Deployment, not a Pod: with the
     * webhook up, its mutating webhook refuses a Pod before any admission policy runs, while the admission policies
     * run before the validating webhooks, so a denial of a Deployment names the backstop whenever it holds.
     */
    private Optional<String> backstopDenial(String namespace, String runtimeClass) {
        try {
            admin.apps().deployments().inNamespace(namespace).resource(Fixtures.deployment("probe", runtimeClass)).dryRun().create();
            return Optional.empty();
        } catch (KubernetesClientException denial) {
            return Optional.of(denial.getMessage()).filter(message -> message.contains(refusedBy(Mode.ENFORCE)));
        }
    }

    /** The user the chart's ServiceAccount authenticates as, from the chart's own ClusterRoleBinding. */
    private static String serviceAccountUser(List<HasMetadata> installed) {
        Subject subject = installed.stream().filter(ClusterRoleBinding.class::isInstance).map(ClusterRoleBinding.class::cast)
                .findFirst().orElseThrow().getSubjects().getFirst();
        return "system:serviceaccount:" + subject.getNamespace() + ":" + subject.getName();
    }
}
