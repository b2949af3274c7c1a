package io.runtimeclassguard.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runtimeclassguard.policy.evaluation.Decision.Reason;
import io.runtimeclassguard.policy.scan.ScanReport;
import io.runtimeclassguard.policy.scan.ScanReport.PolicyReason;
import io.runtimeclassguard.policy.scan.View;
import io.runtimeclassguard.scan.ScanObserver.CompletedScan;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The names Prometheus sees, bounded tags, and what a replica that stops scanning keeps. */
class ScanMetricsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ScanMetrics metrics = new ScanMetrics(registry);

    @Test
    void aCompletedScanSetsTheViolationsByPolicyAndReasonAndReplacesTheLastOnes() {
        metrics.onScanCompleted(scan(Map.of(new PolicyReason(Optional.of("untrusted"), Reason.DEFAULT_EXPECTED), 3,
                new PolicyReason(Optional.empty(), Reason.CLASS_NOT_FOUND), 1)));
        metrics.onScanCompleted(scan(Map.of(new PolicyReason(Optional.of("untrusted"), Reason.DEFAULT_EXPECTED), 2)));

        assertThat(registry.scrape())
                .contains("runtimeclass_guard_existing_violations{policy=\"untrusted\",reason=\"default-expected\"} 2")
                .doesNotContain("class-not-found")
                .contains("runtimeclass_guard_scans_total{result=\"completed\"} 2")
                .contains("runtimeclass_guard_scan_duration_seconds_count 2")
                .contains("runtimeclass_guard_scan_objects 42")
                .contains("runtimeclass_guard_scan_last_completed_timestamp_seconds 1.893456E9");
    }

    @Test
    void aReplicaThatStopsScanningDropsItsViolations() {
        metrics.onScanCompleted(scan(Map.of(new PolicyReason(Optional.of("untrusted"), Reason.DEFAULT_EXPECTED), 3)));
        metrics.onScanFailed(Duration.ofSeconds(1));

        metrics.onScanningStopped();

        assertThat(registry.scrape()).doesNotContain("runtimeclass_guard_existing_violations{")
                .contains("runtimeclass_guard_scans_total{result=\"failed\"} 1");
    }

    private static CompletedScan scan(Map<PolicyReason, Integer> violations) {
        ScanReport report = new ScanReport(View.IN_FORCE_VIOLATIONS, List.of(), Map.of("Pod", 40, "Deployment", 2), Map.of(),
                violations, Map.of(), 0);
        return new CompletedScan(report, Duration.ofMillis(1500), Instant.parse("2030-01-01T00:00:00Z"));
    }
}
