package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.runtimeclassguard.testing.PromQl;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The dashboard file, and the ConfigMap that hands it to Grafana's sidecar. */
class GrafanaDashboardTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCOPE = "{namespace=~\"$namespace\",job=~\"$job\"";

    private static List<ConfigMap> dashboards(Rendered rendered) {
        return rendered.all(ConfigMap.class).stream()
                .filter(c -> "dashboard".equals(c.getMetadata().getLabels().get("app.kubernetes.io/component"))).toList();
    }

    private static List<JsonNode> panels() {
        List<JsonNode> panels = new ArrayList<>();
        collect(MonitoringQueries.dashboardJson().path("panels"), panels);
        return panels;
    }

    private static void collect(JsonNode panels, List<JsonNode> into) {
        for (JsonNode panel : panels) {
            into.add(panel);
            collect(panel.path("panels"), into);
        }
    }

    @Test
    void isOffByDefault() {
        assertThat(dashboards(Helm.template())).isEmpty();
    }

    @Test
    void theConfigMapIsTheFileWithThisReleasesTimeouts() throws Exception {
        ConfigMap configMap = dashboards(Helm.template("-f", Helm.ciValues("monitoring-values.yaml").toString())).getFirst();
        ObjectNode expected = (ObjectNode) MonitoringQueries.dashboardJson();
        for (JsonNode variable : expected.path("templating").path("list")) {
            String seconds = switch (variable.path("name").asText()) {
                case "mutate_timeout" -> "5";
                case "validate_timeout" -> "3";
                default -> null;
            };
            if (seconds != null) {
                ((ObjectNode) variable).put("query", seconds);
                ((ObjectNode) variable).set("current", JSON.createObjectNode().put("text", seconds).put("value", seconds));
            }
        }

        assertThat(configMap.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        assertThat(configMap.getMetadata().getAnnotations()).containsEntry("grafana_folder", "Admission");
        assertThat(configMap.getData()).containsOnlyKeys("runtimeclass-guard.json");
        assertThat(JSON.readTree(configMap.getData().get("runtimeclass-guard.json"))).isEqualTo(expected);
    }

    @Test
    void goesWhereTheSidecarLooks() {
        ConfigMap configMap = dashboards(Helm.template("--set", "grafanaDashboard.enabled=true",
                "--set", "grafanaDashboard.namespace=monitoring", "--set", "grafanaDashboard.labels.grafana_dashboard=null",
                "--set", "grafanaDashboard.labels.dashboards=runtime")).getFirst();

        assertThat(configMap.getMetadata().getNamespace()).isEqualTo("monitoring");
        assertThat(configMap.getMetadata().getLabels()).containsEntry("dashboards", "runtime")
                .doesNotContainKey("grafana_dashboard");
    }

    @Test
    void everyPanelReadsTheChosenDataSourceAndFitsTheGrid() {
        Set<Integer> ids = new HashSet<>();
        List<int[]> placed = new ArrayList<>();

        for (JsonNode panel : panels()) {
            String title = panel.path("title").asText();
            assertThat(ids.add(panel.path("id").asInt())).as("unique id of %s", title).isTrue();
            JsonNode grid = panel.path("gridPos");
            int[] box = {grid.path("x").asInt(), grid.path("y").asInt(), grid.path("w").asInt(), grid.path("h").asInt()};
            assertThat(box[0] + box[2]).as("%s fits 24 columns", title).isLessThanOrEqualTo(24);
            for (int[] other : placed) {
                boolean overlaps = box[0] < other[0] + other[2] && other[0] < box[0] + box[2]
                        && box[1] < other[1] + other[3] && other[1] < box[1] + box[3];
                assertThat(overlaps).as("%s overlaps another panel", title).isFalse();
            }
            placed.add(box);
            if (!"row".equals(panel.path("type").asText())) {
                assertThat(panel.path("description").asText()).as("%s explains itself", title).isNotBlank();
                assertThat(panel.path("datasource").path("uid").asText()).as(title).isEqualTo("${datasource}");
                assertThat(panel.path("targets")).as(title).isNotEmpty().allSatisfy(target ->
                        assertThat(target.path("expr").asText()).isNotBlank());
            }
        }
    }

    /** Every series the dashboard reads is this release's, as chosen by the namespace and job variables. */
    @Test
    void everyQueryIsScopedToTheChosenNamespaceAndJob() {
        for (MonitoringQueries.Query query : MonitoringQueries.dashboard()) {
            if (query.source().startsWith("dashboard variable")) {
                continue;
            }
            for (String metric : PromQl.metricNames(query.expression())) {
                Matcher use = Pattern.compile("\\b" + Pattern.quote(metric) + "\\b").matcher(query.expression());
                while (use.find()) {
                    assertThat(query.expression().substring(use.end())).as(query.source()).startsWith(SCOPE);
                }
            }
        }
    }

    @Test
    void latencyPanelsDrawTheTimeoutOfTheirStage() {
        for (String stage : List.of("mutate", "validate")) {
            JsonNode panel = panels().stream().filter(p -> p.path("title").asText().equals("/" + stage + " latency"))
                    .findFirst().orElseThrow();

            assertThat(panel.path("targets").findValuesAsText("expr"))
                    .anySatisfy(expr -> assertThat(expr).startsWith("histogram_quantile(0.99").contains("stage=\"" + stage + "\""))
                    .contains("vector($" + stage + "_timeout)");
        }
    }
}
