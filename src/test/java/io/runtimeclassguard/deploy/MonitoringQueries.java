package io.runtimeclassguard.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Every PromQL query the chart ships: the Grafana dashboard's panels, annotations and variables, and the
 * PrometheusRule's alert expressions. Tests elsewhere hold them to the metrics the webhook really exposes.
 */
public final class MonitoringQueries {
    public static final Path DASHBOARD = Helm.CHART.resolve("dashboards/runtimeclass-guard.json");

    /** A query and where it comes from, e.g. {@code dashboard panel "Policy reloads"} or {@code alert X}. */
    public record Query(String source, String expression) {
    }

    private MonitoringQueries() {
    }

    public static List<Query> all() {
        List<Query> queries = new ArrayList<>(dashboard());
        queries.addAll(alerts());
        return queries;
    }

    public static List<Query> alerts() {
        return AlertRule.defaults().stream().map(rule -> new Query("alert " + rule.alert(), rule.expr())).toList();
    }

    public static List<Query> dashboard() {
        JsonNode dashboard = dashboardJson();
        List<Query> queries = new ArrayList<>();
        panels(dashboard.path("panels"), queries);
        for (JsonNode annotation : dashboard.path("annotations").path("list")) {
            if (annotation.has("expr")) {
                queries.add(new Query("dashboard annotation \"" + annotation.path("name").asText() + "\"",
                        annotation.path("expr").asText()));
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if ("query".equals(variable.path("type").asText())) {
                JsonNode query = variable.path("query");
                queries.add(new Query("dashboard variable $" + variable.path("name").asText(),
                        query.isObject() ? query.path("query").asText() : query.asText()));
            }
        }
        return queries;
    }

    static JsonNode dashboardJson() {
        try {
            return new ObjectMapper().readTree(DASHBOARD.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void panels(JsonNode panels, List<Query> queries) {
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                queries.add(new Query("dashboard panel \"" + panel.path("title").asText() + "\"", target.path("expr").asText()));
            }
            panels(panel.path("panels"), queries);
        }
    }
}
