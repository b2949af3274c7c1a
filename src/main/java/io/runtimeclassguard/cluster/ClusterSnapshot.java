package io.runtimeclassguard.cluster;

import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.model.PolicySet;
import io.runtimeclassguard.policy.loading.PolicySource;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;

import java.util.List;
import java.util.Map;

/**
 * Everything the cluster knows that a decision needs, frozen at one moment. A request reads one
 * snapshot from start to end, so a reload halfway through can never mix two policy sets.
 *
 * @param policySources the policy sources in force, by ConfigMap {@code namespace/name} (or file), so an
 *                      edit to one can be validated together with the rest
 */
public record ClusterSnapshot(PolicySet policies, Map<String, NamespaceInfo> namespaces,
                              RuntimeClassCatalog runtimeClasses, Map<String, List<PolicySource>> policySources) {
    public static final ClusterSnapshot EMPTY = new ClusterSnapshot(PolicySet.EMPTY, Map.of(), RuntimeClassCatalog.EMPTY, Map.of());

    public ClusterSnapshot {
        namespaces = Map.copyOf(namespaces);
        policySources = Map.copyOf(policySources);
    }

    /** The namespace as last seen; a namespace not seen yet has no labels, so only name rules can match it. */
    public NamespaceInfo namespace(String name) {
        NamespaceInfo known = namespaces.get(name);
        return known != null ? known : NamespaceInfo.unlabelled(name);
    }
}
