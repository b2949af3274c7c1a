package io.runtimeclassguard.policy.kube;

import java.util.Map;
import java.util.Objects;

/**
 * A RuntimeClass as decisions need it: its labels (which a policy's {@code allowedSelector} matches), the
 * scheduling nodeSelector that the apiserver's RuntimeClass plugin merges into Pods (and rejects on conflict),
 * and the fixed Pod overhead it sets.
 */
public record RuntimeClassInfo(String name, String handler, Map<String, String> labels,
                               Map<String, String> nodeSelector, Map<String, String> overhead) {
    public RuntimeClassInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(handler, "handler");
        labels = Map.copyOf(labels);
        nodeSelector = Map.copyOf(nodeSelector);
        overhead = Map.copyOf(overhead);
    }

    /** A class with only a name and a handler: no labels, scheduling or overhead. */
    public static RuntimeClassInfo plain(String name, String handler) {
        return new RuntimeClassInfo(name, handler, Map.of(), Map.of(), Map.of());
    }
}
