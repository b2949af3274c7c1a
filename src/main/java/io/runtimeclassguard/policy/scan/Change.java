package io.runtimeclassguard.policy.scan;

import java.util.Locale;
import java.util.Optional;

/**
 * How an object's readmission changes from one policy set to another, the most consequential first: a change
 * of effect outweighs a change of class, which outweighs a change of policy with the same outcome.
 */
public enum Change {
    /** Allowed (or only warned or audited) before, denied now. */
    NEWLY_DENIED,
    /** Now allowed with a warning it did not get before. */
    NEWLY_WARNED,
    /** Now recorded as an audit-mode violation. */
    NEWLY_AUDITED,
    /** Denied, warned or audited before; less so now. */
    RELAXED,
    /** Admitted either way, with another RuntimeClass. */
    CLASS_CHANGED,
    /** The same outcome, now from a policy where none governed. */
    NEWLY_GOVERNED,
    /** The same outcome, and no policy governs any more. */
    NO_LONGER_GOVERNED,
    /** The same outcome from another policy. */
    POLICY_CHANGED;

    /** How {@code before} becomes {@code after}; empty when nothing a person would notice changes. */
    public static Optional<Change> between(Verdict before, Verdict after) {
        int severity = after.effect().compareTo(before.effect());
        if (severity > 0) {
            return Optional.of(switch (after.effect()) {
                case DENIED -> NEWLY_DENIED;
                case WARNED -> NEWLY_WARNED;
                case AUDITED -> NEWLY_AUDITED;
                case ALLOWED -> throw new IllegalStateException("nothing is less severe than allowed");
            });
        }
        if (severity < 0) {
            return Optional.of(RELAXED);
        }
        if (!before.runtimeClass().equals(after.runtimeClass())) {
            return Optional.of(CLASS_CHANGED);
        }
        if (before.policy().equals(after.policy())) {
            return Optional.empty();
        }
        if (before.policy().isEmpty()) {
            return Optional.of(NEWLY_GOVERNED);
        }
        return Optional.of(after.policy().isEmpty() ? NO_LONGER_GOVERNED : POLICY_CHANGED);
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
