package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runtimeclassguard.cluster.PolicyReloadListener.PolicyReload;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PolicyReloadMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final PolicyReloadMetrics metrics = new PolicyReloadMetrics(registry);

    @Test
    void countsEachResultAndKeepsSayingRejectedUntilASetIsApplied() {
        assertThat(lastReloadSuccessful()).isEqualTo(1);

        metrics.onReload(new PolicyReload(true, 2, List.of()));
        metrics.onReload(new PolicyReload(false, 2, List.of()));

        assertThat(lastReloadSuccessful()).isZero();
        assertThat(reloads("applied")).isEqualTo(1);
        assertThat(reloads("rejected")).isEqualTo(1);

        metrics.onReload(new PolicyReload(true, 3, List.of()));

        assertThat(lastReloadSuccessful()).isEqualTo(1);
        assertThat(reloads("applied")).isEqualTo(2);
    }

    private double lastReloadSuccessful() {
        return registry.get(PolicyReloadMetrics.LAST_RELOAD_SUCCESSFUL).gauge().value();
    }

    private double reloads(String result) {
        return registry.get(PolicyReloadMetrics.RELOADS).tag("result", result).counter().count();
    }
}
