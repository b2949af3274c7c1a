package io.runtimeclassguard.policy.model;

import java.util.Locale;
import java.util.Optional;

/** What a policy violation does. */
public enum Mode {
    /** Deny the request. */
    ENFORCE,
    /** Allow it with an admission warning that kubectl prints. */
    WARN,
    /** Allow it, mutate nothing, and only record what enforce would have done. */
    AUDIT;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Mode> fromWireName(String value) {
        for (Mode mode : values()) {
            if (mode.wireName().equals(value)) {
                return Optional.of(mode);
            }
        }
        return Optional.empty();
    }
}
