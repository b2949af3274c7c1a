package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.runtimeclassguard.admission.http.AdmissionConnections;
import org.springframework.stereotype.Component;

/**
 * The admission port's connections, read at scrape time: how many are open against the cap, and how many were
 * refused at it, so an alert can tell a replica that turns the apiserver away from one that is merely busy.
 */
@Component
public class AdmissionPortMetrics implements MeterBinder {
    public static final String CONNECTIONS = "runtimeclass.guard.admission.connections";
    public static final String CONNECTIONS_REFUSED = "runtimeclass.guard.admission.connections.refused";

    private final AdmissionConnections connections;

    public AdmissionPortMetrics(AdmissionConnections connections) {
        this.connections = connections;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder(CONNECTIONS, connections, AdmissionConnections::count)
                .description("Connections open on the admission port")
                .register(registry);
        FunctionCounter.builder(CONNECTIONS_REFUSED, connections, AdmissionConnections::refused)
                .description("Connections closed at accept because the admission port was at its connection cap")
                .register(registry);
    }
}
