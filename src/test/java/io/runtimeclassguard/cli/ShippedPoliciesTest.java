package io.runtimeclassguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.kube.Manifests;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Walks {@code policies/examples/}: every example object beside a shipped policy must get the decision its
 * folder's {@code expected.yaml} promises, so a shipped example that breaks fails the build.
 */
class ShippedPoliciesTest {
    private static final Path POLICIES = Path.of("policies");
    private static final Path EXAMPLES = POLICIES.resolve("examples");
    private static final ManifestFolder.Contents SHIPPED = ManifestFolder.read(POLICIES);

    @Test
    void shippedPoliciesAreValidAndCoverTheAgreedNames() {
        assertThat(SHIPPED.policies().errors()).isEmpty();
        assertThat(SHIPPED.policies().warnings()).isEmpty();
        assertThat(SHIPPED.policies().policies().policies()).extracting(RuntimeClassPolicy::name)
                .containsExactlyInAnyOrder("untrusted", "production", "high-security", "staging");
        assertThat(SHIPPED.snapshot().runtimeClasses().names()).containsExactly("gvisor", "kata", "kata-fc", "standard");
        assertThat(SHIPPED.snapshot().runtimeClasses().find("kata").orElseThrow().overhead())
                .isEqualTo(Map.of("cpu", "250m", "memory", "160Mi"));
        assertThat(SHIPPED.snapshot().namespaces().keySet()).contains("untrusted-workloads", "customer-a", "production",
                "payments", "staging-web", "default", "kube-system");
    }

    @Test
    void everyPolicyHasExamples() throws IOException {
        Set<String> folders;
        try (Stream<Path> entries = Files.list(EXAMPLES)) {
            folders = entries.filter(Files::isDirectory).map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
        assertThat(folders).containsAll(SHIPPED.policies().policies().policies().stream().map(RuntimeClassPolicy::name).toList());
    }

    @TestFactory
    Stream<DynamicTest> everyExampleGetsItsExpectedDecision() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> entries = Files.list(EXAMPLES)) {
            for (Path folder : entries.filter(Files::isDirectory).sorted().toList()) {
                JsonNode expected = Manifests.readAll(Files.readString(folder.resolve("expected.yaml"))).getFirst();
                List<String> examples;
                try (Stream<Path> files = Files.list(folder)) {
                    examples = files.map(p -> p.getFileName().toString()).filter(n -> !n.equals("expected.yaml")).sorted().toList();
                }
                assertThat(examples).as("examples in %s, each listed in expected.yaml", folder)
                        .isNotEmpty().containsExactlyInAnyOrderElementsOf(iterable(expected.fieldNames()));
                for (String example : examples) {
                    tests.add(DynamicTest.dynamicTest(folder.getFileName() + "/" + example,
                            () -> check(folder.resolve(example), expected.get(example))));
                }
            }
        }
        return tests.stream();
    }

    private static void check(Path example, JsonNode expected) throws IOException {
        List<JsonNode> objects = Manifests.readAll(Files.readString(example));
        ClusterSnapshot snapshot = ManifestCheck.withObjects(SHIPPED.snapshot(), objects);
        List<ManifestCheck.Checked> results = ManifestCheck.check(example.toString(), objects, snapshot, "default",
                "kubernetes-admin", List.of("system:masters"));

        assertThat(results).hasSize(1);
        Decision verdict = results.getFirst().result().verdict();
        assertThat(results.getFirst().result().allowed()).as(verdict.message()).isEqualTo(expected.path("allowed").asBoolean());
        assertThat(verdict.outcome().wireName()).as(verdict.message()).isEqualTo(expected.path("decision").asText());
        assertThat(verdict.reason().wireName()).as(verdict.message()).isEqualTo(expected.path("reason").asText());
        assertThat(verdict.runtimeClassAfter()).isEqualTo(expected.hasNonNull("runtimeClass")
                ? Optional.of(expected.get("runtimeClass").asText()) : Optional.empty());
    }

    private static List<String> iterable(java.util.Iterator<String> names) {
        List<String> list = new ArrayList<>();
        names.forEachRemaining(list::add);
        return list;
    }
}
