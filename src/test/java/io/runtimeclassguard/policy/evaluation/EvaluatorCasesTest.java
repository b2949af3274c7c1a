package io.runtimeclassguard.policy.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.testing.EvaluatorCase;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs every folder under {@code src/test/resources/cases/} (see {@link EvaluatorCase}): the decision must match
 * {@code expected.yaml}. Adding a case is adding a folder.
 */
class EvaluatorCasesTest {

    @TestFactory
    Stream<DynamicTest> cases() {
        List<Path> folders = EvaluatorCase.folders();
        assertThat(folders).hasSizeGreaterThan(30);
        return folders.stream().map(folder -> DynamicTest.dynamicTest(folder.getFileName().toString(), () -> run(folder)));
    }

    private static void run(Path folder) {
        EvaluatorCase testCase = EvaluatorCase.load(folder);
        JsonNode expected = testCase.expected();

        Decision decision = Evaluator.evaluate(testCase.stage(), testCase.review(), testCase.namespace(),
                testCase.policies(), testCase.classes());
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

    private static Optional<String> text(JsonNode node, String field) {
        return node.hasNonNull(field) ? Optional.of(node.get(field).asText()) : Optional.empty();
    }
}
