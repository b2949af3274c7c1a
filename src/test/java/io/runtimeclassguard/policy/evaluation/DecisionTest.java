package io.runtimeclassguard.policy.evaluation;

import io.runtimeclassguard.policy.evaluation.Decision.Patch;
import io.runtimeclassguard.policy.evaluation.Decision.Reason;
import io.runtimeclassguard.policy.evaluation.Decision.Violation;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DecisionTest {
    private static final Violation NOT_FOUND = new Violation(Reason.CLASS_NOT_FOUND, "spec.runtimeClassName",
            "RuntimeClass \"gvisr\" does not exist");
    private static final Violation CONFLICT = new Violation(Reason.NODE_SELECTOR_CONFLICT, "spec.nodeSelector", "x");

    @Test
    void aDenialTakesItsReasonFromItsFirstViolationAndIsTheOnlyOutcomeNotAllowed() {
        Decision denied = Decision.denied(List.of(NOT_FOUND, CONFLICT), "cannot run");

        assertThat(denied.reason()).isEqualTo(Reason.CLASS_NOT_FOUND);
        assertThat(denied.allowed()).isFalse();
        assertThat(Decision.warned(List.of(CONFLICT), List.of("careful"), "m").allowed()).isTrue();
        assertThat(Decision.audited(Reason.CLASS_NOT_FOUND, List.of(NOT_FOUND), "m").allowed()).isTrue();
        assertThatThrownBy(() -> Decision.denied(List.of(), "no reason given")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void absentIsEmptyEverywhereAndAnnotationsSayNone() {
        Decision ignored = Decision.ignored("not a Pod");

        assertThat(ignored.policy()).isEmpty();
        assertThat(ignored.mode()).isEmpty();
        assertThat(ignored.runtimeClassBefore()).isEmpty();
        assertThat(ignored.runtimeClassAfter()).isEmpty();
        assertThat(ignored.patch()).isEmpty();
        assertThat(ignored.auditAnnotations()).isEqualTo(Map.of("decision", "ignored", "policy", "none",
                "runtime-class", "none", "reason", "not-applicable"));
    }

    @Test
    void aMutationRunsWithThePatchedClassAndCopiesChangeOneThing() {
        Decision mutated = Decision.mutated(Reason.DEFAULT_INJECTED, new Patch("/spec/runtimeClassName", "gvisor"), "set");

        assertThat(mutated.runtimeClassAfter()).contains("gvisor");
        Decision copied = mutated.withRuntimeClasses(Optional.empty(), Optional.of("gvisor")).withWarnings(List.of("w"));
        assertThat(copied.warnings()).containsExactly("w");
        assertThat(copied.patch()).isEqualTo(mutated.patch());
        assertThat(copied.outcome()).isEqualTo(Decision.Outcome.MUTATED);
    }

    @Test
    void warningsAreCutToWhatKubectlShows() {
        Decision exempt = Decision.exempt("x".repeat(500));

        assertThat(exempt.warnings()).singleElement().satisfies(warning ->
                assertThat(warning).hasSize(Decision.MAX_WARNING_LENGTH).endsWith("..."));
        assertThat(exempt.message()).hasSize(500);
    }
}
