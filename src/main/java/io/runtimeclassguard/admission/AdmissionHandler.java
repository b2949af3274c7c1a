package io.runtimeclassguard.admission;

import io.runtimeclassguard.admission.DecisionObserver.DecisionEvent;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Stage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import java.util.List;

/**
 * One admission request, bytes to bytes: decode, decide, build the answer, encode; then every
 * {@link DecisionObserver} hears of the decision. Knows nothing of HTTP.
 */
@Component
public class AdmissionHandler {
    private static final Logger log = LoggerFactory.getLogger(AdmissionHandler.class);

    private final AdmissionReviewCodec codec;
    private final AdmissionDecider decider;
    private final AdmissionResponseBuilder responses;
    private final List<DecisionObserver> observers;

    @Autowired
    public AdmissionHandler(AdmissionReviewCodec codec, AdmissionDecider decider, AdmissionResponseBuilder responses,
                            ObjectProvider<DecisionObserver> observers) {
        this(codec, decider, responses, observers.orderedStream().toList());
    }

    /** @param observers told of every decision, in this order; none for decisions nobody may hear of */
    public AdmissionHandler(AdmissionReviewCodec codec, AdmissionDecider decider, AdmissionResponseBuilder responses,
                            List<DecisionObserver> observers) {
        this.codec = codec;
        this.decider = decider;
        this.responses = responses;
        this.observers = List.copyOf(observers);
    }

    /** @throws MalformedReviewException when the body is not an AdmissionReview request */
    public byte[] handle(Stage stage, byte[] body) {
        IncomingReview review = codec.decode(body);
        long started = System.nanoTime();
        Decision decision = decider.decide(stage, review.request());
        byte[] answer = codec.encode(responses.build(stage, review, decision));
        notifyObservers(new DecisionEvent(stage, review.apiVersion(), review.request(), decision, System.nanoTime() - started));
        return answer;
    }

    private void notifyObservers(DecisionEvent event) {
        for (DecisionObserver observer : observers) {
            try {
                observer.onDecision(event);
            } catch (RuntimeException failed) {
                // The decision is made and encoded; a broken observer must not turn it into an error.
                log.atError().setCause(failed).addKeyValue("uid", event.request().uid())
                        .log("Decision observer {} failed", observer.getClass().getName());
            }
        }
    }
}
