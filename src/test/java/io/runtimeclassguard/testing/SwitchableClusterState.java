package io.runtimeclassguard.testing;

import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.cluster.ManifestClusterState;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

/**
 * The standalone cluster state, with switches a test can flip to play a webhook that is still loading, or one
 * whose cluster state fails inside.
 */
public final class SwitchableClusterState implements ClusterState {
    private final ClusterState delegate;
    private volatile boolean loading;
    private volatile boolean broken;

    SwitchableClusterState(ClusterState delegate) {
        this.delegate = delegate;
    }

    public void loading(boolean loading) {
        this.loading = loading;
    }

    public void broken(boolean broken) {
        this.broken = broken;
    }

    @Override
    public ClusterSnapshot snapshot() {
        if (broken) {
            throw new IllegalStateException("cluster state broken by the test at " + getClass().getName());
        }
        return loading ? ClusterSnapshot.EMPTY : delegate.snapshot();
    }

    @Override
    public boolean ready() {
        return !loading && delegate.ready();
    }

    @TestConfiguration(proxyBeanMethods = false)
    public static class Configuration {
        @Bean
        @Primary
        SwitchableClusterState switchableClusterState(ManifestClusterState manifests) {
            return new SwitchableClusterState(manifests);
        }
    }
}
