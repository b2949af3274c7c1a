package io.runtimeclassguard.policy.evaluation;

import io.runtimeclassguard.policy.evaluation.Decision.Reason;
import io.runtimeclassguard.policy.evaluation.Decision.Violation;
import io.runtimeclassguard.policy.kube.Operation;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.kube.ReviewRequest.ConfigMapView;
import io.runtimeclassguard.policy.loading.PolicyConfigMaps;
import io.runtimeclassguard.policy.loading.PolicyLoadResult;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.loading.PolicyProblem;
import io.runtimeclassguard.policy.loading.PolicySource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Validates an edit to a policy ConfigMap at admission, so a broken policy is refused at
 * {@code kubectl apply} with its {@code key:line:column} instead of being discovered by the webhook later.
 */
public final class PolicyConfigMapReview {
    private PolicyConfigMapReview() {
    }

    public static boolean applies(ReviewRequest request) {
        return labelledConfigMap(request).isPresent();
    }

    private static Optional<ConfigMapView> labelledConfigMap(ReviewRequest request) {
        boolean edit = request.operation() == Operation.CREATE || request.operation() == Operation.UPDATE;
        if (!request.group().isEmpty() || !request.kind().equals("ConfigMap") || !request.subResource().isEmpty() || !edit) {
            return Optional.empty();
        }
        return request.configMap().filter(configMap -> PolicyConfigMaps.isLabelled(configMap.labels()));
    }

    /**
     * @param policyNamespace the only namespace policies are read from
     * @param otherConfigMaps the policy sources of every other policy ConfigMap in force, keyed by
     *                        {@code namespace/name}; the edit is validated together with them as a set
     */
    public static Decision review(ReviewRequest request, String policyNamespace,
                                  Map<String, List<PolicySource>> otherConfigMaps) {
        Optional<ConfigMapView> configMap = labelledConfigMap(request);
        if (configMap.isEmpty()) {
            return Decision.ignored("not a labelled policy ConfigMap");
        }
        String name = request.namespace() + "/" + request.objectName();
        if (!request.namespace().equals(policyNamespace)) {
            // A tenant must never believe it granted itself a policy.
            String message = "ConfigMap " + name + " is labelled " + PolicyConfigMaps.LABEL + "="
                    + PolicyConfigMaps.LABEL_VALUE + ", but RuntimeClass policies are read only from namespace "
                    + policyNamespace + ", so it would have no effect. Remove the label, or ask the platform team to"
                    + " add the policy in " + policyNamespace + ".";
            return Decision.denied(List.of(new Violation(Reason.POLICY_OUTSIDE_NAMESPACE, "metadata.namespace", message)),
                    message);
        }
        List<PolicySource> sources = new ArrayList<>();
        otherConfigMaps.forEach((otherName, otherSources) -> {
            if (!otherName.equals(name)) {
                sources.addAll(otherSources);
            }
        });
        sources.addAll(PolicyConfigMaps.sourcesOf(name, configMap.get().data()));
        PolicyLoadResult result = PolicyLoader.load(sources);
        if (result.ok()) {
            return Decision.allowed(Reason.POLICY_VALID,
                            "policy ConfigMap " + name + " is valid (" + result.policies().size() + " policies in the set)")
                    .withWarnings(result.warnings().stream().map(PolicyProblem::toString).toList());
        }
        List<Violation> violations = result.errors().stream()
                .map(problem -> new Violation(Reason.POLICY_INVALID, "data", problem.toString())).toList();
        String message = "ConfigMap " + name + " holds an invalid RuntimeClass policy set; the policies in force stay"
                + " unchanged until it is fixed: " + result.errors().stream().map(PolicyProblem::toString)
                .collect(Collectors.joining("; "));
        return Decision.denied(violations, message);
    }
}
