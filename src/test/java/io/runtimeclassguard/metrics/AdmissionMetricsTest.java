package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runtimeclassguard.admission.DecisionObserver.DecisionEvent;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Decision.Reason;
import io.runtimeclassguard.policy.evaluation.Decision.Violation;
import io.runtimeclassguard.policy.evaluation.Stage;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.loading.PolicySource;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import io.runtimeclassguard.testing.ReviewRequestBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AdmissionMetricsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AdmissionMetrics metrics = new AdmissionMetrics(registry);

    @Test
    void countsDecisionsByBoundedTagsOnly() {
        metrics.onDecision(event(Stage.VALIDATE, pod(), denied(), Duration.ofMillis(3)));
        metrics.onDecision(event(Stage.VALIDATE, pod(), denied(), Duration.ofMillis(4)));
        metrics.onDecision(event(Stage.MUTATE, ReviewRequestBuilder.other("example.com", "Widget", "untrusted-workloads")
                .name("web-7f9c").build(), ignored(), Duration.ofMillis(1)));

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
        metrics.onDecision(event(Stage.MUTATE, pod(), denied(), Duration.ofMillis(3)));
        metrics.onDecision(event(Stage.MUTATE, pod(), denied(), Duration.ofMillis(30)));

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

    private static ReviewRequest pod() {
        return ReviewRequestBuilder.pod("untrusted-workloads").name("web-7f9c").user("alice", "developers")
                .runtimeClass("kata").build();
    }

    private static Decision denied() {
        RuntimeClassPolicy untrusted = PolicyLoader.load(List.of(PolicySource.configMapKey("p", "p.yaml", """
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: untrusted
                priority: 1
                namespaces: {names: [untrusted-workloads]}
                runtimeClass: {allowed: [gvisor]}
                """))).policies().byName("untrusted").orElseThrow();
        return Decision.denied(List.of(new Violation(Reason.CLASS_NOT_ALLOWED, "spec.runtimeClassName",
                "\"kata\" is not allowed")), "kata is not allowed").withPolicy(untrusted);
    }

    private static Decision ignored() {
        return Decision.ignored("not decided on");
    }
}
