package io.runtimeclassguard.policy.evaluation;

import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.loading.PolicyConfigMaps;
import io.runtimeclassguard.policy.loading.PolicySource;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import io.runtimeclassguard.testing.ReviewRequestBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PolicyConfigMapReviewTest {
    private static final String POLICY = """
            apiVersion: runtimeclass-guard.io/v1alpha1
            kind: RuntimeClassPolicy
            name: untrusted
            priority: 300
            namespaces: {names: [untrusted-workloads]}
            runtimeClass: {default: gvisor, allowed: [gvisor]}
            """;

    private static ReviewRequest configMap(String namespace, Map<String, String> labels, Map<String, String> data) {
        return ReviewRequestBuilder.configMap(namespace, "policy-untrusted", labels, data).build();
    }

    private static final Map<String, String> LABELLED = Map.of(PolicyConfigMaps.LABEL, PolicyConfigMaps.LABEL_VALUE);

    @Test
    void validPolicyIsAllowed() {
        Decision decision = PolicyConfigMapReview.review(configMap("runtimeclass-guard", LABELLED,
                Map.of("untrusted.yaml", POLICY)), "runtimeclass-guard", Map.of());

        assertThat(decision.allowed()).isTrue();
        assertThat(decision.reason()).isEqualTo(Decision.Reason.POLICY_VALID);
    }

    @Test
    void brokenPolicyIsDeniedWithKeyLineAndColumn() {
        Decision decision = PolicyConfigMapReview.review(configMap("runtimeclass-guard", LABELLED,
                Map.of("untrusted.yaml", POLICY.replace("priority: 300", "priority: 300\nmodee: warn"))),
                "runtimeclass-guard", Map.of());

        assertThat(decision.allowed()).isFalse();
        assertThat(decision.reason()).isEqualTo(Decision.Reason.POLICY_INVALID);
        assertThat(decision.message()).contains("runtimeclass-guard/policy-untrusted[untrusted.yaml]:5:1: unknown field \"modee\"")
                .contains("the policies in force stay unchanged");
    }

    @Test
    void editIsValidatedTogetherWithTheOtherPolicyConfigMaps() {
        Map<String, List<PolicySource>> inForce = Map.of(
                "runtimeclass-guard/policy-untrusted", List.of(PolicySource.configMapKey("old", "p.yaml", POLICY)),
                "runtimeclass-guard/policy-other", List.of(PolicySource.configMapKey("runtimeclass-guard/policy-other", "o.yaml",
                        POLICY.replace("name: untrusted", "name: other").replace("untrusted-workloads", "x"))));

        Decision decision = PolicyConfigMapReview.review(configMap("runtimeclass-guard", LABELLED,
                Map.of("untrusted.yaml", POLICY)), "runtimeclass-guard", inForce);

        assertThat(decision.allowed()).isFalse();
        assertThat(decision.message()).contains("has priority 300, the same as policy \"other\"");
    }

    @Test
    void labelledConfigMapElsewhereIsDeniedSayingWherePoliciesLive() {
        Decision decision = PolicyConfigMapReview.review(configMap("tenant-a", LABELLED,
                Map.of("untrusted.yaml", POLICY)), "runtimeclass-guard", Map.of());

        assertThat(decision.allowed()).isFalse();
        assertThat(decision.reason()).isEqualTo(Decision.Reason.POLICY_OUTSIDE_NAMESPACE);
        assertThat(decision.message()).contains("read only from namespace runtimeclass-guard").contains("no effect");
    }

    @Test
    void unlabelledConfigMapIsNotOurs() {
        Decision decision = PolicyConfigMapReview.review(configMap("tenant-a", Map.of(), Map.of("x.yaml", "junk: [")),
                "runtimeclass-guard", Map.of());

        assertThat(decision.allowed()).isTrue();
        assertThat(decision.outcome()).isEqualTo(Decision.Outcome.IGNORED);
    }
}
