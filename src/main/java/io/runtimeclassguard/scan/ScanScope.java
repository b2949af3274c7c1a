package io.runtimeclassguard.scan;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The namespaces a scan leaves out: those the webhook is never asked about, so whatever runs there was never its
 * decision. The chart keeps the same namespaces out of its webhook configurations.
 *
 * @param excludedNamespaces never scanned
 */
public record ScanScope(Set<String> excludedNamespaces) {
    /** Left out of every scan, as the chart leaves them out of every webhook: the control plane's own. */
    public static final List<String> CONTROL_PLANE_NAMESPACES = List.of("kube-system", "kube-node-lease");

    public ScanScope {
        excludedNamespaces = Set.copyOf(excludedNamespaces);
    }

    /** The control plane's namespaces, the webhook's own (its Pods must start while it is down), and {@code others}. */
    public static ScanScope excluding(String policyNamespace, Collection<String> others) {
        Set<String> excluded = new TreeSet<>(CONTROL_PLANE_NAMESPACES);
        excluded.add(policyNamespace);
        excluded.addAll(others);
        return new ScanScope(excluded);
    }

    public boolean includes(String namespace) {
        return !excludedNamespaces.contains(namespace);
    }
}
