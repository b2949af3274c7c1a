package io.runtimeclassguard.policy.loading;

import io.runtimeclassguard.policy.model.SourceLocation;

/** One thing wrong with a policy document or with the policy set as a whole. */
public record PolicyProblem(SourceLocation location, String message) {
    @Override
    public String toString() {
        return location + ": " + message;
    }
}
