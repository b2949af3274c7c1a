package io.runtimeclassguard.policy.loading;

import io.runtimeclassguard.policy.model.PolicySet;
import java.util.List;

/**
 * A policy set and everything wrong with the sources it came from. Only an {@link #ok()} result may
 * replace the policy set in force.
 *
 * @param warnings things worth telling whoever wrote the policies that do not stop them loading
 */
public record PolicyLoadResult(PolicySet policies, List<PolicyProblem> errors, List<PolicyProblem> warnings) {
    public PolicyLoadResult {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
    }

    public boolean ok() {
        return errors.isEmpty();
    }
}
