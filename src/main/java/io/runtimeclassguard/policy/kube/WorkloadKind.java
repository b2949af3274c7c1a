package io.runtimeclassguard.policy.kube;

import java.util.List;
import java.util.Optional;

/**
 * The kinds whose Pod spec decisions read, and where each keeps it: the one table the evaluator, the object
 * inspector, the admission codec's projection and the chart's webhook rules all follow (a test holds the chart
 * to it). A Pod is mutated and validated on CREATE; every other kind is a Pod template, validated on CREATE and
 * UPDATE and never mutated.
 */
public enum WorkloadKind {
    POD("", "Pod", "pods", "spec"),
    DEPLOYMENT("apps", "Deployment", "deployments", "spec", "template", "spec"),
    STATEFUL_SET("apps", "StatefulSet", "statefulsets", "spec", "template", "spec"),
    DAEMON_SET("apps", "DaemonSet", "daemonsets", "spec", "template", "spec"),
    REPLICA_SET("apps", "ReplicaSet", "replicasets", "spec", "template", "spec"),
    REPLICATION_CONTROLLER("", "ReplicationController", "replicationcontrollers", "spec", "template", "spec"),
    JOB("batch", "Job", "jobs", "spec", "template", "spec"),
    CRON_JOB("batch", "CronJob", "cronjobs", "spec", "jobTemplate", "spec", "template", "spec");

    private final String group;
    private final String kind;
    private final String resource;
    private final List<String> specPath;
    private final String specFieldPath;
    private final String runtimeClassPointer;

    WorkloadKind(String group, String kind, String resource, String... specPath) {
        this.group = group;
        this.kind = kind;
        this.resource = resource;
        this.specPath = List.of(specPath);
        this.specFieldPath = String.join(".", specPath);
        this.runtimeClassPointer = "/" + String.join("/", specPath) + "/runtimeClassName";
    }

    /** The kind with this API group ({@code ""} for the core group) and kind name, if decisions read it. */
    public static Optional<WorkloadKind> of(String group, String kind) {
        for (WorkloadKind candidate : values()) {
            if (candidate.group.equals(group) && candidate.kind.equals(kind)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    public String group() {
        return group;
    }

    public String kind() {
        return kind;
    }

    /** The resource name webhook rules use, e.g. {@code deployments}. */
    public String resource() {
        return resource;
    }

    /** Where the Pod spec sits, field by field from the object's root. */
    public List<String> specPath() {
        return specPath;
    }

    /** Where the Pod spec sits, as a field path for messages: {@code spec.template.spec}. */
    public String specFieldPath() {
        return specFieldPath;
    }

    /** The JSON Pointer of the spec's {@code runtimeClassName}, as a JSON Patch names it. */
    public String runtimeClassPointer() {
        return runtimeClassPointer;
    }

    public boolean isPod() {
        return this == POD;
    }
}
