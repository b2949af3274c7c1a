package io.runtimeclassguard.policy.model;

import java.util.Objects;

/**
 * A name (of a namespace, of a RuntimeClass) or a glob over names: {@code *} matches any run of characters,
 * {@code ?} exactly one. Matching walks the pattern directly, so nothing is compiled per request.
 */
public record NameGlob(String pattern) {
    public NameGlob {
        Objects.requireNonNull(pattern, "pattern");
    }

    public boolean isLiteral() {
        return pattern.indexOf('*') < 0 && pattern.indexOf('?') < 0;
    }

    public boolean matches(String name) {
        int p = 0;
        int n = 0;
        int starAt = -1;
        int resumeAt = 0;
        while (n < name.length()) {
            if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == name.charAt(n))) {
                p++;
                n++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                starAt = p++;
                resumeAt = n;
            } else if (starAt >= 0) {
                p = starAt + 1;
                n = ++resumeAt;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }

    @Override
    public String toString() {
        return pattern;
    }
}
