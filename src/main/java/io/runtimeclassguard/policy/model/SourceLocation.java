package io.runtimeclassguard.policy.model;

import java.util.Objects;

/**
 * Where a piece of policy came from: its origin and a 1-based line and column (0 when the whole origin is meant).
 * Printed as {@code origin:line:column}, the form editors and CI annotations understand.
 */
public record SourceLocation(PolicyOrigin origin, int line, int column) {
    public SourceLocation {
        Objects.requireNonNull(origin, "origin");
    }

    /** The origin as a whole, without a position in it. */
    public static SourceLocation of(PolicyOrigin origin) {
        return new SourceLocation(origin, 0, 0);
    }

    @Override
    public String toString() {
        return line > 0 ? origin + ":" + line + ":" + column : origin.toString();
    }
}
