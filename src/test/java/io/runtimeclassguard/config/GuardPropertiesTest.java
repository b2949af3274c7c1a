package io.runtimeclassguard.config;

import io.runtimeclassguard.config.GuardProperties.RunMode;
import io.runtimeclassguard.testing.PropertyBinding;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.util.unit.DataSize;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Defaults for a bare start, the environment variables the chart sets, and refusals at bind time. */
class GuardPropertiesTest {
    @Test
    void defaultsFitAStandaloneStartFromTheRepository() {
        GuardProperties properties = bind(Map.of());

        assertThat(properties.mode()).isEqualTo(RunMode.STANDALONE);
        assertThat(properties.policyNamespace()).isEqualTo("runtimeclass-guard");
        assertThat(properties.policiesDir()).isEqualTo(Path.of("policies"));
        assertThat(properties.admission().port()).isEqualTo(8443);
        assertThat(properties.admission().listenAddress().getAddress().isAnyLocalAddress()).isTrue();
        assertThat(properties.admission().maxBodySize()).isEqualTo(DataSize.ofMegabytes(7));
        assertThat(properties.admission().maxBodyBytes()).isEqualTo(7 * 1024 * 1024);
        assertThat(properties.admission().readTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(properties.admission().idleTimeout()).isEqualTo(Duration.ofSeconds(120));
        assertThat(properties.admission().maxConnections()).isEqualTo(1000);
        assertThat(properties.tls().configured()).isFalse();
        assertThat(properties.trainingRun()).isFalse();
        assertThat(properties.trainingRounds()).isEqualTo(200);
        assertThat(properties.warmUp()).isEqualTo(new GuardProperties.WarmUp(40, Duration.ofSeconds(10)));
    }

    @Test
    void bindsTheChartsEnvironmentVariables() {
        StandardEnvironment environment = new StandardEnvironment();
        // Relaxed names apply to the source by this name only, the one holding the real environment.
        environment.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of(
                "RUNTIMECLASS_GUARD_MODE", "cluster",
                "RUNTIMECLASS_GUARD_POLICY_NAMESPACE", "guard-system",
                "RUNTIMECLASS_GUARD_TLS_CERTIFICATE", "/etc/runtimeclass-guard/tls/tls.crt",
                "RUNTIMECLASS_GUARD_TLS_PRIVATE_KEY", "/etc/runtimeclass-guard/tls/tls.key")));

        GuardProperties properties = Binder.get(environment).bind("runtimeclass-guard", GuardProperties.class).get();

        assertThat(properties.mode()).isEqualTo(RunMode.CLUSTER);
        assertThat(properties.policyNamespace()).isEqualTo("guard-system");
        assertThat(properties.tls().certificate()).isEqualTo(Path.of("/etc/runtimeclass-guard/tls/tls.crt"));
        assertThat(properties.tls().privateKey()).isEqualTo(Path.of("/etc/runtimeclass-guard/tls/tls.key"));
    }

    @Test
    void admissionPortListensOnOneAddressWhenGivenOne() {
        InetSocketAddress listen = bind(Map.of("runtimeclass-guard.admission.address", "127.0.0.1",
                "runtimeclass-guard.admission.port", "9443")).admission().listenAddress();

        assertThat(listen.getAddress().isLoopbackAddress()).isTrue();
        assertThat(listen.getPort()).isEqualTo(9443);
    }

    @Test
    void bodyLimitIsBytesUnlessAUnitIsGiven() {
        assertThat(bind(Map.of("runtimeclass-guard.admission.max-body-size", "65536")).admission().maxBodyBytes()).isEqualTo(65536);
        assertThat(bind(Map.of("runtimeclass-guard.admission.max-body-size", "1MB")).admission().maxBodyBytes()).isEqualTo(1024 * 1024);
    }

    @Test
    void bodyBudgetIsAQuarterOfTheHeapUnlessSet() {
        assertThat(bind(Map.of()).admission().maxBufferedBodyBytes())
                .isEqualTo(Math.max(7 * 1024 * 1024, Runtime.getRuntime().maxMemory() / 4));
        assertThat(bind(Map.of("runtimeclass-guard.admission.max-buffered-bytes", "64MB")).admission().maxBufferedBodyBytes())
                .isEqualTo(64L * 1024 * 1024);
    }

    @Test
    void refusesWhatCannotWork() {
        assertRefused(Map.of("runtimeclass-guard.policy-namespace", "Runtime_Guard"), "is not a namespace name");
        assertRefused(Map.of("runtimeclass-guard.admission.max-body-size", "0"), "max-body-size must be between");
        assertRefused(Map.of("runtimeclass-guard.admission.max-body-size", "1GB"), "max-body-size must be between");
        assertRefused(Map.of("runtimeclass-guard.admission.port", "65536"), "admission.port must be between");
        assertRefused(Map.of("runtimeclass-guard.admission.read-timeout", "0s"), "read-timeout and idle-timeout must be positive");
        assertRefused(Map.of("runtimeclass-guard.admission.idle-timeout", "-1s"), "read-timeout and idle-timeout must be positive");
        assertRefused(Map.of("runtimeclass-guard.admission.max-connections", "0"), "max-connections must be at least 1");
        assertRefused(Map.of("runtimeclass-guard.admission.max-buffered-bytes", "6MB"),
                "max-buffered-bytes (6291456B) must be at least max-body-size (7340032B)");
        assertRefused(Map.of("runtimeclass-guard.tls.certificate", "/tls.crt"), "set both runtimeclass-guard.tls.certificate");
        assertRefused(Map.of("runtimeclass-guard.training-run", "true", "runtimeclass-guard.mode", "cluster"),
                "training-run needs mode standalone");
        assertRefused(Map.of("runtimeclass-guard.training-run", "true", "runtimeclass-guard.tls.certificate", "/a",
                "runtimeclass-guard.tls.private-key", "/b"), "training-run trusts only the certificate it generates");
        assertRefused(Map.of("runtimeclass-guard.mode", "kubernetes"), "runtimeclass-guard.mode");
        assertRefused(Map.of("runtimeclass-guard.warm-up.rounds", "-1"), "warm-up.rounds must be 0 (off) or more");
        assertRefused(Map.of("runtimeclass-guard.warm-up.budget", "0s"), "warm-up.budget must be more than 0");
        assertRefused(Map.of("runtimeclass-guard.warm-up.budget", "1h"), "warm-up.budget must be more than 0 and at most 60s");
    }

    private static void assertRefused(Map<String, String> values, String message) {
        PropertyBinding.assertRefused("runtimeclass-guard", GuardProperties.class, values, message);
    }

    private static GuardProperties bind(Map<String, String> values) {
        return PropertyBinding.bind("runtimeclass-guard", GuardProperties.class, values);
    }
}
