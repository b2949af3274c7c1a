package io.runtimeclassguard.policy.loading;

import io.runtimeclassguard.policy.loading.PolicySchema.ReadPolicy;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The checks that span policies: names unique, priorities unique (a tie would make the winner arbitrary). */
final class PolicySetRules {
    private PolicySetRules() {
    }

    static void check(List<ReadPolicy> policies, Problems problems) {
        Map<String, ReadPolicy> byName = new HashMap<>();
        Map<Integer, ReadPolicy> byPriority = new HashMap<>();
        for (ReadPolicy read : policies) {
            RuntimeClassPolicy policy = read.policy();
            ReadPolicy sameName = byName.putIfAbsent(policy.name(), read);
            if (sameName != null) {
                problems.error(policy.source(), "policy name \"" + policy.name() + "\" is already used at "
                        + sameName.policy().source());
            }
            ReadPolicy samePriority = byPriority.putIfAbsent(policy.priority(), read);
            if (samePriority != null) {
                problems.error(read.priorityAt(), "policy \"" + policy.name() + "\" has priority " + policy.priority()
                        + ", the same as policy \"" + samePriority.policy().name() + "\" at " + samePriority.priorityAt()
                        + "; priorities must differ so the winner is never arbitrary");
            }
        }
    }
}
