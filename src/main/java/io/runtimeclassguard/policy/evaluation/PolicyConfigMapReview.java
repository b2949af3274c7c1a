package io.runtimeclassguard.policy.evaluation;

import io.runtimeclassguard.policy.kube.Operation;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.loading.PolicyLoadResult;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.loading.PolicyProblem;
import io.runtimeclassguard.policy.loading.PolicySource;
import io.runtimeclassguard.policy.evaluation.Decision.Outcome;
import io.runtimeclassguard.policy.evaluation.Decision.Reason;
import io.runtimeclassguard.policy.evaluation.Decision.Violation;

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
        return request.group().isEmpty() && request.kind().equals("ConfigMap") && request.subResource().isEmpty()
                && (request.operation() == Operation.CREATE || request.operation() == Operation.UPDATE)
                && request.configMap() != null
                && "true".equals(request.configMap().labels().get(PolicyLoader.POLICY_LABEL));
    }

    /**
     * @param policyNamespace the only namespace policies are read from
     * @param otherConfigMaps the policy sources of every other policy ConfigMap in force, keyed by
     *                        {@code namespace/name}; the edit is validated together with them as a set
     */
    public static Decision review(ReviewRequest request, String policyNamespace,
                                  Map<String, List<PolicySource>> otherConfigMaps) {
        if (!applies(request)) {
            return new Decision(true, Outcome.IGNORED, Reason.NOT_APPLICABLE, "", Optional.empty(), null, null,
                    null, null, List.of(), List.of(), "not a labelled policy ConfigMap");
        }
        String name = request.namespace() + "/" + request.objectName();
        if (!request.namespace().equals(policyNamespace)) {
            // A tenant must never believe it granted itself a policy.
            String message = "ConfigMap " + name + " is labelled " + PolicyLoader.POLICY_LABEL + "=true, but RuntimeClass"
                    + " policies are read only from namespace " + policyNamespace + ", so it would have no effect."
                    + " Remove the label, or ask the platform team to add the policy in " + policyNamespace + ".";
            return new Decision(false, Outcome.DENIED, Reason.POLICY_OUTSIDE_NAMESPACE, "", Optional.empty(), null,
                    null, null, null, List.of(new Violation("metadata.namespace", message)), List.of(), message);
        }
        List<PolicySource> sources = new ArrayList<>();
        otherConfigMaps.forEach((otherName, otherSources) -> {
            if (!otherName.equals(name)) {
                sources.addAll(otherSources);
            }
        });
        List<PolicySource> edited = sourcesOf(name, request.configMap());
        sources.addAll(edited);
        PolicyLoadResult result = PolicyLoader.load(sources);
        if (result.ok()) {
            return new Decision(true, Outcome.ALLOWED, Reason.POLICY_VALID, "", Optional.empty(), null, null, null,
                    null, List.of(), result.warnings().stream().map(PolicyProblem::toString).toList(),
                    "policy ConfigMap " + name + " is valid (" + result.policies().size() + " policies in the set)");
        }
        List<Violation> violations = result.errors().stream()
                .map(problem -> new Violation("data", problem.toString())).toList();
        String message = "ConfigMap " + name + " holds an invalid RuntimeClass policy set; the policies in force stay"
                + " unchanged until it is fixed: " + result.errors().stream().map(PolicyProblem::toString)
                .collect(Collectors.joining("; "));
        return new Decision(false, Outcome.DENIED, Reason.POLICY_INVALID, "", Optional.empty(), null, null, null,
                null, violations, List.of(), message);
    }

    /** The policy sources one ConfigMap holds, each named {@code namespace/name[key]} as errors show them. */
    public static List<PolicySource> sourcesOf(String configMapName, ReviewRequest.ConfigMapView configMap) {
        return configMap.data().entrySet().stream()
                .filter(entry -> PolicyLoader.isPolicyKey(entry.getKey()))
                .sorted(Map.Entry.comparingByKey())
                .map(entry -> PolicySource.configMapKey(configMapName + "[" + entry.getKey() + "]", entry.getValue()))
                .toList();
    }
}
