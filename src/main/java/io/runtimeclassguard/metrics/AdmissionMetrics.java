package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter.MeterProvider;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.runtimeclassguard.admission.DecisionObserver;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Counts admission decisions and times them. Every tag is bounded: kinds are the ones the webhook decides on
 * (anything else is {@code other}), policy names come from the policy set; never a pod name or a user.
 */
@Component
public class AdmissionMetrics implements DecisionObserver {
    public static final String REQUESTS = "runtimeclass.guard.admission.requests";
    public static final String LATENCY = "runtimeclass.guard.admission.latency";
    /**
     * The buckets of the apiserver's own {@code apiserver_admission_webhook_admission_duration_seconds}, so the
     * webhook's share of the apiserver's admission latency reads off bucket for bucket.
     */
    static final Duration[] APISERVER_BUCKETS = {
            Duration.ofMillis(5), Duration.ofMillis(25), Duration.ofMillis(100), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(10), Duration.ofSeconds(25)};

    private final MeterProvider<Counter> requests;
    private final MeterProvider<Timer> latency;

    public AdmissionMetrics(MeterRegistry registry) {
        requests = Counter.builder(REQUESTS)
                .description("Admission requests decided, by stage, kind, operation, decision, policy and mode")
                .withRegistry(registry);
        latency = Timer.builder(LATENCY)
                .description("Time from the decoded AdmissionReview to the encoded response, by stage")
                .serviceLevelObjectives(APISERVER_BUCKETS)
                .withRegistry(registry);
    }

    @Override
    public void onDecision(DecisionEvent event) {
        Decision decision = event.decision();
        String stage = event.stage().name().toLowerCase(Locale.ROOT);
        requests.withTags(Tags.of(
                "stage", stage,
                "kind", kind(event.request()),
                "operation", event.request().operation().name(),
                "decision", decision.outcome().wireName(),
                "policy", decision.policy().orElse("none"),
                "mode", decision.mode().map(Mode::wireName).orElse("none"))).increment();
        latency.withTag("stage", stage).record(event.latencyNanos(), TimeUnit.NANOSECONDS);
    }

    private static String kind(ReviewRequest request) {
        boolean decidedOn = request.workloadKind().isPresent()
                || (request.group().isEmpty() && request.kind().equals("ConfigMap"));
        return decidedOn ? request.kind() : "other";
    }
}
