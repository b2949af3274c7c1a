package io.runtimeclassguard.testing;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression (or a Grafana query holding one) reads. Not a parser: it removes what
 * cannot be a metric name (strings, label matchers, ranges, grouping labels, Grafana variables, numbers, function
 * calls and keywords) and returns every identifier left, so a name it does not know is reported, never skipped.
 */
public final class PromQl {
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern GRAFANA_VARIABLE = Pattern.compile("\\$\\{[^}]*}|\\$\\w+");
    private static final Pattern NUMBER = Pattern.compile("\\b\\d[\\w.]*");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\s*\\()?");
    private static final Set<String> KEYWORDS = Set.of(
            "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
            "inf", "nan");
    /** Grafana's {@code label_values(selector, label)} variable query: the selector is PromQL, the rest is not. */
    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((?:(.*),)?\\s*\\w+\\s*\\)\\s*$");

    private PromQl() {
    }

    public static Set<String> metricNames(String query) {
        Matcher labelValues = LABEL_VALUES.matcher(query);
        String expression = labelValues.matches() ? (labelValues.group(1) == null ? "" : labelValues.group(1)) : query;
        String stripped = expression;
        for (Pattern removed : new Pattern[]{STRING, MATCHERS, RANGE, GROUPING, GRAFANA_VARIABLE, NUMBER}) {
            stripped = removed.matcher(stripped).replaceAll(" ");
        }
        Set<String> names = new TreeSet<>();
        Matcher identifier = IDENTIFIER.matcher(stripped);
        while (identifier.find()) {
            boolean call = identifier.group(1) != null;
            String name = identifier.group().replaceFirst("\\s*\\($", "");
            if (!call && !KEYWORDS.contains(name)) {
                names.add(name);
            }
        }
        return names;
    }
}
