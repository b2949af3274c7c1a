package io.runtimeclassguard.cluster;

import io.runtimeclassguard.policy.loading.PolicyProblem;

import java.util.List;

/** Told of every attempt to rebuild the policy set from the policy ConfigMaps. */
public interface PolicyReloadListener {
    void onReload(PolicyReload reload);

    /**
     * One rebuild of the policy set.
     *
     * @param applied        whether the new set is now in force; false keeps the last good set
     * @param policiesLoaded the size of the set in force afterwards
     * @param errors         why the new set was refused, each with its {@code namespace/configmap[key]:line:column}
     */
    record PolicyReload(boolean applied, int policiesLoaded, List<PolicyProblem> errors) {
        public PolicyReload {
            errors = List.copyOf(errors);
        }
    }
}
