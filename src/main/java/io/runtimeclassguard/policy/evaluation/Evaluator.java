package io.runtimeclassguard.policy.evaluation;

import io.runtimeclassguard.policy.evaluation.Decision.Patch;
import io.runtimeclassguard.policy.evaluation.Decision.Reason;
import io.runtimeclassguard.policy.evaluation.Decision.Violation;
import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.kube.Operation;
import io.runtimeclassguard.policy.kube.PodSpecView;
import io.runtimeclassguard.policy.kube.Quantities;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.kube.RuntimeClassInfo;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.policy.model.PolicySet;
import io.runtimeclassguard.policy.model.PolicySet.PolicyMatch;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import io.runtimeclassguard.policy.model.RuntimeClassRule;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Decides which RuntimeClass a Pod, or the Pods of a workload template, runs under.
 * A pure function of (stage, request, namespace, policy set, RuntimeClasses): no clock, no I/O, so the
 * webhook, the CLI and the tests run exactly the same decisions.
 */
public final class Evaluator {
    private Evaluator() {
    }

    /** Whether this request is one the evaluator decides on; everything else is allowed untouched. */
    public static boolean applies(Stage stage, ReviewRequest request) {
        if (!request.subResource().isEmpty() || request.podSpec().isEmpty()) {
            return false;
        }
        if (request.podSpec().get().owner().isPod()) {
            return request.operation() == Operation.CREATE;
        }
        return stage == Stage.VALIDATE
                && (request.operation() == Operation.CREATE || request.operation() == Operation.UPDATE);
    }

    public static Decision evaluate(Stage stage, ReviewRequest request, NamespaceInfo namespace,
                                    PolicySet policies, RuntimeClassCatalog classes) {
        Optional<String> named = request.podSpec().flatMap(PodSpecView::runtimeClassName);
        if (!applies(stage, request)) {
            return Decision.ignored("not a Pod CREATE or a workload CREATE/UPDATE on /validate")
                    .withRuntimeClasses(named, named);
        }
        Optional<PolicyMatch> match = policies.governing(namespace);
        if (request.terminating()) {
            return under(match, Decision.allowed(Reason.TERMINATING, "object is being deleted"))
                    .withRuntimeClasses(named, named);
        }
        if (match.isPresent()) {
            RuntimeClassPolicy policy = match.get().policy();
            Optional<String> exemptAs = policy.exemptions().exempts(request.username(), request.groups());
            if (exemptAs.isPresent()) {
                return Decision.exempt("exempt from RuntimeClass policy \"" + policy.name() + "\" as " + exemptAs.get())
                        .withPolicy(policy).withRuntimeClasses(named, named);
            }
        }
        return new Evaluation(stage, request, namespace, match, classes).decide();
    }

    private static Decision under(Optional<PolicyMatch> match, Decision decision) {
        return match.map(governing -> decision.withPolicy(governing.policy())).orElse(decision);
    }

    /** One evaluation's working state; collects every violation before deciding. */
    private static final class Evaluation {
        private final Stage stage;
        private final ReviewRequest request;
        private final NamespaceInfo namespace;
        private final Optional<PolicyMatch> match;
        private final RuntimeClassCatalog classes;
        private final PodSpecView spec;
        private final Optional<String> named;
        private final List<Violation> violations = new ArrayList<>();
        private final List<String> hints = new ArrayList<>();

        Evaluation(Stage stage, ReviewRequest request, NamespaceInfo namespace, Optional<PolicyMatch> match,
                   RuntimeClassCatalog classes) {
            this.stage = stage;
            this.request = request;
            this.namespace = namespace;
            this.match = match;
            this.classes = classes;
            this.spec = request.podSpec().orElseThrow();
            this.named = spec.runtimeClassName();
        }

        Decision decide() {
            if (named.isPresent()) {
                Optional<RuntimeClassInfo> runtimeClass = classes.find(named.get());
                if (runtimeClass.isEmpty()) {
                    // Never subject to mode: a Pod naming a missing class can never start, so no policy can let it pass.
                    violate(Reason.CLASS_NOT_FOUND, spec.runtimeClassPath(),
                            "RuntimeClass \"" + named.get() + "\" does not exist");
                    hints.add(classesToUse());
                    return deny();
                }
                Optional<String> conflict = nodeSelectorConflict(runtimeClass.get());
                if (conflict.isPresent()) {
                    // The apiserver's RuntimeClass plugin rejects this whatever the policy says; say so first.
                    violate(Reason.NODE_SELECTOR_CONFLICT, nodeSelectorPath(), conflict.get());
                    hints.add("To fix: remove that key from " + nodeSelectorPath() + "; the RuntimeClass sets it.");
                    return deny();
                }
            }
            if (match.isEmpty()) {
                return Decision.allowed(Reason.NO_POLICY, "no RuntimeClass policy governs namespace " + namespace.name())
                        .withRuntimeClasses(named, named);
            }
            RuntimeClassRule rule = policy().runtimeClass();
            if (named.isPresent()) {
                if (!rule.allows(classes.find(named.get()).orElseThrow())) {
                    violate(Reason.CLASS_NOT_ALLOWED, spec.runtimeClassPath(), "\"" + named.get() + "\" is not allowed");
                    hints.add(rule.defaultClass()
                            .map(d -> "To fix: remove " + spec.runtimeClassPath() + " (" + d + " is then set for you)"
                                    + " or set it to one of: " + rule.describeAllowed(classes) + ".")
                            .orElse("To fix: set " + spec.runtimeClassPath() + " to one of: " + rule.describeAllowed(classes) + "."));
                }
                return conclude(Reason.CLASS_ALLOWED, named, List.of());
            }
            if (rule.defaultClass().isEmpty()) {
                if (rule.required()) {
                    violate(Reason.CLASS_REQUIRED, spec.runtimeClassPath(), "a RuntimeClass is required, none is named");
                    hints.add("To fix: set " + spec.runtimeClassPath() + " to one of: " + rule.describeAllowed(classes) + ".");
                }
                return conclude(Reason.CLASS_ALLOWED, Optional.empty(), List.of());
            }
            return injectDefault(rule.defaultClass().get());
        }

        private Decision injectDefault(String defaultClass) {
            Optional<RuntimeClassInfo> runtimeClass = classes.find(defaultClass);
            if (runtimeClass.isEmpty()) {
                violate(Reason.DEFAULT_NOT_FOUND, spec.runtimeClassPath(),
                        "the policy's default RuntimeClass \"" + defaultClass + "\" does not exist in the cluster");
                hints.add("To fix: ask the platform team to create RuntimeClass " + defaultClass
                        + "; meanwhile name an allowed class that exists: " + existingAllowed() + ".");
                return conclude(Reason.DEFAULT_NOT_FOUND, Optional.empty(), List.of());
            }
            nodeSelectorConflict(runtimeClass.get()).ifPresent(conflict -> {
                violate(Reason.NODE_SELECTOR_CONFLICT, nodeSelectorPath(), conflict + " (the policy's default)");
                hints.add("To fix: remove that key from " + nodeSelectorPath() + "; the RuntimeClass sets it.");
            });
            if (!spec.overhead().isEmpty() && !Quantities.sameResources(spec.overhead(), runtimeClass.get().overhead())) {
                violate(Reason.OVERHEAD_CONFLICT, spec.fieldPath() + ".overhead",
                        describe(spec.overhead()) + " differs from RuntimeClass " + defaultClass + "'s overhead "
                                + describe(runtimeClass.get().overhead()));
                hints.add("To fix: remove " + spec.fieldPath() + ".overhead; the apiserver sets it from the RuntimeClass.");
            }
            if (!violations.isEmpty()) {
                return conclude(violations.getFirst().reason(), Optional.empty(), List.of());
            }
            if (!spec.owner().isPod()) {
                if (policy().mode() == Mode.AUDIT) {
                    return Decision.audited(Reason.DEFAULT_PENDING, List.of(),
                                    "audit: enforce would give its Pods runtimeClassName " + defaultClass)
                            .withPolicy(policy()).withRuntimeClasses(named, Optional.empty());
                }
                String warning = request.kind() + " " + request.objectName() + ": its Pods will get runtimeClassName "
                        + defaultClass + " (policy " + policy().name() + ")";
                return conclude(Reason.DEFAULT_PENDING, Optional.of(defaultClass), List.of(warning));
            }
            if (stage == Stage.MUTATE) {
                return inject(defaultClass);
            }
            // /validate is the last line: a Pod without the default got past (or around) the mutating webhook.
            violate(Reason.DEFAULT_EXPECTED, spec.runtimeClassPath(), "expected runtimeClassName " + defaultClass
                    + ", found none (the mutating webhook did not set the default)");
            hints.add("To fix: create the Pod again once the mutating webhook is available, or set "
                    + spec.runtimeClassPath() + ": " + defaultClass + ".");
            return conclude(Reason.DEFAULT_EXPECTED, Optional.empty(), List.of());
        }

        private Decision inject(String defaultClass) {
            if (policy().mode() == Mode.AUDIT) {
                return Decision.audited(Reason.DEFAULT_INJECTED, List.of(),
                                "audit: enforce would set runtimeClassName " + defaultClass)
                        .withPolicy(policy()).withRuntimeClasses(named, named);
            }
            return Decision.mutated(Reason.DEFAULT_INJECTED, new Patch(spec.runtimeClassPointer(), defaultClass),
                            "set runtimeClassName " + defaultClass + " (policy " + policy().name() + ")")
                    .withPolicy(policy()).withRuntimeClasses(named, Optional.of(defaultClass));
        }

        /**
         * Applies the policy's mode to what was found: with no violation the object is allowed and runs with
         * {@code runtimeClassAfter}; otherwise enforce denies, warn warns and audit records.
         */
        private Decision conclude(Reason passReason, Optional<String> runtimeClassAfter, List<String> notes) {
            if (violations.isEmpty()) {
                return Decision.allowed(passReason, "allowed by policy " + policy().name()).withWarnings(notes)
                        .withPolicy(policy()).withRuntimeClasses(named, runtimeClassAfter);
            }
            Decision decision = switch (policy().mode()) {
                case ENFORCE -> deny();
                case WARN -> Decision.warned(violations, violations.stream().map(this::warning).toList(), denialMessage());
                case AUDIT -> Decision.audited(violations.getFirst().reason(), violations,
                        "audit: enforce would deny: " + denialMessage());
            };
            return decision.withPolicy(policy()).withRuntimeClasses(named, named);
        }

        private String warning(Violation violation) {
            String warning = "policy " + policy().name() + " (warn): " + violation.field() + ": " + violation.message();
            return violation.field().equals(spec.runtimeClassPath())
                    ? warning + "; allowed: " + policy().runtimeClass().describeAllowed(classes) : warning;
        }

        private Decision deny() {
            return under(match, Decision.denied(violations, denialMessage())).withRuntimeClasses(named, named);
        }

        /**
         * What a person reads in kubectl: the object, the policy (or its absence), every violation with its
         * field, which classes are allowed, and what to do.
         */
        private String denialMessage() {
            StringBuilder message = new StringBuilder(describeObject());
            match.ifPresentOrElse(
                    m -> message.append(" violates RuntimeClass policy \"").append(m.policy().name()).append("\" (")
                            .append(m.policy().mode().wireName()).append(", matched by ").append(m.reason()).append("): "),
                    () -> message.append(" cannot run: "));
            message.append(violations.stream().map(v -> v.field() + ": " + v.message())
                    .collect(Collectors.joining("; ")));
            message.append(". ");
            match.ifPresent(m -> message.append("Allowed: ").append(m.policy().runtimeClass().describeAllowed(classes))
                    .append(m.policy().runtimeClass().defaultClass().map(d -> " (default " + d + ")").orElse(""))
                    .append(". "));
            message.append(String.join(" ", hints));
            return message.toString().strip();
        }

        private String describeObject() {
            String name = request.objectName().isEmpty() ? "(unnamed)" : request.objectName();
            return request.kind() + " \"" + name + "\" in namespace \"" + request.namespace() + "\"";
        }

        private String classesToUse() {
            if (match.isPresent()) {
                return "Classes that exist and policy " + policy().name() + " allows here: " + existingAllowed() + ".";
            }
            return "Existing RuntimeClasses: " + (classes.names().isEmpty() ? "none" : String.join(", ", classes.names())) + ".";
        }

        private String existingAllowed() {
            List<String> usable = policy().runtimeClass().allowedClasses(classes).stream()
                    .map(RuntimeClassRule.AllowedClass::name).toList();
            return usable.isEmpty() ? "none exists yet" : String.join(", ", usable);
        }

        /** The first key the Pod sets to another value than the class's scheduling requires, in words. */
        private Optional<String> nodeSelectorConflict(RuntimeClassInfo runtimeClass) {
            for (Map.Entry<String, String> required : runtimeClass.nodeSelector().entrySet()) {
                String podValue = spec.nodeSelector().get(required.getKey());
                if (podValue != null && !podValue.equals(required.getValue())) {
                    return Optional.of(required.getKey() + "=\"" + podValue + "\" conflicts with RuntimeClass "
                            + runtimeClass.name() + "'s scheduling nodeSelector " + required.getKey() + "=\""
                            + required.getValue() + "\"");
                }
            }
            return Optional.empty();
        }

        private String nodeSelectorPath() {
            return spec.fieldPath() + ".nodeSelector";
        }

        private void violate(Reason reason, String field, String message) {
            violations.add(new Violation(reason, field, message));
        }

        private RuntimeClassPolicy policy() {
            return match.orElseThrow().policy();
        }

        private static String describe(Map<String, String> resources) {
            return resources.isEmpty() ? "(none)" : resources.entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", ", "{", "}"));
        }
    }
}
