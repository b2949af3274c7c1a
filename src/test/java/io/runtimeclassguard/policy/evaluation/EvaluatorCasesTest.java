package io.runtimeclassguard.policy.evaluation;

import io.runtimeclassguard.policy.kube.Manifests;
import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.kube.Operation;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.loading.PolicyLoadResult;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.loading.PolicySource;
import io.runtimeclassguard.policy.model.PolicySet;
import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ManifestFolder;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs every folder under {@code src/test/resources/cases/}: {@code object.yaml} is reviewed against the
 * shipped {@code policies/} (or the case's own {@code policies.yaml}) and must give {@code expected.yaml}.
 * An optional {@code request.yaml} sets stage, operation and user. Adding a case is adding a folder.
 */
class EvaluatorCasesTest {
    private static final Path CASES = Path.of("src/test/resources/cases");
    private static final ClusterSnapshot SHIPPED = ManifestFolder.read(Path.of("policies")).snapshot();

    @TestFactory
    Stream<DynamicTest> cases() throws IOException {
        List<Path> folders;
        try (Stream<Path> entries = Files.list(CASES)) {
            folders = entries.filter(Files::isDirectory).sorted().toList();
        }
        assertThat(folders).hasSizeGreaterThan(30);
        return folders.stream().map(folder -> DynamicTest.dynamicTest(folder.getFileName().toString(), () -> run(folder)));
    }

    private static void run(Path folder) throws IOException {
        JsonNode object = Manifests.readAll(Files.readString(folder.resolve("object.yaml"))).getFirst();
        JsonNode request = optional(folder.resolve("request.yaml"));
        JsonNode expected = Manifests.readAll(Files.readString(folder.resolve("expected.yaml"))).getFirst();

        PolicySet policies = SHIPPED.policies();
        RuntimeClassCatalog classes = SHIPPED.runtimeClasses();
        if (Files.exists(folder.resolve("policies.yaml"))) {
            PolicyLoadResult loaded = PolicyLoader.load(List.of(PolicySource.manifest("policies.yaml",
                    Files.readString(folder.resolve("policies.yaml")))));
            assertThat(loaded.errors()).as("case policies load").isEmpty();
            policies = loaded.policies();
        }
        if (Files.exists(folder.resolve("runtimeclasses.yaml"))) {
            classes = RuntimeClassCatalog.of(Manifests.readAll(Files.readString(folder.resolve("runtimeclasses.yaml")))
                    .stream().flatMap(node -> Manifests.runtimeClass(node).stream()).toList());
        }
        Stage stage = Stage.valueOf(request.path("stage").asText("mutate").toUpperCase());
        Operation operation = Operation.fromWireName(request.path("operation").asText("CREATE"));
        List<String> groups = new ArrayList<>();
        request.path("groups").forEach(group -> groups.add(group.asText()));
        ReviewRequest review = Manifests.request(object, operation, "default",
                request.path("username").asText("alice@example.com"), groups);
        NamespaceInfo namespace = SHIPPED.namespace(review.namespace());
        if (Files.exists(folder.resolve("namespace.yaml"))) {
            namespace = Manifests.namespace(Manifests.readAll(Files.readString(folder.resolve("namespace.yaml"))).getFirst())
                    .orElseThrow();
        }

        Decision decision = Evaluator.evaluate(stage, review, namespace, policies, classes);

        assertThat(decision.allowed()).as("allowed (%s)", decision.message()).isEqualTo(expected.path("allowed").asBoolean());
        assertThat(decision.outcome().wireName()).as("decision (%s)", decision.message()).isEqualTo(expected.path("decision").asText());
        assertThat(decision.reason().wireName()).as("reason (%s)", decision.message()).isEqualTo(expected.path("reason").asText());
        assertThat(decision.policy()).as("policy").isEqualTo(text(expected, "policy").filter(name -> !name.isEmpty()));
        assertThat(decision.patch().map(Decision.Patch::runtimeClass)).as("patch").isEqualTo(text(expected, "patch"));
        assertThat(decision.runtimeClassAfter()).as("runtime class after").isEqualTo(text(expected, "runtimeClass"));
        for (JsonNode fragment : expected.path("messageContains")) {
            assertThat(decision.message()).as("message").contains(fragment.asText());
        }
        for (JsonNode field : expected.path("violationFields")) {
            assertThat(decision.violations()).extracting(Decision.Violation::field).contains(field.asText());
        }
        List<String> expectedWarnings = new ArrayList<>();
        expected.path("warningsContain").forEach(w -> expectedWarnings.add(w.asText()));
        assertThat(decision.warnings()).as("warnings").hasSize(expectedWarnings.size());
        for (int i = 0; i < expectedWarnings.size(); i++) {
            assertThat(decision.warnings().get(i)).contains(expectedWarnings.get(i)).hasSizeLessThanOrEqualTo(120);
        }
        assertThat(decision.auditAnnotations()).containsAllEntriesOf(Map.of(
                "decision", decision.outcome().wireName(), "reason", decision.reason().wireName()));
    }

    private static JsonNode optional(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Manifests.readAll("{stage: mutate}").getFirst();
        }
        return Manifests.readAll(Files.readString(file)).getFirst();
    }

    private static Optional<String> text(JsonNode node, String field) {
        return node.hasNonNull(field) ? Optional.of(node.get(field).asText()) : Optional.empty();
    }
}
