package io.runtimeclassguard.policy.model;

import java.util.Objects;

/** One validated RuntimeClassPolicy document. */
public record RuntimeClassPolicy(String name, int priority, NamespaceSelection namespaces,
                                 RuntimeClassRule runtimeClass, Mode mode, Exemptions exemptions,
                                 SourceLocation source) {
    public static final String API_VERSION = "runtimeclass-guard.io/v1alpha1";
    public static final String KIND = "RuntimeClassPolicy";

    public RuntimeClassPolicy {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(namespaces, "namespaces");
        Objects.requireNonNull(runtimeClass, "runtimeClass");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(exemptions, "exemptions");
        Objects.requireNonNull(source, "source");
    }
}
