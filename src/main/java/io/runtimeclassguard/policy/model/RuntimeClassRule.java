package io.runtimeclassguard.policy.model;

import java.util.List;
import java.util.Optional;

/**
 * The runtimeClass section of a policy.
 *
 * @param defaultClass injected when a Pod names none
 * @param allowed      the classes a Pod may name, in the order the policy lists them; {@code "*"} allows any existing class
 * @param required     a Pod must end up with a class (met by the default when there is one)
 */
public record RuntimeClassRule(Optional<String> defaultClass, List<String> allowed, boolean required) {
    public static final String ANY = "*";

    public RuntimeClassRule {
        defaultClass = defaultClass == null ? Optional.empty() : defaultClass;
        allowed = allowed == null ? List.of() : List.copyOf(allowed);
    }

    public boolean allowsAny() {
        return allowed.contains(ANY);
    }

    public boolean allows(String runtimeClassName) {
        return allowsAny() || allowed.contains(runtimeClassName);
    }

    /** {@code allowed} for a message: "gvisor, kata" or "any existing RuntimeClass". */
    public String describeAllowed() {
        return allowsAny() ? "any existing RuntimeClass" : String.join(", ", allowed);
    }
}
