package io.runtimeclassguard.policy.kube;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the evaluator needs from an AdmissionReview request; the codec decodes nothing else.
 *
 * @param kind         the object's kind (Pod, Deployment, ConfigMap, ...); {@code group} disambiguates
 * @param subResource  empty for the object itself
 * @param objectName   the object's name, or its generateName when the apiserver has not named it yet
 * @param podSpec      the Pod spec or workload Pod template; null for kinds that carry none
 * @param terminating  the object has a deletionTimestamp (an UPDATE that only lets it go away)
 * @param configMap    labels and data of a ConfigMap; null for other kinds
 */
public record ReviewRequest(String uid, Operation operation, String group, String kind, String subResource,
                            String namespace, String objectName, String username, List<String> groups,
                            boolean dryRun, PodSpecView podSpec, boolean terminating, ConfigMapView configMap) {
    public ReviewRequest {
        Objects.requireNonNull(uid, "uid");
        operation = operation == null ? Operation.UNKNOWN : operation;
        group = group == null ? "" : group;
        kind = kind == null ? "" : kind;
        subResource = subResource == null ? "" : subResource;
        namespace = namespace == null ? "" : namespace;
        objectName = objectName == null ? "" : objectName;
        username = username == null ? "" : username;
        groups = groups == null ? List.of() : List.copyOf(groups);
    }

    /** Labels and data of a ConfigMap under review. */
    public record ConfigMapView(Map<String, String> labels, Map<String, String> data) {
        public ConfigMapView {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            data = data == null ? Map.of() : Map.copyOf(data);
        }
    }
}
