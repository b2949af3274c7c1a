package io.runtimeclassguard.policy.scan;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.evaluation.Decision.Reason;
import io.runtimeclassguard.policy.kube.Manifests;
import io.runtimeclassguard.policy.scan.ScanReport.PolicyReason;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a tally keeps when a namespace has more findings than it may keep, and what it counts either way. */
class ScanTallyTest {
    private static final ClusterSnapshot SHIPPED = ManifestFolder.read(Path.of("policies")).snapshot();

    @Test
    void findingsBeyondTheLimitAreCountedNotKept() {
        ScanTally tally = new ScanTally(View.IN_FORCE_VIOLATIONS, 2);
        for (int i = 0; i < 5; i++) {
            add(tally, pod("untrusted-workloads", "p" + i, "standard", null));
        }
        add(tally, pod("untrusted-workloads", "ok", "gvisor", null));

        ScanReport report = tally.report();

        assertThat(report.findings()).extracting(finding -> finding.names().getFirst()).containsExactly("p0", "p1");
        assertThat(report.omittedObjects()).isEqualTo(3);
        ScanReport.NamespaceSummary summary = report.namespaces().get("untrusted-workloads");
        assertThat(summary.violating()).isEqualTo(Map.of(Effect.DENIED, 5));
        assertThat(summary.compliant()).isEqualTo(1);
        assertThat(summary.omitted()).isEqualTo(3);
        assertThat(report.violations()).isEqualTo(Map.of(new PolicyReason(Optional.of("untrusted"), Reason.CLASS_NOT_ALLOWED), 5));
        assertThat(report.denied()).isEqualTo(5);
    }

    @Test
    void anObjectWhoseOwnerWasNotSeenIsReportedOnItsOwn() {
        ScanTally tally = new ScanTally(View.IN_FORCE_VIOLATIONS, 10);
        add(tally, pod("untrusted-workloads", "orphan", "standard", "ReplicaSet"));

        assertThat(tally.report().findings()).singleElement().satisfies(finding -> {
            assertThat(finding.names()).containsExactly("orphan");
            assertThat(finding.through()).isEmpty();
        });
    }

    @Test
    void aGroupKeepsTheFirstNamesAndCountsTheRest() {
        ScanTally tally = new ScanTally(View.IN_FORCE_VIOLATIONS, 10);
        add(tally, Manifests.readAll("""
                apiVersion: apps/v1
                kind: ReplicaSet
                metadata: {name: rs, namespace: untrusted-workloads}
                spec: {template: {spec: {runtimeClassName: gvisor, containers: [{name: c, image: i}]}}}
                """).getFirst());
        for (int i = 0; i < 5; i++) {
            add(tally, pod("untrusted-workloads", "p" + i, "standard", "ReplicaSet"));
        }

        assertThat(tally.report().findings()).singleElement().satisfies(finding -> {
            assertThat(finding.names()).containsExactly("p0", "p1", "p2");
            assertThat(finding.count()).isEqualTo(5);
            assertThat(finding.through()).contains(new ScannedObject.Owner("ReplicaSet", "rs"));
        });
    }

    @Test
    void aComparingViewNeedsTheProposal() {
        ScanTally tally = new ScanTally(View.CHANGES, 10);
        ScannedObject object = ScannedObject.read(pod("production", "p", "kata", null)).orElseThrow();
        Standing standing = Standing.of(object, SHIPPED.namespace("production"), SHIPPED.policies(), SHIPPED.runtimeClasses());

        assertThatThrownBy(() -> tally.add(object, standing, Optional.empty())).isInstanceOf(IllegalArgumentException.class);
    }

    private static void add(ScanTally tally, JsonNode node) {
        ScannedObject object = ScannedObject.read(node).orElseThrow();
        tally.add(object, Standing.of(object, SHIPPED.namespace(object.namespace()), SHIPPED.policies(),
                SHIPPED.runtimeClasses()), Optional.empty());
    }

    private static JsonNode pod(String namespace, String name, String runtimeClass, String ownerKind) {
        String owner = ownerKind == null ? "" : ", ownerReferences: [{kind: " + ownerKind + ", name: rs, controller: true}]";
        return Manifests.readAll("""
                apiVersion: v1
                kind: Pod
                metadata: {name: %s, namespace: %s%s}
                spec: {runtimeClassName: %s, containers: [{name: c, image: i}]}
                """.formatted(name, namespace, owner, runtimeClass)).getFirst();
    }
}
