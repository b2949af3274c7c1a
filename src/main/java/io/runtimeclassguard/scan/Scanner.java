package io.runtimeclassguard.scan;

import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.model.PolicySet;
import io.runtimeclassguard.policy.scan.ScanReport;
import io.runtimeclassguard.policy.scan.ScanTally;
import io.runtimeclassguard.policy.scan.ScannedObject;
import io.runtimeclassguard.policy.scan.Standing;

import java.util.Objects;
import java.util.Optional;

/**
 * Runs what exists through the webhook's own decisions, object by object as it is read: under the policy set in force
 * and, when there is one, a proposed set, with the cluster's Namespaces and RuntimeClasses either way.
 *
 * @param inForce  the cluster as the webhook knows it: policies in force, Namespaces, RuntimeClasses
 * @param proposed the policies to compare with, when there are any
 */
public record Scanner(ClusterSnapshot inForce, Optional<PolicySet> proposed, ScanScope scope) {
    /** Told of every object that violates the set in force as it runs, as it is found. */
    public interface ViolationListener {
        ViolationListener NONE = (object, decision) -> {
        };

        void onViolation(ScannedObject object, Decision decision);
    }

    public Scanner {
        Objects.requireNonNull(inForce, "inForce");
        Objects.requireNonNull(proposed, "proposed");
        Objects.requireNonNull(scope, "scope");
    }

    public ScanReport scan(ExistingObjects objects, ScanTally tally, ViolationListener listener) {
        objects.forEach(node -> ScannedObject.read(node)
                .filter(object -> scope.includes(object.namespace()))
                .ifPresent(object -> {
                    NamespaceInfo namespace = inForce.namespace(object.namespace());
                    Standing standing = Standing.of(object, namespace, inForce.policies(), inForce.runtimeClasses());
                    if (standing.violates()) {
                        listener.onViolation(object, standing.current());
                    }
                    tally.add(object, standing, proposed.map(policies ->
                            Standing.of(object, namespace, policies, inForce.runtimeClasses())));
                }));
        return tally.report();
    }
}
