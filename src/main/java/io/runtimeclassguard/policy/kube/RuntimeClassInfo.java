package io.runtimeclassguard.policy.kube;

import java.util.Map;
import java.util.Objects;

/**
 * A RuntimeClass as the evaluator needs it: the scheduling nodeSelector that the apiserver's
 * RuntimeClass plugin merges into Pods (and rejects on conflict) and the fixed Pod overhead it sets.
 */
public record RuntimeClassInfo(String name, String handler, Map<String, String> nodeSelector,
                               Map<String, String> overhead) {
    public RuntimeClassInfo {
        Objects.requireNonNull(name, "name");
        handler = handler == null ? "" : handler;
        nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
        overhead = overhead == null ? Map.of() : Map.copyOf(overhead);
    }
}
