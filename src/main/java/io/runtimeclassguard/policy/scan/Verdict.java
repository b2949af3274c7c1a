package io.runtimeclassguard.policy.scan;

import io.runtimeclassguard.policy.evaluation.Decision;

import java.util.Objects;
import java.util.Optional;

/**
 * What a decision means for an object, without its wording: its effect, the policy behind it and the class its
 * Pods run with. Two objects, or two policy sets, that agree on these agree on everything a scan reports.
 *
 * @param policy       the governing policy, empty when none governs the namespace
 * @param runtimeClass the class the Pods run with after the decision (named, or injected by default)
 */
public record Verdict(Effect effect, Optional<String> policy, Optional<String> runtimeClass) {
    public Verdict {
        Objects.requireNonNull(effect, "effect");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(runtimeClass, "runtimeClass");
    }

    public static Verdict of(Decision decision) {
        return new Verdict(Effect.of(decision), decision.policy(), decision.runtimeClassAfter());
    }
}
