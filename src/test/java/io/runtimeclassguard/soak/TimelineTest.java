package io.runtimeclassguard.soak;

import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.model.PolicySet;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The soak's rule for which cluster state may have decided a request, around a change being applied. */
class TimelineTest {
    private static final ClusterSnapshot BEFORE = ClusterSnapshot.EMPTY;
    private static final ClusterSnapshot AFTER = new ClusterSnapshot(PolicySet.EMPTY,
            Map.of("team-a", NamespaceInfo.unlabelled("team-a")), RuntimeClassCatalog.EMPTY, Map.of());

    @Test
    void beforeAChangeIsIssuedOnlyTheOldStateDecides() {
        Timeline timeline = new Timeline(BEFORE);
        int change = timeline.issue("edit", AFTER, 100);

        assertThat(timeline.mayHaveDecided(0, 10, 99)).isTrue();
        assertThat(timeline.mayHaveDecided(change, 10, 99)).as("answered before the change was made").isFalse();
    }

    @Test
    void untilTheWebhookIsSeenToApplyItEitherStateMayDecide() {
        Timeline timeline = new Timeline(BEFORE);
        int change = timeline.issue("edit", AFTER, 100);

        assertThat(timeline.mayHaveDecided(0, 150, 160)).isTrue();
        assertThat(timeline.mayHaveDecided(change, 150, 160)).isTrue();

        timeline.observed(change, 200);

        assertThat(timeline.mayHaveDecided(0, 150, 250)).as("sent before it was seen applied").isTrue();
        assertThat(timeline.mayHaveDecided(change, 150, 250)).isTrue();
        assertThat(timeline.unobserved()).isEmpty();
    }

    @Test
    void onceSeenAppliedOnlyTheNewStateDecidesWhatIsSentAfter() {
        Timeline timeline = new Timeline(BEFORE);
        int change = timeline.issue("edit", AFTER, 100);
        timeline.observed(change, 200);

        assertThat(timeline.mayHaveDecided(0, 201, 210)).isFalse();
        assertThat(timeline.mayHaveDecided(change, 201, 210)).isTrue();
    }

    @Test
    void aChangeNeverSeenAppliedLeavesBothPossibleAndIsReported() {
        Timeline timeline = new Timeline(BEFORE);
        int change = timeline.issue("edit", AFTER, 100);

        assertThat(timeline.mayHaveDecided(0, 1_000_000, 1_000_001)).isTrue();
        assertThat(timeline.mayHaveDecided(change, 1_000_000, 1_000_001)).isTrue();
        assertThat(timeline.unobserved()).extracting(Timeline.State::change).containsExactly("edit");
    }
}
