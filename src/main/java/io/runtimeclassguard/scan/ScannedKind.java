package io.runtimeclassguard.scan;

import java.util.List;
import java.util.Optional;

/**
 * A kind a scan lists, with where the API serves it. All are {@code v1} of their group.
 *
 * @param plural the resource name in the API path, and in RBAC rules
 */
public record ScannedKind(String group, String kind, String plural) {
    /**
     * Every kind that carries a Pod spec, owners before what they own (CronJob, Job; Deployment, ReplicaSet; Pods
     * last), so a tally can report owned objects through owners it has already seen.
     */
    public static final List<ScannedKind> OWNERS_FIRST = List.of(
            new ScannedKind("batch", "CronJob", "cronjobs"),
            new ScannedKind("batch", "Job", "jobs"),
            new ScannedKind("apps", "Deployment", "deployments"),
            new ScannedKind("apps", "ReplicaSet", "replicasets"),
            new ScannedKind("apps", "StatefulSet", "statefulsets"),
            new ScannedKind("apps", "DaemonSet", "daemonsets"),
            new ScannedKind("", "ReplicationController", "replicationcontrollers"),
            new ScannedKind("", "Pod", "pods"));

    public String apiVersion() {
        return group.isEmpty() ? "v1" : group + "/v1";
    }

    /** The scanned kind of that name; every scanned kind has a name of its own. */
    public static Optional<ScannedKind> named(String kind) {
        return OWNERS_FIRST.stream().filter(scanned -> scanned.kind().equals(kind)).findFirst();
    }

    /** Where {@code kind} comes in {@link #OWNERS_FIRST}; kinds a scan does not list come after all of them. */
    public static int rank(String group, String kind) {
        for (int i = 0; i < OWNERS_FIRST.size(); i++) {
            if (OWNERS_FIRST.get(i).group().equals(group) && OWNERS_FIRST.get(i).kind().equals(kind)) {
                return i;
            }
        }
        return OWNERS_FIRST.size();
    }
}
