package io.runtimeclassguard.admission;

import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.config.GuardProperties;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Evaluator;
import io.runtimeclassguard.policy.evaluation.PolicyConfigMapReview;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.evaluation.Stage;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Routes a request to the decision that applies to it: a labelled policy ConfigMap on {@code /validate} to
 * {@link PolicyConfigMapReview}, everything else to the {@link Evaluator}, which allows unrelated kinds,
 * operations and subresources untouched. Reads one cluster snapshot per request.
 */
@Component
public class AdmissionDecider {
    private final ClusterState clusterState;
    private final String policyNamespace;

    @Autowired
    public AdmissionDecider(ClusterState clusterState, GuardProperties properties) {
        this(clusterState, properties.policyNamespace());
    }

    /** @param policyNamespace the only namespace whose labelled ConfigMaps hold policies */
    public AdmissionDecider(ClusterState clusterState, String policyNamespace) {
        this.clusterState = clusterState;
        this.policyNamespace = policyNamespace;
    }

    public Decision decide(Stage stage, ReviewRequest request) {
        ClusterSnapshot snapshot = clusterState.snapshot();
        if (stage == Stage.VALIDATE && PolicyConfigMapReview.applies(request)) {
            return PolicyConfigMapReview.review(request, policyNamespace, snapshot.policySources());
        }
        return Evaluator.evaluate(stage, request, snapshot.namespace(request.namespace()), snapshot.policies(),
                snapshot.runtimeClasses());
    }
}
