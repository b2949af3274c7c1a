package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ValuesSchemaTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void aTypoAtTheTopFailsTheInstall() {
        Helm.Result result = Helm.templateFailure(Helm.CHART, "--set", "typo=1");

        assertThat(result.exitCode()).as(result.describe()).isNotZero();
        // Helm 3 says "Additional property typo is not allowed", Helm 4 "additional properties 'typo' not allowed".
        assertThat(result.stderr()).contains("typo").containsIgnoringCase("additional propert");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "webhooks.pods.validate.failurPolicy=Ignore, failurPolicy",
        "certManager.serving.renewbefore=1h, renewbefore",
        "networkPolicy.enable=true, enable",
        "resources.limits.gpu=1, gpu",
        "autoscaling.minReplica=2, minReplica",
        "prometheusRule.runbookBaseURL=https://x, runbookBaseURL",
        "prometheusRule.denialSurge.minimal=3, minimal",
        "grafanaDashboard.enable=true, enable",
        "scan.reports.maxResult=10, maxResult",
    })
    void aTypoAnywhereFailsTheInstall(String assignment, String typo) {
        Helm.Result result = Helm.templateFailure(Helm.CHART, "--set", assignment);

        assertThat(result.exitCode()).as(result.describe()).isNotZero();
        assertThat(result.stderr()).contains(typo);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "webhooks.pods.mutate.failurePolicy=Maybe",
        "backstop.mutating=sometimes",
        "webhooks.pods.validate.timeoutSeconds=31",
        "webhooks.workloads.timeoutSeconds=0",
        "replicaCount=0",
        "topologySpread.whenUnsatisfiable=Sometimes",
        "certManager.serving.duration=90d",
        "autoscaling.targetCPUUtilizationPercentage=0",
        "autoscaling.minReplicas=0",
        "prometheusRule.runbookBaseUrl=README.md",
        "prometheusRule.latencyPercentOfTimeout=0",
        "prometheusRule.denialSurge.factor=1",
        "grafanaDashboard.namespace=Monitoring",
        "scan.period=10 minutes",
        "scan.chunkSize=0",
    })
    void aValueTheApiWouldRejectFailsTheInstall(String assignment) {
        Helm.Result result = Helm.templateFailure(Helm.CHART, "--set", assignment);

        assertThat(result.exitCode()).as(result.describe()).isNotZero();
        assertThat(result.stderr()).contains("schema");
    }

    /** Free-form maps (labels, annotations, nodeSelector) may only hold strings; everything else is closed. */
    @Test
    void everyObjectInTheSchemaIsClosed() throws IOException {
        JsonNode schema = JSON.readTree(Helm.CHART.resolve("values.schema.json").toFile());
        List<String> open = new ArrayList<>();

        walk(schema, "", open);

        assertThat(open).as("object schemas without additionalProperties: false").isEmpty();
    }

    private static void walk(JsonNode node, String path, List<String> open) {
        if (node.isObject()) {
            boolean isObjectSchema = "object".equals(node.path("type").asText()) || node.has("properties");
            if (isObjectSchema) {
                JsonNode additional = node.get("additionalProperties");
                boolean closed = additional != null && additional.isBoolean() && !additional.asBoolean();
                boolean stringMap = additional != null && additional.isObject()
                        && "string".equals(additional.path("type").asText()) && !node.has("properties");
                if (!closed && !stringMap) {
                    open.add(path.isEmpty() ? "/" : path);
                }
            }
            node.properties().forEach(e -> walk(e.getValue(), path + "/" + e.getKey(), open));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), path + "/" + i, open);
            }
        }
    }

    /** values.yaml and the schema describe the same settings: none undocumented, none stale. */
    @Test
    void schemaAndValuesYamlDeclareTheSameSettings() throws IOException {
        JsonNode schema = JSON.readTree(Helm.CHART.resolve("values.schema.json").toFile());
        JsonNode values = YAML.readTree(Helm.CHART.resolve("values.yaml").toFile());

        Set<String> inValues = new TreeSet<>();
        Set<String> inSchema = new TreeSet<>();
        collectValues(values, "", inValues);
        collectSchema(schema, schema, "", inSchema);
        inSchema.remove("global");

        assertThat(inValues).isEqualTo(inSchema);
    }

    private static void collectValues(JsonNode node, String path, Set<String> out) {
        node.properties().forEach(e -> {
            String key = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            out.add(key);
            // Maps of user-chosen keys (labels, selectors) and lists are leaves here.
            if (e.getValue().isObject() && !e.getValue().isEmpty() && !isFreeForm(key)) {
                collectValues(e.getValue(), key, out);
            }
        });
    }

    private static void collectSchema(JsonNode root, JsonNode node, String path, Set<String> out) {
        JsonNode resolved = node.has("$ref")
                ? root.at(node.get("$ref").asText().substring(1))
                : node;
        resolved.path("properties").properties().forEach(e -> {
            String key = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            out.add(key);
            if (!isFreeForm(key)) {
                collectSchema(root, e.getValue(), key, out);
            }
        });
    }

    private static boolean isFreeForm(String key) {
        return Set.of("nodeSelector", "podAnnotations", "podLabels", "serviceMonitor.labels", "prometheusRule.labels",
                        "grafanaDashboard.labels", "grafanaDashboard.annotations").contains(key)
                || key.startsWith("resources.");
    }
}
