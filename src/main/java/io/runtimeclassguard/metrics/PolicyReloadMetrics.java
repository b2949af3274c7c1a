package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.runtimeclassguard.cluster.PolicyReloadListener;
import org.springframework.stereotype.Component;

/** Counts policy set rebuilds by result: {@code applied}, or {@code rejected} with the last good set kept. */
@Component
public class PolicyReloadMetrics implements PolicyReloadListener {
    public static final String RELOADS = "runtimeclass.guard.policy.reloads";

    private final Counter applied;
    private final Counter rejected;

    public PolicyReloadMetrics(MeterRegistry registry) {
        applied = counter(registry, "applied");
        rejected = counter(registry, "rejected");
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
    }
}
