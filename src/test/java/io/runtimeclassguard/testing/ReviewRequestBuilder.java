package io.runtimeclassguard.testing;

import io.runtimeclassguard.policy.kube.Operation;
import io.runtimeclassguard.policy.kube.PodSpecView;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.kube.ReviewRequest.ConfigMapView;
import io.runtimeclassguard.policy.kube.WorkloadKind;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Review requests for tests, with the defaults a Pod CREATE by an ordinary user has; a test names only what it
 * is about: {@code ReviewRequestBuilder.pod("untrusted-workloads").runtimeClass("kata").build()}.
 */
public final class ReviewRequestBuilder {
    private Operation operation = Operation.CREATE;
    private String group = "";
    private String kind = "Pod";
    private String namespace = "default";
    private String name = "web";
    private String username = "alice";
    private List<String> groups = List.of();
    private Optional<PodSpecView> podSpec = Optional.empty();
    private Optional<ConfigMapView> configMap = Optional.empty();

    private ReviewRequestBuilder() {
    }

    /** A Pod in {@code namespace} that names no RuntimeClass. */
    public static ReviewRequestBuilder pod(String namespace) {
        return workload(WorkloadKind.POD, namespace);
    }

    /** An object of a kind from the workload table in {@code namespace}, its Pod template naming no class. */
    public static ReviewRequestBuilder workload(WorkloadKind kind, String namespace) {
        ReviewRequestBuilder builder = new ReviewRequestBuilder();
        builder.group = kind.group();
        builder.kind = kind.kind();
        builder.namespace = namespace;
        builder.podSpec = Optional.of(new PodSpecView(kind, Optional.empty(), Map.of(), Map.of()));
        return builder;
    }

    /** An object of a kind the webhook does not decide on. */
    public static ReviewRequestBuilder other(String group, String kind, String namespace) {
        ReviewRequestBuilder builder = new ReviewRequestBuilder();
        builder.group = group;
        builder.kind = kind;
        builder.namespace = namespace;
        return builder;
    }

    /** A ConfigMap named {@code name} in {@code namespace}. */
    public static ReviewRequestBuilder configMap(String namespace, String name, Map<String, String> labels,
                                                 Map<String, String> data) {
        ReviewRequestBuilder builder = other("", "ConfigMap", namespace).name(name);
        builder.configMap = Optional.of(new ConfigMapView(labels, data));
        return builder;
    }

    /** The class the Pod spec names; null for none. */
    public ReviewRequestBuilder runtimeClass(String runtimeClass) {
        PodSpecView spec = podSpec.orElseThrow(() -> new IllegalStateException(kind + " carries no Pod spec"));
        podSpec = Optional.of(new PodSpecView(spec.owner(), Optional.ofNullable(runtimeClass), spec.nodeSelector(),
                spec.overhead()));
        return this;
    }

    public ReviewRequestBuilder operation(Operation value) {
        operation = value;
        return this;
    }

    public ReviewRequestBuilder name(String value) {
        name = value;
        return this;
    }

    public ReviewRequestBuilder user(String value, String... inGroups) {
        username = value;
        groups = List.of(inGroups);
        return this;
    }

    public ReviewRequest build() {
        return new ReviewRequest("uid-1", operation, group, kind, "", namespace, name, username, groups, false, podSpec,
                false, configMap);
    }
}
