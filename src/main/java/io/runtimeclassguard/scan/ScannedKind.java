package io.runtimeclassguard.scan;

import io.runtimeclassguard.policy.kube.WorkloadKind;

import java.util.List;

/** The order a scan lists the kinds of the workload table in, and where the API serves them. */
public final class ScannedKind {
    /**
     * Every kind that carries a Pod spec, owners before what they own (CronJob, Job; Deployment, ReplicaSet; Pods
     * last), so a tally can report owned objects through owners it has already seen.
     */
    public static final List<WorkloadKind> OWNERS_FIRST = List.of(WorkloadKind.CRON_JOB, WorkloadKind.JOB,
            WorkloadKind.DEPLOYMENT, WorkloadKind.REPLICA_SET, WorkloadKind.STATEFUL_SET, WorkloadKind.DAEMON_SET,
            WorkloadKind.REPLICATION_CONTROLLER, WorkloadKind.POD);

    private ScannedKind() {
    }

    /** The version a scan lists, as the webhook's rules name it: {@code v1} of the kind's group. */
    public static String apiVersion(WorkloadKind kind) {
        return kind.group().isEmpty() ? "v1" : kind.group() + "/v1";
    }

    /** Where a kind comes in {@link #OWNERS_FIRST}; what a scan does not list comes after all of it. */
    public static int rank(String group, String kind) {
        return WorkloadKind.of(group, kind).map(OWNERS_FIRST::indexOf).orElse(OWNERS_FIRST.size());
    }
}
