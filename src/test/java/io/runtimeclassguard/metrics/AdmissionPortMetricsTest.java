package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.runtimeclassguard.admission.http.AdmissionConnections;
import io.runtimeclassguard.admission.http.BodyBudget;
import io.runtimeclassguard.admission.http.ClientCertificateRefusals;
import io.runtimeclassguard.config.GuardProperties;
import io.runtimeclassguard.testing.PropertyBinding;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The admission port's limits as meters; BodyBudgetTest drives the body budget through the port itself. */
class AdmissionPortMetricsTest {
    private final GuardProperties properties = PropertyBinding.bind("runtimeclass-guard", GuardProperties.class, Map.of(
            "runtimeclass-guard.admission.max-connections", "1",
            "runtimeclass-guard.admission.max-body-size", "1MB",
            "runtimeclass-guard.admission.max-buffered-bytes", "3MB"));
    private final AdmissionConnections connections = new AdmissionConnections(properties);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    AdmissionPortMetricsTest() {
        new AdmissionPortMetrics(connections, new BodyBudget(properties), new ClientCertificateRefusals()).bindTo(registry);
    }

    @Test
    void countsOpenConnectionsAndThoseRefusedAtTheCap() {
        EmbeddedChannel first = new EmbeddedChannel();
        assertThat(connections.admit(first)).isTrue();
        assertThat(connections.admit(new EmbeddedChannel())).isFalse();
        assertThat(connections.admit(new EmbeddedChannel())).isFalse();

        assertThat(registry.get(AdmissionPortMetrics.CONNECTIONS).gauge().value()).isEqualTo(1);
        assertThat(registry.get(AdmissionPortMetrics.CONNECTIONS_REFUSED).functionCounter().count()).isEqualTo(2);

        first.close();
        assertThat(registry.get(AdmissionPortMetrics.CONNECTIONS).gauge().value()).isZero();
    }

    @Test
    void publishesTheBodyBudgetInBytes() {
        assertThat(registry.get(AdmissionPortMetrics.BODIES_BUDGET).gauge().value()).isEqualTo(3 * 1024 * 1024);
        assertThat(registry.get(AdmissionPortMetrics.BODIES_BUDGET).gauge().getId().getBaseUnit()).isEqualTo("bytes");
        assertThat(registry.get(AdmissionPortMetrics.BODIES_BUFFERED).gauge().value()).isZero();
        assertThat(registry.get(AdmissionPortMetrics.BODIES_REFUSED).functionCounter().count()).isZero();
    }
}
