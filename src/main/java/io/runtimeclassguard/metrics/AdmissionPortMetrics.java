package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.runtimeclassguard.admission.http.AdmissionConnections;
import io.runtimeclassguard.admission.http.BodyBudget;
import org.springframework.stereotype.Component;

/**
 * The admission port's own limits, read at scrape time: connections open against the cap and those refused at it,
 * request bodies held against their budget and requests refused for it, so an alert can tell a replica that turns
 * the apiserver away from one that is merely busy.
 */
@Component
public class AdmissionPortMetrics implements MeterBinder {
    public static final String CONNECTIONS = "runtimeclass.guard.admission.connections";
    public static final String CONNECTIONS_REFUSED = "runtimeclass.guard.admission.connections.refused";
    public static final String BODIES_BUFFERED = "runtimeclass.guard.admission.bodies.buffered";
    public static final String BODIES_BUDGET = "runtimeclass.guard.admission.bodies.budget";
    public static final String BODIES_REFUSED = "runtimeclass.guard.admission.bodies.refused";

    private final AdmissionConnections connections;
    private final BodyBudget bodies;

    public AdmissionPortMetrics(AdmissionConnections connections, BodyBudget bodies) {
        this.connections = connections;
        this.bodies = bodies;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder(CONNECTIONS, connections, AdmissionConnections::count)
                .description("Connections open on the admission port")
                .register(registry);
        FunctionCounter.builder(CONNECTIONS_REFUSED, connections, AdmissionConnections::refused)
                .description("Connections closed at accept because the admission port was at its connection cap")
                .register(registry);
        Gauge.builder(BODIES_BUFFERED, bodies, BodyBudget::held).baseUnit(BaseUnits.BYTES)
                .description("Bytes of request bodies the admission port holds now, across all connections")
                .register(registry);
        Gauge.builder(BODIES_BUDGET, bodies, BodyBudget::limit).baseUnit(BaseUnits.BYTES)
                .description("The most bytes of request bodies the admission port holds at once (max-buffered-bytes)")
                .register(registry);
        FunctionCounter.builder(BODIES_REFUSED, bodies, BodyBudget::refused)
                .description("Requests answered 503 because their body did not fit in the budget of buffered bodies")
                .register(registry);
    }
}
