package io.runtimeclassguard.policy.model;

import io.runtimeclassguard.policy.kube.Quantities;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class MatchingTest {
    @ParameterizedTest(name = "{0} ~ {1} -> {2}")
    @CsvSource({
            "tenant-*, tenant-a, true",
            "tenant-*, tenant-, true",
            "tenant-*, tenant, false",
            "tenant-*, my-tenant-a, false",
            "*-prod, shop-prod, true",
            "*-prod, shop-prod-2, false",
            "a*b*c, axxbyyc, true",
            "a*b*c, axxbyy, false",
            "team-?, team-1, true",
            "team-?, team-12, false",
            "*, anything, true",
            "exact, exact, true",
            "exact, exactly, false",
            "**x, x, true",
    })
    void globs(String pattern, String name, boolean matches) {
        assertThat(new NameGlob(pattern).matches(name)).isEqualTo(matches);
    }

    @ParameterizedTest(name = "{0} on {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "In:low,medium | trust=low | true",
            "In:low,medium | trust=high | false",
            "In:low | '' | false",
            "NotIn:high | trust=low | true",
            "NotIn:high | trust=high | false",
            "NotIn:high | '' | true",
            "Exists | trust=x | true",
            "Exists | other=x | false",
            "DoesNotExist | other=x | true",
            "DoesNotExist | trust=x | false",
    })
    void selectorRequirements(String requirement, String labels, boolean matches) {
        String[] parts = requirement.split(":");
        LabelSelector.Operator operator = LabelSelector.Operator.fromWireName(parts[0]).orElseThrow();
        List<String> values = parts.length > 1 ? List.of(parts[1].split(",")) : List.of();
        LabelSelector selector = new LabelSelector(Map.of(), List.of(new LabelSelector.Requirement("trust", operator, values)));
        Map<String, String> labelMap = labels.isEmpty() ? Map.of() : Map.of(labels.split("=")[0], labels.split("=")[1]);

        assertThat(selector.matches(labelMap)).isEqualTo(matches);
    }

    @ParameterizedTest(name = "{0} == {1} -> {2}")
    @CsvSource({
            "64Mi, 67108864, true",
            "50m, 0.05, true",
            "1, 1000m, true",
            "1Gi, 1024Mi, true",
            "1G, 1000M, true",
            "1Gi, 1G, false",
            "100m, 0.2, false",
    })
    void quantitiesCompareByValue(String left, String right, boolean equal) {
        assertThat(Quantities.sameResources(Map.of("memory", left), Map.of("memory", right))).isEqualTo(equal);
    }

    @org.junit.jupiter.api.Test
    void differentResourceNamesNeverMatch() {
        assertThat(Quantities.sameResources(Map.of("cpu", "1"), Map.of("memory", "1"))).isFalse();
        assertThat(Quantities.sameResources(Map.of("cpu", "1"), Map.of("cpu", "1", "memory", "1"))).isFalse();
    }

    @org.junit.jupiter.api.Test
    void matchLabelsAndExpressionsMustAllHold() {
        LabelSelector selector = new LabelSelector(Map.of("tenant-type", "external"),
                List.of(new LabelSelector.Requirement("trust", LabelSelector.Operator.IN, List.of("low"))));

        assertThat(selector.matches(Map.of("tenant-type", "external", "trust", "low"))).isTrue();
        assertThat(selector.matches(Map.of("tenant-type", "external"))).isFalse();
        assertThat(selector).hasToString("tenant-type=external,trust in (low)");
    }
}
