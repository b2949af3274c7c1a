package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.loading.PolicySource;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.kube.RuntimeClassInfo;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class ClusterStateMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void gaugesFollowTheSnapshotInForce() {
        AtomicReference<ClusterSnapshot> current = new AtomicReference<>(ClusterSnapshot.EMPTY);
        ClusterState state = new ClusterState() {
            @Override
            public ClusterSnapshot snapshot() {
                return current.get();
            }

            @Override
            public boolean ready() {
                return true;
            }
        };
        new ClusterStateMetrics(new StaticListableBeanFactory(Map.of("clusterState", state))
                .getBeanProvider(ClusterState.class)).bindTo(registry);
        assertThat(registry.get(ClusterStateMetrics.POLICIES_LOADED).gauge().value()).isZero();

        current.set(new ClusterSnapshot(PolicyLoader.load(List.of(PolicySource.configMapKey("p", "a.yaml", """
                        apiVersion: runtimeclass-guard.io/v1alpha1
                        kind: RuntimeClassPolicy
                        name: untrusted
                        priority: 1
                        namespaces:
                          names: [untrusted]
                        runtimeClass:
                          allowed: [gvisor]
                        """))).policies(), Map.of(),
                RuntimeClassCatalog.of(List.of(RuntimeClassInfo.plain("gvisor", "runsc"),
                        RuntimeClassInfo.plain("kata", "kata"))), Map.of()));

        assertThat(registry.get(ClusterStateMetrics.POLICIES_LOADED).gauge().value()).isEqualTo(1);
        assertThat(registry.get(ClusterStateMetrics.RUNTIME_CLASSES_KNOWN).gauge().value()).isEqualTo(2);
        assertThat(registry.find(ClusterStateMetrics.INFORMER_SYNCED).gauges()).isEmpty();
    }

    @Test
    void bindsNothingWithoutClusterState() {
        new ClusterStateMetrics(new StaticListableBeanFactory().getBeanProvider(ClusterState.class)).bindTo(registry);

        assertThat(registry.getMeters()).isEmpty();
    }
}
