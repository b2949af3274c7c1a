package io.runtimeclassguard.policy.model;

import io.runtimeclassguard.policy.kube.NamespaceInfo;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** A validated set of policies, highest priority first. Immutable; replaced whole on reload. */
public record PolicySet(List<RuntimeClassPolicy> policies) {
    public static final PolicySet EMPTY = new PolicySet(List.of());

    public PolicySet {
        policies = policies.stream()
                .sorted(Comparator.comparingInt(RuntimeClassPolicy::priority).reversed()
                        .thenComparing(RuntimeClassPolicy::name))
                .toList();
    }

    /** The policy that governs the namespace (highest matching priority), and why it matches. */
    public Optional<PolicyMatch> governing(NamespaceInfo namespace) {
        for (RuntimeClassPolicy policy : policies) {
            Optional<String> why = policy.namespaces().explainMatch(namespace);
            if (why.isPresent()) {
                return Optional.of(new PolicyMatch(policy, why.get()));
            }
        }
        return Optional.empty();
    }

    public Optional<RuntimeClassPolicy> byName(String name) {
        return policies.stream().filter(policy -> policy.name().equals(name)).findFirst();
    }

    public int size() {
        return policies.size();
    }

    /** A policy chosen for a namespace, and the reason in words ("its labels match ..."). */
    public record PolicyMatch(RuntimeClassPolicy policy, String reason) {
    }
}
