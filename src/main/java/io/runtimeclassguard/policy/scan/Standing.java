package io.runtimeclassguard.policy.scan;

import io.runtimeclassguard.policy.evaluation.AdmissionPipeline;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Evaluator;
import io.runtimeclassguard.policy.evaluation.Stage;
import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.model.PolicySet;

import java.util.Objects;

/**
 * What one policy set says of an object that exists, in the webhook's own decisions.
 *
 * @param current     the validating webhook's decision on the object as it is: whether what runs complies now. A Pod
 *                    that runs without the default class its policy sets (created while the webhook was down, or
 *                    before the policy) violates here, as {@code /validate} would say
 * @param readmission what admitting the object again would give (mutation, then validation, as the apiserver runs
 *                    them): the class a re-created Pod gets, or its denial
 */
public record Standing(Decision current, Decision readmission) {
    public Standing {
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(readmission, "readmission");
    }

    public static Standing of(ScannedObject object, NamespaceInfo namespace, PolicySet policies, RuntimeClassCatalog classes) {
        AdmissionPipeline.Result result = AdmissionPipeline.run(object.request(), namespace, policies, classes);
        Decision current = result.mutation().patch().isPresent()
                ? Evaluator.evaluate(Stage.VALIDATE, object.request(), namespace, policies, classes)
                : result.validation().orElse(result.mutation());
        return new Standing(current, result.verdict());
    }

    public boolean violates() {
        return !current.violations().isEmpty();
    }
}
