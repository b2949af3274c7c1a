package io.runtimeclassguard.policy.loading;

import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.policy.model.NameGlob;
import io.runtimeclassguard.policy.model.PolicySet;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import io.runtimeclassguard.policy.model.RuntimeClassRule;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PolicyLoaderTest {
    private static final String VALID = """
            apiVersion: runtimeclass-guard.io/v1alpha1
            kind: RuntimeClassPolicy
            name: untrusted
            priority: 100
            namespaces:
              names: [untrusted-workloads, "tenant-*"]
              selector:
                matchLabels: {tenant-type: external}
                matchExpressions: [{key: trust, operator: In, values: [low]}]
            runtimeClass:
              default: gvisor
              allowed: [gvisor, kata]
              required: true
            mode: warn
            exemptions:
              usernames: ["system:serviceaccount:ops:debugger"]
              groups: [platform-admins]
            """;

    private static PolicyLoadResult loadKey(String text) {
        return PolicyLoader.load(List.of(PolicySource.configMapKey("ns/cm", "p.yaml", text)));
    }

    private static List<String> errors(String text) {
        return loadKey(text).errors().stream().map(PolicyProblem::toString).toList();
    }

    @Test
    void readsEveryFieldOfAValidPolicy() {
        PolicyLoadResult result = loadKey(VALID);

        assertThat(result.errors()).isEmpty();
        RuntimeClassPolicy policy = result.policies().byName("untrusted").orElseThrow();
        assertThat(policy.priority()).isEqualTo(100);
        assertThat(policy.mode()).isEqualTo(Mode.WARN);
        assertThat(policy.runtimeClass().defaultClass()).contains("gvisor");
        assertThat(policy.runtimeClass().allowed()).extracting(NameGlob::pattern).containsExactly("gvisor", "kata");
        assertThat(policy.runtimeClass().required()).isTrue();
        assertThat(policy.exemptions().usernames()).containsExactly("system:serviceaccount:ops:debugger");
        assertThat(policy.exemptions().groups()).containsExactly("platform-admins");
        assertThat(policy.namespaces().explainMatch(NamespaceInfo.unlabelled("tenant-42"))).isPresent();
        assertThat(policy.namespaces().explainMatch(new NamespaceInfo("x", java.util.Map.of("tenant-type", "external", "trust", "low")))).isPresent();
        assertThat(policy.namespaces().explainMatch(new NamespaceInfo("x", java.util.Map.of("tenant-type", "external")))).isEmpty();
        assertThat(policy.source()).hasToString("ns/cm[p.yaml]:1:1");
    }

    @Test
    void unknownFieldIsReportedWithLineAndColumn() {
        assertThat(errors(VALID.replace("mode: warn", "mode: warn\nenforcement: strict")))
                .containsExactly("ns/cm[p.yaml]:15:1: unknown field \"enforcement\" (expected one of [apiVersion, exemptions, kind, mode, name, namespaces, priority, runtimeClass])");
    }

    @Test
    void unknownNestedFieldIsReportedWhereItIs() {
        assertThat(errors(VALID.replace("  required: true", "  requird: true")))
                .containsExactly("ns/cm[p.yaml]:13:3: unknown field \"requird\" (expected one of [allowed, allowedSelector, default, required])");
    }

    @Test
    void defaultOutsideAllowedIsAnError() {
        assertThat(errors(VALID.replace("default: gvisor", "default: standard")))
                .containsExactly("ns/cm[p.yaml]:11:12: runtimeClass.default \"standard\" is not in runtimeClass.allowed [gvisor, kata]");
    }

    @Test
    void defaultIsFineWhenAnyClassIsAllowed() {
        assertThat(errors(VALID.replace("default: gvisor", "default: standard").replace("[gvisor, kata]", "[\"*\"]"))).isEmpty();
    }

    @Test
    void duplicateNamesAndEqualPrioritiesAreSetErrorsNamingBothPlaces() {
        String second = VALID.replace("priority: 100", "priority: 200");
        PolicyLoadResult result = PolicyLoader.load(List.of(
                PolicySource.configMapKey("a", "p.yaml", VALID), PolicySource.configMapKey("b", "p.yaml", second),
                PolicySource.configMapKey("c", "p.yaml", VALID.replace("name: untrusted", "name: other"))));

        assertThat(result.ok()).isFalse();
        assertThat(result.policies()).isEqualTo(PolicySet.EMPTY);
        assertThat(result.errors()).extracting(PolicyProblem::toString).containsExactly(
                "b[p.yaml]:1:1: policy name \"untrusted\" is already used at a[p.yaml]:1:1",
                "c[p.yaml]:4:11: policy \"other\" has priority 100, the same as policy \"untrusted\" at a[p.yaml]:4:11; priorities must differ so the winner is never arbitrary");
    }

    @Test
    void badGlobAndBadSelectorAreErrors() {
        String broken = VALID.replace("\"tenant-*\"", "\"Tenant_*\"")
                .replace("operator: In, values: [low]", "operator: Among, values: [low]")
                .replace("{tenant-type: external}", "{\"bad key!\": external}");
        assertThat(errors(broken)).containsExactly(
                "ns/cm[p.yaml]:6:32: namespaces.names entry \"Tenant_*\" is not a namespace name or glob (lower-case letters, digits, '-', '*', '?'; at most 63)",
                "ns/cm[p.yaml]:8:19: \"bad key!\" is not a valid label key",
                "ns/cm[p.yaml]:9:47: operator \"Among\" is not one of In, NotIn, Exists, DoesNotExist");
    }

    @Test
    void selectorOperatorsCheckTheirValues() {
        String broken = VALID.replace("{key: trust, operator: In, values: [low]}",
                "{key: trust, operator: In, values: []}, {key: zone, operator: Exists, values: [a]}");
        assertThat(errors(broken)).containsExactly(
                "ns/cm[p.yaml]:9:24: operator In needs at least one value",
                "ns/cm[p.yaml]:9:102: operator Exists takes no values");
    }

    @Test
    void emptySelectorIsRefusedBecauseItWouldMatchEveryNamespace() {
        String text = VALID.replace("""
                  names: [untrusted-workloads, "tenant-*"]
                  selector:
                    matchLabels: {tenant-type: external}
                    matchExpressions: [{key: trust, operator: In, values: [low]}]
                """, "  selector: {}\n");
        assertThat(errors(text)).singleElement().asString().contains("would match every namespace");
    }

    @Test
    void missingRequiredFieldsAreAllReported() {
        assertThat(errors("apiVersion: runtimeclass-guard.io/v1alpha1\nkind: RuntimeClassPolicy\n")).containsExactly(
                "ns/cm[p.yaml]:1:1: name is required",
                "ns/cm[p.yaml]:1:1: priority is required",
                "ns/cm[p.yaml]:1:1: namespaces is required: list names, a selector, or both",
                "ns/cm[p.yaml]:1:1: runtimeClass is required (allowed, and optionally default and required)");
    }

    @Test
    void wrongTypesAndValuesAreReported() {
        String text = VALID.replace("priority: 100", "priority: high").replace("mode: warn", "mode: block")
                .replace("required: true", "required: yes").replace("apiVersion: runtimeclass-guard.io/v1alpha1", "apiVersion: v1");
        assertThat(errors(text)).containsExactly(
                "ns/cm[p.yaml]:1:13: apiVersion must be runtimeclass-guard.io/v1alpha1, not v1",
                "ns/cm[p.yaml]:4:11: priority must be a whole number, not \"high\"",
                "ns/cm[p.yaml]:13:13: runtimeClass.required must be true or false",
                "ns/cm[p.yaml]:14:7: mode \"block\" is not one of enforce, warn, audit");
    }

    @Test
    void emptyAllowedIsAnError() {
        assertThat(errors(VALID.replace("default: gvisor\n  allowed: [gvisor, kata]", "allowed: []")))
                .containsExactly("ns/cm[p.yaml]:11:3: runtimeClass.allowed must list at least one class (\"*\" allows any existing class)");
    }

    @Test
    void allowedTakesGlobsAndAnAllowedSelectorOredWithIt() {
        PolicyLoadResult result = loadKey(VALID.replace("default: gvisor\n  allowed: [gvisor, kata]", """
                default: kata-qemu
                  allowed: [gvisor, "kata-*", "contrast-cc-?*"]
                  allowedSelector:
                    matchLabels: {security-level: sandboxed}
                    matchExpressions: [{key: vendor, operator: NotIn, values: [untested]}]"""));

        assertThat(result.errors()).isEmpty();
        RuntimeClassRule rule = result.policies().byName("untrusted").orElseThrow().runtimeClass();
        assertThat(rule.allowed()).extracting(NameGlob::pattern).containsExactly("gvisor", "kata-*", "contrast-cc-?*");
        assertThat(rule.allowedSelector()).hasValueSatisfying(selector ->
                assertThat(selector).hasToString("security-level=sandboxed,vendor notin (untested)"));
    }

    @Test
    void anAllowedSelectorAloneIsEnoughButNotAnEmptyOne() {
        String selectorOnly = VALID.replace("default: gvisor\n  allowed: [gvisor, kata]",
                "allowedSelector: {matchLabels: {security-level: sandboxed}}");
        assertThat(errors(selectorOnly)).isEmpty();
        assertThat(errors(VALID.replace("default: gvisor\n  allowed: [gvisor, kata]", "allowedSelector: {}")))
                .containsExactly("ns/cm[p.yaml]:11:20: runtimeClass.allowedSelector is empty and would match every"
                        + " RuntimeClass; give matchLabels or matchExpressions");
    }

    @Test
    void aBadGlobInAllowedIsAnError() {
        assertThat(errors(VALID.replace("[gvisor, kata]", "[gvisor, \"Kata_*\"]"))).containsExactly(
                "ns/cm[p.yaml]:12:21: runtimeClass.allowed entry \"Kata_*\" is not a RuntimeClass name or a glob over"
                        + " names (\"kata-*\"; \"*\" allows any existing class)");
    }

    @Test
    void theDefaultMustBeListedOrGlobbedNotOnlyLabelled() {
        assertThat(errors(VALID.replace("default: gvisor", "default: kata-qemu").replace("[gvisor, kata]", "[gvisor, \"kata-*\"]")))
                .isEmpty();
        assertThat(errors(VALID.replace("allowed: [gvisor, kata]",
                "allowed: [kata]\n  allowedSelector: {matchLabels: {security-level: sandboxed}}"))).containsExactly(
                "ns/cm[p.yaml]:11:12: runtimeClass.default \"gvisor\" is not in runtimeClass.allowed [kata]; a default must"
                        + " be listed there by name or glob, not only match allowedSelector");
    }

    @Test
    void malformedYamlIsReportedWithItsPosition() {
        assertThat(errors("apiVersion: runtimeclass-guard.io/v1alpha1\nkind: [RuntimeClassPolicy\n"))
                .singleElement().asString().startsWith("ns/cm[p.yaml]:3:1: is not valid YAML:");
    }

    @Test
    void duplicateKeysAreRefused() {
        assertThat(errors(VALID + "name: again\n")).singleElement().asString()
                .isEqualTo("ns/cm[p.yaml]:18:1: field \"name\" appears twice");
    }

    @Test
    void aliasBombIsRefusedInsteadOfExpanded() {
        StringBuilder bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (char level = 'b'; level <= 'z'; level++) {
            char previous = (char) (level - 1);
            bomb.append(level).append(": &").append(level).append(" [");
            bomb.append(("*" + previous + ", ").repeat(8)).append("*").append(previous).append("]\n");
        }
        assertThat(errors(bomb.toString())).singleElement().asString().contains("aliases");
    }

    @Test
    void oversizedSourceIsRefusedBeforeParsing() {
        String huge = "# " + "x".repeat(YamlDocuments.MAX_SOURCE_CHARS) + "\n" + VALID;
        assertThat(errors(huge)).singleElement().asString().contains("the limit is " + YamlDocuments.MAX_SOURCE_CHARS);
    }

    @Test
    void configMapManifestErrorsPointIntoTheFile() {
        String manifest = """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: policy-untrusted
                  labels:
                    runtimeclass-guard.io/policy: "true"
                data:
                  untrusted.yaml: |
                    apiVersion: runtimeclass-guard.io/v1alpha1
                    kind: RuntimeClassPolicy
                    name: untrusted
                    priority: 1
                    namespaces: {names: [a]}
                    runtimeClass: {allowed: [gvisor], defualt: gvisor}
                """;
        PolicyLoadResult result = PolicyLoader.load(List.of(PolicySource.manifest("policies/untrusted.yaml", manifest)));

        assertThat(result.errors()).extracting(PolicyProblem::toString).containsExactly(
                "policies/untrusted.yaml:14:39: unknown field \"defualt\" (expected one of [allowed, allowedSelector, default, required])");
    }

    @Test
    void unlabelledConfigMapIsSkippedWithAWarning() {
        String manifest = """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: forgot-label}
                data:
                  p.yaml: |
                    kind: RuntimeClassPolicy
                """;
        PolicyLoadResult result = PolicyLoader.load(List.of(PolicySource.manifest("f.yaml", manifest)));

        assertThat(result.errors()).isEmpty();
        assertThat(result.policies().size()).isZero();
        assertThat(result.warnings()).extracting(PolicyProblem::toString)
                .containsExactly("f.yaml:1:1: ConfigMap forgot-label holds a RuntimeClassPolicy but is not labelled runtimeclass-guard.io/policy=\"true\", so it is not read");
    }

    @Test
    void otherKindsInManifestsAreIgnored() {
        String manifest = "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: gvisor}\nhandler: runsc\n---\n" + VALID;
        PolicyLoadResult result = PolicyLoader.load(List.of(PolicySource.manifest("mixed.yaml", manifest)));

        assertThat(result.errors()).isEmpty();
        assertThat(result.policies().policies()).extracting(RuntimeClassPolicy::name).containsExactly("untrusted");
        assertThat(result.policies().byName("untrusted").orElseThrow().source()).hasToString("mixed.yaml:6:1");
    }

    @Test
    void highestPriorityMatchingPolicyGoverns() {
        String low = VALID.replace("name: untrusted", "name: low").replace("priority: 100", "priority: 1");
        PolicySet set = PolicyLoader.load(List.of(PolicySource.configMapKey("x", "p.yaml", VALID + "---\n" + low))).policies();

        assertThat(set.governing(NamespaceInfo.unlabelled("tenant-1")).orElseThrow().policy().name()).isEqualTo("untrusted");
        assertThat(set.governing(NamespaceInfo.unlabelled("tenant-1")).orElseThrow().reason()).isEqualTo("name glob \"tenant-*\"");
        assertThat(set.governing(NamespaceInfo.unlabelled("elsewhere"))).isEmpty();
    }
}
