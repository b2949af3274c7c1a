package io.runtimeclassguard.policy.evaluation;

import io.runtimeclassguard.policy.model.Mode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer to one admission request: a value, never an exception.
 *
 * @param allowed            whether the apiserver may go ahead
 * @param outcome            what happened, as recorded in the audit annotation {@code decision}
 * @param reason             a short, bounded code for logs, metrics and the audit annotation {@code reason}
 * @param policy             the governing policy's name, empty when no policy matched
 * @param mode               the governing policy's mode, empty when no policy matched
 * @param runtimeClassBefore the class the object named, or null
 * @param runtimeClassAfter  the class the object runs with once this decision applies, or null
 * @param patchRuntimeClass  the class to write into the object with a JSON Patch, or null for no patch
 * @param patchPath          the JSON Pointer the patch writes, or null
 * @param violations         everything the object does wrong under its policy, each with its field path
 * @param warnings           admission warnings for the client, each at most {@link #MAX_WARNING_LENGTH} characters
 * @param message            for a denial, what a person should read and do; otherwise a one-line summary
 */
public record Decision(boolean allowed, Outcome outcome, Reason reason, String policy, Optional<Mode> mode,
                       String runtimeClassBefore, String runtimeClassAfter, String patchRuntimeClass,
                       String patchPath, List<Violation> violations, List<String> warnings, String message) {
    public static final int MAX_WARNING_LENGTH = 120;

    public Decision {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(reason, "reason");
        policy = policy == null ? "" : policy;
        mode = mode == null ? Optional.empty() : mode;
        violations = violations == null ? List.of() : List.copyOf(violations);
        warnings = warnings == null ? List.of() : warnings.stream().map(Decision::fitWarning).toList();
        message = message == null ? "" : message;
        if ((patchRuntimeClass == null) != (patchPath == null)) {
            throw new IllegalArgumentException("a patch needs both a class and a path");
        }
    }

    public boolean hasPatch() {
        return patchRuntimeClass != null;
    }

    /** The audit annotations the apiserver writes into its audit log as {@code <webhook>/<key>}. */
    public Map<String, String> auditAnnotations() {
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(AuditKey.DECISION.key(), outcome.wireName());
        annotations.put(AuditKey.POLICY.key(), policy.isEmpty() ? "none" : policy);
        annotations.put(AuditKey.RUNTIME_CLASS.key(), runtimeClassAfter == null ? "none" : runtimeClassAfter);
        annotations.put(AuditKey.REASON.key(), reason.wireName());
        return annotations;
    }

    /** The keys of {@link #auditAnnotations()}, which audit-report reads back out of the apiserver's audit log. */
    public enum AuditKey {
        DECISION, POLICY, RUNTIME_CLASS, REASON;

        public String key() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private static String fitWarning(String warning) {
        return warning.length() <= MAX_WARNING_LENGTH ? warning : warning.substring(0, MAX_WARNING_LENGTH - 3) + "...";
    }

    /** One thing an object does wrong, with the field that holds it. */
    public record Violation(String field, String message) {
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
        NAMESPACE_UNKNOWN,
        POLICY_VALID,
        POLICY_INVALID,
        POLICY_OUTSIDE_NAMESPACE;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }
}
