package io.runtimeclassguard.admission;

import io.runtimeclassguard.admission.AdmissionReviewResponse.PatchOperation;
import io.runtimeclassguard.admission.AdmissionReviewResponse.Response;
import io.runtimeclassguard.admission.AdmissionReviewResponse.Status;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Decision.Outcome;
import io.runtimeclassguard.policy.evaluation.Stage;
import org.springframework.stereotype.Component;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Turns a decision into the AdmissionReview answer for the request it decided. */
@Component
public class AdmissionResponseBuilder {
    static final String JSON_PATCH = "JSONPatch";

    private final AdmissionReviewCodec codec;
    /**
     * The encoded patch by class: the same few bytes for every Pod that gets a namespace's default. Bounded by
     * the RuntimeClasses that exist, since a default that does not exist is a denial, not a patch.
     */
    private final Map<Decision.Patch, String> patches = new ConcurrentHashMap<>();

    public AdmissionResponseBuilder(AdmissionReviewCodec codec) {
        this.codec = codec;
    }

    public AdmissionReviewResponse build(Stage stage, IncomingReview review, Decision decision) {
        // Only the class: the apiserver's RuntimeClass plugin runs again after any mutation and sets
        // overhead, nodeSelector and tolerations itself; writing them here would invite a mismatch.
        String patch = decision.patch().filter(any -> decision.allowed())
                .map(classPatch -> patches.computeIfAbsent(classPatch, key -> codec.encodePatch(List.of(
                        new PatchOperation("add", classPatch.path(), classPatch.runtimeClass())))))
                .orElse(null);
        Status status = decision.allowed() ? null : new Status(403, "Forbidden", decision.message());
        // The uid is echoed here and nowhere else: the apiserver refuses an answer whose uid is not its request's.
        Response response = new Response(review.request().uid(), decision.allowed(), patch == null ? null : JSON_PATCH,
                patch, decision.warnings(), recordsAnAct(stage, decision) ? decision.auditAnnotations() : Map.of(), status);
        return new AdmissionReviewResponse(review.apiVersion(), AdmissionReviewResponse.KIND, response);
    }

    /**
     * Whether the answer carries the decision's audit annotations. The apiserver calls the mutating webhook again
     * for the same request once its RuntimeClass plugin has filled in what the injected class sets
     * ({@code reinvocationPolicy: IfNeeded}), and it never overwrites an audit annotation: the second answer,
     * "allowed" where the first said "mutated", would be refused with a warning in its log for every Pod mutated.
     * So {@code /mutate} records what it did (mutated, denied, warned, audited, exempt), and a request it lets
     * through as it is is recorded once, by {@code /validate}.
     */
    private static boolean recordsAnAct(Stage stage, Decision decision) {
        return stage == Stage.VALIDATE || (decision.outcome() != Outcome.ALLOWED && decision.outcome() != Outcome.IGNORED);
    }
}
