package io.runtimeclassguard.policy.evaluation;

import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.kube.PodSpecView;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.model.PolicySet;

/**
 * What the apiserver does with both webhooks registered: the mutating call, its patch applied, then the
 * validating call. Offline checks and shipped examples run through this, so they see what a cluster sees.
 */
public final class AdmissionPipeline {
    private AdmissionPipeline() {
    }

    /**
     * @param mutation   the mutating webhook's decision (for kinds it does not touch, an ignored one)
     * @param validation the validating webhook's decision on the object after the patch; null when mutation denied
     */
    public record Result(Decision mutation, Decision validation) {
        public boolean allowed() {
            return mutation.allowed() && validation != null && validation.allowed();
        }

        /** The decision that speaks for the whole: the denial if there is one, else the mutation if it patched. */
        public Decision verdict() {
            if (!mutation.allowed() || validation == null) {
                return mutation;
            }
            if (!validation.allowed()) {
                return validation;
            }
            return mutation.hasPatch() ? mutation : validation;
        }
    }

    public static Result run(ReviewRequest request, NamespaceInfo namespace, PolicySet policies,
                             RuntimeClassCatalog classes) {
        Decision mutation = Evaluator.evaluate(Stage.MUTATE, request, namespace, policies, classes);
        if (!mutation.allowed()) {
            return new Result(mutation, null);
        }
        ReviewRequest patched = request;
        if (mutation.hasPatch()) {
            PodSpecView spec = request.podSpec();
            patched = new ReviewRequest(request.uid(), request.operation(), request.group(), request.kind(),
                    request.subResource(), request.namespace(), request.objectName(), request.username(),
                    request.groups(), request.dryRun(),
                    new PodSpecView(spec.fieldPath(), mutation.patchRuntimeClass(), spec.nodeSelector(), spec.overhead()),
                    request.terminating(), request.configMap());
        }
        return new Result(mutation, Evaluator.evaluate(Stage.VALIDATE, patched, namespace, policies, classes));
    }
}
