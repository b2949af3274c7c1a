package io.runtimeclassguard.policy.backstop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.evaluation.AdmissionPipeline;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Decision.Outcome;
import io.runtimeclassguard.policy.evaluation.Decision.Reason;
import io.runtimeclassguard.policy.evaluation.Evaluator;
import io.runtimeclassguard.policy.evaluation.Stage;
import io.runtimeclassguard.policy.kube.Manifests;
import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.kube.Operation;
import io.runtimeclassguard.policy.loading.PolicyLoadResult;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.loading.PolicySource;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.policy.model.PolicySet;
import io.runtimeclassguard.testing.CelAdmission;
import io.runtimeclassguard.testing.EvaluatorCase;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
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
    private static final ClusterSnapshot SHIPPED = ManifestFolder.read(Path.of("policies")).snapshot();
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

    /**
     * Far more policies than a cluster is likely to hold, each with names, a glob, a label selector, globs in allowed
     * and exemptions: nothing the apiserver would refuse (an expression nested over 250 deep or longer than CEL's
     * limit; {@link CelAdmission} holds to both), and decisions as the webhook's for the first and the last policy,
     * each way of matching, and none.
     */
    @TestFactory
    Stream<DynamicTest> twoHundredPoliciesFitTheApiserverAndDecideAsTheWebhook() {
        PolicySet policies = manyPolicies(200);
        assertThat(BackstopGenerator.limitations(policies, SHIPPED.runtimeClasses()))
                .noneMatch(problem -> problem.message().contains("cannot be written"));
        Map<String, Map<String, String>> namespaces = new LinkedHashMap<>();
        namespaces.put("team-199", Map.of());
        namespaces.put("team-0", Map.of());
        namespaces.put("team-7-blue", Map.of());
        namespaces.put("labelled", Map.of("team", "t42", "trust", "low"));
        namespaces.put("labelled-but-trusted", Map.of("team", "t42", "trust", "high"));
        namespaces.put("elsewhere", Map.of());
        List<DynamicTest> tests = new ArrayList<>();
        namespaces.forEach((namespace, labels) -> {
            for (String runtimeClass : Arrays.asList("standard", "gvisor", "kata-fc", null)) {
                String name = namespace + "/" + runtimeClass;
                tests.add(DynamicTest.dynamicTest(name, () -> check(podCase(name, namespace, labels, runtimeClass, policies))));
            }
        });
        tests.add(DynamicTest.dynamicTest("exempt group", () -> check(podCase("exempt", "team-3", Map.of(), "standard",
                policies, "team-3-admins"))));
        return tests.stream();
    }

    @Test
    void aPolicySetTooLargeForTheApiserverIsSaidSo() {
        assertThat(BackstopGenerator.limitations(manyPolicies(400), SHIPPED.runtimeClasses()))
                .anySatisfy(problem -> assertThat(problem.message()).startsWith("the backstop for these 400 policies"
                        + " cannot be written: the apiserver refuses its variable candidates"));
    }

    /**
     * A policy whose default class is missing from the cluster: the backstop cannot say why as the webhook does, but it
     * injects nothing either and comes to the same verdict, since it injects only classes that existed when generated.
     */
    @TestFactory
    Stream<DynamicTest> aDefaultMissingFromTheClusterIsNotInjected() {
        List<EvaluatorCase> cases = EvaluatorCase.folders().stream().map(EvaluatorCase::load)
                .filter(testCase -> validate(testCase).reason() == Reason.DEFAULT_NOT_FOUND).toList();
        assertThat(cases).extracting(EvaluatorCase::name).containsExactlyInAnyOrder(
                "default-class-missing-from-cluster-denied", "default-class-missing-warn-mode-no-patch");
        return cases.stream().map(testCase -> DynamicTest.dynamicTest(testCase.name(), () -> checkVerdicts(testCase)));
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
        checkVerdicts(testCase);
        Backstop backstop = BackstopGenerator.generate(testCase.policies(), testCase.classes(), SCOPE);
        Decision validation = validate(testCase);
        List<CelAdmission.Verdict> alone = validatingVerdicts(backstop, input(testCase, testCase.object()));
        if (!validation.allowed() || validation.outcome() == Outcome.WARNED) {
            assertThat(messages(alone)).hasSize(1).first().isEqualTo(validation.message());
        }
        assertThat(auditAnnotations(alone)).as("audit annotations").isEqualTo(validation.policy()
                .map(policy -> prefixed(validation.auditAnnotations(), validation.mode().orElseThrow()))
                .orElse(Map.of()));
    }

    /** Allow, warn, audit or deny as the webhooks, with the validating policies alone and after the mutating one. */
    private static void checkVerdicts(EvaluatorCase testCase) {
        Backstop backstop = BackstopGenerator.generate(testCase.policies(), testCase.classes(), SCOPE);
        CelAdmission.Input input = input(testCase, testCase.object());

        Decision validation = validate(testCase);
        assertThat(verdict(validatingVerdicts(backstop, input))).as("validating policies alone vs /validate (%s)",
                validation.message()).isEqualTo(verdict(validation));

        AdmissionPipeline.Result webhooks = pipeline(testCase);
        Object inject = CelAdmission.variable(backstop.mutatingPolicy(), backstop.mutatingBinding(), input, "inject");
        Optional<String> injected = inject instanceof String name && !name.isEmpty() ? Optional.of(name) : Optional.empty();
        assertThat(injected).as("class injected").isEqualTo(webhooks.mutation().patch().map(Decision.Patch::runtimeClass));
        CelAdmission.Input mutated = injected.map(name -> input(testCase, CelAdmission.withRuntimeClass(testCase.object(), name)))
                .orElse(input);
        assertThat(verdict(validatingVerdicts(backstop, mutated))).as("mutating then validating policies vs the webhooks")
                .isEqualTo(verdict(webhooks));
    }

    /** Policies team-0 (lowest priority) to team-{count - 1}, every mode, each matching in every way a policy can. */
    private static PolicySet manyPolicies(int count) {
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < count; i++) {
            yaml.append("""
                    ---
                    apiVersion: runtimeclass-guard.io/v1alpha1
                    kind: RuntimeClassPolicy
                    name: team-%1$d
                    priority: %2$d
                    namespaces:
                      names: [team-%1$d, "team-%1$d-*"]
                      selector:
                        matchLabels: {team: t%1$d}
                        matchExpressions: [{key: trust, operator: In, values: [low, none]}]
                    runtimeClass:
                      default: gvisor
                      allowed: [gvisor, "kata-*"]
                    mode: %3$s
                    exemptions:
                      usernames: ["system:serviceaccount:team-%1$d:deployer"]
                      groups: [team-%1$d-admins]
                    """.formatted(i, 1000 + i, Mode.values()[i % Mode.values().length].wireName()));
        }
        PolicyLoadResult loaded = PolicyLoader.load(List.of(PolicySource.manifest("many.yaml", yaml.toString())));
        assertThat(loaded.errors()).isEmpty();
        return loaded.policies();
    }

    private static EvaluatorCase podCase(String name, String namespace, Map<String, String> labels, String runtimeClass,
                                         PolicySet policies, String... groups) {
        JsonNode pod = Manifests.readAll("""
                apiVersion: v1
                kind: Pod
                metadata: {name: web, namespace: %s}
                spec:
                  containers: [{name: web, image: nginx:1.27}]
                """.formatted(namespace)).getFirst();
        if (runtimeClass != null) {
            pod = CelAdmission.withRuntimeClass(pod, runtimeClass);
        }
        return new EvaluatorCase(name, pod, Stage.VALIDATE, Manifests.request(pod, Operation.CREATE, namespace,
                "alice@example.com", List.of(groups)), new NamespaceInfo(namespace, labels), policies,
                SHIPPED.runtimeClasses(), NullNode.getInstance());
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
