package io.runtimeclassguard.policy.model;

/**
 * Where a piece of policy came from: a file (or a ConfigMap key) and a 1-based line and column.
 * Printed as {@code origin:line:column}, the form editors and CI annotations understand.
 */
public record SourceLocation(String origin, int line, int column) {
    public static SourceLocation of(String origin) {
        return new SourceLocation(origin, 0, 0);
    }

    @Override
    public String toString() {
        return line > 0 ? origin + ":" + line + ":" + column : origin;
    }
}
