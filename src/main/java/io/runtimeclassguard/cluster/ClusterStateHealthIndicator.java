package io.runtimeclassguard.cluster;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Readiness follows {@link ClusterState#ready()}: a replica that has not loaded its policies, RuntimeClasses and
 * Namespaces yet would answer with an empty picture of the cluster, so it takes no traffic. Contributes as
 * {@code clusterState} to the readiness group.
 */
@Component
public class ClusterStateHealthIndicator implements HealthIndicator {
    private final ClusterState clusterState;

    public ClusterStateHealthIndicator(ClusterState clusterState) {
        this.clusterState = clusterState;
    }

    @Override
    public Health health() {
        if (!clusterState.ready()) {
            return Health.down().withDetail("reason", "policies and cluster caches are still loading").build();
        }
        ClusterSnapshot snapshot = clusterState.snapshot();
        return Health.up()
                .withDetail("policies", snapshot.policies().size())
                .withDetail("runtimeClasses", snapshot.runtimeClasses().byName().size())
                .withDetail("namespaces", snapshot.namespaces().size())
                .build();
    }
}
