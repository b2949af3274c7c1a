package io.runtimeclassguard.policy.scan;

import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Decision.Reason;
import io.runtimeclassguard.policy.scan.ScanReport.NamespaceSummary;
import io.runtimeclassguard.policy.scan.ScanReport.PolicyReason;
import io.runtimeclassguard.policy.scan.ScannedObject.Owner;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Adds up a scan one object at a time, without keeping the objects: what it keeps is, per workload seen, the top
 * owner it is reported through, and per finding its counts and the first object's decisions. So a Deployment's
 * ReplicaSets and Pods, or a CronJob's Jobs and Pods, that decide like it are reported once, through it, with a
 * count; owned objects that decide otherwise are reported apart, grouped by their top owner and decision.
 *
 * <p>Owners must be added before what they own (a scan lists CronJobs, Jobs, Deployments and ReplicaSets before
 * Pods); an object whose owner has not been seen is reported on its own. Not thread-safe: one scan, one thread.
 */
public final class ScanTally {
    private final View view;
    private final int maxFindingsPerNamespace;
    /** Every workload seen, by {@code namespace/Kind/name}: the top owner it is reported through. */
    private final Map<String, TopOwner> owners = new HashMap<>();
    private final Map<FindingKey, FindingBuilder> findings = new LinkedHashMap<>();
    private final Map<String, Integer> scanned = new TreeMap<>();
    private final Map<String, NamespaceCounts> namespaces = new TreeMap<>();
    private final Map<PolicyReason, Integer> violations = new HashMap<>();
    private final Map<Change, Integer> changes = new EnumMap<>(Change.class);
    private int omitted;

    /**
     * @param maxFindingsPerNamespace the most findings kept per namespace; objects in further ones are only counted
     */
    public ScanTally(View view, int maxFindingsPerNamespace) {
        this.view = Objects.requireNonNull(view, "view");
        if (maxFindingsPerNamespace < 1) {
            throw new IllegalArgumentException("maxFindingsPerNamespace must be at least 1");
        }
        this.maxFindingsPerNamespace = maxFindingsPerNamespace;
    }

    /**
     * @param proposed the object's standing under the proposed set; required unless the view is of the set in force
     */
    public void add(ScannedObject object, Standing inForce, Optional<Standing> proposed) {
        if (view.needsProposal() && proposed.isEmpty()) {
            throw new IllegalArgumentException(view + " needs the standing under the proposed set");
        }
        scanned.merge(object.kind().kind(), 1, Integer::sum);
        Standing judged = view == View.IN_FORCE_VIOLATIONS ? inForce : proposed.orElseThrow();
        count(object.namespace(), judged);
        Optional<Signature> signature = signature(inForce, proposed);
        signature.ifPresent(found -> found.change().ifPresent(change -> changes.merge(change, 1, Integer::sum)));

        TopOwner parent = object.owner().map(owner -> owners.get(key(object.namespace(), owner))).orElse(null);
        if (parent == null) {
            TopOwner self = new TopOwner(new Owner(object.kind().kind(), object.name()), signature.orElse(null));
            if (!object.isPod()) {
                owners.put(key(object.namespace(), self.owner()), self);
            }
            signature.ifPresent(found -> record(new FindingKey(object.namespace(), self.owner(), "", found), object,
                    Optional.empty(), inForce, proposed));
            return;
        }
        if (!object.isPod()) {
            owners.put(key(object.namespace(), new Owner(object.kind().kind(), object.name())), parent);
        }
        if (signature.isEmpty()) {
            return;
        }
        if (signature.get().equals(parent.signature())) {
            FindingBuilder top = findings.get(new FindingKey(object.namespace(), parent.owner(), "", signature.get()));
            if (top == null) {
                // The top owner's finding was past its namespace's limit, so this one is only counted as well.
                omit(object.namespace());
            } else {
                top.owned.merge(object.kind().kind(), 1, Integer::sum);
            }
            return;
        }
        record(new FindingKey(object.namespace(), parent.owner(), object.kind().kind(), signature.get()), object,
                Optional.of(parent.owner()), inForce, proposed);
    }

    public ScanReport report() {
        List<Finding> sorted = findings.values().stream().map(FindingBuilder::build)
                .sorted(Comparator.comparing(Finding::namespace)
                        .thenComparing(finding -> finding.judged().policy().orElse(""))
                        .thenComparing(Finding::kind)
                        .thenComparing(finding -> finding.names().getFirst()))
                .toList();
        Map<String, NamespaceSummary> summaries = new TreeMap<>();
        namespaces.forEach((name, counts) -> summaries.put(name,
                new NamespaceSummary(counts.compliant, counts.violating, counts.omitted)));
        return new ScanReport(view, sorted, scanned, summaries, violations, changes, omitted);
    }

    private Optional<Signature> signature(Standing inForce, Optional<Standing> proposed) {
        return switch (view) {
            case IN_FORCE_VIOLATIONS -> violation(inForce);
            case PROPOSED_VIOLATIONS -> violation(proposed.orElseThrow());
            case CHANGES -> {
                Verdict before = Verdict.of(inForce.readmission());
                Verdict after = Verdict.of(proposed.orElseThrow().readmission());
                yield Change.between(before, after).map(change -> new Signature(Optional.of(change), before, after, Optional.empty()));
            }
        };
    }

    private static Optional<Signature> violation(Standing standing) {
        if (!standing.violates()) {
            return Optional.empty();
        }
        Verdict verdict = Verdict.of(standing.current());
        return Optional.of(new Signature(Optional.empty(), verdict, verdict, Optional.of(standing.current().reason())));
    }

    private void count(String namespace, Standing judged) {
        NamespaceCounts counts = namespaces.computeIfAbsent(namespace, name -> new NamespaceCounts());
        Decision decision = judged.current();
        if (judged.violates()) {
            counts.violating.merge(Effect.of(decision), 1, Integer::sum);
            violations.merge(new PolicyReason(decision.policy(), decision.reason()), 1, Integer::sum);
        } else if (decision.policy().isPresent()) {
            counts.compliant++;
        }
    }

    private void record(FindingKey key, ScannedObject object, Optional<Owner> through, Standing inForce,
                        Optional<Standing> proposed) {
        FindingBuilder finding = findings.get(key);
        if (finding == null) {
            NamespaceCounts counts = namespaces.get(object.namespace());
            if (counts.findings >= maxFindingsPerNamespace) {
                omit(object.namespace());
                return;
            }
            counts.findings++;
            boolean comparing = view == View.CHANGES;
            finding = new FindingBuilder(object.namespace(), object.kind().kind(), through, key.signature().change(),
                    comparing ? inForce.readmission() : inForce.current(),
                    proposed.map(standing -> comparing ? standing.readmission() : standing.current()));
            findings.put(key, finding);
        }
        finding.add(object.name());
    }

    private void omit(String namespace) {
        omitted++;
        namespaces.get(namespace).omitted++;
    }

    private static String key(String namespace, Owner owner) {
        return namespace + "/" + owner.kind() + "/" + owner.name();
    }

    /**
     * What objects must agree on to be reported together. For violations: the verdict and reason under the judged
     * set (before and after are the same); for changes: the change and both verdicts.
     */
    private record Signature(Optional<Change> change, Verdict before, Verdict after, Optional<Reason> reason) {
    }

    /** The owner a workload is reported through, and that owner's signature (null when it reports nothing). */
    private record TopOwner(Owner owner, Signature signature) {
    }

    /** {@code memberKind} is empty for the top owner's own finding, else the kind of the owned objects it groups. */
    private record FindingKey(String namespace, Owner top, String memberKind, Signature signature) {
    }

    private static final class NamespaceCounts {
        private int compliant;
        private final Map<Effect, Integer> violating = new EnumMap<>(Effect.class);
        private int findings;
        private int omitted;
    }

    private static final class FindingBuilder {
        private final String namespace;
        private final String kind;
        private final Optional<Owner> through;
        private final Optional<Change> change;
        private final Decision inForce;
        private final Optional<Decision> proposed;
        private final List<String> names = new ArrayList<>(Finding.MAX_NAMES);
        private final Map<String, Integer> owned = new TreeMap<>();
        private int count;

        FindingBuilder(String namespace, String kind, Optional<Owner> through, Optional<Change> change, Decision inForce,
                       Optional<Decision> proposed) {
            this.namespace = namespace;
            this.kind = kind;
            this.through = through;
            this.change = change;
            this.inForce = inForce;
            this.proposed = proposed;
        }

        void add(String name) {
            count++;
            if (names.size() < Finding.MAX_NAMES) {
                names.add(name);
            }
        }

        Finding build() {
            return new Finding(namespace, kind, names, count, through, owned, change, inForce, proposed);
        }
    }
}
