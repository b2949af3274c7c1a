package io.runtimeclassguard.config;

import io.runtimeclassguard.config.GuardProperties.RunMode;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Defaults for a bare start, the environment variables the chart sets, and refusals at bind time. */
class GuardPropertiesTest {
    @Test
    void defaultsFitAStandaloneStartFromTheRepository() {
        GuardProperties properties = bind(Map.of());

        assertThat(properties.mode()).isEqualTo(RunMode.STANDALONE);
        assertThat(properties.policyNamespace()).isEqualTo("runtimeclass-guard");
        assertThat(properties.policiesDir()).isEqualTo(Path.of("policies"));
        assertThat(properties.maxBodyBytes()).isEqualTo(DataSize.ofMegabytes(3));
        assertThat(properties.maxBodyBytes().toBytes()).isEqualTo(3 * 1024 * 1024);
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
    void bodyLimitIsBytesUnlessAUnitIsGiven() {
        assertThat(bind(Map.of("runtimeclass-guard.max-body-bytes", "65536")).maxBodyBytes().toBytes()).isEqualTo(65536);
        assertThat(bind(Map.of("runtimeclass-guard.max-body-bytes", "1MB")).maxBodyBytes().toBytes()).isEqualTo(1024 * 1024);
    }

    @Test
    void refusesWhatCannotWork() {
        assertRefused(Map.of("runtimeclass-guard.policy-namespace", "Runtime_Guard"), "is not a namespace name");
        assertRefused(Map.of("runtimeclass-guard.max-body-bytes", "0"), "max-body-bytes must be between");
        assertRefused(Map.of("runtimeclass-guard.max-body-bytes", "1GB"), "max-body-bytes must be between");
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
        assertThatThrownBy(() -> bind(values)).isInstanceOf(BindException.class)
                .satisfies(failure -> assertThat(rootMessage(failure)).contains(message));
    }

    private static String rootMessage(Throwable failure) {
        StringBuilder messages = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            messages.append(cause.getMessage()).append('\n');
        }
        return messages.toString();
    }

    private static GuardProperties bind(Map<String, String> values) {
        Binder binder = new Binder(new MapConfigurationPropertySource(values));
        return binder.bindOrCreate("runtimeclass-guard", GuardProperties.class);
    }
}
