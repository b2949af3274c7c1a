package io.runtimeclassguard.policy.kube;

import java.util.Map;
import java.util.Objects;

/** A Namespace as policies see it: its name and labels. */
public record NamespaceInfo(String name, Map<String, String> labels) {
    public NamespaceInfo {
        Objects.requireNonNull(name, "name");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    public static NamespaceInfo unlabelled(String name) {
        return new NamespaceInfo(name, Map.of());
    }
}
