package io.runtimeclassguard.admission;

/**
 * The request is not an AdmissionReview this webhook can answer. The client gets HTTP 400 with the message,
 * which therefore names what is wrong and never echoes the body.
 */
public class MalformedReviewException extends RuntimeException {
    public MalformedReviewException(String message) {
        super(message, null, false, false);
    }
}
