package io.runtimeclassguard.policy.kube;

import io.runtimeclassguard.policy.evaluation.Evaluator;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads, from a Kubernetes object as a JSON tree, the few fields decisions need. Shared by the
 * admission codec and the CLI, so a manifest checked offline is read exactly as the webhook reads it.
 */
public final class ObjectInspector {
    private ObjectInspector() {
    }

    /**
     * The request for an object, with everything decisions read from the object taken here, so the webhook and
     * the command line cannot read the same object two ways.
     *
     * @param requestName the name the apiserver gives in the request, or null to take it from the object
     */
    public static ReviewRequest request(String uid, Operation operation, String group, String kind,
                                        String subResource, String namespace, String requestName, String username,
                                        List<String> groups, boolean dryRun, JsonNode object) {
        return new ReviewRequest(uid, operation, group, kind, subResource, namespace, objectName(object, requestName),
                username, groups, dryRun, podSpec(group, kind, object), terminating(object),
                group.isEmpty() && kind.equals("ConfigMap") ? configMap(object) : null);
    }

    /** Where each kind keeps its Pod spec, as a path of field names. */
    public static String[] podSpecPath(String group, String kind) {
        if (group.isEmpty() && kind.equals("Pod")) {
            return new String[]{"spec"};
        }
        if (group.equals("batch") && kind.equals("CronJob")) {
            return new String[]{"spec", "jobTemplate", "spec", "template", "spec"};
        }
        if (Evaluator.isWorkloadKind(group, kind)) {
            return new String[]{"spec", "template", "spec"};
        }
        return null;
    }

    /** The Pod spec of a Pod, or the Pod template spec of a workload; null for other kinds or a missing spec. */
    public static PodSpecView podSpec(String group, String kind, JsonNode object) {
        String[] path = podSpecPath(group, kind);
        if (path == null || object == null) {
            return null;
        }
        JsonNode spec = object;
        for (String field : path) {
            spec = spec.path(field);
        }
        if (!spec.isObject()) {
            return null;
        }
        String runtimeClassName = spec.path("runtimeClassName").isTextual() ? spec.get("runtimeClassName").asText() : null;
        return new PodSpecView(String.join(".", path), runtimeClassName, stringMap(spec.path("nodeSelector")),
                stringMap(spec.path("overhead")));
    }

    /** The name, or the generateName prefix followed by "*" for objects the apiserver has not named yet. */
    public static String objectName(JsonNode object, String requestName) {
        if (requestName != null && !requestName.isEmpty()) {
            return requestName;
        }
        JsonNode metadata = object == null ? null : object.path("metadata");
        if (metadata == null) {
            return "";
        }
        if (metadata.path("name").isTextual() && !metadata.path("name").asText().isEmpty()) {
            return metadata.path("name").asText();
        }
        return metadata.path("generateName").isTextual() ? metadata.path("generateName").asText() + "*" : "";
    }

    public static boolean terminating(JsonNode object) {
        return object != null && object.path("metadata").path("deletionTimestamp").isTextual();
    }

    public static ReviewRequest.ConfigMapView configMap(JsonNode object) {
        if (object == null || !object.isObject()) {
            return null;
        }
        return new ReviewRequest.ConfigMapView(stringMap(object.path("metadata").path("labels")),
                stringMap(object.path("data")));
    }

    public static Map<String, String> stringMap(JsonNode node) {
        if (!node.isObject()) {
            return Map.of();
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            if (entry.getValue().isValueNode() && !entry.getValue().isNull()) {
                values.put(entry.getKey(), entry.getValue().asText());
            }
        }
        return values;
    }
}
