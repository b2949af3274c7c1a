package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.RuleWithOperations;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ServiceReference;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.runtimeclassguard.admission.WebhookName;
import io.runtimeclassguard.policy.kube.WorkloadKind;
import io.runtimeclassguard.policy.loading.PolicyConfigMaps;
import java.util.Arrays;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class WebhookConfigurationTest {

    private static final String PODS_MUTATE = WebhookName.PODS_MUTATE.qualifiedName();
    private static final String PODS_VALIDATE = WebhookName.PODS_VALIDATE.qualifiedName();
    private static final String WORKLOADS = WebhookName.WORKLOADS_VALIDATE.qualifiedName();
    private static final String POLICIES = WebhookName.POLICIES_VALIDATE.qualifiedName();

    static Stream<Path> valuesFiles() {
        return Helm.allCiValues().stream();
    }

    @Test
    void theChartRegistersExactlyTheWebhooksTheCodeKnowsByName() {
        Rendered rendered = Helm.template();
        Stream<String> mutating = rendered.single(MutatingWebhookConfiguration.class).getWebhooks().stream()
                .map(MutatingWebhook::getName);
        Stream<String> validating = rendered.single(ValidatingWebhookConfiguration.class).getWebhooks().stream()
                .map(ValidatingWebhook::getName);

        assertThat(Stream.concat(mutating, validating)).containsExactlyInAnyOrderElementsOf(
                Stream.of(WebhookName.values()).map(WebhookName::qualifiedName).toList());
    }

    @Test
    void mutatingWebhookInjectsOnPodCreateAndIsReinvoked() {
        MutatingWebhookConfiguration config = Helm.template().single(MutatingWebhookConfiguration.class);

        assertThat(config.getWebhooks()).extracting(MutatingWebhook::getName).containsExactly(PODS_MUTATE);
        MutatingWebhook hook = config.getWebhooks().getFirst();
        assertThat(hook.getReinvocationPolicy()).isEqualTo("IfNeeded");
        assertThat(hook.getClientConfig().getService().getPath()).isEqualTo("/mutate");
        assertThat(hook.getRules()).singleElement().satisfies(rule -> {
            assertThat(rule.getApiGroups()).containsExactly("");
            assertThat(rule.getApiVersions()).containsExactly("v1");
            assertThat(rule.getResources()).containsExactly("pods");
            assertThat(rule.getOperations()).containsExactly("CREATE");
        });
    }

    @Test
    void validatingWebhooksCoverPodsWorkloadsAndPolicyConfigMaps() {
        ValidatingWebhookConfiguration config = Helm.template().single(ValidatingWebhookConfiguration.class);

        assertThat(config.getWebhooks()).extracting(ValidatingWebhook::getName)
                .containsExactly(PODS_VALIDATE, WORKLOADS, POLICIES);
        assertThat(config.getWebhooks()).allSatisfy(
                hook -> assertThat(hook.getClientConfig().getService().getPath()).isEqualTo("/validate"));

        ValidatingWebhook policies = validating(config, POLICIES);
        assertThat(resources(policies.getRules()))
                .containsExactly(tuple("", "configmaps", List.of("CREATE", "UPDATE")));
        assertThat(policies.getObjectSelector().getMatchLabels())
                .containsExactly(Map.entry(PolicyConfigMaps.LABEL, PolicyConfigMaps.LABEL_VALUE));
    }

    @Test
    void podAndWorkloadRulesCoverExactlyTheKindsTheWebhookDecidesOn() {
        Rendered rendered = Helm.template();
        ValidatingWebhookConfiguration validating = rendered.single(ValidatingWebhookConfiguration.class);
        List<MutatingWebhook> mutating = rendered.single(MutatingWebhookConfiguration.class).getWebhooks();
        WorkloadKind pod = WorkloadKind.POD;
        List<WorkloadKind> templates = Arrays.stream(WorkloadKind.values()).filter(kind -> !kind.isPod()).toList();

        assertThat(resources(mutating.getFirst().getRules()))
                .containsExactly(tuple(pod.group(), pod.resource(), List.of("CREATE")));
        assertThat(resources(validating(validating, PODS_VALIDATE).getRules()))
                .containsExactly(tuple(pod.group(), pod.resource(), List.of("CREATE")));
        assertThat(resources(validating(validating, WORKLOADS).getRules())).containsExactlyInAnyOrderElementsOf(
                templates.stream().map(kind -> tuple(kind.group(), kind.resource(), List.of("CREATE", "UPDATE"))).toList());
    }

    @Test
    void podAndWorkloadWebhooksSkipTheControlPlaneAndTheirOwnNamespace() {
        Rendered rendered = Helm.template();

        for (LabelSelector selector : podAndWorkloadSelectors(rendered)) {
            assertThat(excludedNames(selector))
                    .containsExactlyInAnyOrder("kube-system", "kube-node-lease", Helm.NAMESPACE);
        }
    }

    @Test
    void excludedNamespacesFromValuesAreAddedToTheBuiltInOnes() {
        Rendered rendered = Helm.template("-f", Helm.ciValues("ha-networkpolicy-servicemonitor-values.yaml").toString());

        for (LabelSelector selector : podAndWorkloadSelectors(rendered)) {
            assertThat(excludedNames(selector)).containsExactlyInAnyOrder(
                    "kube-system", "kube-node-lease", Helm.NAMESPACE, "cert-manager", "monitoring");
        }
    }

    @Test
    void policyWebhookCoversTheReleaseNamespaceAndEveryTenant() {
        ValidatingWebhook policies = validating(Helm.template().single(ValidatingWebhookConfiguration.class), POLICIES);

        // Policies are edited in the release namespace, and a tenant labelling a ConfigMap in its own
        // namespace must hear where policies live: only the control plane is left out.
        assertThat(excludedNames(policies.getNamespaceSelector()))
                .containsExactlyInAnyOrder("kube-system", "kube-node-lease")
                .doesNotContain(Helm.NAMESPACE);
    }

    @Test
    void withTheBackstopByDefaultEveryWebhookFailsOpen() {
        Rendered rendered = Helm.template();
        MutatingWebhook mutate = rendered.single(MutatingWebhookConfiguration.class).getWebhooks().getFirst();
        ValidatingWebhookConfiguration validating = rendered.single(ValidatingWebhookConfiguration.class);

        assertThat(mutate.getFailurePolicy()).isEqualTo("Ignore");
        assertThat(mutate.getTimeoutSeconds()).isEqualTo(5);
        assertThat(validating(validating, PODS_VALIDATE).getFailurePolicy()).isEqualTo("Ignore");
        assertThat(validating(validating, PODS_VALIDATE).getTimeoutSeconds()).isEqualTo(5);
        assertThat(validating(validating, WORKLOADS).getFailurePolicy()).isEqualTo("Ignore");
        assertThat(validating(validating, POLICIES).getFailurePolicy()).isEqualTo("Ignore");
    }

    @Test
    void withoutTheBackstopThePodWebhooksFailClosed() {
        Rendered rendered = Helm.template("--set", "backstop.enabled=false");
        MutatingWebhook mutate = rendered.single(MutatingWebhookConfiguration.class).getWebhooks().getFirst();
        ValidatingWebhookConfiguration validating = rendered.single(ValidatingWebhookConfiguration.class);

        assertThat(mutate.getFailurePolicy()).isEqualTo("Fail");
        assertThat(validating(validating, PODS_VALIDATE).getFailurePolicy()).isEqualTo("Fail");
        assertThat(validating(validating, WORKLOADS).getFailurePolicy()).isEqualTo("Ignore");
    }

    @Test
    void anExplicitPodFailurePolicyWinsOverTheBackstopDefault() {
        Rendered rendered = Helm.template("--set", "webhooks.pods.validate.failurePolicy=Fail");

        assertThat(validating(rendered.single(ValidatingWebhookConfiguration.class), PODS_VALIDATE).getFailurePolicy())
                .isEqualTo("Fail");
        assertThat(rendered.single(MutatingWebhookConfiguration.class).getWebhooks().getFirst().getFailurePolicy())
                .isEqualTo("Ignore");
    }

    @Test
    void failurePoliciesAndTimeoutsComeFromValues() {
        Rendered rendered = Helm.template("-f", Helm.ciValues("ignore-failure-values.yaml").toString());
        MutatingWebhook mutate = rendered.single(MutatingWebhookConfiguration.class).getWebhooks().getFirst();
        ValidatingWebhookConfiguration validating = rendered.single(ValidatingWebhookConfiguration.class);

        assertThat(mutate.getFailurePolicy()).isEqualTo("Ignore");
        assertThat(mutate.getTimeoutSeconds()).isEqualTo(3);
        assertThat(validating(validating, PODS_VALIDATE).getFailurePolicy()).isEqualTo("Ignore");
        assertThat(validating(validating, PODS_VALIDATE).getTimeoutSeconds()).isEqualTo(3);
        assertThat(validating(validating, WORKLOADS).getFailurePolicy()).isEqualTo("Ignore");
        assertThat(validating(validating, WORKLOADS).getTimeoutSeconds()).isEqualTo(2);
        assertThat(validating(validating, POLICIES).getFailurePolicy()).isEqualTo("Fail");
        assertThat(validating(validating, POLICIES).getTimeoutSeconds()).isEqualTo(10);
    }

    @ParameterizedTest
    @MethodSource("valuesFiles")
    void everyWebhookIsSideEffectFreeSpeaksV1AndCallsTheServiceOn443(Path values) {
        Rendered rendered = Helm.template("-f", values.toString());
        Service service = rendered.single(Service.class);
        MutatingWebhookConfiguration mutating = rendered.single(MutatingWebhookConfiguration.class);
        ValidatingWebhookConfiguration validating = rendered.single(ValidatingWebhookConfiguration.class);

        for (MutatingWebhook hook : mutating.getWebhooks()) {
            assertCommon(hook.getSideEffects(), hook.getAdmissionReviewVersions(), hook.getMatchPolicy(),
                    hook.getTimeoutSeconds(), hook.getClientConfig().getService(), service);
        }
        for (ValidatingWebhook hook : validating.getWebhooks()) {
            assertCommon(hook.getSideEffects(), hook.getAdmissionReviewVersions(), hook.getMatchPolicy(),
                    hook.getTimeoutSeconds(), hook.getClientConfig().getService(), service);
        }
    }

    private static void assertCommon(String sideEffects, List<String> versions, String matchPolicy, Integer timeout,
            ServiceReference target, Service service) {
        assertThat(sideEffects).isEqualTo("None");
        assertThat(versions).containsExactly("v1");
        assertThat(matchPolicy).isEqualTo("Equivalent");
        assertThat(timeout).isBetween(1, 30);
        assertThat(target.getName()).isEqualTo(service.getMetadata().getName());
        assertThat(target.getNamespace()).isEqualTo(Helm.NAMESPACE);
        assertThat(target.getPort()).isEqualTo(443);
        assertThat(service.getSpec().getPorts()).anySatisfy(port -> assertThat(port.getPort()).isEqualTo(443));
    }

    static ValidatingWebhook validating(ValidatingWebhookConfiguration config, String name) {
        return config.getWebhooks().stream().filter(hook -> hook.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no validating webhook " + name));
    }

    private static List<LabelSelector> podAndWorkloadSelectors(Rendered rendered) {
        ValidatingWebhookConfiguration validating = rendered.single(ValidatingWebhookConfiguration.class);
        return List.of(
                rendered.single(MutatingWebhookConfiguration.class).getWebhooks().getFirst().getNamespaceSelector(),
                validating(validating, PODS_VALIDATE).getNamespaceSelector(),
                validating(validating, WORKLOADS).getNamespaceSelector());
    }

    /** The names a selector leaves out; it must do so by name and by nothing else. */
    private static List<String> excludedNames(LabelSelector selector) {
        assertThat(selector.getMatchLabels()).isNullOrEmpty();
        assertThat(selector.getMatchExpressions()).singleElement().satisfies(expression -> {
            assertThat(expression.getKey()).isEqualTo("kubernetes.io/metadata.name");
            assertThat(expression.getOperator()).isEqualTo("NotIn");
        });
        LabelSelectorRequirement expression = selector.getMatchExpressions().getFirst();
        assertThat(expression.getValues()).doesNotHaveDuplicates();
        return expression.getValues();
    }

    private static List<org.assertj.core.groups.Tuple> resources(List<RuleWithOperations> rules) {
        return rules.stream()
                .peek(rule -> {
                    assertThat(rule.getApiVersions()).containsExactly("v1");
                    assertThat(rule.getApiGroups()).hasSize(1);
                    assertThat(rule.getScope()).isEqualTo("Namespaced");
                })
                .flatMap(rule -> rule.getResources().stream()
                        .map(resource -> tuple(rule.getApiGroups().getFirst(), resource, rule.getOperations())))
                .toList();
    }
}
