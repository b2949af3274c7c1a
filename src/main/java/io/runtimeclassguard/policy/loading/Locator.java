package io.runtimeclassguard.policy.loading;

import io.runtimeclassguard.policy.model.PolicyOrigin;
import io.runtimeclassguard.policy.model.SourceLocation;
import org.yaml.snakeyaml.error.Mark;

/** Maps a position in composed YAML text back to where a person finds it: its origin, line and column. */
@FunctionalInterface
interface Locator {
    SourceLocation at(Mark mark);

    /** Positions in {@code origin}'s own text. */
    static Locator in(PolicyOrigin origin) {
        return mark -> new SourceLocation(origin, mark.getLine() + 1, mark.getColumn() + 1);
    }

    /** Positions in text embedded in a file at {@code firstLine} (0-based), indented by {@code indent} columns. */
    static Locator embedded(PolicyOrigin file, int firstLine, int indent) {
        return mark -> new SourceLocation(file, firstLine + mark.getLine() + 1, indent + mark.getColumn() + 1);
    }

    /** Where the text starts, for a problem with the text as a whole. */
    default SourceLocation start() {
        return at(new Mark("", 0, 0, 0, new int[0], 0));
    }
}
