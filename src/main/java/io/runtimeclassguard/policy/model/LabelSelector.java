package io.runtimeclassguard.policy.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Kubernetes LabelSelector (matchLabels AND every matchExpression), matched the way the apiserver
 * matches one. An empty selector matches every namespace, as in Kubernetes.
 */
public record LabelSelector(Map<String, String> matchLabels, List<Requirement> matchExpressions) {
    public LabelSelector {
        matchLabels = matchLabels == null ? Map.of() : Map.copyOf(matchLabels);
        matchExpressions = matchExpressions == null ? List.of() : List.copyOf(matchExpressions);
    }

    public boolean matches(Map<String, String> labels) {
        for (Map.Entry<String, String> wanted : matchLabels.entrySet()) {
            if (!wanted.getValue().equals(labels.get(wanted.getKey()))) {
                return false;
            }
        }
        for (Requirement requirement : matchExpressions) {
            if (!requirement.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    /** The selector in kubectl's {@code -l} syntax, e.g. {@code tenant-type=external,trust in (low)}. */
    @Override
    public String toString() {
        List<String> terms = new ArrayList<>();
        matchLabels.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(entry -> terms.add(entry.getKey() + "=" + entry.getValue()));
        matchExpressions.forEach(requirement -> terms.add(requirement.toString()));
        return String.join(",", terms);
    }

    /** One matchExpressions term. */
    public record Requirement(String key, Operator operator, List<String> values) {
        public Requirement {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(operator, "operator");
            values = values == null ? List.of() : List.copyOf(values);
        }

        boolean matches(Map<String, String> labels) {
            return switch (operator) {
                case IN -> labels.containsKey(key) && values.contains(labels.get(key));
                case NOT_IN -> !labels.containsKey(key) || !values.contains(labels.get(key));
                case EXISTS -> labels.containsKey(key);
                case DOES_NOT_EXIST -> !labels.containsKey(key);
            };
        }

        @Override
        public String toString() {
            return switch (operator) {
                case IN -> key + " in (" + String.join(",", values) + ")";
                case NOT_IN -> key + " notin (" + String.join(",", values) + ")";
                case EXISTS -> key;
                case DOES_NOT_EXIST -> "!" + key;
            };
        }
    }

    /** The operators a LabelSelector requirement may use, with their wire names. */
    public enum Operator {
        IN("In"), NOT_IN("NotIn"), EXISTS("Exists"), DOES_NOT_EXIST("DoesNotExist");

        private final String wireName;

        Operator(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        public static java.util.Optional<Operator> fromWireName(String value) {
            for (Operator operator : values()) {
                if (operator.wireName.equals(value)) {
                    return java.util.Optional.of(operator);
                }
            }
            return java.util.Optional.empty();
        }
    }
}
