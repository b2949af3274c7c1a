package io.runtimeclassguard.policy.backstop;

import io.runtimeclassguard.policy.model.LabelSelector;
import io.runtimeclassguard.policy.model.NameGlob;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * CEL source text for the policy language's building blocks. Only the standard CEL library is used (string
 * {@code startsWith}/{@code endsWith}/{@code matches}, {@code in}, {@code exists}), which every apiserver
 * serving {@code admissionregistration.k8s.io/v1} evaluates the same way.
 */
final class Cel {
    private Cel() {
    }

    /** A CEL string literal holding exactly {@code text}. */
    static String string(String text) {
        StringBuilder literal = new StringBuilder("'");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> literal.append("\\\\");
                case '\'' -> literal.append("\\'");
                case '\n' -> literal.append("\\n");
                case '\r' -> literal.append("\\r");
                case '\t' -> literal.append("\\t");
                default -> literal.append(c);
            }
        }
        return literal.append('\'').toString();
    }

    static String stringList(Collection<String> items) {
        return items.stream().map(Cel::string).collect(Collectors.joining(", ", "[", "]"));
    }

    /** Whether the string expression {@code subject} matches the glob, the way {@link NameGlob#matches} does. */
    static String glob(String subject, NameGlob glob) {
        String pattern = glob.pattern();
        if (glob.isLiteral()) {
            return subject + " == " + string(pattern);
        }
        int star = pattern.indexOf('*');
        boolean oneStar = star >= 0 && star == pattern.lastIndexOf('*') && pattern.indexOf('?') < 0;
        if (oneStar) {
            String prefix = pattern.substring(0, star);
            String suffix = pattern.substring(star + 1);
            if (suffix.isEmpty()) {
                return prefix.isEmpty() ? "true" : subject + ".startsWith(" + string(prefix) + ")";
            }
            if (prefix.isEmpty()) {
                return subject + ".endsWith(" + string(suffix) + ")";
            }
            // The length check keeps "ab*ba" from matching "aba", where prefix and suffix would overlap.
            return "(size(" + subject + ") >= " + (prefix.length() + suffix.length()) + " && " + subject
                    + ".startsWith(" + string(prefix) + ") && " + subject + ".endsWith(" + string(suffix) + "))";
        }
        return subject + ".matches(" + string(regex(pattern)) + ")";
    }

    /** The glob as an anchored RE2 expression: {@code *} any run, {@code ?} one character, the rest literal. */
    static String regex(String glob) {
        StringBuilder regex = new StringBuilder("^");
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                regex.append(".*");
            } else if (c == '?') {
                regex.append('.');
            } else if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
                regex.append(c);
            } else {
                regex.append('\\').append(c);
            }
        }
        return regex.append('$').toString();
    }

    /** Whether the map expression {@code labels} satisfies the selector, as Kubernetes matches one. */
    static String labelSelector(String labels, LabelSelector selector) {
        List<String> terms = new java.util.ArrayList<>();
        selector.matchLabels().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> terms.add(
                "(" + string(entry.getKey()) + " in " + labels + " && " + labels + "[" + string(entry.getKey()) + "] == "
                        + string(entry.getValue()) + ")"));
        for (LabelSelector.Requirement requirement : selector.matchExpressions()) {
            String key = string(requirement.key());
            String present = key + " in " + labels;
            String value = labels + "[" + key + "]";
            terms.add(switch (requirement.operator()) {
                case IN -> "(" + present + " && " + value + " in " + stringList(requirement.values()) + ")";
                case NOT_IN -> "(!(" + present + ") || !(" + value + " in " + stringList(requirement.values()) + "))";
                case EXISTS -> "(" + present + ")";
                case DOES_NOT_EXIST -> "!(" + present + ")";
            });
        }
        return terms.isEmpty() ? "true" : String.join(" && ", terms);
    }
}
