package io.runtimeclassguard.policy.evaluation;

import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer to one admission request: a value, never an exception. Built with the named factories
 * ({@link #denied}, {@link #mutated}, ...) and {@code withX} copies; whatever is absent is an empty Optional.
 *
 * @param outcome            what happened, as recorded in the audit annotation {@code decision}; it says whether
 *                           the apiserver may go ahead ({@link #allowed()})
 * @param reason             a short, bounded code for logs, metrics and the audit annotation {@code reason}
 * @param policy             the governing policy's name, empty when no policy matched
 * @param mode               the governing policy's mode, present exactly when {@code policy} is
 * @param runtimeClassBefore the class the object named
 * @param runtimeClassAfter  the class the object runs with once this decision applies
 * @param patch              the class to write into the object, and where
 * @param violations         everything the object does wrong under its policy, each with its field and reason
 * @param warnings           admission warnings for the client, each at most {@link #MAX_WARNING_LENGTH} characters
 * @param message            for a denial, what a person should read and do; otherwise a one-line summary
 */
public record Decision(Outcome outcome, Reason reason, Optional<String> policy, Optional<Mode> mode,
                       Optional<String> runtimeClassBefore, Optional<String> runtimeClassAfter, Optional<Patch> patch,
                       List<Violation> violations, List<String> warnings, String message) {
    public static final int MAX_WARNING_LENGTH = 120;

    public Decision {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(runtimeClassBefore, "runtimeClassBefore");
        Objects.requireNonNull(runtimeClassAfter, "runtimeClassAfter");
        Objects.requireNonNull(patch, "patch");
        Objects.requireNonNull(message, "message");
        if (policy.isPresent() != mode.isPresent()) {
            throw new IllegalArgumentException("a policy and its mode go together");
        }
        if (outcome == Outcome.DENIED && violations.isEmpty()) {
            throw new IllegalArgumentException("a denial says what is wrong");
        }
        violations = List.copyOf(violations);
        warnings = fitted(warnings);
    }

    /** Not something this webhook decides on (other kinds, operations, subresources): allowed untouched. */
    public static Decision ignored(String why) {
        return of(Outcome.IGNORED, Reason.NOT_APPLICABLE, List.of(), why);
    }

    /** Allowed as it is. */
    public static Decision allowed(Reason reason, String summary) {
        return of(Outcome.ALLOWED, reason, List.of(), summary);
    }

    /** Allowed untouched because the requester is exempt; the summary is also the client's warning. */
    public static Decision exempt(String summary) {
        return of(Outcome.EXEMPT, Reason.EXEMPT_PRINCIPAL, List.of(), summary).withWarnings(List.of(summary));
    }

    /** Allowed with a patch; the object then runs with the patched class. */
    public static Decision mutated(Reason reason, Patch patch, String summary) {
        return new Decision(Outcome.MUTATED, reason, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(patch.runtimeClass()), Optional.of(patch), List.of(), List.of(), summary);
    }

    /** Refused; the reason is the first violation's. */
    public static Decision denied(List<Violation> violations, String message) {
        return of(Outcome.DENIED, firstReason(violations), violations, message);
    }

    /** Allowed under a warn-mode policy despite violations; the warnings tell the client. */
    public static Decision warned(List<Violation> violations, List<String> warnings, String message) {
        return of(Outcome.WARNED, firstReason(violations), violations, message).withWarnings(warnings);
    }

    /** Allowed under an audit-mode policy, untouched; the message records what enforce would have done. */
    public static Decision audited(Reason reason, List<Violation> violations, String message) {
        return of(Outcome.AUDITED, reason, violations, message);
    }

    private static Decision of(Outcome outcome, Reason reason, List<Violation> violations, String message) {
        return new Decision(outcome, reason, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), violations, List.of(), message);
    }

    private static Reason firstReason(List<Violation> violations) {
        if (violations.isEmpty()) {
            throw new IllegalArgumentException("no violation to give a reason");
        }
        return violations.getFirst().reason();
    }

    public boolean allowed() {
        return outcome != Outcome.DENIED;
    }

    /** This decision made under {@code governing}: names it and its mode. */
    public Decision withPolicy(RuntimeClassPolicy governing) {
        return new Decision(outcome, reason, Optional.of(governing.name()), Optional.of(governing.mode()),
                runtimeClassBefore, runtimeClassAfter, patch, violations, warnings, message);
    }

    /** This decision about an object that named {@code before} and runs with {@code after} once it applies. */
    public Decision withRuntimeClasses(Optional<String> before, Optional<String> after) {
        return new Decision(outcome, reason, policy, mode, before, after, patch, violations, warnings, message);
    }

    public Decision withWarnings(List<String> newWarnings) {
        return new Decision(outcome, reason, policy, mode, runtimeClassBefore, runtimeClassAfter, patch, violations,
                newWarnings, message);
    }

    /** The audit annotations the apiserver writes into its audit log as {@code <webhook>/<key>}. */
    public Map<String, String> auditAnnotations() {
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(AuditKey.DECISION.key(), outcome.wireName());
        annotations.put(AuditKey.POLICY.key(), policy.orElse("none"));
        annotations.put(AuditKey.RUNTIME_CLASS.key(), runtimeClassAfter.orElse("none"));
        annotations.put(AuditKey.REASON.key(), reason.wireName());
        return annotations;
    }

    /**
     * The warnings, each cut to fit. Every {@code withX} copy runs this, so it allocates nothing when all fit:
     * {@code List.copyOf} of a list that is already immutable is that list.
     */
    private static List<String> fitted(List<String> warnings) {
        for (String warning : warnings) {
            if (!fits(warning)) {
                return warnings.stream().map(Decision::fitWarning).toList();
            }
        }
        return List.copyOf(warnings);
    }

    private static boolean fits(String warning) {
        return warning.length() <= MAX_WARNING_LENGTH;
    }

    private static String fitWarning(String warning) {
        return fits(warning) ? warning : warning.substring(0, MAX_WARNING_LENGTH - 3) + "...";
    }

    /** The keys of {@link #auditAnnotations()}, which audit-report reads back out of the apiserver's audit log. */
    public enum AuditKey {
        DECISION, POLICY, RUNTIME_CLASS, REASON;

        public String key() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** One thing an object does wrong: the field that holds it, why (as a bounded code) and what, in words. */
    public record Violation(Reason reason, String field, String message) {
        public Violation {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(field, "field");
            Objects.requireNonNull(message, "message");
        }
    }

    /**
     * The JSON Patch a mutation applies: {@code add} of {@code runtimeClass} at {@code path}.
     *
     * @param path a JSON Pointer, {@code /spec/runtimeClassName} for a Pod
     */
    public record Patch(String path, String runtimeClass) {
        public Patch {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(runtimeClass, "runtimeClass");
        }
    }

    /** What the webhook did. Wire names are lower-case, as audit annotations and logs show them. */
    public enum Outcome {
        /** Allowed as it is. */
        ALLOWED,
        /** Allowed with a patch that sets the default class. */
        MUTATED,
        /** Refused. */
        DENIED,
        /** Allowed under a warn-mode policy despite violations, with warnings. */
        WARNED,
        /** Allowed under an audit-mode policy; records what enforce would have done. */
        AUDITED,
        /** Allowed untouched because the requester is exempt. */
        EXEMPT,
        /** Not something this webhook decides on (other kinds, operations, subresources). */
        IGNORED;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Why, as a bounded code fit for a metric tag. */
    public enum Reason {
        NOT_APPLICABLE,
        NO_POLICY,
        EXEMPT_PRINCIPAL,
        TERMINATING,
        CLASS_ALLOWED,
        DEFAULT_INJECTED,
        DEFAULT_PENDING,
        CLASS_NOT_FOUND,
        CLASS_NOT_ALLOWED,
        CLASS_REQUIRED,
        DEFAULT_EXPECTED,
        DEFAULT_NOT_FOUND,
        NODE_SELECTOR_CONFLICT,
        OVERHEAD_CONFLICT,
        POLICY_VALID,
        POLICY_INVALID,
        POLICY_OUTSIDE_NAMESPACE;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }
}
