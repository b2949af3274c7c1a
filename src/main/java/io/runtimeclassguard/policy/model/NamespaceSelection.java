package io.runtimeclassguard.policy.model;

import io.runtimeclassguard.policy.kube.NamespaceInfo;
import java.util.List;
import java.util.Optional;

/**
 * Which namespaces a policy governs: a namespace matches if its name matches one of {@code names}
 * OR its labels match {@code selector}.
 */
public record NamespaceSelection(List<NameGlob> names, Optional<LabelSelector> selector) {
    public NamespaceSelection {
        names = names == null ? List.of() : List.copyOf(names);
        selector = selector == null ? Optional.empty() : selector;
    }

    /** What in the namespace matched, e.g. {@code name glob "staging-*"}, or empty when nothing does. */
    public Optional<String> explainMatch(NamespaceInfo namespace) {
        for (NameGlob glob : names) {
            if (glob.matches(namespace.name())) {
                return Optional.of(glob.isLiteral() ? "name " + glob : "name glob \"" + glob + "\"");
            }
        }
        return selector.filter(labelSelector -> labelSelector.matches(namespace.labels()))
                .map(labelSelector -> "labels " + labelSelector);
    }
}
