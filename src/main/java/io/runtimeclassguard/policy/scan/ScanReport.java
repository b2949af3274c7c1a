package io.runtimeclassguard.policy.scan;

import io.runtimeclassguard.policy.evaluation.Decision.Reason;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a scan found.
 *
 * @param findings         sorted by namespace, policy, kind and name
 * @param objectsScanned   every Pod and workload evaluated, by kind
 * @param namespaces       per namespace, what its objects add up to
 * @param violations       objects that violate the judged set, by policy and reason
 * @param changes          objects whose decision changes, by change (in a report of changes)
 * @param omittedObjects   objects in findings left out because their namespace already had the most findings kept
 */
public record ScanReport(View view, List<Finding> findings, Map<String, Integer> objectsScanned,
                         Map<String, NamespaceSummary> namespaces, Map<PolicyReason, Integer> violations,
                         Map<Change, Integer> changes, int omittedObjects) {
    public ScanReport {
        Objects.requireNonNull(view, "view");
        findings = List.copyOf(findings);
        objectsScanned = Map.copyOf(objectsScanned);
        namespaces = Map.copyOf(namespaces);
        violations = Map.copyOf(violations);
        changes = Map.copyOf(changes);
    }

    public int totalScanned() {
        return objectsScanned.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Objects in findings the judged set denies; in a report of changes, those newly denied. */
    public int denied() {
        if (view == View.CHANGES) {
            return changes.getOrDefault(Change.NEWLY_DENIED, 0);
        }
        return namespaces.values().stream().mapToInt(summary -> summary.violating().getOrDefault(Effect.DENIED, 0)).sum();
    }

    /** A policy (empty: none governs) and a violation reason, as the existing-violations gauge is tagged. */
    public record PolicyReason(Optional<String> policy, Reason reason) {
        public PolicyReason {
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * One namespace's objects under the judged set.
     *
     * @param compliant objects a policy governs and that do not violate it
     * @param violating objects that violate it, by effect
     * @param omitted   objects in findings not kept, beyond the most findings a namespace keeps
     */
    public record NamespaceSummary(int compliant, Map<Effect, Integer> violating, int omitted) {
        public NamespaceSummary {
            violating = Map.copyOf(violating);
        }
    }
}
