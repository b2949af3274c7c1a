package io.runtimeclassguard.policy.loading;

import io.runtimeclassguard.policy.model.SourceLocation;

import java.util.ArrayList;
import java.util.List;

/** What loading found wrong, in the order found: errors keep a set from loading, warnings do not. */
final class Problems {
    private final List<PolicyProblem> errors = new ArrayList<>();
    private final List<PolicyProblem> warnings = new ArrayList<>();

    void error(SourceLocation location, String message) {
        errors.add(new PolicyProblem(location, message));
    }

    void warning(SourceLocation location, String message) {
        warnings.add(new PolicyProblem(location, message));
    }

    /** How many errors so far: a reader compares before and after to know whether its part was clean. */
    int errorCount() {
        return errors.size();
    }

    List<PolicyProblem> errors() {
        return List.copyOf(errors);
    }

    List<PolicyProblem> warnings() {
        return List.copyOf(warnings);
    }
}
