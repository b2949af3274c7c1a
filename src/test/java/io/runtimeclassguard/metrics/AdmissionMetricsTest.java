package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runtimeclassguard.admission.DecisionObserver.DecisionEvent;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Decision.Outcome;
import io.runtimeclassguard.policy.evaluation.Decision.Reason;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.policy.kube.Operation;
import io.runtimeclassguard.policy.kube.PodSpecView;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.evaluation.Stage;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class AdmissionMetricsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AdmissionMetrics metrics = new AdmissionMetrics(registry);

    @Test
    void countsDecisionsByBoundedTagsOnly() {
        metrics.onDecision(event(Stage.VALIDATE, request("", "Pod"), denied(), Duration.ofMillis(3)));
        metrics.onDecision(event(Stage.VALIDATE, request("", "Pod"), denied(), Duration.ofMillis(4)));
        metrics.onDecision(event(Stage.MUTATE, request("example.com", "Widget"), ignored(), Duration.ofMillis(1)));

        assertThat(registry.get(AdmissionMetrics.REQUESTS).tags("stage", "validate", "kind", "Pod", "operation", "CREATE",
                "decision", "denied", "policy", "untrusted", "mode", "enforce").counter().count()).isEqualTo(2);
        assertThat(registry.get(AdmissionMetrics.REQUESTS).tags("stage", "mutate", "kind", "other",
                "decision", "ignored", "policy", "none", "mode", "none").counter().count()).isEqualTo(1);
        assertThat(registry.get(AdmissionMetrics.REQUESTS).counters())
                .allSatisfy(counter -> assertThat(counter.getId().getTags()).extracting(tag -> tag.getKey())
                        .containsExactlyInAnyOrder("stage", "kind", "operation", "decision", "policy", "mode"));
        assertThat(registry.scrape()).doesNotContain("web-7f9c").doesNotContain("alice");
    }

    @Test
    void latencyHistogramHasTheApiserversBucketsByStage() {
        metrics.onDecision(event(Stage.MUTATE, request("", "Pod"), denied(), Duration.ofMillis(3)));
        metrics.onDecision(event(Stage.MUTATE, request("", "Pod"), denied(), Duration.ofMillis(30)));

        Timer timer = registry.get(AdmissionMetrics.LATENCY).tag("stage", "mutate").timer();
        assertThat(timer.count()).isEqualTo(2);
        CountAtBucket[] buckets = timer.takeSnapshot().histogramCounts();
        assertThat(Arrays.stream(buckets).map(bucket -> Duration.ofNanos((long) bucket.bucket())))
                .containsExactly(AdmissionMetrics.APISERVER_BUCKETS);
        assertThat(buckets[0].count()).isEqualTo(1);
        assertThat(buckets[2].count()).isEqualTo(2);
        assertThat(registry.scrape())
                .contains("runtimeclass_guard_admission_latency_seconds_bucket{stage=\"mutate\",le=\"0.005\"} 1")
                .contains("runtimeclass_guard_admission_latency_seconds_bucket{stage=\"mutate\",le=\"0.025\"} 1")
                .contains("runtimeclass_guard_admission_latency_seconds_bucket{stage=\"mutate\",le=\"0.1\"} 2")
                .contains("runtimeclass_guard_admission_latency_seconds_bucket{stage=\"mutate\",le=\"0.5\"} 2")
                .contains("runtimeclass_guard_admission_latency_seconds_bucket{stage=\"mutate\",le=\"1.0\"} 2")
                .contains("runtimeclass_guard_admission_requests_total{decision=\"denied\",kind=\"Pod\"");
    }

    private static DecisionEvent event(Stage stage, ReviewRequest request, Decision decision, Duration latency) {
        return new DecisionEvent(stage, "admission.k8s.io/v1", request, decision, latency.toNanos());
    }

    private static ReviewRequest request(String group, String kind) {
        return new ReviewRequest("uid-1", Operation.CREATE, group, kind, "", "untrusted-workloads", "web-7f9c", "alice",
                List.of("developers"), false, new PodSpecView("spec", "kata", Map.of(), Map.of()), false, null);
    }

    private static Decision denied() {
        return new Decision(false, Outcome.DENIED, Reason.CLASS_NOT_ALLOWED, "untrusted", Optional.of(Mode.ENFORCE),
                "kata", "kata", null, null, List.of(), List.of(), "kata is not allowed");
    }

    private static Decision ignored() {
        return new Decision(true, Outcome.IGNORED, Reason.NOT_APPLICABLE, "", Optional.empty(), null, null, null, null,
                List.of(), List.of(), "not decided on");
    }
}
