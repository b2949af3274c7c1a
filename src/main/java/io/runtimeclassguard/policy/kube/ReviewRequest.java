package io.runtimeclassguard.policy.kube;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the evaluator needs from an AdmissionReview request; the codec decodes nothing else. Strings the
 * apiserver may leave out read as {@code ""}, as they do on the wire (an empty subresource is the object itself).
 *
 * @param kind         the object's kind (Pod, Deployment, ConfigMap, ...); {@code group} disambiguates
 * @param subResource  empty for the object itself
 * @param objectName   the object's name, or its generateName when the apiserver has not named it yet
 * @param podSpec      the Pod spec or workload Pod template; empty for kinds that carry none
 * @param terminating  the object has a deletionTimestamp (an UPDATE that only lets it go away)
 * @param configMap    labels and data of a ConfigMap; empty for other kinds
 */
public record ReviewRequest(String uid, Operation operation, String group, String kind, String subResource,
                            String namespace, String objectName, String username, List<String> groups,
                            boolean dryRun, Optional<PodSpecView> podSpec, boolean terminating,
                            Optional<ConfigMapView> configMap) {
    public ReviewRequest {
        Objects.requireNonNull(uid, "uid");
        operation = operation == null ? Operation.UNKNOWN : operation;
        group = Objects.requireNonNullElse(group, "");
        kind = Objects.requireNonNullElse(kind, "");
        subResource = Objects.requireNonNullElse(subResource, "");
        namespace = Objects.requireNonNullElse(namespace, "");
        objectName = Objects.requireNonNullElse(objectName, "");
        username = Objects.requireNonNullElse(username, "");
        groups = groups == null ? List.of() : List.copyOf(groups);
        Objects.requireNonNull(podSpec, "podSpec");
        Objects.requireNonNull(configMap, "configMap");
    }

    /** This request with the object's Pod spec read as {@code spec}, e.g. once a patch has been applied. */
    public ReviewRequest withPodSpec(PodSpecView spec) {
        return new ReviewRequest(uid, operation, group, kind, subResource, namespace, objectName, username, groups,
                dryRun, Optional.of(spec), terminating, configMap);
    }

    /** The entry of the workload table for this request's kind, if it carries a Pod spec. */
    public Optional<WorkloadKind> workloadKind() {
        return WorkloadKind.of(group, kind);
    }

    /** Labels and data of a ConfigMap under review. */
    public record ConfigMapView(Map<String, String> labels, Map<String, String> data) {
        public ConfigMapView {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            data = data == null ? Map.of() : Map.copyOf(data);
        }
    }
}
