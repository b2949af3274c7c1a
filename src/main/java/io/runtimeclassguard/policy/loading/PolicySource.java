package io.runtimeclassguard.policy.loading;

import io.runtimeclassguard.policy.model.PolicyOrigin;
import java.util.Objects;

/**
 * Text that holds policies, and what it is.
 *
 * @param origin names the text in every error, e.g. {@code policies/untrusted.yaml} or
 *               {@code runtimeclass-guard/policy-untrusted[untrusted.yaml]}
 * @param format whether the text is a manifest file or the value of one ConfigMap data key
 */
public record PolicySource(PolicyOrigin origin, String text, Format format) {
    public PolicySource {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(format, "format");
    }

    /** A manifest file: labelled policy ConfigMaps and bare RuntimeClassPolicy documents; other kinds are skipped. */
    public static PolicySource manifest(String path, String text) {
        return new PolicySource(PolicyOrigin.file(path), text, Format.MANIFEST);
    }

    /** The value of a policy ConfigMap's data key: RuntimeClassPolicy documents only. */
    public static PolicySource configMapKey(String configMap, String key, String text) {
        return new PolicySource(PolicyOrigin.configMapKey(configMap, key), text, Format.POLICY_DOCUMENTS);
    }

    /** What the text holds. */
    public enum Format {
        MANIFEST, POLICY_DOCUMENTS
    }
}
