package io.runtimeclassguard.policy.model;

import java.util.Objects;
import java.util.Optional;

/**
 * The text a policy was read from: a file, or one data key of a ConfigMap (a ConfigMap in the cluster, named
 * {@code namespace/name}, or one inside a manifest file). Printed as {@code name} or {@code name[key]}.
 *
 * @param name the file's path, or the ConfigMap's {@code namespace/name} (its file's path when inside a file)
 * @param key  the ConfigMap data key, empty for a file read as a whole
 */
public record PolicyOrigin(String name, Optional<String> key) {
    public PolicyOrigin {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(key, "key");
    }

    public static PolicyOrigin file(String path) {
        return new PolicyOrigin(path, Optional.empty());
    }

    public static PolicyOrigin configMapKey(String configMap, String key) {
        return new PolicyOrigin(configMap, Optional.of(key));
    }

    @Override
    public String toString() {
        return key.map(dataKey -> name + "[" + dataKey + "]").orElse(name);
    }
}
