package io.runtimeclassguard.deploy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One alerting rule of the chart's PrometheusRule, as {@code helm template} renders it. */
record AlertRule(String alert, String expr, String forDuration, Map<String, String> labels, Map<String, String> annotations) {

    static final String API_VERSION = "monitoring.coreos.com/v1";

    AlertRule {
        labels = Map.copyOf(labels);
        annotations = Map.copyOf(annotations);
    }

    /** The rendered PrometheusRule's {@code spec.groups}, as Prometheus reads them from a rule file. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> groups(Rendered rendered) {
        List<GenericKubernetesResource> rules = rendered.generic(API_VERSION, "PrometheusRule");
        if (rules.size() != 1) {
            throw new AssertionError("expected one PrometheusRule, found " + rules.size());
        }
        return (List<Map<String, Object>>) Rendered.spec(rules.getFirst(), "groups");
    }

    @SuppressWarnings("unchecked")
    static List<AlertRule> all(Rendered rendered) {
        List<AlertRule> alerts = new ArrayList<>();
        for (Map<String, Object> group : groups(rendered)) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                alerts.add(new AlertRule((String) rule.get("alert"), (String) rule.get("expr"), (String) rule.get("for"),
                        (Map<String, String>) rule.getOrDefault("labels", Map.of()),
                        (Map<String, String>) rule.getOrDefault("annotations", Map.of())));
            }
        }
        return alerts;
    }

    /** The chart's alerts with every option that shapes them at its default. */
    static List<AlertRule> defaults() {
        return all(Helm.template("--set", "prometheusRule.enabled=true"));
    }
}
