package io.runtimeclassguard.admission;

import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.evaluation.Stage;

/**
 * Told of every admission decision once it is made: the decision log and the metrics are observers,
 * wrapped around the handler rather than sprinkled through it.
 */
public interface DecisionObserver {
    void onDecision(DecisionEvent event);

    /**
     * One decision and its context.
     *
     * @param apiVersion   the AdmissionReview version the apiserver spoke
     * @param latencyNanos time from the decoded request to the encoded response
     */
    record DecisionEvent(Stage stage, String apiVersion, ReviewRequest request, Decision decision, long latencyNanos) {
    }
}
