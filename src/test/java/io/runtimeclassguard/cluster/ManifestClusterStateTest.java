package io.runtimeclassguard.cluster;

import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.model.PolicyOrigin;
import io.runtimeclassguard.policy.kube.RuntimeClassInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.diagnostics.FailureAnalysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Standalone mode reads the shipped manifests, and refuses broken ones with every position. */
class ManifestClusterStateTest {
    private static final String POLICY = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: policy-%1$s
              namespace: %2$s
              labels:
                runtimeclass-guard.io/policy: "true"
            data:
              %1$s.yaml: |
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: %1$s
                priority: %3$d
                namespaces:
                  names: [%1$s]
                runtimeClass:
                  allowed: [gvisor]
            """;

    @Test
    void readsTheShippedPolicies() {
        ClusterSnapshot snapshot = ManifestClusterState.load(Path.of("policies"), "runtimeclass-guard");

        assertThat(snapshot.policies().policies()).extracting(policy -> policy.name())
                .containsExactly("untrusted", "high-security", "production", "staging");
        assertThat(snapshot.runtimeClasses().names()).containsExactly("gvisor", "kata", "kata-fc", "standard");
        assertThat(snapshot.runtimeClasses().find("gvisor")).contains(new RuntimeClassInfo("gvisor", "runsc", Map.of(),
                Map.of("runtime.kubernetes.io/gvisor", "true"), Map.of("cpu", "50m", "memory", "64Mi")));
        assertThat(snapshot.runtimeClasses().find("standard")).contains(RuntimeClassInfo.plain("standard", "runc"));
        assertThat(snapshot.namespace("customer-a")).isEqualTo(new NamespaceInfo("customer-a", Map.of("tenant-type", "external")));
        assertThat(snapshot.namespace("never-seen")).isEqualTo(NamespaceInfo.unlabelled("never-seen"));
        assertThat(snapshot.policySources()).containsOnlyKeys("runtimeclass-guard/policy-high-security",
                "runtimeclass-guard/policy-production", "runtimeclass-guard/policy-staging", "runtimeclass-guard/policy-untrusted");
        assertThat(snapshot.policySources().get("runtimeclass-guard/policy-untrusted"))
                .singleElement().satisfies(source -> assertThat(source.origin())
                        .isEqualTo(PolicyOrigin.configMapKey("runtimeclass-guard/policy-untrusted", "untrusted.yaml")));
    }

    @Test
    void everyPolicyErrorIsReportedWithFileLineAndColumn(@TempDir Path policies) throws IOException {
        Files.writeString(policies.resolve("a.yaml"), POLICY.formatted("alpha", "runtimeclass-guard", 10));
        Files.writeString(policies.resolve("b.yml"), POLICY.formatted("beta", "runtimeclass-guard", 10)
                .replace("allowed: [gvisor]", "allowed: [gvisor]\n      colour: blue"));
        Files.writeString(policies.resolve("c.yaml"), POLICY.formatted("gamma", "runtimeclass-guard", 20)
                .replace("allowed: [gvisor]", "allowed: [gvisor]\n    mode: strict"));
        Files.writeString(policies.resolve("ignored.txt"), "not: [yaml");

        assertThatThrownBy(() -> ManifestClusterState.load(policies, "runtimeclass-guard"))
                .isInstanceOfSatisfying(InvalidManifestsException.class, invalid -> assertThat(invalid.problems())
                        .anySatisfy(problem -> assertThat(problem).startsWith(policies.resolve("b.yml") + ":18:7: ")
                                .contains("colour"))
                        .anySatisfy(problem -> assertThat(problem).isEqualTo(policies.resolve("c.yaml")
                                + ":18:11: mode \"strict\" is not one of enforce, warn, audit"))
                        .hasSize(2));
    }

    @Test
    void brokenYamlIsReportedWhereItBreaks(@TempDir Path policies) throws IOException {
        Files.writeString(policies.resolve("broken.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [x\n");

        assertThatThrownBy(() -> ManifestClusterState.load(policies, "runtimeclass-guard"))
                .isInstanceOfSatisfying(InvalidManifestsException.class, invalid -> assertThat(invalid.problems())
                        .singleElement().satisfies(problem -> assertThat(problem)
                                .startsWith(policies.resolve("broken.yaml") + ":4:1: is not valid YAML")));
    }

    @Test
    void aKeyGivenTwiceInARuntimeClassIsRefusedWithItsPositionInsteadOfOneBeingPicked(@TempDir Path policies)
            throws IOException {
        Files.writeString(policies.resolve("classes.yaml"), """
                apiVersion: node.k8s.io/v1
                kind: RuntimeClass
                metadata: {name: gvisor}
                handler: runsc
                handler: runc
                """);

        assertThat(ManifestFolder.read(policies).policies().errors()).singleElement().asString()
                .isEqualTo(policies.resolve("classes.yaml") + ":5:1: field \"handler\" appears twice");
    }

    @Test
    void policyConfigMapOutsideThePolicyNamespaceIsRefused(@TempDir Path policies) throws IOException {
        Files.writeString(policies.resolve("tenant.yaml"), POLICY.formatted("tenant", "tenant-a", 10));

        assertThatThrownBy(() -> ManifestClusterState.load(policies, "runtimeclass-guard"))
                .isInstanceOfSatisfying(InvalidManifestsException.class, invalid -> assertThat(invalid.problems())
                        .containsExactly(policies.resolve("tenant.yaml") + ": ConfigMap tenant-a/policy-tenant is labelled"
                                + " runtimeclass-guard.io/policy=true but policies are read only from namespace"
                                + " runtimeclass-guard; a cluster would ignore it"));
    }

    @Test
    void runtimeClassDefinedTwiceIsRefused(@TempDir Path policies) throws IOException {
        String gvisor = "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: gvisor}\nhandler: runsc\n";
        Files.writeString(policies.resolve("a.yaml"), gvisor);
        Files.writeString(policies.resolve("b.yaml"), gvisor);

        assertThatThrownBy(() -> ManifestClusterState.load(policies, "runtimeclass-guard"))
                .isInstanceOfSatisfying(InvalidManifestsException.class, invalid -> assertThat(invalid.problems())
                        .containsExactly(policies.resolve("b.yaml") + ": RuntimeClass gvisor is already defined in "
                                + policies.resolve("a.yaml")));
    }

    @Test
    void barePolicyIsKeptAsItsOwnSourceWithoutTheRestOfItsFile(@TempDir Path policies) throws IOException {
        Files.writeString(policies.resolve("bare.yaml"), """
                apiVersion: node.k8s.io/v1
                kind: RuntimeClass
                metadata: {name: gvisor}
                handler: runsc
                ---
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: bare
                priority: 5
                namespaces: {names: [sandbox]}
                runtimeClass: {default: gvisor, allowed: [gvisor]}
                """);

        ClusterSnapshot snapshot = ManifestClusterState.load(policies, "runtimeclass-guard");

        assertThat(snapshot.policies().byName("bare")).isPresent();
        assertThat(snapshot.policySources().get(policies.resolve("bare.yaml").toString())).singleElement()
                .satisfies(source -> assertThat(PolicyLoader.load(List.of(source)).policies().byName("bare")).isPresent());
    }

    @Test
    void missingDirectoryIsRefused(@TempDir Path parent) {
        Path missing = parent.resolve("policies");

        assertThatThrownBy(() -> ManifestClusterState.load(missing, "runtimeclass-guard"))
                .isInstanceOfSatisfying(InvalidManifestsException.class, invalid -> assertThat(invalid.problems())
                        .containsExactly(missing + ": is not a directory (set runtimeclass-guard.policies-dir to the"
                                + " folder of policy manifests)"));
    }

    @Test
    void failedStartListsOneProblemPerLine() {
        InvalidManifestsException invalid = new InvalidManifestsException(Path.of("policies"),
                List.of("policies/a.yaml:3:5: one", "policies/b.yaml:7:1: two"));

        FailureAnalysis analysis = new InvalidManifestsFailureAnalyzer().analyze(invalid);

        assertThat(analysis.getDescription()).isEqualTo("""
                The manifests under policies are invalid:
                    policies/a.yaml:3:5: one
                    policies/b.yaml:7:1: two""");
        assertThat(analysis.getAction()).startsWith("Fix every error listed, then start again");
    }
}
