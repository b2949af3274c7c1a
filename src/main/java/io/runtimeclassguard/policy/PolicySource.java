package io.runtimeclassguard.policy;

import java.util.Objects;

/**
 * Text that holds policies, and what it is: a manifest file (ConfigMaps labelled as policies, or bare
 * RuntimeClassPolicy documents, or both) or the value of one ConfigMap data key (bare documents only).
 * {@code origin} names it in every error, e.g. {@code policies/untrusted.yaml} or
 * {@code runtimeclass-guard/policy-untrusted[untrusted.yaml]}.
 */
public record PolicySource(String origin, String text) {
    public PolicySource {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(text, "text");
    }
}
