package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.runtimeclassguard.admission.http.AdmissionConnections;
import io.runtimeclassguard.admission.http.BodyBudget;
import io.runtimeclassguard.admission.http.ClientCertificateRefusals;
import io.runtimeclassguard.tls.RefusedClientCertificate;
import org.springframework.stereotype.Component;

/**
 * The admission port's own limits, read at scrape time: connections open against the cap and those refused at it,
 * request bodies held against their budget and requests refused for it, so an alert can tell a replica that turns
 * the apiserver away from one that is merely busy; and, with mutual TLS, client certificates refused by reason, so a
 * misconfigured apiserver shows as such.
 */
@Component
public class AdmissionPortMetrics implements MeterBinder {
    public static final String CONNECTIONS = "runtimeclass.guard.admission.connections";
    public static final String CONNECTIONS_REFUSED = "runtimeclass.guard.admission.connections.refused";
    public static final String BODIES_BUFFERED = "runtimeclass.guard.admission.bodies.buffered";
    public static final String BODIES_BUDGET = "runtimeclass.guard.admission.bodies.budget";
    public static final String BODIES_REFUSED = "runtimeclass.guard.admission.bodies.refused";
    public static final String CLIENT_CERTIFICATES_REFUSED = "runtimeclass.guard.admission.client.certificates.refused";

    private final AdmissionConnections connections;
    private final BodyBudget bodies;
    private final ClientCertificateRefusals refusedCertificates;

    public AdmissionPortMetrics(AdmissionConnections connections, BodyBudget bodies,
                                ClientCertificateRefusals refusedCertificates) {
        this.connections = connections;
        this.bodies = bodies;
        this.refusedCertificates = refusedCertificates;
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
        for (RefusedClientCertificate.Reason reason : RefusedClientCertificate.Reason.values()) {
            FunctionCounter.builder(CLIENT_CERTIFICATES_REFUSED, refusedCertificates, refusals -> refusals.count(reason))
                    .tag("reason", reason.tag())
                    .description("Client certificates refused at the TLS handshake with mutual TLS on, by reason")
                    .register(registry);
        }
    }
}
