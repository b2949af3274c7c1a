package io.runtimeclassguard.policy.evaluation;

/** Which webhook asks: the mutating one (may inject a default) or the validating one (the last line). */
public enum Stage {
    MUTATE, VALIDATE
}
