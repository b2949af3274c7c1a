package io.runtimeclassguard.policy.scan;

import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Decision.Outcome;

import java.util.Locale;

/** What a decision does to an object, from harmless to refused; declared in that order. */
public enum Effect {
    /** Goes ahead as it is, or with the default class set. */
    ALLOWED,
    /** Goes ahead, and an audit-mode policy records the violation. */
    AUDITED,
    /** Goes ahead with a warning the client prints. */
    WARNED,
    /** Refused. */
    DENIED;

    public static Effect of(Decision decision) {
        if (!decision.allowed()) {
            return DENIED;
        }
        if (decision.outcome() == Outcome.WARNED) {
            return WARNED;
        }
        // An audit-mode policy also records what it would have injected; only a violation is worth a finding.
        return decision.outcome() == Outcome.AUDITED && !decision.violations().isEmpty() ? AUDITED : ALLOWED;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
