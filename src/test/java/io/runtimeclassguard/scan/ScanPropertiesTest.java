package io.runtimeclassguard.scan;

import io.runtimeclassguard.testing.PropertyBinding;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Defaults, the environment variables the chart sets, and refusals at bind time. */
class ScanPropertiesTest {
    @Test
    void defaultsScanEveryTenMinutesWithoutReports() {
        ScanProperties properties = bind(Map.of());

        assertThat(properties.enabled()).isTrue();
        assertThat(properties.period()).isEqualTo(Duration.ofMinutes(10));
        assertThat(properties.jitter()).isEqualTo(Duration.ofMinutes(1));
        assertThat(properties.chunkSize()).isEqualTo(500);
        assertThat(properties.excludedNamespaces()).isEmpty();
        assertThat(properties.leaseName()).isEqualTo("runtimeclass-guard-scan");
        assertThat(properties.leaseDuration()).isEqualTo(Duration.ofSeconds(60));
        assertThat(properties.renewDeadline()).isEqualTo(Duration.ofSeconds(40));
        assertThat(properties.retryPeriod()).isEqualTo(Duration.ofSeconds(10));
        assertThat(properties.reports().enabled()).isFalse();
        assertThat(properties.reports().maxResults()).isEqualTo(50);
    }

    @Test
    void bindsTheChartsEnvironmentVariables() {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of(
                        "RUNTIMECLASS_GUARD_SCAN_ENABLED", "true",
                        "RUNTIMECLASS_GUARD_SCAN_PERIOD", "15m",
                        "RUNTIMECLASS_GUARD_SCAN_JITTER", "2m",
                        "RUNTIMECLASS_GUARD_SCAN_CHUNK_SIZE", "250",
                        "RUNTIMECLASS_GUARD_SCAN_EXCLUDED_NAMESPACES", "kube-system,kube-node-lease,guard-system,ops",
                        "RUNTIMECLASS_GUARD_SCAN_LEASE_NAME", "rcg-runtimeclass-guard-scan",
                        "RUNTIMECLASS_GUARD_SCAN_REPORTS_ENABLED", "true",
                        "RUNTIMECLASS_GUARD_SCAN_REPORTS_MAX_RESULTS", "20")));

        ScanProperties properties = Binder.get(environment).bind("runtimeclass-guard.scan", ScanProperties.class).get();

        assertThat(properties.period()).isEqualTo(Duration.ofMinutes(15));
        assertThat(properties.jitter()).isEqualTo(Duration.ofMinutes(2));
        assertThat(properties.chunkSize()).isEqualTo(250);
        assertThat(properties.excludedNamespaces()).containsExactly("kube-system", "kube-node-lease", "guard-system", "ops");
        assertThat(properties.leaseName()).isEqualTo("rcg-runtimeclass-guard-scan");
        assertThat(properties.reports().enabled()).isTrue();
        assertThat(properties.reports().maxResults()).isEqualTo(20);
    }

    @Test
    void refusesWhatCannotWork() {
        assertRefused(Map.of("runtimeclass-guard.scan.period", "500ms"), "period must be at least 1s");
        assertRefused(Map.of("runtimeclass-guard.scan.period", "1m", "runtimeclass-guard.scan.jitter", "2m"),
                "jitter must be between 0 and the period");
        assertRefused(Map.of("runtimeclass-guard.scan.jitter", "-1s"), "jitter must be between 0 and the period");
        assertRefused(Map.of("runtimeclass-guard.scan.chunk-size", "0"), "chunk-size must be between 1 and 10000");
        assertRefused(Map.of("runtimeclass-guard.scan.lease-name", "Scan_Lease"), "is not an object name");
        assertRefused(Map.of("runtimeclass-guard.scan.lease-duration", "1s"), "lease-duration must be at least 3s");
        assertRefused(Map.of("runtimeclass-guard.scan.reports.max-results", "0"), "max-results must be between 1 and 1000");
    }

    @Test
    void theLeaseIsRenewedWellBeforeItLapses() {
        ScanProperties properties = bind(Map.of("runtimeclass-guard.scan.lease-duration", "3s"));

        assertThat(properties.renewDeadline()).isEqualTo(Duration.ofSeconds(2));
        assertThat(properties.retryPeriod()).isEqualTo(Duration.ofMillis(500));
        // What fabric8's leader election demands, with its jitter of 1.2 retry periods.
        assertThat(properties.renewDeadline().toMillis()).isGreaterThan(properties.retryPeriod().toMillis() * 22 / 10);
        assertThat(List.of(properties.leaseDuration(), properties.renewDeadline())).isSortedAccordingTo(java.util.Comparator.reverseOrder());
    }

    private static void assertRefused(Map<String, String> values, String message) {
        PropertyBinding.assertRefused("runtimeclass-guard.scan", ScanProperties.class, values, message);
    }

    private static ScanProperties bind(Map<String, String> values) {
        return PropertyBinding.bind("runtimeclass-guard.scan", ScanProperties.class, values);
    }
}
