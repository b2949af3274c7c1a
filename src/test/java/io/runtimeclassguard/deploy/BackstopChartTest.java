package io.runtimeclassguard.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.runtimeclassguard.policy.backstop.Backstop;
import io.runtimeclassguard.policy.backstop.BackstopGenerator;
import io.runtimeclassguard.policy.backstop.BackstopScope;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.model.PolicySet;
import io.runtimeclassguard.testing.CelAdmission;
import io.runtimeclassguard.testing.EvaluatorCase;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The chart creates the backstop objects the webhook writes into, under the names the webhook is told. */
class BackstopChartTest {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final String MAP_API = "admissionregistration.k8s.io/v1beta1/MutatingAdmissionPolicy";

    @Test
    void theChartCreatesOnePolicyAndBindingPerModeUnderTheNamesTheWebhookIsTold() {
        Rendered rendered = Helm.template();
        Map<String, String> env = env(rendered);
        BackstopScope scope = BackstopScope.forNamespace(env.get("RUNTIMECLASS_GUARD_BACKSTOP_NAME_PREFIX"),
                Helm.NAMESPACE, List.of());

        assertThat(env).containsEntry("RUNTIMECLASS_GUARD_BACKSTOP_ENABLED", "true")
                .containsEntry("RUNTIMECLASS_GUARD_BACKSTOP_LEASE_NAME", "rcg-runtimeclass-guard-backstop");
        assertThat(names(rendered, "ValidatingAdmissionPolicy")).containsExactlyInAnyOrderElementsOf(scope.validatingNames());
        assertThat(names(rendered, "ValidatingAdmissionPolicyBinding")).containsExactlyInAnyOrderElementsOf(scope.validatingNames());
    }

    @Test
    void theBindingsAreTheGeneratedOnesWithTheWebhooksExcludedNamespaces() {
        Rendered rendered = Helm.template("-f", Helm.ciValues("ha-networkpolicy-servicemonitor-values.yaml").toString(),
                "--set", "backstop.mutating=on");
        BackstopScope scope = BackstopScope.forNamespace(env(rendered).get("RUNTIMECLASS_GUARD_BACKSTOP_NAME_PREFIX"),
                Helm.NAMESPACE, List.of("cert-manager", "monitoring"));
        Backstop generated = BackstopGenerator.generate(PolicySet.EMPTY, RuntimeClassCatalog.EMPTY, scope);

        for (Mode mode : Mode.values()) {
            assertThat(json(rendered, "ValidatingAdmissionPolicyBinding", scope.validatingName(mode)).path("spec"))
                    .isEqualTo(generated.validatingBindings().get(mode).path("spec"));
        }
        assertThat(json(rendered, "MutatingAdmissionPolicyBinding", scope.mutatingName()).path("spec"))
                .isEqualTo(generated.mutatingBinding().path("spec"));
    }

    @Test
    void thePlaceholdersAllowEveryCaseUntilTheWebhookWritesThePolicySet() {
        Rendered rendered = Helm.template();
        List<String> policies = names(rendered, "ValidatingAdmissionPolicy");
        assertThat(policies).hasSize(3);

        for (Path folder : EvaluatorCase.folders()) {
            EvaluatorCase testCase = EvaluatorCase.load(folder);
            String kind = testCase.review().kind();
            CelAdmission.Input input = new CelAdmission.Input(testCase.review().group(), kind,
                    kind.toLowerCase(Locale.ROOT) + "s", testCase.review().operation().name(),
                    testCase.review().namespace(), testCase.namespace().labels(), testCase.review().username(),
                    testCase.review().groups(), testCase.object());
            for (String name : policies) {
                CelAdmission.Verdict verdict = CelAdmission.validate(json(rendered, "ValidatingAdmissionPolicy", name),
                        json(rendered, "ValidatingAdmissionPolicyBinding", name), input);
                assertThat(verdict.failed()).as("%s on %s", name, testCase.name()).isFalse();
                assertThat(verdict.errors()).isEmpty();
            }
        }
    }

    @Test
    void theMutatingPolicyComesWhereTheApiIsServedOrWhenAskedFor() {
        assertThat(names(Helm.template("--api-versions", MAP_API), "MutatingAdmissionPolicy"))
                .containsExactly("rcg-runtimeclass-guard-default");
        assertThat(names(Helm.template("--api-versions", MAP_API, "--set", "backstop.mutating=off"),
                "MutatingAdmissionPolicy")).isEmpty();
        assertThat(names(Helm.template("--set", "backstop.mutating=on"), "MutatingAdmissionPolicyBinding"))
                .containsExactly("rcg-runtimeclass-guard-default");
        JsonNode placeholder = json(Helm.template("--set", "backstop.mutating=on"), "MutatingAdmissionPolicy",
                "rcg-runtimeclass-guard-default");
        assertThat(placeholder.path("spec").path("mutations").get(0).path("jsonPatch").path("expression").asText())
                .isEqualTo("[JSONPatch{}].filter(patch, false)");
    }

    @Test
    void withoutTheBackstopTheChartCreatesNoAdmissionPolicy() {
        Rendered rendered = Helm.template("--set", "backstop.enabled=false", "--set", "backstop.mutating=on");

        assertThat(rendered.kinds()).noneMatch(kind -> kind.contains("AdmissionPolicy"));
        assertThat(env(rendered)).containsEntry("RUNTIMECLASS_GUARD_BACKSTOP_ENABLED", "false")
                .doesNotContainKey("RUNTIMECLASS_GUARD_BACKSTOP_NAME_PREFIX");
    }

    @Test
    void theGeneratedPoliciesMatchWhatThePlaceholdersMatchAndMore() {
        Rendered rendered = Helm.template();
        BackstopScope scope = BackstopScope.forNamespace(env(rendered).get("RUNTIMECLASS_GUARD_BACKSTOP_NAME_PREFIX"),
                Helm.NAMESPACE, List.of());
        JsonNode generated = BackstopGenerator.generate(PolicySet.EMPTY, RuntimeClassCatalog.EMPTY, scope).validatingPolicies().get(Mode.ENFORCE)
                .path("spec");
        JsonNode placeholder = json(rendered, "ValidatingAdmissionPolicy", scope.validatingName(Mode.ENFORCE)).path("spec");

        assertThat(generated.path("failurePolicy")).isEqualTo(placeholder.path("failurePolicy"));
        assertThat(generated.path("matchConstraints").path("resourceRules").get(0))
                .isEqualTo(placeholder.path("matchConstraints").path("resourceRules").get(0));
    }

    private static Map<String, String> env(Rendered rendered) {
        return rendered.single(Deployment.class).getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv()
                .stream().filter(var -> var.getValue() != null)
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }

    private static List<String> names(Rendered rendered, String kind) {
        return rendered.objects().stream().filter(object -> object.getKind().equals(kind))
                .map(object -> object.getMetadata().getName()).toList();
    }

    private static JsonNode json(Rendered rendered, String kind, String name) {
        HasMetadata object = rendered.objects().stream()
                .filter(o -> o.getKind().equals(kind) && o.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
        return SERIALIZATION.convertValue(object, JsonNode.class);
    }
}
