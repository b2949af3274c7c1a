package io.runtimeclassguard.policy.scan;

import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.scan.ScannedObject.Owner;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One line of a scan report: objects of one kind that share a decision, reported once. Either an object with what
 * it owns and decides alike ({@code Deployment/web} with its ReplicaSet and Pods), or owned objects whose own
 * decision differs from their top owner's ({@code 3 Pods of Deployment/web}).
 *
 * @param namespace the namespace of every object in the finding
 * @param kind      the kind of the reported objects
 * @param names     the first few of their names, in the order they were seen
 * @param count     how many objects of {@code kind} it reports
 * @param through   the top owner of the reported objects when they are reported apart from it
 * @param owned     objects collapsed into the reported one because they decide alike, by kind
 * @param change    how the decision changes, in a report of changes
 * @param inForce   the decision under the set in force, of the first object seen
 * @param proposed  the decision under the proposed set, of the first object seen, when there is one
 */
public record Finding(String namespace, String kind, List<String> names, int count, Optional<Owner> through,
                      Map<String, Integer> owned, Optional<Change> change, Decision inForce, Optional<Decision> proposed) {
    /** How many names a finding keeps; the count holds the rest. */
    public static final int MAX_NAMES = 3;

    public Finding {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(kind, "kind");
        names = List.copyOf(names);
        owned = Map.copyOf(owned);
        Objects.requireNonNull(through, "through");
        Objects.requireNonNull(change, "change");
        Objects.requireNonNull(inForce, "inForce");
        Objects.requireNonNull(proposed, "proposed");
    }

    /** Every object the finding stands for, owned ones included. */
    public int objects() {
        return count + owned.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** The decision the finding is about: the proposed set's when there is one. */
    public Decision judged() {
        return proposed.orElse(inForce);
    }
}
