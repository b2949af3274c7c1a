package io.runtimeclassguard.policy.backstop;

import io.runtimeclassguard.policy.evaluation.AdmissionPipeline;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Decision.Outcome;
import io.runtimeclassguard.policy.evaluation.Decision.Reason;
import io.runtimeclassguard.policy.evaluation.Evaluator;
import io.runtimeclassguard.policy.evaluation.Stage;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.testing.CelAdmission;
import io.runtimeclassguard.testing.EvaluatorCase;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The generated admission policies, evaluated with a real CEL implementation over the evaluator's own case folders,
 * decide as the webhook does wherever CEL can see enough: the validating policies alone against the {@code /validate}
 * decision (an outage without MutatingAdmissionPolicy), and the mutating policy followed by the validating ones
 * against the webhooks' mutate-then-validate pipeline.
 */
class BackstopCasesTest {
    private static final BackstopScope SCOPE = BackstopScope.forNamespace(BackstopScope.DEFAULT_PREFIX,
            "runtimeclass-guard", List.of());

    /**
     * Cases whose decision rests on what CEL cannot see: whether a RuntimeClass exists (the apiserver's RuntimeClass
     * plugin refuses such a Pod itself) and how the class's scheduling or overhead meets the Pod's.
     */
    static final Set<String> UNDECIDABLE = Set.of(
            "audit-mode-unknown-class-still-denied",
            "default-class-missing-from-cluster-denied",
            "default-class-missing-warn-mode-no-patch",
            "default-deployment-class-conflicting-node-selector-denied",
            "default-pod-unknown-class-denied-lists-existing",
            "glob-allowed-unknown-class-denied-lists-existing-matches",
            "production-pod-unknown-class-denied",
            "unknown-namespace-pod-unknown-class-denied",
            "untrusted-node-selector-conflict-denied-before-apiserver",
            "untrusted-overhead-exponent-off-by-a-millicore-denied",
            "untrusted-overhead-mismatch-denied",
            "untrusted-pod-unknown-class-denied",
            "untrusted-statefulset-unknown-class-denied");
    private static final Set<Reason> UNDECIDABLE_REASONS = Set.of(Reason.CLASS_NOT_FOUND, Reason.DEFAULT_NOT_FOUND,
            Reason.NODE_SELECTOR_CONFLICT, Reason.OVERHEAD_CONFLICT);

    /** What a request comes to: admitted, admitted with a warning, admitted and recorded, or refused. */
    enum Verdict { ALLOW, WARN, AUDIT, DENY }

    @TestFactory
    Stream<DynamicTest> backstopDecidesAsTheWebhookWhereCelCanDecide() {
        List<Path> folders = EvaluatorCase.folders();
        assertThat(folders).hasSizeGreaterThan(30);
        return folders.stream().map(folder -> DynamicTest.dynamicTest(folder.getFileName().toString(),
                () -> check(EvaluatorCase.load(folder))));
    }

    @Test
    void undecidableCasesAreTheOnesThatNeedTheCluster() {
        List<String> found = new ArrayList<>();
        for (Path folder : EvaluatorCase.folders()) {
            EvaluatorCase testCase = EvaluatorCase.load(folder);
            if (UNDECIDABLE_REASONS.contains(validate(testCase).reason())
                    || UNDECIDABLE_REASONS.contains(pipeline(testCase).verdict().reason())) {
                found.add(testCase.name());
            }
        }
        assertThat(found).containsExactlyInAnyOrderElementsOf(UNDECIDABLE);
    }

    private static void check(EvaluatorCase testCase) {
        if (UNDECIDABLE.contains(testCase.name())) {
            return;
        }
        Backstop backstop = BackstopGenerator.generate(testCase.policies(), testCase.classes(), SCOPE);
        CelAdmission.Input input = input(testCase, testCase.object());

        Decision validation = validate(testCase);
        List<CelAdmission.Verdict> alone = validatingVerdicts(backstop, input);
        assertThat(verdict(alone)).as("validating policies alone vs /validate (%s)", validation.message())
                .isEqualTo(verdict(validation));
        if (!validation.allowed() || validation.outcome() == Outcome.WARNED) {
            assertThat(messages(alone)).hasSize(1).first().isEqualTo(validation.message());
        }
        assertThat(auditAnnotations(alone)).as("audit annotations").isEqualTo(validation.policy()
                .map(policy -> prefixed(validation.auditAnnotations(), validation.mode().orElseThrow()))
                .orElse(Map.of()));

        AdmissionPipeline.Result webhooks = pipeline(testCase);
        Object inject = CelAdmission.variable(backstop.mutatingPolicy(), backstop.mutatingBinding(), input, "inject");
        Optional<String> injected = inject instanceof String name && !name.isEmpty() ? Optional.of(name) : Optional.empty();
        assertThat(injected).as("class injected").isEqualTo(webhooks.mutation().patch().map(Decision.Patch::runtimeClass));
        CelAdmission.Input mutated = injected.map(name -> input(testCase, CelAdmission.withRuntimeClass(testCase.object(), name)))
                .orElse(input);
        assertThat(verdict(validatingVerdicts(backstop, mutated))).as("mutating then validating policies vs the webhooks")
                .isEqualTo(verdict(webhooks));
    }

    private static List<CelAdmission.Verdict> validatingVerdicts(Backstop backstop, CelAdmission.Input input) {
        List<CelAdmission.Verdict> verdicts = new ArrayList<>();
        for (Mode mode : Mode.values()) {
            CelAdmission.Verdict verdict = CelAdmission.validate(backstop.validatingPolicies().get(mode),
                    backstop.validatingBindings().get(mode), input);
            assertThat(verdict.errors()).as("evaluation errors in %s", verdict.policy()).isEmpty();
            verdicts.add(verdict);
        }
        return verdicts;
    }

    private static Verdict verdict(List<CelAdmission.Verdict> verdicts) {
        List<String> actions = verdicts.stream().filter(CelAdmission.Verdict::failed)
                .flatMap(verdict -> verdict.actions().stream()).toList();
        if (actions.contains("Deny")) {
            return Verdict.DENY;
        }
        if (actions.contains("Warn")) {
            return Verdict.WARN;
        }
        return actions.contains("Audit") ? Verdict.AUDIT : Verdict.ALLOW;
    }

    /** Every audit annotation the policies wrote, as the apiserver keys them: {@code <policy>/<key>}. */
    private static Map<String, String> auditAnnotations(List<CelAdmission.Verdict> verdicts) {
        Map<String, String> annotations = new TreeMap<>();
        verdicts.forEach(verdict -> annotations.putAll(verdict.auditAnnotations()));
        return annotations;
    }

    /** The webhook's annotations as the backstop policy of the governing mode writes them. */
    private static Map<String, String> prefixed(Map<String, String> annotations, Mode mode) {
        Map<String, String> prefixed = new TreeMap<>();
        annotations.forEach((key, value) -> prefixed.put(SCOPE.validatingName(mode) + "/" + key, value));
        return prefixed;
    }

    private static List<String> messages(List<CelAdmission.Verdict> verdicts) {
        return verdicts.stream().flatMap(verdict -> verdict.messages().stream()).toList();
    }

    private static Verdict verdict(Decision decision) {
        if (!decision.allowed()) {
            return Verdict.DENY;
        }
        return switch (decision.outcome()) {
            case WARNED -> Verdict.WARN;
            case AUDITED -> decision.violations().isEmpty() ? Verdict.ALLOW : Verdict.AUDIT;
            default -> Verdict.ALLOW;
        };
    }

    private static Verdict verdict(AdmissionPipeline.Result result) {
        if (!result.allowed()) {
            return Verdict.DENY;
        }
        Verdict mutation = verdict(result.mutation());
        Verdict validation = verdict(result.validation().orElseThrow());
        return mutation.compareTo(validation) >= 0 ? mutation : validation;
    }

    private static Decision validate(EvaluatorCase testCase) {
        return Evaluator.evaluate(Stage.VALIDATE, testCase.review(), testCase.namespace(), testCase.policies(),
                testCase.classes());
    }

    private static AdmissionPipeline.Result pipeline(EvaluatorCase testCase) {
        return AdmissionPipeline.run(testCase.review(), testCase.namespace(), testCase.policies(), testCase.classes());
    }

    private static CelAdmission.Input input(EvaluatorCase testCase, JsonNode object) {
        String kind = testCase.review().kind();
        return new CelAdmission.Input(testCase.review().group(), kind, kind.toLowerCase(Locale.ROOT) + "s",
                testCase.review().operation().name(), testCase.review().namespace(), testCase.namespace().labels(),
                testCase.review().username(), testCase.review().groups(), object);
    }
}
