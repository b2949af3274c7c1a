package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.runtimeclassguard.cluster.PolicyReloadListener;
import org.springframework.stereotype.Component;

/**
 * Counts policy set rebuilds by result ({@code applied}, or {@code rejected} with the last good set kept), and
 * tells whether the last one was applied. The counters say how often; the gauge says whether the ConfigMaps hold
 * a set that is not in force right now, which no counter can: a rejected set stays rejected without new events.
 */
@Component
public class PolicyReloadMetrics implements PolicyReloadListener {
    public static final String RELOADS = "runtimeclass.guard.policy.reloads";
    /** Named like Prometheus's own {@code prometheus_config_last_reload_successful}, which operators alert on already. */
    public static final String LAST_RELOAD_SUCCESSFUL = "runtimeclass.guard.policy.last.reload.successful";

    private final Counter applied;
    private final Counter rejected;
    /** 1 until a rebuild is rejected: before the first one, nothing has been refused. */
    private volatile int lastReloadSuccessful = 1;

    public PolicyReloadMetrics(MeterRegistry registry) {
        applied = counter(registry, "applied");
        rejected = counter(registry, "rejected");
        Gauge.builder(LAST_RELOAD_SUCCESSFUL, this, metrics -> metrics.lastReloadSuccessful)
                .description("1 if the last policy set rebuild was applied, 0 while the ConfigMaps hold a rejected set "
                        + "and the last good set stays in force")
                .register(registry);
    }

    private static Counter counter(MeterRegistry registry, String result) {
        return Counter.builder(RELOADS)
                .description("Policy set rebuilds from the policy ConfigMaps; rejected ones keep the last good set")
                .tag("result", result)
                .register(registry);
    }

    @Override
    public void onReload(PolicyReload reload) {
        (reload.applied() ? applied : rejected).increment();
        lastReloadSuccessful = reload.applied() ? 1 : 0;
    }
}
