package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.cluster.InformerClusterState;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import java.util.function.Predicate;

/**
 * What the webhook knows, read from the snapshot at scrape time: policies loaded and RuntimeClasses known;
 * in cluster mode also each informer's state, so an alert can tell "never synced" from "watch down".
 */
@Component
public class ClusterStateMetrics implements MeterBinder {
    public static final String POLICIES_LOADED = "runtimeclass.guard.policies.loaded";
    public static final String RUNTIME_CLASSES_KNOWN = "runtimeclass.guard.runtimeclasses.known";
    public static final String INFORMER_SYNCED = "runtimeclass.guard.informer.synced";
    public static final String INFORMER_WATCHING = "runtimeclass.guard.informer.watching";

    private final ObjectProvider<ClusterState> clusterState;

    public ClusterStateMetrics(ObjectProvider<ClusterState> clusterState) {
        this.clusterState = clusterState;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        clusterState.ifAvailable(state -> {
            Gauge.builder(POLICIES_LOADED, state, s -> s.snapshot().policies().size())
                    .description("Policies in the policy set in force")
                    .register(registry);
            Gauge.builder(RUNTIME_CLASSES_KNOWN, state, s -> s.snapshot().runtimeClasses().byName().size())
                    .description("RuntimeClasses the webhook knows of")
                    .register(registry);
            if (state instanceof InformerClusterState informers) {
                for (String resource : informers.caches().keySet()) {
                    cacheGauge(registry, INFORMER_SYNCED, "1 once the informer has listed its resource", informers,
                            resource, InformerClusterState.CacheState::synced);
                    cacheGauge(registry, INFORMER_WATCHING, "1 while the informer's watch is up", informers,
                            resource, InformerClusterState.CacheState::watching);
                }
            }
        });
    }

    private static void cacheGauge(MeterRegistry registry, String name, String description, InformerClusterState informers,
                                   String resource, Predicate<InformerClusterState.CacheState> state) {
        Gauge.builder(name, informers, i -> state.test(i.caches().get(resource)) ? 1 : 0)
                .description(description)
                .tag("resource", resource)
                .register(registry);
    }
}
