package io.runtimeclassguard.policy.evaluation;

import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.kube.Operation;
import io.runtimeclassguard.policy.kube.PodSpecView;
import io.runtimeclassguard.policy.kube.Quantities;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.kube.RuntimeClassInfo;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.policy.model.PolicySet;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import io.runtimeclassguard.policy.model.RuntimeClassRule;
import io.runtimeclassguard.policy.evaluation.Decision.Outcome;
import io.runtimeclassguard.policy.evaluation.Decision.Reason;
import io.runtimeclassguard.policy.evaluation.Decision.Violation;
import io.runtimeclassguard.policy.model.PolicySet.PolicyMatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Decides which RuntimeClass a Pod, or the Pods of a workload template, runs under.
 * A pure function of (stage, request, namespace, policy set, RuntimeClasses): no clock, no I/O, so the
 * webhook, the CLI and the tests run exactly the same decisions.
 */
public final class Evaluator {
    /** Kinds whose Pod template is validated, by API group. */
    private static final Map<String, Set<String>> WORKLOAD_KINDS = Map.of(
            "apps", Set.of("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"),
            "", Set.of("ReplicationController"),
            "batch", Set.of("Job", "CronJob"));

    private Evaluator() {
    }

    public static boolean isPod(ReviewRequest request) {
        return request.group().isEmpty() && request.kind().equals("Pod");
    }

    public static boolean isWorkload(ReviewRequest request) {
        return isWorkloadKind(request.group(), request.kind());
    }

    public static boolean isWorkloadKind(String group, String kind) {
        return WORKLOAD_KINDS.getOrDefault(group, Set.of()).contains(kind);
    }

    /** Whether this request is one the evaluator decides on; everything else is allowed untouched. */
    public static boolean applies(Stage stage, ReviewRequest request) {
        if (!request.subResource().isEmpty() || request.podSpec() == null) {
            return false;
        }
        if (isPod(request)) {
            return request.operation() == Operation.CREATE;
        }
        return stage == Stage.VALIDATE && isWorkload(request)
                && (request.operation() == Operation.CREATE || request.operation() == Operation.UPDATE);
    }

    public static Decision evaluate(Stage stage, ReviewRequest request, NamespaceInfo namespace,
                                    PolicySet policies, RuntimeClassCatalog classes) {
        if (!applies(stage, request)) {
            return ignored(request, "not a Pod CREATE or a workload CREATE/UPDATE on /validate");
        }
        PodSpecView spec = request.podSpec();
        Optional<PolicyMatch> match = policies.governing(namespace);
        if (request.terminating()) {
            return allow(request, match, Outcome.ALLOWED, Reason.TERMINATING, spec.runtimeClassName(),
                    List.of(), "object is being deleted");
        }
        if (match.isPresent()) {
            RuntimeClassPolicy policy = match.get().policy();
            Optional<String> exemptAs = policy.exemptions().exempts(request.username(), request.groups());
            if (exemptAs.isPresent()) {
                String warning = "exempt from RuntimeClass policy \"" + policy.name() + "\" as " + exemptAs.get();
                return allow(request, match, Outcome.EXEMPT, Reason.EXEMPT_PRINCIPAL, spec.runtimeClassName(),
                        List.of(warning), warning);
            }
        }
        return new Evaluation(stage, request, namespace, match, classes).decide();
    }

    private static Decision ignored(ReviewRequest request, String why) {
        return new Decision(true, Outcome.IGNORED, Reason.NOT_APPLICABLE, "", Optional.empty(),
                request.podSpec() == null ? null : request.podSpec().runtimeClassName(),
                request.podSpec() == null ? null : request.podSpec().runtimeClassName(),
                null, null, List.of(), List.of(), why);
    }

    private static Decision allow(ReviewRequest request, Optional<PolicyMatch> match, Outcome outcome, Reason reason,
                                  String runtimeClass, List<String> warnings, String summary) {
        return new Decision(true, outcome, reason, match.map(m -> m.policy().name()).orElse(""),
                match.map(m -> m.policy().mode()), request.podSpec().runtimeClassName(), runtimeClass,
                null, null, List.of(), warnings, summary);
    }

    /** One evaluation's working state; collects every violation before deciding. */
    private static final class Evaluation {
        private final Stage stage;
        private final ReviewRequest request;
        private final NamespaceInfo namespace;
        private final Optional<PolicyMatch> match;
        private final RuntimeClassCatalog classes;
        private final PodSpecView spec;
        private final String named;
        private final List<Violation> violations = new ArrayList<>();
        private final List<Reason> violationReasons = new ArrayList<>();
        private final List<String> hints = new ArrayList<>();

        Evaluation(Stage stage, ReviewRequest request, NamespaceInfo namespace, Optional<PolicyMatch> match,
                   RuntimeClassCatalog classes) {
            this.stage = stage;
            this.request = request;
            this.namespace = namespace;
            this.match = match;
            this.classes = classes;
            this.spec = request.podSpec();
            this.named = spec.runtimeClassName();
        }

        Decision decide() {
            if (named != null && !classes.contains(named)) {
                // Never subject to mode: a Pod naming a missing class can never start, so no policy can let it pass.
                violate(Reason.CLASS_NOT_FOUND, spec.runtimeClassPath(), "RuntimeClass \"" + named + "\" does not exist");
                hints.add(classesToUse());
                return deny(Reason.CLASS_NOT_FOUND);
            }
            if (named != null) {
                Optional<String> conflict = nodeSelectorConflict(classes.find(named).orElseThrow());
                if (conflict.isPresent()) {
                    // The apiserver's RuntimeClass plugin rejects this whatever the policy says; say so first.
                    violate(Reason.NODE_SELECTOR_CONFLICT, spec.fieldPath() + ".nodeSelector", conflict.get());
                    hints.add("To fix: remove that key from " + spec.fieldPath() + ".nodeSelector; the RuntimeClass sets it.");
                    return deny(Reason.NODE_SELECTOR_CONFLICT);
                }
            }
            if (match.isEmpty()) {
                return new Decision(true, Outcome.ALLOWED, Reason.NO_POLICY, "", Optional.empty(), named, named,
                        null, null, List.of(), List.of(), "no RuntimeClass policy governs namespace " + namespace.name());
            }
            RuntimeClassPolicy policy = match.get().policy();
            RuntimeClassRule rule = policy.runtimeClass();
            if (named != null) {
                if (!rule.allows(named)) {
                    violate(Reason.CLASS_NOT_ALLOWED, spec.runtimeClassPath(), "\"" + named + "\" is not allowed");
                    hints.add(rule.defaultClass()
                            .map(d -> "To fix: remove " + spec.runtimeClassPath() + " (" + d + " is then set for you)"
                                    + " or set it to one of: " + rule.describeAllowed() + ".")
                            .orElse("To fix: set " + spec.runtimeClassPath() + " to one of: " + rule.describeAllowed() + "."));
                }
                return conclude(Reason.CLASS_ALLOWED, null, named, List.of());
            }
            if (rule.defaultClass().isEmpty()) {
                if (rule.required()) {
                    violate(Reason.CLASS_REQUIRED, spec.runtimeClassPath(), "a RuntimeClass is required, none is named");
                    hints.add("To fix: set " + spec.runtimeClassPath() + " to one of: " + rule.describeAllowed() + ".");
                }
                return conclude(Reason.CLASS_ALLOWED, null, null, List.of());
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
                return conclude(Reason.DEFAULT_NOT_FOUND, null, null, List.of());
            }
            nodeSelectorConflict(runtimeClass.get()).ifPresent(conflict -> {
                violate(Reason.NODE_SELECTOR_CONFLICT, spec.fieldPath() + ".nodeSelector",
                        conflict + " (the policy's default)");
                hints.add("To fix: remove that key from " + spec.fieldPath() + ".nodeSelector; the RuntimeClass sets it.");
            });
            if (!spec.overhead().isEmpty() && !Quantities.sameResources(spec.overhead(), runtimeClass.get().overhead())) {
                violate(Reason.OVERHEAD_CONFLICT, spec.fieldPath() + ".overhead",
                        describe(spec.overhead()) + " differs from RuntimeClass " + defaultClass + "'s overhead "
                                + describe(runtimeClass.get().overhead()));
                hints.add("To fix: remove " + spec.fieldPath() + ".overhead; the apiserver sets it from the RuntimeClass.");
            }
            if (!violations.isEmpty()) {
                return conclude(violationReasons.getFirst(), null, null, List.of());
            }
            if (!isPod(request)) {
                if (match.orElseThrow().policy().mode() == Mode.AUDIT) {
                    return decision(true, Outcome.AUDITED, Reason.DEFAULT_PENDING, null, null, List.of(),
                            "audit: enforce would give its Pods runtimeClassName " + defaultClass);
                }
                String warning = request.kind() + " " + request.objectName() + ": its Pods will get runtimeClassName "
                        + defaultClass + " (policy " + policyName() + ")";
                return conclude(Reason.DEFAULT_PENDING, null, defaultClass, List.of(warning));
            }
            if (stage == Stage.MUTATE) {
                return conclude(Reason.DEFAULT_INJECTED, defaultClass, defaultClass, List.of());
            }
            // /validate is the last line: a Pod without the default got past (or around) the mutating webhook.
            violate(Reason.DEFAULT_EXPECTED, spec.runtimeClassPath(), "expected runtimeClassName " + defaultClass
                    + ", found none (the mutating webhook did not set the default)");
            hints.add("To fix: create the Pod again once the mutating webhook is available, or set "
                    + spec.runtimeClassPath() + ": " + defaultClass + ".");
            return conclude(Reason.DEFAULT_EXPECTED, null, null, List.of());
        }

        /** Applies the policy's mode to what was found. */
        private Decision conclude(Reason passReason, String patchClass, String runtimeClassAfter, List<String> notes) {
            RuntimeClassPolicy policy = match.orElseThrow().policy();
            Mode mode = policy.mode();
            if (violations.isEmpty()) {
                if (patchClass != null && mode == Mode.AUDIT) {
                    return decision(true, Outcome.AUDITED, passReason, null, named, notes,
                            "audit: enforce would set runtimeClassName " + patchClass);
                }
                Outcome outcome = patchClass != null ? Outcome.MUTATED : Outcome.ALLOWED;
                String summary = patchClass != null
                        ? "set runtimeClassName " + patchClass + " (policy " + policy.name() + ")"
                        : "allowed by policy " + policy.name();
                return decision(true, outcome, passReason, patchClass, runtimeClassAfter, notes, summary);
            }
            Reason reason = violationReasons.getFirst();
            return switch (mode) {
                case ENFORCE -> deny(reason);
                case WARN -> decision(true, Outcome.WARNED, reason, null, named,
                        violations.stream().map(v -> "policy " + policy.name() + " (warn): " + v.field() + ": " + v.message()
                                + (v.field().equals(spec.runtimeClassPath()) ? "; allowed: " + policy.runtimeClass().describeAllowed() : "")).toList(),
                        denialMessage());
                case AUDIT -> decision(true, Outcome.AUDITED, reason, null, named, List.of(),
                        "audit: enforce would deny: " + denialMessage());
            };
        }

        private Decision deny(Reason reason) {
            return decision(false, Outcome.DENIED, reason, null, named, List.of(), denialMessage());
        }

        private Decision decision(boolean allowed, Outcome outcome, Reason reason, String patchClass,
                                  String runtimeClassAfter, List<String> warnings, String message) {
            return new Decision(allowed, outcome, reason, policyName(), match.map(m -> m.policy().mode()),
                    named, runtimeClassAfter, patchClass, patchClass == null ? null : "/spec/runtimeClassName",
                    violations, warnings, message);
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
            match.ifPresent(m -> message.append("Allowed: ").append(m.policy().runtimeClass().describeAllowed())
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
                return "Classes that exist and policy " + policyName() + " allows here: " + existingAllowed() + ".";
            }
            return "Existing RuntimeClasses: " + (classes.names().isEmpty() ? "none" : String.join(", ", classes.names())) + ".";
        }

        private String existingAllowed() {
            RuntimeClassRule rule = match.orElseThrow().policy().runtimeClass();
            List<String> usable = rule.allowsAny()
                    ? List.copyOf(classes.names())
                    : rule.allowed().stream().filter(classes::contains).toList();
            return usable.isEmpty() ? "none exists yet" : String.join(", ", usable);
        }

        private Optional<String> nodeSelectorConflict(RuntimeClassInfo runtimeClass) {
            for (Map.Entry<String, String> required : runtimeClass.nodeSelector().entrySet()) {
                String podValue = spec.nodeSelector().get(required.getKey());
                if (podValue != null && !podValue.equals(required.getValue())) {
                    return Optional.of(spec.fieldPath() + ".nodeSelector " + required.getKey() + "=\"" + podValue
                            + "\" conflicts with RuntimeClass " + runtimeClass.name() + "'s scheduling nodeSelector "
                            + required.getKey() + "=\"" + required.getValue() + "\"");
                }
            }
            return Optional.empty();
        }

        private void violate(Reason reason, String field, String message) {
            violations.add(new Violation(field, message));
            violationReasons.add(reason);
        }

        private String policyName() {
            return match.map(m -> m.policy().name()).orElse("");
        }

        private static String describe(Map<String, String> resources) {
            return resources.isEmpty() ? "(none)" : resources.entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", ", "{", "}"));
        }
    }
}
