package io.runtimeclassguard.e2e;

import io.runtimeclassguard.policy.model.PolicySet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Compares policy sets by what their policies say, not by where they were read from. The same policy names
 * {@code policies/policy-untrusted.yaml:12:5} when read from the shipped file and
 * {@code runtimeclass-guard/policy-untrusted[untrusted.yaml]:1:1} when read from its ConfigMap in a cluster, so
 * a plain {@code equals} of the two sets never holds.
 */
final class PolicyContent {
    private PolicyContent() {
    }

    static void assertSameContent(PolicySet actual, PolicySet expected) {
        assertThat(actual.policies())
                .as("the policies in force, compared without their source locations")
                .usingRecursiveFieldByFieldElementComparatorIgnoringFields("source")
                .containsExactlyElementsOf(expected.policies());
    }
}
