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
        mode = mode == null ? Mode.ENFORCE : mode;
        exemptions = exemptions == null ? Exemptions.NONE : exemptions;
        source = source == null ? SourceLocation.of("<unknown>") : source;
    }
}
