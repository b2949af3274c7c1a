package io.runtimeclassguard.admission;

import io.runtimeclassguard.policy.kube.ReviewRequest;

import java.util.Objects;

/**
 * A decoded AdmissionReview request.
 *
 * @param apiVersion the AdmissionReview version the apiserver spoke, answered in kind
 */
public record IncomingReview(String apiVersion, ReviewRequest request) {
    public IncomingReview {
        Objects.requireNonNull(apiVersion, "apiVersion");
        Objects.requireNonNull(request, "request");
    }
}
