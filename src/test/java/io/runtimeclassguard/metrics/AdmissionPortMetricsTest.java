package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.runtimeclassguard.admission.http.AdmissionConnections;
import io.runtimeclassguard.config.GuardProperties;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AdmissionPortMetricsTest {
    @Test
    void countsOpenConnectionsAndThoseRefusedAtTheCap() {
        GuardProperties properties = new Binder(new MapConfigurationPropertySource(
                Map.of("runtimeclass-guard.admission.max-connections", "1")))
                .bindOrCreate("runtimeclass-guard", GuardProperties.class);
        AdmissionConnections connections = new AdmissionConnections(properties);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new AdmissionPortMetrics(connections).bindTo(registry);

        EmbeddedChannel first = new EmbeddedChannel();
        assertThat(connections.admit(first)).isTrue();
        assertThat(connections.admit(new EmbeddedChannel())).isFalse();
        assertThat(connections.admit(new EmbeddedChannel())).isFalse();

        assertThat(registry.get(AdmissionPortMetrics.CONNECTIONS).gauge().value()).isEqualTo(1);
        assertThat(registry.get(AdmissionPortMetrics.CONNECTIONS_REFUSED).functionCounter().count()).isEqualTo(2);

        first.close();
        assertThat(registry.get(AdmissionPortMetrics.CONNECTIONS).gauge().value()).isZero();
    }
}
