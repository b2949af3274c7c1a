package io.runtimeclassguard.scan;

import io.runtimeclassguard.policy.kube.WorkloadKind;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ScannedKindTest {
    @Test
    void aScanListsEveryKindOfTheWorkloadTableOnceWithPodsLast() {
        assertThat(ScannedKind.OWNERS_FIRST).containsExactlyInAnyOrder(WorkloadKind.values()).doesNotHaveDuplicates();
        assertThat(ScannedKind.OWNERS_FIRST.getLast()).isEqualTo(WorkloadKind.POD);
    }

    @Test
    void ownersComeBeforeWhatTheyOwn() {
        assertThat(ScannedKind.rank("batch", "CronJob")).isLessThan(ScannedKind.rank("batch", "Job"));
        assertThat(ScannedKind.rank("apps", "Deployment")).isLessThan(ScannedKind.rank("apps", "ReplicaSet"));
        assertThat(ScannedKind.rank("", "ConfigMap")).isEqualTo(ScannedKind.OWNERS_FIRST.size());
    }
}
