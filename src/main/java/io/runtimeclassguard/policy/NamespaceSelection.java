package io.runtimeclassguard.policy;

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

    /** Why the namespace matches, in words, or empty when it does not. */
    public Optional<String> explainMatch(NamespaceInfo namespace) {
        for (NameGlob glob : names) {
            if (glob.matches(namespace.name())) {
                return Optional.of(glob.isLiteral()
                        ? "its name is listed in namespaces.names"
                        : "its name matches \"" + glob + "\" in namespaces.names");
            }
        }
        return selector.filter(labelSelector -> labelSelector.matches(namespace.labels()))
                .map(labelSelector -> "its labels match the selector \"" + labelSelector + "\"");
    }

    public boolean matches(NamespaceInfo namespace) {
        return explainMatch(namespace).isPresent();
    }
}
