package io.runtimeclassguard.policy.kube;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
                group.isEmpty() && kind.equals("ConfigMap") ? configMap(object) : Optional.empty());
    }

    /** The Pod spec of a Pod, or the Pod template spec of a workload; empty for other kinds or a missing spec. */
    public static Optional<PodSpecView> podSpec(String group, String kind, JsonNode object) {
        Optional<WorkloadKind> owner = WorkloadKind.of(group, kind);
        if (owner.isEmpty() || object == null) {
            return Optional.empty();
        }
        JsonNode spec = object;
        for (String field : owner.get().specPath()) {
            spec = spec.path(field);
        }
        if (!spec.isObject()) {
            return Optional.empty();
        }
        JsonNode runtimeClassName = spec.path("runtimeClassName");
        return Optional.of(new PodSpecView(owner.get(),
                runtimeClassName.isTextual() ? Optional.of(runtimeClassName.asText()) : Optional.empty(),
                stringMap(spec.path("nodeSelector")), stringMap(spec.path("overhead"))));
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

    public static Optional<ReviewRequest.ConfigMapView> configMap(JsonNode object) {
        if (object == null || !object.isObject()) {
            return Optional.empty();
        }
        return Optional.of(new ReviewRequest.ConfigMapView(stringMap(object.path("metadata").path("labels")),
                stringMap(object.path("data"))));
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
