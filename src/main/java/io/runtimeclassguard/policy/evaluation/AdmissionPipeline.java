package io.runtimeclassguard.policy.evaluation;

import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.model.PolicySet;

import java.util.Objects;
import java.util.Optional;

/**
 * What the apiserver does with both webhooks registered: the mutating call, its patch applied, then the
 * validating call. Offline checks and shipped examples run through this, so they see what a cluster sees.
 */
public final class AdmissionPipeline {
    private AdmissionPipeline() {
    }

    /**
     * @param mutation   the mutating webhook's decision (for kinds it does not touch, an ignored one)
     * @param validation the validating webhook's decision on the object after the patch; empty when mutation denied
     */
    public record Result(Decision mutation, Optional<Decision> validation) {
        public Result {
            Objects.requireNonNull(mutation, "mutation");
            Objects.requireNonNull(validation, "validation");
        }

        public boolean allowed() {
            return mutation.allowed() && validation.map(Decision::allowed).orElse(false);
        }

        /** The decision that speaks for the whole: the denial if there is one, else the mutation if it patched. */
        public Decision verdict() {
            if (!mutation.allowed() || validation.isEmpty()) {
                return mutation;
            }
            if (!validation.get().allowed()) {
                return validation.get();
            }
            return mutation.patch().isPresent() ? mutation : validation.get();
        }
    }

    public static Result run(ReviewRequest request, NamespaceInfo namespace, PolicySet policies,
                             RuntimeClassCatalog classes) {
        Decision mutation = Evaluator.evaluate(Stage.MUTATE, request, namespace, policies, classes);
        if (!mutation.allowed()) {
            return new Result(mutation, Optional.empty());
        }
        ReviewRequest patched = mutation.patch()
                .map(patch -> request.withPodSpec(request.podSpec().orElseThrow().withRuntimeClassName(patch.runtimeClass())))
                .orElse(request);
        return new Result(mutation, Optional.of(Evaluator.evaluate(Stage.VALIDATE, patched, namespace, policies, classes)));
    }
}
